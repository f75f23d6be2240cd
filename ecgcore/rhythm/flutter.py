"""Atrial flutter (``AFL``) from the periodicity of the activity between QRS complexes.

Flutter waves are continuous (no isoelectric baseline) and regular, at
240-340 /min (a cycle of 176-250 ms). With a fixed 2:1 or 4:1 conduction they
are locked to the QRS, so cancelling an average beat removes them; what is
left of them is seen instead as a waveform between the QRS complexes that
repeats itself after one atrial cycle, that is more than once per RR interval.

The measurement, on the analysed lead (conditioned by the analyzer's 0.5-40 Hz
band-pass):

1. around each beat, the lead over ``beat - 4 s`` to ``beat + 4 s`` is
   band-passed at 3-30 Hz forwards and backwards (no phase shift, so the
   QRS's filter response stays around the QRS), which keeps the flutter
   waves' fundamental and harmonics and removes baseline wander and most of
   the T wave's slow swing, and sampled on a fixed 100 Hz grid;
2. the QRS complexes (40 ms before to 60 ms after every R peak) and missing
   samples are blanked;
3. the flutter score is the largest correlation coefficient between the
   blanked waveform and itself shifted by one atrial cycle, over cycles of
   170-270 ms where the correlation peaks (not where it is still falling
   from a shorter shift, as it does after a smooth wave), counting only the
   pairs of samples that are both outside the blanked parts (at least 1 s
   of them).

A waveform with one P and one T wave per beat and a flat baseline between
them seldom repeats itself after 170-270 ms, nor does the disorganised
activity of atrial fibrillation or noise; flutter waves do. But a regular
rhythm whose waves between the QRS complexes are evenly spaced (a sinus
tachycardia whose ST segment, T and P waves look alike, as the simulator's
at 110-120 and 170-180 bpm) repeats itself as well, after a whole fraction
of the RR interval, as does flutter with a fixed 2:1 or 4:1 conduction. So
the score asks for more when the atrial cycle is locked to the beats:

* unlocked (the RR intervals vary by more than :data:`FLUTTER_RR_CV`, or they
  are not whole multiples of the atrial cycle to within
  :data:`FLUTTER_LOCK_TOLERANCE` of a cycle): flutter from a score of
  :data:`FLUTTER_THRESHOLD` (a variable conduction, or atrial waves that run
  on regardless of the beats, is the plainest sign of flutter);
* locked: flutter from :data:`FLUTTER_LOCKED_THRESHOLD`.

A beat's interval is ``AFL`` when its window and that of the beat before
(:data:`FLUTTER_MIN_BEATS`) are flutter by these rules and the beat rhythm
there is supraventricular (:data:`AFL_OVERRIDES`: sinus rhythm by rate,
atrial fibrillation or supraventricular tachyarrhythmia): organised atrial
activity at flutter rate overrides the irregular ventricular response that
made it look like AF. The band, the blanking and :data:`FLUTTER_THRESHOLD`
were chosen on LUDB (three records of typical flutter, 157 without, lead
II); the locked-rhythm rule and the peak rule on LUDB and the simulator's
sinus rhythm (60-185 bpm), the two-beat rule on a simulated onset of VF;
``python -m ecgcore.benchmarks.flutter`` gives the figures on the databases
held out (PTB-XL, MIT-BIH). Flutter waves smaller than the T wave are missed.

The windowed autocorrelation with blanked samples is written here by hand:
numpy and scipy correlate complete sequences only.
"""

from __future__ import annotations

import functools
from typing import Final, NamedTuple

import numpy as np
from scipy import signal as sps

__all__ = [
    "AFL_OVERRIDES",
    "FLUTTER_BAND_HZ",
    "FLUTTER_CYCLE_S",
    "FLUTTER_HALF_WINDOW_S",
    "FLUTTER_LOCKED_THRESHOLD",
    "FLUTTER_LOCK_TOLERANCE",
    "FLUTTER_MIN_BEATS",
    "FLUTTER_QRS_BLANK_S",
    "FLUTTER_RR_CV",
    "FLUTTER_THRESHOLD",
    "FlutterEvidence",
    "flutter_evidence",
    "is_flutter",
]

#: Band-pass of the atrial activity (Hz).
FLUTTER_BAND_HZ: Final = (3.0, 30.0)
#: Atrial cycle lengths searched (s): 170-270 ms, 220-350 /min.
FLUTTER_CYCLE_S: Final = (0.17, 0.27)
#: Half length of the window around a beat (s); within the analyzer's lookahead.
FLUTTER_HALF_WINDOW_S: Final = 4.0
#: QRS span blanked around each R peak (s, from the peak).
FLUTTER_QRS_BLANK_S: Final = (-0.04, 0.06)
#: Score (correlation coefficient) from which a beat's interval is flutter.
FLUTTER_THRESHOLD: Final = 0.57
#: Score needed when the atrial cycle is locked to regular beats.
FLUTTER_LOCKED_THRESHOLD: Final = 0.8
#: Coefficient of variation of the RR intervals above which they are not regular.
FLUTTER_RR_CV: Final = 0.08
#: Median distance of RR / atrial cycle from a whole number above which the
#: beats are not locked to the atrial cycle.
FLUTTER_LOCK_TOLERANCE: Final = 0.15
#: Consecutive beats whose windows show flutter before a beat's interval is
#: ``AFL`` (one beat whose window reaches into the onset of VF is not enough).
FLUTTER_MIN_BEATS: Final = 2
#: Beat-rhythm codes that flutter replaces (the others, ventricular rhythms,
#: pauses, asystole, paced rhythm, stay).
AFL_OVERRIDES: Final = frozenset({"N", "SBR", "STACH", "AFIB", "SVTA"})

_GRID_HZ = 100.0  # resampling grid of the band-passed lead (Hz)
_MIN_PAIRS_S = 1.0  # least unblanked time compared at one shift (s)


class FlutterEvidence(NamedTuple):
    """What the window around a beat says about flutter.

    Attributes
    ----------
    score : float
        Largest correlation of the blanked waveform with itself one atrial
        cycle later where it peaks, in [-1, 1]; NaN without such a peak (or
        without 1 s of unblanked pairs).
    cycle_s : float
        The atrial cycle of that correlation (s); NaN with the score.
    rr_cv : float
        Coefficient of variation of the RR intervals in the window; NaN with
        fewer than two.
    lock : float
        Median distance of RR / ``cycle_s`` from the nearest whole number
        (0 when every beat falls a whole number of atrial cycles after the
        last one); NaN as ``rr_cv``.
    """

    score: float
    cycle_s: float
    rr_cv: float
    lock: float


def is_flutter(evidence: FlutterEvidence) -> bool:
    """Flutter by the rules of the module notes (unlocked or locked atrial cycle)."""
    score = evidence.score
    if not score >= FLUTTER_THRESHOLD:
        return False
    if score >= FLUTTER_LOCKED_THRESHOLD:
        return True
    return bool(evidence.rr_cv > FLUTTER_RR_CV or evidence.lock > FLUTTER_LOCK_TOLERANCE)


def flutter_evidence(
    y: np.ndarray,
    first_idx: int,
    fs: float,
    *,
    center_idx: int,
    beats_idx: np.ndarray,
    n_samples: int,
) -> FlutterEvidence:
    """Flutter evidence of the window around one beat.

    Parameters
    ----------
    y : ndarray
        Conditioned lead (mV, NaN = missing); ``y[0]`` is absolute sample
        ``first_idx``. It must cover the window (``center_idx`` +-
        :data:`FLUTTER_HALF_WINDOW_S`, clipped to ``[0, n_samples)``).
    first_idx : int
        Absolute sample index of ``y[0]``.
    fs : float
        Sampling rate (Hz).
    center_idx : int
        The beat's R peak (absolute sample index).
    beats_idx : ndarray of int
        R peaks (absolute sample indices, sorted), at least all of those in the window.
    n_samples : int
        End of the signal (absolute sample index).

    Returns
    -------
    FlutterEvidence
        The score is the largest correlation coefficient over the atrial
        cycles of :data:`FLUTTER_CYCLE_S`; the RR intervals are those between
        the R peaks in the window.
    """
    half = round(FLUTTER_HALF_WINDOW_S * fs)
    a = max(center_idx - half, 0)
    b = min(center_idx + half + 1, n_samples)
    if a < first_idx or b > first_idx + y.size:
        raise ValueError(
            f"flutter window [{a}, {b}) is not inside the signal given "
            f"[{first_idx}, {first_idx + y.size})"
        )
    w = y[a - first_idx : b - first_idx]
    missing = np.isnan(w)
    sos = _band_sos(fs)
    nan = float("nan")
    if w.size <= 3 * (2 * sos.shape[0] + 1):  # too short for the forward-backward filter
        return FlutterEvidence(nan, nan, nan, nan)
    z = sps.sosfiltfilt(sos, np.where(missing, 0.0, w))
    # a fixed 100 Hz grid in absolute time, so the window is sampled alike whatever its rate
    step = fs / _GRID_HZ
    g = np.arange(int(np.ceil(a / step)), int(np.floor((b - 1) / step)) + 1)
    pos = g * step
    whole = np.floor(pos)
    frac = pos - whole
    i0 = whole.astype(np.int64) - a
    i1 = np.minimum(i0 + 1, z.size - 1)
    v = z[i0] * (1.0 - frac) + z[i1] * frac
    keep = ~(missing[i0] | missing[i1])
    pre, post = FLUTTER_QRS_BLANK_S[0] * fs, FLUTTER_QRS_BLANK_S[1] * fs
    r = np.asarray(beats_idx, dtype=np.float64)
    r = r[(r >= a + pre) & (r < b + post)]
    if r.size:
        # the first R peak whose blanked span ends at or after each grid point
        k = np.minimum(np.searchsorted(r, pos - post, side="left"), r.size - 1)
        keep &= ~((pos >= r[k] + pre) & (pos <= r[k] + post))
    v = np.where(keep, v, 0.0)
    best, best_lag = nan, 0
    min_pairs = round(_MIN_PAIRS_S * _GRID_HZ)
    lo_lag = round(FLUTTER_CYCLE_S[0] * _GRID_HZ)
    hi_lag = round(FLUTTER_CYCLE_S[1] * _GRID_HZ)
    corr = np.full(hi_lag - lo_lag + 3, nan)  # one shift beyond the range on each side
    for i, lag in enumerate(range(lo_lag - 1, hi_lag + 2)):
        if lag >= v.size:
            break
        m = keep[:-lag] & keep[lag:]
        if int(m.sum()) < min_pairs:
            continue
        p, q = v[:-lag][m], v[lag:][m]
        den = float(np.sqrt(np.dot(p, p) * np.dot(q, q)))
        if den > 0.0:
            corr[i] = float(np.dot(p, q)) / den
    # a cycle counts where the correlation peaks (not where it still falls from a shorter one)
    for i in range(1, corr.size - 1):
        c = corr[i]
        if not (c >= corr[i - 1] and c >= corr[i + 1]):
            continue
        if not c <= best:  # also replaces NaN
            best, best_lag = float(c), lo_lag - 1 + i
    if np.isnan(best):
        return FlutterEvidence(nan, nan, nan, nan)
    cycle_s = best_lag / _GRID_HZ
    inside = r[(r >= a) & (r < b)]
    rr = np.diff(inside) / fs
    if rr.size < 2:
        return FlutterEvidence(best, cycle_s, nan, nan)
    ratio = rr / cycle_s
    return FlutterEvidence(
        best,
        cycle_s,
        float(np.std(rr) / np.mean(rr)),
        float(np.median(np.abs(ratio - np.round(ratio)))),
    )


@functools.lru_cache(maxsize=16)
def _band_sos(fs: float) -> np.ndarray:
    """Second-order sections of the 3-30 Hz band-pass (order 2) at ``fs`` (shared; not to be
    modified)."""
    high = min(FLUTTER_BAND_HZ[1], 0.45 * fs)
    return sps.butter(2, (FLUTTER_BAND_HZ[0], high), btype="bandpass", fs=fs, output="sos")
