"""Numba kernel of the pacing-spike detector (see :mod:`ecgcore.detect.pacing`)."""

from __future__ import annotations

import numpy as np

from ecgcore._jit import jit


@jit
def isolated_spikes(  # noqa: PLR0917 - numba kernel over arrays
    x: np.ndarray,
    c: np.ndarray,
    threshold: float,
    half_width: int,
    isolation: int,
    ring_ratio: float,
    step_ratio: float,
) -> np.ndarray:
    """Mark the isolated pulses of a curvature trace.

    Parameters
    ----------
    x : ndarray of float64, shape (n,)
        One lead (mV).
    c : ndarray of float64, shape (n,)
        Absolute second difference of ``x`` (mV).
    threshold : float
        Smallest peak value (mV).
    half_width : int
        Samples on each side of a peak that belong to the spike itself.
    isolation : int
        Samples on each side in which the peak must be the largest value and
        everything outside the spike below ``ring_ratio`` times the peak.
    ring_ratio : float
        Largest allowed ratio of the surroundings to the peak.
    step_ratio : float
        Largest allowed ratio of the level change across the pulse
        (``x[i + half_width] - x[i - half_width]``) to the peak: a pulse
        returns, a step (a recorder glitch) does not.

    Returns
    -------
    ndarray of bool, shape (n,)
        True at the isolated peaks.
    """
    n = c.size
    out = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        v = c[i]
        if v <= threshold:
            continue
        if i < half_width or i + half_width >= n:
            continue
        if not abs(x[i + half_width] - x[i - half_width]) <= step_ratio * v:
            continue  # a step, or a missing sample beside it
        lo = max(i - isolation, 0)
        hi = min(i + isolation + 1, n)
        ok = True
        for j in range(lo, hi):
            w = c[j]
            if w > v or (w == v and j < i):
                ok = False  # not the (first) largest value of its neighbourhood
                break
            if abs(j - i) > half_width and w >= ring_ratio * v:
                ok = False  # curvature around it: a QRS notch or noise, not a pulse
                break
        out[i] = ok
    return out
