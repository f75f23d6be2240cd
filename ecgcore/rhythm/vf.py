"""Ventricular flutter/fibrillation from the waveform alone (no R-peaks).

Each window (8 s, centred on a 1 s step of the analysis grid) of the
conditioned signal (0.5-40 Hz) is described by classic VF-detection
measures (Amann, Tratnig & Unterkofler 2005; Li, Rajagopalan & Clifford 2014):

==================  ==========================================================
``dominant_hz``     frequency of the largest spectral peak in 1-30 Hz
``band_2_10``       power fraction in 2-10 Hz (of 1-30 Hz)
``band_12_30``      power fraction in 12-30 Hz (QRS edges; VF has little)
``peak_share``      power fraction within 0.7-1.4 x the dominant frequency
``kurtosis``        Pearson kurtosis (peaky QRS > 5, sinusoid-like VF ~ 2)
``tcsc``            fraction of samples above 20 % of the absolute maximum
``near_baseline``   fraction of samples below 10 % of the 99th percentile
``crossings_hz``    mean crossings per second
``sample_entropy``  SampEn(2, 0.2 SD) of the signal decimated to ~50 Hz
``amplitude_mv``    2.5-97.5 percentile range (mV)
``slope_ratio``     mean absolute slope over that range (1/s)
``regularity``      largest autocorrelation at lags 0.2-2 s
==================  ==========================================================

A small gradient-boosted tree ensemble (``models/vf-<version>.npz``, trained
by ``scripts/train_vf.py`` on vfdb and mitdb windows) turns them into the
probability that the window is VF/VFL. The hand-written measures follow
their published definitions; no maintained library computes them on
arbitrary windows.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

import numpy as np

from ecgcore.rhythm._rhythm_numba import sample_entropy
from ecgcore.rhythm.trees import MODEL_DIR, TreeModel, load_tree_models, manifest_entry

__all__ = [
    "VF_FEATURE_NAMES",
    "VF_MODEL",
    "VF_WINDOW_S",
    "default_vf_model",
    "load_vf_model",
    "vf_window_features",
]

#: Name of the shipped VF model in ``models/MANIFEST.json``.
VF_MODEL: Final = "vf"
#: Length of the analysis window (s).
VF_WINDOW_S: Final = 8.0

VF_FEATURE_NAMES: Final[tuple[str, ...]] = (
    "dominant_hz",
    "band_2_10",
    "band_12_30",
    "peak_share",
    "kurtosis",
    "tcsc",
    "near_baseline",
    "crossings_hz",
    "sample_entropy",
    "amplitude_mv",
    "slope_ratio",
    "regularity",
)


def _one_window(x: np.ndarray, fs: float) -> np.ndarray:
    out = np.full(len(VF_FEATURE_NAMES), np.nan)
    n = x.size
    x = x - x.mean()
    amax = np.max(np.abs(x))
    sd = np.std(x)
    if amax <= 1e-6 or sd <= 0:
        return out
    f = np.fft.rfftfreq(n, 1.0 / fs)
    p = np.abs(np.fft.rfft(x * np.hanning(n))) ** 2
    band = (f >= 1.0) & (f <= 30.0)
    tot = p[band].sum() + 1e-20
    fd = f[band][np.argmax(p[band])]
    out[0] = fd
    out[1] = p[(f >= 2.0) & (f <= 10.0)].sum() / tot
    out[2] = p[(f >= 12.0) & (f <= 30.0)].sum() / tot
    out[3] = p[(f >= 0.7 * fd) & (f <= 1.4 * fd)].sum() / tot
    out[4] = np.mean(x**4) / sd**4
    out[5] = np.mean(np.abs(x) > 0.2 * amax)
    q99 = np.percentile(np.abs(x), 99)
    out[6] = np.mean(np.abs(x) < 0.1 * q99)
    out[7] = np.count_nonzero(np.diff(np.signbit(x))) / (n / fs) / 2.0
    dec = max(1, round(fs / 50.0))
    xd = np.ascontiguousarray(x[::dec])
    out[8] = sample_entropy(xd / (np.std(xd) + 1e-12), 2, 0.2)
    lo, hi = np.percentile(x, [2.5, 97.5])
    out[9] = hi - lo
    out[10] = np.mean(np.abs(np.diff(x))) * fs / (out[9] + 1e-9)
    ac = np.correlate(xd, xd, "full")[xd.size - 1 :]
    ac = ac / ac[0]
    a, b = int(0.2 * fs / dec), int(2.0 * fs / dec)
    out[11] = np.max(ac[a:b]) if b > a and b <= ac.size else np.nan
    return out


def vf_window_features(y: np.ndarray, fs: float) -> np.ndarray:
    """VF features of one window of the conditioned signal.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Conditioned signal (mV), typically :data:`VF_WINDOW_S` long.
    fs : float
        Sampling rate, Hz.

    Returns
    -------
    ndarray, shape (len(VF_FEATURE_NAMES),)
        NaN everywhere when the window holds missing samples, is flat or is
        shorter than 2 s.
    """
    x = np.asarray(y, dtype=np.float64)
    if x.size < 2 * fs or np.isnan(x).any():
        return np.full(len(VF_FEATURE_NAMES), np.nan)
    return _one_window(x, fs)


def load_vf_model(path: str | Path, *, sha256: str) -> TreeModel:
    """Load a VF window model file (checked against ``sha256``)."""
    return load_tree_models(path, sha256=sha256)["vf"]


@functools.cache
def default_vf_model() -> TreeModel:
    """The shipped VF window model, checked against its manifest entry."""
    entry = manifest_entry(VF_MODEL)
    return load_vf_model(MODEL_DIR / entry["file"], sha256=entry["sha256"])
