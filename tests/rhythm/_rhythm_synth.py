"""Synthetic beat trains for the rhythm tests (sums of Gaussian waves, mV), and streaming."""

from __future__ import annotations

from typing import Any

import numpy as np

from ecgcore.rhythm import RhythmAnalysis, RhythmAnalyzer

FS = 360.0


def _wave(t: np.ndarray, centre: float, width: float, amp: float) -> np.ndarray:
    return amp * np.exp(-0.5 * ((t - centre) / width) ** 2)


def beat_train(
    times_s: list[float] | np.ndarray,
    kinds: str | None = None,
    *,
    duration_s: float | None = None,
    fs: float = FS,
    noise_mv: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Signal (mV) with a beat at each time; ``kinds[k]`` is ``N`` (narrow, with P) or ``V``.

    Returns the signal and the R-peak sample indices.
    """
    times = np.asarray(times_s, dtype=np.float64)
    kinds = kinds or "N" * times.size
    end = duration_s if duration_s is not None else times[-1] + 1.5
    t = np.arange(round(end * fs)) / fs
    x = np.zeros_like(t)
    for c, k in zip(times, kinds, strict=True):
        if k == "N":
            x += _wave(t, c - 0.16, 0.020, 0.15)  # P
            x += _wave(t, c - 0.02, 0.008, -0.10)  # Q
            x += _wave(t, c, 0.010, 1.00)  # R
            x += _wave(t, c + 0.025, 0.010, -0.25)  # S
            x += _wave(t, c + 0.26, 0.045, 0.30)  # T
        elif k == "V":
            x += _wave(t, c, 0.035, 1.30)  # wide, no P
            x += _wave(t, c + 0.07, 0.030, -0.60)
            x += _wave(t, c + 0.30, 0.060, -0.45)  # discordant T
        else:
            raise ValueError(kinds)
    if noise_mv:
        x += np.random.default_rng(seed).normal(0.0, noise_mv, x.size)
    return x, np.round(times * fs).astype(np.int64)


def regular_times(n: int, rr_s: float, start_s: float = 0.5) -> np.ndarray:
    """``n`` beat times at a fixed RR interval."""
    return start_s + rr_s * np.arange(n)


def stream(x: np.ndarray, fs: float, sizes: list[int], **kw: Any) -> RhythmAnalysis:
    """Feed ``x`` to a :class:`RhythmAnalyzer` in chunks of ``sizes`` (cycled); its result."""
    an = RhythmAnalyzer(fs, **kw)
    i = k = 0
    while i < x.size:
        n = sizes[k % len(sizes)]
        an.process(x[i : i + n])
        i += n
        k += 1
    an.finish()
    return an.result()
