"""Bounded ring buffer of sample rows shared by a device's reader thread and ``read()``.

Hand-written because the buffer must keep three aligned arrays (data, lead-off,
host time) together with an absolute sample counter and report exactly how many
unread rows an overflow overwrote; ``collections.deque(maxlen=...)`` drops rows
silently and one row at a time.
"""

from __future__ import annotations

import numpy as np

from ecgcore._ring import ring_read, ring_write

__all__ = ["RingBuffer"]


class RingBuffer:
    """Fixed-capacity FIFO of rows ``(data[ch], lead_off[ch], host_time)``.

    Not thread-safe by itself: the owning :class:`~ecgcore.drivers.base.Device`
    holds its lock around every call.

    Parameters
    ----------
    capacity : int
        Maximum number of unread rows.
    n_channels : int
        Columns per row.
    """

    def __init__(self, capacity: int, n_channels: int) -> None:
        self.capacity = int(capacity)
        self._data = np.empty((self.capacity, n_channels), dtype=np.float64)
        self._lead_off = np.zeros((self.capacity, n_channels), dtype=bool)
        self._time = np.empty(self.capacity, dtype=np.float64)
        self._start = 0  # physical index of the oldest unread row
        self._len = 0
        self.first_sample = 0  # absolute sample index of the oldest unread row
        self._next: int | None = None  # index the next pushed row must have

    def __len__(self) -> int:
        return self._len

    def push(
        self,
        first_sample: int,
        data: np.ndarray,
        lead_off: np.ndarray | None,
        host_time: np.ndarray,
    ) -> int:
        """Append rows starting at absolute index ``first_sample``; return rows overwritten.

        ``first_sample`` must follow the last pushed row (the device fills gaps
        with NaN rows before pushing).
        """
        n = data.shape[0]
        if self._next is not None and first_sample != self._next:
            raise ValueError(
                f"ring buffer: rows must be contiguous, expected index {self._next}, "
                f"got {first_sample}"
            )
        self._next = first_sample + n
        if self._len == 0:
            self.first_sample = first_sample
        overwritten = 0
        if n >= self.capacity:
            overwritten = self._len + n - self.capacity
            data, host_time = data[-self.capacity :], host_time[-self.capacity :]
            lead_off = None if lead_off is None else lead_off[-self.capacity :]
            self._start, self._len = 0, 0
            self.first_sample = first_sample + n - self.capacity
            n = self.capacity
        else:
            excess = self._len + n - self.capacity
            if excess > 0:
                overwritten = excess
                self._start = (self._start + excess) % self.capacity
                self._len -= excess
                self.first_sample += excess
        pos = self._start + self._len
        ring_write(self._data, pos, data)
        ring_write(self._time, pos, host_time)
        off = np.broadcast_to(False, data.shape) if lead_off is None else lead_off
        ring_write(self._lead_off, pos, off)
        self._len += n
        return overwritten

    def pop_all(self) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """Remove and return ``(first_sample, data, lead_off, host_time)`` of all unread rows."""
        a, n = self._start, self._len
        out = (
            self.first_sample,
            ring_read(self._data, a, n),
            ring_read(self._lead_off, a, n),
            ring_read(self._time, a, n),
        )
        self.first_sample += self._len
        self._start = (self._start + self._len) % self.capacity
        self._len = 0
        return out
