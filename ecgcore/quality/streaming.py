"""Quality of a live stream: a sliding window assessed at fixed sample positions."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from ecgcore._ring import ring_read, ring_write
from ecgcore._validate import check_fs
from ecgcore.errors import SignalError
from ecgcore.quality.assess import QualityLimit, QualityReport, assess_quality

__all__ = ["QualityMonitor"]


class QualityMonitor:
    """Assess the last ``window_s`` seconds every ``every_s`` seconds of a stream.

    Reports are made when the stream reaches samples ``k * every`` (k = 1, 2,
    ...), each over the samples ``max(0, k * every - window) .. k * every - 1``,
    so the reports do not depend on how the stream is cut into chunks.

    Parameters
    ----------
    fs : float
        Sampling rate, Hz.
    lead_names : sequence of str
        One name per channel.
    window_s : float
        Length of the assessed window, seconds.
    every_s : float
        Interval between reports, seconds.
    rail_mv : (float, float), optional
        Amplifier range in mV.
    limits : iterable of QualityLimit, optional
        Limits to apply (default: the registered ones).
    """

    def __init__(
        self,
        fs: float,
        lead_names: Sequence[str],
        *,
        window_s: float = 5.0,
        every_s: float = 1.0,
        rail_mv: tuple[float, float] | None = None,
        limits: Iterable[QualityLimit] | None = None,
    ) -> None:
        self.fs = check_fs(fs)
        self.lead_names = tuple(lead_names)
        if not (math.isfinite(window_s) and window_s >= 1.0):
            raise SignalError(f"window_s must be at least 1 s, got {window_s!r}")
        if not (math.isfinite(every_s) and 0 < every_s <= window_s):
            raise SignalError(f"every_s must be in (0, window_s], got {every_s!r}")
        self.window = round(window_s * self.fs)
        self.every = max(1, round(every_s * self.fs))
        self.rail_mv = rail_mv
        self.limits = None if limits is None else tuple(limits)
        ch = len(self.lead_names)
        self._x = np.full((self.window, ch), np.nan)
        self._off = np.zeros((self.window, ch), dtype=bool)
        self.reset()

    def reset(self) -> None:
        """Forget the stream (the next sample is sample 0)."""
        self._x[:] = np.nan
        self._off[:] = False
        self.n_samples = 0
        self.latest: QualityReport | None = None

    def _window(self, stop: int) -> tuple[np.ndarray, np.ndarray]:
        start = max(0, stop - self.window)
        return ring_read(self._x, start, stop - start), ring_read(self._off, start, stop - start)

    def process(
        self, chunk: np.ndarray, lead_off: np.ndarray | None = None
    ) -> list[QualityReport]:
        """Feed samples (n, ch) in mV; return the reports due within this chunk."""
        x = np.asarray(chunk, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.lead_names):
            raise SignalError(f"chunk must have shape (n, {len(self.lead_names)}), got {x.shape}")
        off = np.zeros(x.shape, dtype=bool) if lead_off is None else np.asarray(lead_off, bool)
        if off.shape != x.shape:
            raise SignalError(f"lead_off must have the chunk's shape {x.shape}, got {off.shape}")
        reports = []
        pos = 0
        n = x.shape[0]
        while pos < n:
            to_next = self.every - (self.n_samples % self.every)
            take = min(to_next, n - pos)
            ring_write(self._x, self.n_samples, x[pos : pos + take])
            ring_write(self._off, self.n_samples, off[pos : pos + take])
            self.n_samples += take
            pos += take
            if self.n_samples % self.every == 0:
                win, win_off = self._window(self.n_samples)
                report = assess_quality(
                    win,
                    self.fs,
                    lead_names=self.lead_names,
                    lead_off=win_off,
                    rail_mv=self.rail_mv,
                    limits=self.limits,
                    start_idx=self.n_samples - win.shape[0],
                )
                reports.append(report)
                self.latest = report
        return reports
