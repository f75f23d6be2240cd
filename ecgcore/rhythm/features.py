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

Features normalised per patient, so that one model fits patients whose normal
beats differ (after de Chazal et al. 2004; Llamedo & Martinez 2011):

* ``compensation``: RR before plus RR after over twice the local RR (1 for the
  full compensatory pause of a ventricular beat);
* ``prematurity_z``: the prematurity (RR before over local RR, minus 1) in units
  of the local irregularity, so that an early beat counts less in an irregular
  rhythm;
* ``*_over_typical``: the beat's QRS width, correlation loss (1 - QRS
  correlation), change energy and amplitude change against their typical value
  (lower quartile of the abnormality) in the patient's previous 100 beats, and
  the correlation loss of the beat before;
* ``cluster_prematurity`` and ``cluster_share``: the running mean prematurity
  of the earlier beats of the morphology cluster the beat joins (a cluster of
  early beats is ectopic even when one of its beats is not early) and the
  cluster's share of the template scores.

Timing in an irregular rhythm: ``dominant_rr_dispersion`` is the beat-to-beat
spread of the recent intervals between consecutive beats of the dominant
morphology (:func:`ecgcore.rhythm._rhythm_numba.dominant_rr_dispersion`),
small in sinus rhythm even with frequent ectopic beats and large in atrial
fibrillation, where an early beat or a long pause says little about where a
beat comes from. The ``*_steady`` columns are the timing features shrunk
towards their on-time value (ratios towards 1 on a log scale, the
prematurity z-score towards 0) by ``min(1, STEADY_DISPERSION /
dominant_rr_dispersion)``: unchanged while the dominant rhythm is steady,
weighed down as it becomes irregular.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from ecgcore._validate import as_signal_1d, check_fs
from ecgcore.errors import SignalError
from ecgcore.rhythm._preprocess import GRID_N, CausalBandpass, beat_windows
from ecgcore.rhythm._rhythm_numba import (
    N_MORPH,
    dominant_rr_dispersion,
    rr_context,
    running_percentile,
    template_features,
)

__all__ = [
    "FEATURE_NAMES",
    "PREMATURE",
    "BeatFeatureExtractor",
    "beat_features",
    "rr_post_intervals",
]

#: Timing ratios that also appear shrunk by the rhythm's steadiness (``*_steady``).
_STEADY_RATIOS: Final = (
    "pre_over_local",
    "pre_over_avg",
    "post_over_local",
    "post_over_avg",
    "post_over_pre",
    "prev_pre_over_local",
    "compensation",
    "cluster_prematurity",
)
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
    "compensation",
    "prematurity_z",
    "width_over_typical",
    "corr_loss_over_typical",
    "log_energy_over_typical",
    "amp_change_over_typical",
    "prev_corr_loss_over_typical",
    "cluster_prematurity",
    "cluster_share",
    "dominant_rr_dispersion",
    *(f"{n}_steady" for n in (*_STEADY_RATIOS, "prematurity_z")),
)
_N_RR = 12
_N_DERIVED = 5
_N_PATIENT = 5
_N_CLUSTER = 2
_N_STEADY = 2 + len(_STEADY_RATIOS)
assert len(FEATURE_NAMES) == (_N_RR + N_MORPH + _N_DERIVED + _N_PATIENT + _N_CLUSTER + _N_STEADY)

#: Template clustering settings (fixed: the shipped model was trained with them).
_N_CLUSTERS = 8
_CORR_JOIN = 0.90
_DECAY = 0.99
#: A beat is premature when its RR before is below this fraction of the local
#: or the average RR (premature beats add less to their template's score).
PREMATURE: Final = 0.85
_PREMATURE_WEIGHT = 0.2
_HISTORY = 300
#: Patient-relative morphology: each beat's QRS width, correlation loss, change
#: energy and amplitude change are compared with the typical value of the
#: patient's previous ``_MORPH_HISTORY`` beats (the ``_TYPICAL_Q`` quantile of the
#: abnormality: the patient's usual beats even when a third are ectopic).
_MORPH_HISTORY = 100
_MORPH_MIN = 8
_TYPICAL_Q = 25.0
_CORR_EPS = 0.01
_ENERGY_EPS = 1e-3
#: Each morphology cluster keeps the running mean prematurity (RR before over
#: local RR) of its beats, averaged over about its last ``1 / _CLUSTER_ALPHA``.
_CLUSTER_ALPHA = 0.1
#: Prematurity in units of the local irregularity (floored: a steady rhythm).
_IRR_FLOOR = 0.02
#: Dispersion of the dominant beats' intervals (median absolute successive
#: difference over the median) of the last ``_DOM_HISTORY`` such intervals,
#: from ``_DOM_MIN`` on; up to ``STEADY_DISPERSION`` the rhythm counts as
#: steady and the ``*_steady`` timing features equal the plain ones (beat-to-beat
#: variation of sinus rhythm stays under it at rest).
_DOM_HISTORY = 20
_DOM_MIN = 5
STEADY_DISPERSION: Final = 0.08


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
        # the four abnormality values of the previous beats (ring, and each column sorted)
        self._morph_hist = np.zeros((_MORPH_HISTORY, _N_PATIENT - 1))
        self._morph_sorted = np.zeros((_MORPH_HISTORY, _N_PATIENT - 1))
        self._morph_n = np.zeros(2, dtype=np.int64)
        self._cluster_pre = np.full(_N_CLUSTERS, np.nan)
        self._prev_loss = np.nan
        self._dom_ring = np.zeros(_DOM_HISTORY)
        self._dom_state = np.zeros(2, dtype=np.int64)

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
        premature = (feats[:, 4] < PREMATURE) | (feats[:, 6] < PREMATURE)
        weights = np.where(premature, _PREMATURE_WEIGHT, 1.0)
        windows = beat_windows(y, first_idx, beats, self.fs)
        c_cl = _N_RR + N_MORPH + _N_DERIVED + _N_PATIENT
        morph = self._morphology(windows, weights, feats[:, 4], feats[:, c_cl : c_cl + _N_CLUSTER])
        feats[:, _N_RR : _N_RR + N_MORPH] = morph
        with np.errstate(invalid="ignore", divide="ignore"):
            d0 = _N_RR + N_MORPH
            feats[:, d0] = morph[:, 0] - morph[:, 1]
            feats[:, d0 + 1] = np.abs(np.log(morph[:, 6]))
            feats[:, d0 + 2] = np.abs(np.log(morph[:, 7]))
            feats[:, d0 + 3] = (rr_pre + rr_post) / (2.0 * local)
            feats[:, d0 + 4] = (feats[:, 4] - 1.0) / (irr + _IRR_FLOOR)
        self._patient_relative(feats)
        self._steady(feats)
        self._last_idx = int(beats[-1])
        return feats, windows

    def _morphology(
        self, windows: np.ndarray, weights: np.ndarray, pre_local: np.ndarray, out: np.ndarray
    ) -> np.ndarray:
        """Template features of the beats, and the features of the cluster each beat joins.

        ``out`` gets, per beat, the mean prematurity of the cluster's earlier
        beats and the cluster's share of the total score (both before the beat
        joins; NaN and 0 for a beat that starts a new cluster).
        """
        n = windows.shape[0]
        morph = np.empty((n, N_MORPH))
        cluster = np.empty((n, _N_CLUSTER))
        template_features(
            windows, weights, np.ascontiguousarray(pre_local), self._templates, self._scores,
            self._members, self._cluster_pre, morph, cluster, np.empty(n, dtype=np.int64),
            _CORR_JOIN, _DECAY, _CLUSTER_ALPHA,
        )  # fmt: skip
        out[:] = cluster
        return morph

    def _patient_relative(self, feats: np.ndarray) -> None:
        """Fill the ``*_over_typical`` columns: each beat against the patient's typical beat.

        Abnormality values of the beat (QRS width, 1 - QRS correlation, change
        energy, absolute log amplitude ratio) against their typical value in the
        patient's previous beats, and the correlation loss of the beat before;
        the beat then joins the history.
        """
        c0 = FEATURE_NAMES.index("width_over_typical")
        v = np.column_stack((
            feats[:, FEATURE_NAMES.index("qrs_width_s")],
            1.0 - feats[:, FEATURE_NAMES.index("corr_qrs")],
            feats[:, FEATURE_NAMES.index("diff_energy")],
            feats[:, FEATURE_NAMES.index("abs_log_amp_ratio")],
        ))  # fmt: skip
        typ = np.empty_like(v)  # NaN while fewer than _MORPH_MIN beats came before
        running_percentile(
            v, self._morph_hist, self._morph_sorted, self._morph_n, _TYPICAL_Q, _MORPH_MIN, typ
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            feats[:, c0] = v[:, 0] / typ[:, 0]
            feats[:, c0 + 1] = np.log((v[:, 1] + _CORR_EPS) / (typ[:, 1] + _CORR_EPS))
            feats[:, c0 + 2] = np.log((v[:, 2] + _ENERGY_EPS) / (typ[:, 2] + _ENERGY_EPS))
            feats[:, c0 + 3] = v[:, 3] - typ[:, 3]
        feats[0, c0 + 4] = self._prev_loss
        feats[1:, c0 + 4] = feats[:-1, c0 + 1]
        self._prev_loss = float(feats[-1, c0 + 1])

    def _steady(self, feats: np.ndarray) -> None:
        """Fill ``dominant_rr_dispersion`` and the ``*_steady`` timing columns."""
        c0 = FEATURE_NAMES.index("dominant_rr_dispersion")
        disp = np.empty(feats.shape[0])
        dominant_rr_dispersion(
            np.ascontiguousarray(feats[:, 0]),
            np.ascontiguousarray(feats[:, FEATURE_NAMES.index("in_dominant")]),
            self._dom_ring, self._dom_state, _DOM_MIN, disp,
        )  # fmt: skip
        feats[:, c0] = disp
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(np.isnan(disp), 1.0, np.minimum(1.0, STEADY_DISPERSION / disp))
            for j, name in enumerate(_STEADY_RATIOS, start=c0 + 1):
                feats[:, j] = np.exp(w * np.log(feats[:, FEATURE_NAMES.index(name)]))
            z = feats[:, FEATURE_NAMES.index("prematurity_z")]
            feats[:, c0 + 1 + len(_STEADY_RATIOS)] = w * z


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
