"""Signals shared by the pytest-benchmark suites (``benchmarks/bench_*.py``).

A real MIT-BIH record when the PhysioNet data is present (ten minutes of
mitdb 101), else a synthetic ECG-like signal of the same length, so the suites
also run on a machine without the data. Which one was used is in the
benchmark's ``extra_info``.
"""

from __future__ import annotations

import numpy as np

from ecgcore.datasets import get_database

__all__ = ["FS", "ecg_signal", "multi_lead"]

FS = 360.0
_SECONDS = 600.0


def _synthetic(n: int, fs: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(n) / fs
    beats = np.cumsum(rng.uniform(0.7, 1.0, int(n / fs) + 2))
    x = np.zeros(n)
    for b in beats[beats < t[-1]]:
        i = int(b * fs)
        lo, hi = max(0, i - 20), min(n, i + 20)
        x[lo:hi] += np.exp(-0.5 * ((t[lo:hi] - b) / 0.012) ** 2)
    return x + 0.2 * np.sin(2 * np.pi * 0.3 * t) + rng.normal(0, 0.02, n)


def ecg_signal(seconds: float = _SECONDS) -> tuple[np.ndarray, str]:
    """One lead in mV at 360 Hz and a description of where it came from."""
    n = int(seconds * FS)
    db = get_database("mitdb")
    if "101" in db.records():
        rec, _ = db.load("101", leads=[0])
        return np.ascontiguousarray(rec.lead_mv(0)[:n]), "mitdb 101 lead 0"
    return _synthetic(n, FS), "synthetic"


def multi_lead(n_leads: int, seconds: float = _SECONDS) -> np.ndarray:
    """``(n, n_leads)`` signal: the single lead repeated with small shifts."""
    x, _ = ecg_signal(seconds)
    return np.stack([np.roll(x, 7 * k) for k in range(n_leads)], axis=1)
