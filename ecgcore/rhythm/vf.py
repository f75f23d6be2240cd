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

The central :data:`VF_SHORT_S` seconds of the window (4 s) are described
again, without sample entropy and regularity, by :data:`VF_SHORT_FEATURE_NAMES`:
the same measures plus

==================  ==========================================================
``psr``             phase-space fill: share of the 40 x 40 boxes of the
                    (x(t), x(t - 0.5 s)) plot visited (Amann et al. 2007)
``count2``          share of samples above the mean absolute value
                    (Count2, Jekova & Krasteva 2004)
``count3``          share of samples within the mean absolute value +- the
                    mean absolute deviation (Count3, ibid.)
``tci_hz``          pulses per second of the absolute signal above 20 % of
                    each 1 s block's maximum (the threshold crossing of TCI,
                    Thakor et al. 1990, on both polarities: two pulses per
                    cycle)
==================  ==========================================================

Two small gradient-boosted tree ensembles (:class:`VFModel`,
``models/vf-<version>.npz``, trained by ``scripts/train_vf.py`` on vfdb and
mitdb windows) turn them into the probability that the window is VF/VFL:
the long window decides the rhythm, the short one confirms each second of it,
so that a run found on 8 s does not spill over the seconds around it. The
hand-written measures follow their published definitions; no maintained
library computes them on arbitrary windows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from ecgcore.errors import FormatError
from ecgcore.rhythm._rhythm_numba import sample_entropy
from ecgcore.rhythm.trees import MODEL_DIR, TreeModel, load_tree_models, manifest_entry

__all__ = [
    "VF_FEATURE_NAMES",
    "VF_MODEL",
    "VF_SHORT_FEATURE_NAMES",
    "VF_SHORT_S",
    "VF_WINDOW_S",
    "VFModel",
    "default_vf_model",
    "load_vf_model",
    "vf_short_features",
    "vf_window_features",
]

#: Name of the shipped VF model in ``models/MANIFEST.json``.
VF_MODEL: Final = "vf"
#: Length of the analysis window (s).
VF_WINDOW_S: Final = 8.0
#: Length of the central short window (s).
VF_SHORT_S: Final = 4.0

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
_EXTRA_NAMES: Final = ("psr", "count2", "count3", "tci_hz")
_SHORT_COLS: Final = tuple(
    i
    for i, name in enumerate(VF_FEATURE_NAMES + _EXTRA_NAMES)
    if name not in ("sample_entropy", "regularity")
)
VF_SHORT_FEATURE_NAMES: Final[tuple[str, ...]] = tuple(
    (VF_FEATURE_NAMES + _EXTRA_NAMES)[i] for i in _SHORT_COLS
)


def _one_window(x: np.ndarray, fs: float, *, slow: bool = True) -> np.ndarray:
    """The 12 window measures then the 4 extra ones (entropy, regularity only if ``slow``)."""
    out = np.full(len(VF_FEATURE_NAMES) + len(_EXTRA_NAMES), np.nan)
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
    lo, hi = np.percentile(x, [2.5, 97.5])
    out[9] = hi - lo
    out[10] = np.mean(np.abs(np.diff(x))) * fs / (out[9] + 1e-9)
    if slow:
        dec = max(1, round(fs / 50.0))
        xd = np.ascontiguousarray(x[::dec])
        out[8] = sample_entropy(xd / (np.std(xd) + 1e-12), 2, 0.2)
        ac = np.correlate(xd, xd, "full")[xd.size - 1 :]
        ac = ac / ac[0]
        a, b = int(0.2 * fs / dec), int(2.0 * fs / dec)
        out[11] = np.max(ac[a:b]) if b > a and b <= ac.size else np.nan
        return out
    # phase space: (x(t), x(t - 0.5 s)) on a 40 x 40 grid of the window's range
    tau = round(0.5 * fs)
    g = np.minimum(((x - x.min()) / (np.ptp(x) + 1e-12) * 40.0).astype(np.int64), 39)
    out[12] = np.unique(g[tau:] * 40 + g[:-tau]).size / 1600.0
    ax = np.abs(x)
    mabs = ax.mean()
    out[13] = np.mean(ax > mabs)
    out[14] = np.mean(np.abs(ax - mabs) <= np.mean(np.abs(ax - mabs)))
    blk = round(fs)
    peaks = [ax[i * blk : (i + 1) * blk].max() for i in range(max(n // blk, 1))]
    thr = np.repeat(peaks, blk)[:n]
    above = np.zeros(n, dtype=bool)
    above[: thr.size] = ax[: thr.size] > 0.2 * thr
    out[15] = np.count_nonzero(above[1:] & ~above[:-1]) / (n / fs)
    return out


def _usable(y: np.ndarray, fs: float) -> np.ndarray | None:
    """``y`` as float64, or None when it is shorter than 2 s or holds missing samples."""
    x = np.asarray(y, dtype=np.float64)
    return None if x.size < 2 * fs or np.isnan(x).any() else x


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
    x = _usable(y, fs)
    if x is None:
        return np.full(len(VF_FEATURE_NAMES), np.nan)
    return _one_window(x, fs)[: len(VF_FEATURE_NAMES)]


def vf_short_features(y: np.ndarray, fs: float, centre_idx: int | None = None) -> np.ndarray:
    """Short-window VF features (:data:`VF_SHORT_FEATURE_NAMES`) within a window.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Conditioned signal (mV), typically the :data:`VF_WINDOW_S` window.
    fs : float
        Sampling rate, Hz.
    centre_idx : int, optional
        Sample of ``y`` the :data:`VF_SHORT_S` window is centred on (default
        the middle; moved inside ``y`` when too close to an end).

    Returns
    -------
    ndarray, shape (len(VF_SHORT_FEATURE_NAMES),)
        NaN everywhere when the window holds missing samples, is flat or is
        shorter than 2 s.
    """
    x = _usable(y, fs)
    if x is None:
        return np.full(len(VF_SHORT_FEATURE_NAMES), np.nan)
    n = min(round(VF_SHORT_S * fs), x.size)
    c = x.size // 2 if centre_idx is None else int(centre_idx)
    a = min(max(c - n // 2, 0), x.size - n)
    return _one_window(x[a : a + n], fs, slow=False)[list(_SHORT_COLS)]


@dataclass(frozen=True, eq=False)
class VFModel:
    """The VF window models: ``long`` on the 8 s window, ``short`` confirming each second.

    :meth:`predict_proba`, :attr:`feature_names`, :attr:`version` and
    :attr:`sha256` are those of the long model.
    """

    long: TreeModel
    short: TreeModel

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Columns of the long model (:data:`VF_FEATURE_NAMES`)."""
        return self.long.feature_names

    @property
    def version(self) -> str:
        """Model version."""
        return self.long.version

    @property
    def sha256(self) -> str:
        """Checksum of the model file."""
        return self.long.sha256

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Long-window class probabilities, shape (n, 2) (column 1: VF/VFL)."""
        return self.long.predict_proba(x)

    def short_proba(self, x: np.ndarray) -> np.ndarray:
        """Short-window class probabilities, shape (n, 2) (column 1: VF/VFL)."""
        return self.short.predict_proba(x)


def load_vf_model(path: str | Path, *, sha256: str) -> VFModel:
    """Load a VF window model file (checked against ``sha256``)."""
    models = load_tree_models(path, sha256=sha256)
    for name in ("vf", "vf_short"):
        if name not in models:
            raise FormatError(path, name, "the long and short VF window models")
    return VFModel(models["vf"], models["vf_short"])


@functools.cache
def default_vf_model() -> VFModel:
    """The shipped VF window model, checked against its manifest entry."""
    entry = manifest_entry(VF_MODEL)
    return load_vf_model(MODEL_DIR / entry["file"], sha256=entry["sha256"])
