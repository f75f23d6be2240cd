"""Per-beat features: RR context normalised per patient, and morphology.

Every feature of beat ``k`` depends only on the signal up to 0.5 s after it,
on the beats before it and on the interval to the next beat (capped at
``rr_cap_s``), so a stream can compute it a fixed time after the beat and get
exactly what a whole-record pass gets (:class:`BeatFeatureExtractor` keeps the
running state between calls).

RR features (seconds and ratios): the RR interval before and after the beat,
the local RR (median of the 10 intervals before), the average RR (median of
the 300 before: the patient's own rhythm), their ratios and the local
irregularity. Morphology features compare the beat with the dominant running
template of the patient (:func:`ecgcore.rhythm._rhythm_numba.template_features`):
QRS width, correlations of the QRS, P and T parts, amplitude, area and slope
ratios, polarity and membership of the dominant cluster.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from ecgcore._validate import as_signal_1d, check_fs
from ecgcore.errors import SignalError
from ecgcore.rhythm._preprocess import GRID_N, CausalBandpass, beat_windows
from ecgcore.rhythm._rhythm_numba import N_MORPH, rr_context, template_features

__all__ = ["FEATURE_NAMES", "BeatFeatureExtractor", "beat_features", "rr_post_intervals"]

#: Column names of the feature matrix, in order.
FEATURE_NAMES: Final[tuple[str, ...]] = (
    "rr_pre_s",
    "rr_post_s",
    "rr_local_s",
    "rr_avg_s",
    "pre_over_local",
    "post_over_local",
    "pre_over_avg",
    "post_over_avg",
    "post_over_pre",
    "local_over_avg",
    "prev_pre_over_local",
    "rr_irregularity",
    "qrs_width_s",
    "template_qrs_width_s",
    "corr_qrs",
    "corr_full",
    "corr_p",
    "corr_t",
    "amp_ratio",
    "area_ratio",
    "slope_ratio",
    "pos_fraction",
    "pos_fraction_diff",
    "diff_energy",
    "signed_area_diff",
    "p_energy_ratio",
    "t_amp_ratio",
    "in_dominant",
    "width_diff_s",
    "abs_log_amp_ratio",
    "abs_log_area_ratio",
)
_N_RR = 12
_N_DERIVED = 3
assert len(FEATURE_NAMES) == _N_RR + N_MORPH + _N_DERIVED

#: Template clustering settings (fixed: the shipped model was trained with them).
_N_CLUSTERS = 8
_CORR_JOIN = 0.90
_DECAY = 0.99
_PREMATURE = 0.85  # beats with RR < 85 % of the local or average RR add less
_PREMATURE_WEIGHT = 0.2
_HISTORY = 300


def rr_post_intervals(
    beats_idx: np.ndarray, fs: float, end_idx: int, rr_cap_s: float
) -> np.ndarray:
    """RR interval after each beat (s), capped at ``rr_cap_s``.

    The last beat gets ``rr_cap_s`` when the signal lasts at least that long
    after it (``end_idx`` = number of samples), else NaN (not known).
    """
    beats = np.asarray(beats_idx, dtype=np.int64)
    out = np.empty(beats.size)
    if beats.size:
        out[:-1] = np.minimum(np.diff(beats) / fs, rr_cap_s)
        out[-1] = rr_cap_s if (end_idx - beats[-1]) / fs >= rr_cap_s else np.nan
    return out


class BeatFeatureExtractor:
    """Running feature extractor (RR history and morphology templates).

    Parameters
    ----------
    fs : float
        Sampling rate in Hz.
    rr_cap_s : float
        RR intervals are capped at this value (s); a beat without a successor
        within it gets ``rr_post_s = rr_cap_s``.
    """

    def __init__(self, fs: float, *, rr_cap_s: float = 3.0) -> None:
        self.fs = check_fs(fs)
        self.rr_cap_s = float(rr_cap_s)
        self.reset()

    def reset(self) -> None:
        """Forget every patient-specific state."""
        self._last_idx: int | None = None
        self._history = np.zeros(_HISTORY)
        self._n_hist = np.zeros(1, dtype=np.int64)
        self._templates = np.zeros((_N_CLUSTERS, GRID_N))
        self._scores = np.zeros(_N_CLUSTERS)
        self._members = np.zeros(_N_CLUSTERS, dtype=np.int64)

    def compute(
        self, beats_idx: np.ndarray, rr_post_s: np.ndarray, y: np.ndarray, first_idx: int
    ) -> np.ndarray:
        """Features of the next beats of the stream (see :meth:`compute_with_windows`)."""
        return self.compute_with_windows(beats_idx, rr_post_s, y, first_idx)[0]

    def compute_with_windows(
        self, beats_idx: np.ndarray, rr_post_s: np.ndarray, y: np.ndarray, first_idx: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Features of the next beats of the stream.

        Parameters
        ----------
        beats_idx : ndarray of int
            Absolute sample indices of the beats, in order, after every beat
            given before.
        rr_post_s : ndarray
            RR interval after each beat (s, capped; NaN when unknown), see
            :func:`rr_post_intervals`.
        y : ndarray
            Conditioned signal (mV) covering every beat window; ``y[0]`` is
            absolute sample ``first_idx``.
        first_idx : int
            Absolute index of ``y[0]``.

        Returns
        -------
        features : ndarray, shape (n_beats, len(FEATURE_NAMES))
        windows : ndarray, shape (n_beats, GRID_N)
            The beats on the fixed grid (mV), as used for the morphology.
        """
        beats = np.asarray(beats_idx, dtype=np.int64)
        n = beats.size
        feats = np.full((n, len(FEATURE_NAMES)), np.nan)
        if n == 0:
            return feats, np.empty((0, GRID_N))
        if self._last_idx is not None and beats[0] <= self._last_idx:
            raise SignalError(
                f"beat at sample {beats[0]} is not after the previous beat ({self._last_idx})"
            )
        if np.any(np.diff(beats) <= 0):
            raise SignalError("beat sample indices must be strictly increasing")
        prev = np.concatenate(([self._last_idx if self._last_idx is not None else -1], beats))
        rr_pre = np.minimum(np.diff(prev) / self.fs, self.rr_cap_s)
        if self._last_idx is None:
            rr_pre[0] = np.nan
        ctx = np.empty((n, 4))
        rr_context(rr_pre, self._history, self._n_hist, ctx)
        rr_post = np.asarray(rr_post_s, dtype=np.float64)
        local, avg, prev_pre, irr = ctx.T
        with np.errstate(invalid="ignore", divide="ignore"):
            feats[:, 0] = rr_pre
            feats[:, 1] = rr_post
            feats[:, 2] = local
            feats[:, 3] = avg
            feats[:, 4] = rr_pre / local
            feats[:, 5] = rr_post / local
            feats[:, 6] = rr_pre / avg
            feats[:, 7] = rr_post / avg
            feats[:, 8] = rr_post / rr_pre
            feats[:, 9] = local / avg
            feats[:, 10] = prev_pre / local
            feats[:, 11] = irr
        premature = (feats[:, 4] < _PREMATURE) | (feats[:, 6] < _PREMATURE)
        weights = np.where(premature, _PREMATURE_WEIGHT, 1.0)
        windows = beat_windows(y, first_idx, beats, self.fs)
        morph = np.empty((n, N_MORPH))
        template_features(
            windows, weights, self._templates, self._scores, self._members, morph,
            _CORR_JOIN, _DECAY,
        )  # fmt: skip
        feats[:, _N_RR : _N_RR + N_MORPH] = morph
        with np.errstate(invalid="ignore", divide="ignore"):
            feats[:, -3] = morph[:, 0] - morph[:, 1]
            feats[:, -2] = np.abs(np.log(morph[:, 6]))
            feats[:, -1] = np.abs(np.log(morph[:, 7]))
        self._last_idx = int(beats[-1])
        return feats, windows


def beat_features(
    signal_mv: np.ndarray, fs: float, beats_idx: np.ndarray, *, rr_cap_s: float = 3.0
) -> np.ndarray:
    """Feature matrix of every beat of a whole signal.

    Parameters
    ----------
    signal_mv : ndarray, shape (n_samples,)
        One ECG lead in mV (NaN = missing).
    fs : float
        Sampling rate in Hz.
    beats_idx : ndarray of int
        Fiducial points (R peaks) as sample indices, increasing.
    rr_cap_s : float
        Cap of the RR intervals (s).

    Returns
    -------
    ndarray, shape (n_beats, len(FEATURE_NAMES))
        Features; NaN where a value is undefined (first beats, missing samples).
    """
    x = as_signal_1d(signal_mv, "signal_mv")
    fs = check_fs(fs)
    y = CausalBandpass(fs).process(x)
    beats = np.asarray(beats_idx, dtype=np.int64)
    rr_post = rr_post_intervals(beats, fs, x.size, rr_cap_s)
    return BeatFeatureExtractor(fs, rr_cap_s=rr_cap_s).compute(beats, rr_post, y, 0)
