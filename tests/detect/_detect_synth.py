"""Synthetic ECG with known R-peak positions for the detector tests.

Each beat is a sum of Gaussian waves (P, Q, R, S, T) in mV; the R wave is the
dominant extreme, so its sample is the ground truth a detector must find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Beat:
    """Wave amplitudes (mV), offsets from R (s) and widths (standard deviation, s)."""

    p: tuple[float, float, float] = (0.15, -0.20, 0.025)
    q: tuple[float, float, float] = (-0.10, -0.028, 0.008)
    r: tuple[float, float, float] = (1.00, 0.0, 0.010)
    s: tuple[float, float, float] = (-0.25, 0.028, 0.008)
    t: tuple[float, float, float] = (0.30, 0.28, 0.050)

    def waves(self) -> tuple[tuple[float, float, float], ...]:
        return (self.p, self.q, self.r, self.s, self.t)


NORMAL = Beat()
TALL_T = Beat(t=(1.6, 0.30, 0.045))  # T-wave taller than the R wave
WIDE = Beat(q=(-0.2, -0.05, 0.02), r=(1.2, 0.0, 0.03), s=(-0.6, 0.06, 0.025), t=(-0.4, 0.36, 0.06))


def synth_ecg(
    duration_s: float,
    fs: float,
    *,
    hr_bpm: float = 70.0,
    beat: Beat = NORMAL,
    rr_jitter: float = 0.05,
    noise_mv: float = 0.01,
    seed: int = 0,
    first_r_s: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(signal_mv, r_idx)``: a synthetic lead and its R-peak sample indices."""
    rng = np.random.default_rng(seed)
    n = round(duration_s * fs)
    t = np.arange(n) / fs
    rr = 60.0 / hr_bpm
    r_times = []
    tr = first_r_s
    while tr < duration_s - 0.15:  # whole QRS complexes only; cut ones are tested apart
        r_times.append(tr)
        tr += rr * (1.0 + rr_jitter * rng.uniform(-1.0, 1.0))
    x = noise_mv * rng.standard_normal(n)
    for tr in r_times:
        for amp, off, width in beat.waves():
            centre = tr + off
            lo = max(0, int((centre - 5 * width) * fs))
            hi = min(n, int((centre + 5 * width) * fs) + 1)
            x[lo:hi] += amp * np.exp(-0.5 * ((t[lo:hi] - centre) / width) ** 2)
    r_idx = np.array([round(tr * fs) for tr in r_times], dtype=np.int64)
    return x, r_idx[r_idx < n]


def split_after(truth: np.ndarray, found: np.ndarray, t_idx: int) -> tuple[np.ndarray, np.ndarray]:
    """Truth and found peaks after the RR interval that contains ``t_idx``.

    The split is halfway between the two true beats around ``t_idx``, so that a
    beat near the split is never counted on one side and found on the other.
    """
    k = int(np.searchsorted(truth, t_idx))
    split = (truth[k - 1] + truth[k]) // 2 if 0 < k < truth.size else t_idx
    return truth[truth > split], found[found > split]


def match_count(truth: np.ndarray, found: np.ndarray, tol: int) -> tuple[int, int, int]:
    """Greedy one-to-one matching within ``tol`` samples: (matched, missed, extra)."""
    found = np.sort(found)
    used = np.zeros(found.size, dtype=bool)
    matched = 0
    for r in truth:
        j = np.searchsorted(found, r - tol)
        while j < found.size and found[j] <= r + tol:
            if not used[j]:
                used[j] = True
                matched += 1
                break
            j += 1
    return matched, truth.size - matched, int((~used).sum())
