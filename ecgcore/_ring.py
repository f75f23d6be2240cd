"""Writing into and reading from ring buffers indexed by absolute sample number."""

from __future__ import annotations

import numpy as np

__all__ = ["ring_read", "ring_write"]


def ring_write(ring: np.ndarray, start: int, rows: np.ndarray) -> None:
    """Write ``rows`` to ``ring`` from absolute index ``start``.

    Row ``k`` goes to ``ring[(start + k) % len(ring)]`` (written as at most two
    slices); of more rows than the ring holds, the last ones stay.
    """
    excess = rows.shape[0] - ring.shape[0]
    if excess > 0:
        start += excess
        rows = rows[excess:]
    a = start % ring.shape[0]
    first = min(rows.shape[0], ring.shape[0] - a)
    ring[a : a + first] = rows[:first]
    ring[: rows.shape[0] - first] = rows[first:]


def ring_read(ring: np.ndarray, start: int, n: int) -> np.ndarray:
    """Return a copy of the ``n`` rows of ``ring`` from absolute index ``start``.

    Row ``k`` is ``ring[(start + k) % len(ring)]``; ``n`` may exceed the ring's
    length (the rows repeat, as a looped source does).
    """
    size = ring.shape[0]
    a = start % size
    if a + n <= size:  # the usual case: one slice
        return ring[a : a + n].copy()
    return ring[(a + np.arange(n)) % size]
