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
   170-270 ms, counting only the pairs of samples that are both outside the
   blanked parts (at least 1 s of them).

A waveform with one P and one T wave per beat and a flat baseline between
them seldom repeats itself after 170-270 ms, nor does the disorganised
activity of atrial fibrillation or noise; flutter waves do. A beat's interval
is ``AFL`` when its score reaches :data:`FLUTTER_THRESHOLD` and the beat
rhythm there is supraventricular (:data:`AFL_OVERRIDES`: sinus rhythm by rate,
atrial fibrillation or supraventricular tachyarrhythmia): organised atrial
activity at flutter rate overrides the irregular ventricular response that
made it look like AF. The band, the blanking and the threshold were chosen on
LUDB (three records of typical flutter, 157 without, lead II);
``python -m ecgcore.benchmarks.flutter`` gives the figures on the databases
held out (PTB-XL, MIT-BIH).

What it cannot tell apart: a sinus tachycardia whose T and P waves look
alike and lie about one atrial cycle apart repeats itself in the same way
(the simulator's clean sinus rhythm scores 0.69-0.79 at 110-120 and 170-180
bpm, two of 385 PTB-XL records without flutter are called flutter), and
flutter waves smaller than the T wave are missed (2:1 flutter whose waves are
hidden in the T wave). The rhythm analysis therefore paints ``AFL`` only when
asked (``RhythmConfig(flutter=True)``).

The windowed autocorrelation with blanked samples is written here by hand:
numpy and scipy correlate complete sequences only.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from scipy import signal as sps

__all__ = [
    "AFL_OVERRIDES",
    "FLUTTER_BAND_HZ",
    "FLUTTER_CYCLE_S",
    "FLUTTER_HALF_WINDOW_S",
    "FLUTTER_QRS_BLANK_S",
    "FLUTTER_THRESHOLD",
    "flutter_score",
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
#: Beat-rhythm codes that flutter replaces (the others, ventricular rhythms,
#: pauses, asystole, paced rhythm, stay).
AFL_OVERRIDES: Final = frozenset({"N", "SBR", "STACH", "AFIB", "SVTA"})

_GRID_HZ = 100.0  # resampling grid of the band-passed lead (Hz)
_MIN_PAIRS_S = 1.0  # least unblanked time compared at one shift (s)


def flutter_score(
    y: np.ndarray,
    first_idx: int,
    fs: float,
    *,
    center_idx: int,
    beats_idx: np.ndarray,
    n_samples: int,
) -> float:
    """Flutter score of the window around one beat.

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
    float
        Largest correlation coefficient over the atrial cycles of
        :data:`FLUTTER_CYCLE_S`, in [-1, 1]; NaN when no cycle has 1 s of
        unblanked samples to compare.
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
    if w.size <= 3 * (2 * sos.shape[0] + 1):  # too short for the forward-backward filter
        return float("nan")
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
    best = float("nan")
    min_pairs = round(_MIN_PAIRS_S * _GRID_HZ)
    lags = range(round(FLUTTER_CYCLE_S[0] * _GRID_HZ), round(FLUTTER_CYCLE_S[1] * _GRID_HZ) + 1)
    for lag in lags:
        if lag >= v.size:
            break
        m = keep[:-lag] & keep[lag:]
        if int(m.sum()) < min_pairs:
            continue
        p, q = v[:-lag][m], v[lag:][m]
        den = float(np.sqrt(np.dot(p, p) * np.dot(q, q)))
        if den > 0.0:
            c = float(np.dot(p, q)) / den
            if not c <= best:  # also replaces NaN
                best = c
    return best


_SOS_CACHE: dict[float, np.ndarray] = {}


def _band_sos(fs: float) -> np.ndarray:
    """Second-order sections of the 3-30 Hz band-pass (order 2) at ``fs``."""
    sos = _SOS_CACHE.get(fs)
    if sos is None:
        high = min(FLUTTER_BAND_HZ[1], 0.45 * fs)
        sos = sps.butter(2, (FLUTTER_BAND_HZ[0], high), btype="bandpass", fs=fs, output="sos")
        _SOS_CACHE[fs] = sos
    return sos
