"""Writing into ring buffers indexed by absolute sample number."""

from __future__ import annotations

import numpy as np

__all__ = ["ring_write"]


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
