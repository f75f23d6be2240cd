"""The calibration pulse of a recording: where it is and how high.

Electrocardiographs record a 1 mV rectangular pulse (usually 200 ms) so the
reader can check on paper that 1 mV is 10 mm. In the stored signal it is a
step up and a step down, at the same instants in every lead, with a flat
plateau between. :func:`find_calibration_pulse` looks for that pattern. The
analysis leaves the pulse out (it is no heart beat) and the grading checks the
gain with it (:mod:`ecgcore.grading.calibration`).

No maintained library detects calibration pulses in digital ECGs; the
detector below is written for this purpose.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["CalibrationPulse", "find_calibration_pulse"]

_EDGE_S = 0.006  # half-width of the edge detector, s
_MIN_STEP_MV = 0.25  # smallest pulse considered (a quarter of the standard)
_MIN_WIDTH_S, _MAX_WIDTH_S = 0.06, 0.6


@dataclasses.dataclass(frozen=True)
class CalibrationPulse:
    """A calibration pulse found in the recording.

    Attributes
    ----------
    start_idx, stop_idx : int
        Rising and falling edge, sample indices.
    height_mv : float
        Median height over the leads that show it, mV.
    leads : tuple of int
        Columns where the pulse was found.
    fs : float
        Sampling rate in Hz.
    """

    start_idx: int
    stop_idx: int
    height_mv: float
    leads: tuple[int, ...]
    fs: float

    @property
    def width_s(self) -> float:
        """Pulse duration in s."""
        return (self.stop_idx - self.start_idx) / self.fs

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "start_s": round(self.start_idx / self.fs, 4),
            "width_s": round(self.width_s, 4),
            "height_mv": round(self.height_mv, 4),
            "n_leads": len(self.leads),
        }


def _pulses_in_lead(x: np.ndarray, fs: float) -> list[tuple[int, int, float]]:
    """Candidate (rise, fall, height) pulses in one lead.

    A candidate is a rise and a later fall of similar size whose plateau is
    flat: the residual of a straight line fitted to the plateau (its standard
    deviation) is at most 12 % of the pulse height. Noisy leads have thousands
    of rise/fall pairs, so the line fit is done in closed form from prefix sums
    and the medians are only taken for pairs that can still pass.
    """
    k = max(1, round(_EDGE_S * fs))
    if x.size < 4 * k or not np.isfinite(x).all():
        return []
    edge = np.zeros_like(x)
    edge[k:-k] = x[2 * k :] - x[: -2 * k]
    rises = _local_extrema(edge, _MIN_STEP_MV, k)
    falls = _local_extrema(-edge, _MIN_STEP_MV, k)
    if rises.size == 0 or falls.size == 0:
        return []
    # prefix sums of x, x**2 and i*x (centred on the mean for numerical accuracy)
    xc = x - x.mean()
    idx = np.arange(x.size, dtype=np.float64)
    c1 = np.concatenate([[0.0], np.cumsum(xc)])
    c2 = np.concatenate([[0.0], np.cumsum(xc * xc)])
    ci = np.concatenate([[0.0], np.cumsum(idx * xc)])
    lo, hi = round(_MIN_WIDTH_S * fs), round(_MAX_WIDTH_S * fs)
    # every (rise, fall) pair at a plausible width with steps of similar size
    gap = falls[None, :] - rises[:, None]
    up, down = edge[rises][:, None], -edge[falls][None, :]
    ok = (gap >= lo) & (gap <= hi) & (np.abs(up - down) <= 0.25 * np.maximum(up, down))
    ok &= (gap - 2 * k + 1 >= 3) & (falls[None, :] + k < x.size)
    ri, fi = np.nonzero(ok)
    if ri.size == 0:
        return []
    a, b = rises[ri] + k, falls[fi] - k + 1  # plateau x[a:b]
    spread = _line_residual_std(c1, c2, ci, a, b)
    # exact pre-filter: the height is at most (highest plateau sample) - (lowest
    # sample before or after), as the medians lie within those ranges
    padded = np.append(x, np.inf)  # so that ranges may end at x.size
    r_at, f_at = rises[ri], falls[fi]
    top = _range_reduce(np.maximum, np.append(x, -np.inf), a, b)
    low_before = _range_reduce(
        np.minimum, padded, np.maximum(0, r_at - 3 * k), np.maximum(1, r_at - k)
    )
    low_after = _range_reduce(np.minimum, padded, f_at + k, np.minimum(x.size, f_at + 3 * k))
    bound = top - np.minimum(low_before, low_after)
    keep = (bound >= _MIN_STEP_MV) & (spread <= 0.12 * bound)
    out = []
    done: set[int] = set()
    for m, j, s_pair in zip(ri[keep], fi[keep], spread[keep], strict=True):
        if m in done:
            continue
        r, f = int(rises[m]), int(falls[j])
        plateau = x[r + k : f - k + 1]
        before = x[max(0, r - 3 * k) : max(1, r - k)]
        after = x[f + k : f + 3 * k]
        height = float(np.median(plateau) - np.median(np.concatenate([before, after])))
        if height < _MIN_STEP_MV or s_pair > 0.12 * height:
            continue
        out.append((r, f, height))
        done.add(m)  # the first fall that closes a pulse
    return out


def _range_reduce(ufunc: np.ufunc, x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(x[a[i]:b[i]])`` for every i (all ranges non-empty, ``b < x.size``)."""
    idx = np.empty(2 * a.size, dtype=np.int64)
    idx[0::2], idx[1::2] = a, b
    return ufunc.reduceat(x, idx)[0::2]


def _line_residual_std(
    c1: np.ndarray, c2: np.ndarray, ci: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Standard deviation of the residual of a least-squares line through each ``x[a:b]``.

    ``c1``, ``c2``, ``ci`` are the prefix sums of (centred) x, x**2 and i*x.
    """
    n = (b - a).astype(np.float64)
    sy = c1[b] - c1[a]
    syy = c2[b] - c2[a]
    sty = ci[b] - ci[a]
    t_mean = (a + b - 1) / 2.0
    stt = n * (n * n - 1) / 12.0  # sum of (i - t_mean)**2 over n consecutive integers
    cov = sty - t_mean * sy
    ssr = (syy - sy * sy / n) - cov * cov / stt
    return np.sqrt(np.maximum(ssr, 0.0) / n)


def _local_extrema(e: np.ndarray, minimum: float, k: int) -> np.ndarray:
    """Indices of local maxima of ``e`` above ``minimum``, at least ``2k`` apart."""
    cand = np.flatnonzero((e[1:-1] >= minimum) & (e[1:-1] >= e[:-2]) & (e[1:-1] > e[2:])) + 1
    keep: list[int] = []
    for i in cand:
        if keep and i - keep[-1] < 2 * k:
            if e[i] > e[keep[-1]]:
                keep[-1] = int(i)
            continue
        keep.append(int(i))
    return np.asarray(keep, dtype=np.int64)


def find_calibration_pulse(signals_mv: np.ndarray, fs: float) -> CalibrationPulse | None:
    """Find a calibration pulse present at the same time in most leads.

    Parameters
    ----------
    signals_mv : ndarray, shape (n_samples, n_leads)
        Unfiltered leads in mV (NaN columns ignored).
    fs : float
        Sampling rate in Hz.

    Returns
    -------
    CalibrationPulse or None
        The pulse seen in at least half of the leads with signal (and at least
        two), rising and falling within 10 ms of each other across leads.
    """
    x = np.asarray(signals_mv, dtype=np.float64)
    leads = [j for j in range(x.shape[1]) if np.isfinite(x[:, j]).all()]
    found = {j: _pulses_in_lead(x[:, j], fs) for j in leads}
    tol = max(1, round(0.01 * fs))
    best: CalibrationPulse | None = None
    for pulses in found.values():
        for r, f, _ in pulses:
            members, heights = [], []
            for j, cand in found.items():
                match = [h for rr, ff, h in cand if abs(rr - r) <= tol and abs(ff - f) <= tol]
                if match:
                    members.append(j)
                    heights.append(match[0])
            # a pulse is injected with the same height into every lead
            h = np.asarray(heights)
            same = np.abs(h - np.median(h)) <= 0.05 * np.median(h)
            members = [j for j, s in zip(members, same, strict=True) if s]
            if len(members) >= max(2, (len(leads) + 1) // 2) and (
                best is None or len(members) > len(best.leads)
            ):
                best = CalibrationPulse(r, f, float(np.median(h[same])), tuple(members), fs)
    return best
