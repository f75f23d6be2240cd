"""Atrial fibrillation evidence per beat: RR irregularity and P-wave consistency.

For each beat, the RR intervals of the beats from ``back_s`` before to
``ahead_s`` after it (12 s and 5 s by default) are summarised, leaving out
intervals that end at, or just after, a ventricular beat (:data:`AF_ECTOPIC_CLASSES`;
ventricular ectopy is not fibrillation; supraventricular beats stay in, since
the beat classifier calls many beats in AF premature):

* normalised RMSSD and median absolute successive difference (Dash et al.,
  2009; Petrenas et al., 2015);
* turning-point ratio of the RR series;
* the smallest median absolute difference at lag 2 or 3 (bigeminy and
  trigeminy are irregular at lag 1 but regular at lag 2 or 3; AF is irregular
  at every lag);
* sample entropy of the normalised RR series (m = 1, r = 0.1; Lake & Moorman's
  COSEn family);
* P-wave consistency: the median correlation of each beat's P-wave region
  (-248 to -68 ms) with the average of the window, and the ratio of the
  average's spread to the beats' spread (organised atrial activity averages
  into a P wave, fibrillatory waves cancel).

A logistic regression over these seven numbers gives the probability of AF.
A veto overrides it: when the beats of class N in the window share a P wave
more consistently than in 99 % of the AF windows of the training records
(:func:`sinus_p_consistency`; premature supraventricular beats have P waves
of their own, so they are left out), the atrial activity is organised and the
window is not AF whatever its RR intervals (runs of atrial premature beats
otherwise look like AF). The shipped coefficients and the veto bound were
fitted on the
PhysioNet/CinC Challenge 2017 records by ``scripts/train_af.py`` (no MIT-BIH
record was used, so the mitdb AF figures are out-of-sample).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from ecgcore.errors import FormatError
from ecgcore.rhythm._rhythm_numba import sample_entropy
from ecgcore.rhythm.trees import MODEL_DIR, load_checked_npz, manifest_entry

__all__ = [
    "AF_ECTOPIC_CLASSES",
    "AF_FEATURE_NAMES",
    "AF_MODEL",
    "AF_VETO_FEATURE",
    "AFModel",
    "af_features",
    "default_af_model",
    "load_af_model",
    "sinus_p_consistency",
]

#: Name of the shipped AF model in ``models/MANIFEST.json``.
AF_MODEL: Final = "af"
#: Beat classes whose intervals are left out of the AF windows.
AF_ECTOPIC_CLASSES: Final = ("V",)

#: Columns of :func:`af_features`.
AF_FEATURE_NAMES: Final[tuple[str, ...]] = (
    "log_nrmssd",
    "turning_point_ratio",
    "log_mad_ratio",
    "log_lag23_ratio",
    "sample_entropy",
    "p_consistency",
    "p_average_ratio",
)
#: Name of the veto feature (:func:`sinus_p_consistency`) in the model file.
AF_VETO_FEATURE: Final = "p_consistency_sinus"
_MIN_P = 5  # fewer beats with a complete P-wave region: no P-wave consistency
_MIN_RR = 8  # fewer usable intervals in the window: no decision (NaN)
_SAMPEN_UNDEFINED = 2.5  # no template match at all: maximal irregularity
_RR_MAX_S = 3.0


def af_features(
    t_s: np.ndarray,
    is_ectopic: np.ndarray,
    p_windows: np.ndarray,
    which: np.ndarray,
    *,
    back_s: float = 12.0,
    ahead_s: float = 5.0,
) -> np.ndarray:
    """AF features of the beats ``which`` of a beat sequence.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Beat times (s), increasing.
    is_ectopic : ndarray of bool, shape (n,)
        Beats of the :data:`AF_ECTOPIC_CLASSES`.
    p_windows : ndarray, shape (n, m)
        P-wave region of each beat on the beat grid (mV; NaN when missing).
    which : ndarray of int
        Positions (into ``t_s``) of the beats to describe; every beat within
        ``back_s``/``ahead_s`` of them must be present in the arrays.
    back_s, ahead_s : float
        Window before and after each beat (s).

    Returns
    -------
    ndarray, shape (len(which), len(AF_FEATURE_NAMES))
        NaN rows where the window holds fewer than 8 usable intervals.
    """
    t = np.asarray(t_s, dtype=np.float64)
    v = np.asarray(is_ectopic, dtype=bool)
    pw_all = np.asarray(p_windows, dtype=np.float64)
    complete = np.asarray(~np.isnan(pw_all).any(axis=1))
    rr = np.diff(t, prepend=np.nan)
    ok = ~v & ~np.r_[False, v[:-1]] & (rr < _RR_MAX_S)  # NaN compares False
    out = np.full((len(which), len(AF_FEATURE_NAMES)), np.nan)
    for row, sel in enumerate(_windows(t, which, ok, back_s, ahead_s)):
        if sel.size < _MIN_RR:
            continue
        r = rr[sel]
        d = np.diff(r)[np.diff(sel) == 1]  # successive differences of adjacent intervals only
        if d.size < 5:
            continue
        med = np.median(r)
        out[row, 0] = np.log(max(np.sqrt(np.mean(d * d)) / np.mean(r), 1e-3))
        mid = r[1:-1]
        turns = ((mid > r[:-2]) & (mid > r[2:])) | ((mid < r[:-2]) & (mid < r[2:]))
        out[row, 1] = np.count_nonzero(turns) / max(r.size - 2, 1)
        out[row, 2] = np.log(max(np.median(np.abs(d)) / med, 1e-3))
        lagged = [np.median(np.abs(r[g:] - r[:-g])) / med for g in (2, 3) if r.size > g + 3]
        out[row, 3] = np.log(max(min(lagged), 1e-3)) if lagged else np.nan
        se = sample_entropy(np.ascontiguousarray(r / med), 1, 0.1)
        out[row, 4] = _SAMPEN_UNDEFINED if np.isnan(se) else se
        pw = pw_all[sel[complete[sel]]]
        if pw.shape[0] >= _MIN_P:
            out[row, 5] = _p_consistency(pw)
            avg = pw.mean(axis=0)
            out[row, 6] = np.std(avg) / (np.median(np.std(pw, axis=1)) + 1e-9)
    return out


def sinus_p_consistency(
    t_s: np.ndarray,
    is_sinus: np.ndarray,
    p_windows: np.ndarray,
    which: np.ndarray,
    *,
    back_s: float = 12.0,
    ahead_s: float = 5.0,
) -> np.ndarray:
    """P-wave consistency of the sinus beats around the beats ``which``.

    The median correlation of the P-wave region of each beat of class N
    (with a complete region) from ``back_s`` before to ``ahead_s`` after the
    beat with their average; the veto feature of :class:`AFModel`.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Beat times (s), increasing.
    is_sinus : ndarray of bool, shape (n,)
        Beats of class N.
    p_windows : ndarray, shape (n, m)
        P-wave region of each beat on the beat grid (mV; NaN when missing).
    which : ndarray of int
        Positions (into ``t_s``) of the beats to describe.
    back_s, ahead_s : float
        Window before and after each beat (s).

    Returns
    -------
    ndarray, shape (len(which),)
        NaN where the window holds fewer than 5 such beats.
    """
    t = np.asarray(t_s, dtype=np.float64)
    pw = np.asarray(p_windows, dtype=np.float64)
    use = np.asarray(is_sinus, dtype=bool) & ~np.isnan(pw).any(axis=1)
    out = np.full(len(which), np.nan)
    for row, sel in enumerate(_windows(t, which, use, back_s, ahead_s)):
        if sel.size >= _MIN_P:
            out[row] = _p_consistency(pw[sel])
    return out


def _windows(
    t: np.ndarray, which: np.ndarray, usable: np.ndarray, back_s: float, ahead_s: float
) -> Iterator[np.ndarray]:
    """Per beat of ``which``: its usable beats from ``back_s`` before to ``ahead_s`` after (s)."""
    lo = np.searchsorted(t, t[which] - back_s)
    hi = np.searchsorted(t, t[which] + ahead_s, side="right")
    for a, b in zip(lo, hi, strict=True):
        sel = np.arange(a, b)
        yield sel[usable[sel]]


def _p_consistency(pw: np.ndarray) -> float:
    """Median correlation of each P-wave region (rows) with their average."""
    avg = pw.mean(axis=0)
    avg_c = avg - avg.mean()
    pc = pw - pw.mean(axis=1, keepdims=True)
    den = np.sqrt((pc**2).sum(axis=1) * (avg_c**2).sum()) + 1e-12
    return float(np.median(pc @ avg_c / den))


@dataclass(frozen=True, eq=False)
class AFModel:
    """Logistic regression over :data:`AF_FEATURE_NAMES` with a P-wave veto.

    Attributes
    ----------
    coef : ndarray, shape (len(AF_FEATURE_NAMES),)
    intercept : float
    threshold : float
        Probability above which a beat is in AF.
    veto_above : float
        Sinus P-wave consistency above which the probability is 0 (organised
        atrial activity).
    version, sha256 : str
    """

    coef: np.ndarray
    intercept: float
    threshold: float
    veto_above: float
    version: str
    sha256: str

    def probability(self, features: np.ndarray, p_sinus: np.ndarray) -> np.ndarray:
        """AF probability per beat (NaN where a feature is NaN).

        Parameters
        ----------
        features : ndarray, shape (n, len(AF_FEATURE_NAMES))
            Rows of :func:`af_features`.
        p_sinus : ndarray, shape (n,)
            :func:`sinus_p_consistency` of the same beats; where it is NaN
            (fewer than 5 sinus beats) the window's ``p_consistency`` stands
            in for it.
        """
        x = np.asarray(features, dtype=np.float64)
        z = x @ self.coef + self.intercept
        p = 1.0 / (1.0 + np.exp(-z))
        return np.where(~np.isnan(p) & (self.veto_value(x, p_sinus) > self.veto_above), 0.0, p)

    @staticmethod
    def veto_value(features: np.ndarray, p_sinus: np.ndarray) -> np.ndarray:
        """The veto feature: ``p_sinus``, or ``p_consistency`` where it is NaN."""
        ps = np.asarray(p_sinus, dtype=np.float64)
        x = np.asarray(features, dtype=np.float64)
        fallback = x[:, AF_FEATURE_NAMES.index("p_consistency")]
        return np.where(np.isnan(ps), fallback, ps)


def load_af_model(path: str | Path, *, sha256: str) -> AFModel:
    """Load an AF model file (checked against ``sha256``)."""
    data, found = load_checked_npz(path, sha256=sha256)
    meta = json.loads(str(data["meta_json"]))
    names = tuple(str(n) for n in data["feature_names"])
    if names != AF_FEATURE_NAMES:
        raise FormatError(path, "feature_names", f"{AF_FEATURE_NAMES}", names)
    if meta.get("veto_feature") != AF_VETO_FEATURE:
        raise FormatError(path, "veto_feature", AF_VETO_FEATURE, meta.get("veto_feature"))
    return AFModel(
        coef=np.asarray(data["coef"], dtype=np.float64).reshape(-1),
        intercept=float(np.asarray(data["intercept"]).reshape(-1)[0]),
        threshold=float(meta["threshold"]),
        veto_above=float(meta["veto_above"]),
        version=str(meta.get("version", "")),
        sha256=found,
    )


@functools.cache
def default_af_model() -> AFModel:
    """The shipped AF model (``models/``), checked against its manifest entry."""
    entry = manifest_entry(AF_MODEL)
    return load_af_model(MODEL_DIR / entry["file"], sha256=entry["sha256"])
