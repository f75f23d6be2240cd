"""A cheap deterministic ECG-like test waveform for the protocol simulators.

Not a physiological model (that is ``sim://``): a sum of Gaussian P, QRS and T
waves at a fixed heart rate, different per channel, so a test can recompute
exactly what a simulator sent for any sample index.
"""

from __future__ import annotations

import math

__all__ = ["ecg_mv"]

# (offset in the beat as a fraction of the RR interval, width s, amplitude mV)
_WAVES = ((0.15, 0.025, 0.12), (0.30, 0.008, -0.10), (0.32, 0.010, 1.0), (0.34, 0.008, -0.25),
          (0.60, 0.040, 0.30))  # fmt: skip


def ecg_mv(k: int, fs: float, channel: int = 0, hr_bpm: float = 72.0) -> float:
    """Value (mV) of sample ``k`` at ``fs`` Hz on ``channel`` (amplitude varies per channel)."""
    rr = 60.0 / hr_bpm
    t = (k / fs) % rr
    scale = 1.0 - 0.1 * (channel % 8)
    v = 0.0
    for frac, width, amp in _WAVES:
        d = t - frac * rr
        v += amp * math.exp(-0.5 * (d / width) ** 2)
    return scale * v + 0.05 * math.sin(2 * math.pi * 0.3 * k / fs)
