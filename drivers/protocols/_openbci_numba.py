"""Numba kernels of the OpenBCI packet parser: in-sync runs checked and decoded in one pass.

Plain functions over the (n, 33) uint8 array of consecutive packets, compiled
through :func:`ecgcore._jit.jit`; the rules are those of
:class:`~ecgcore.drivers.protocols.openbci.OpenBCIParser` for one packet.
"""

from __future__ import annotations

import numpy as np

from ecgcore._jit import jit

_START = 0xA0
_STOP_MIN = 0xC0
_STOP_MAX = 0xC6


@jit
def run_length(rows: np.ndarray, expected: int) -> int:
    """Number of leading packets that are valid and numbered ``expected``, ``expected + 1``...

    ``expected`` < 0: any sample numbers (only the framing is checked).
    """
    for r in range(rows.shape[0]):
        stop = rows[r, 32]
        if rows[r, 0] != _START or stop < _STOP_MIN or stop > _STOP_MAX:
            return r
        if expected >= 0 and rows[r, 1] != (expected + r) % 256:
            return r
    return rows.shape[0]


@jit
def decode(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample numbers, the 8 channel counts (24-bit two's complement) and stop bytes."""
    n = rows.shape[0]
    seq = np.empty(n, dtype=np.int64)
    values = np.empty((n, 8), dtype=np.int64)
    stop = np.empty(n, dtype=np.int64)
    for r in range(n):
        seq[r] = rows[r, 1]
        stop[r] = rows[r, 32]
        for c in range(8):
            b = 2 + 3 * c
            v = (np.int64(rows[r, b]) << 16) | (np.int64(rows[r, b + 1]) << 8) | rows[r, b + 2]
            values[r, c] = v - ((v & 0x800000) << 1)
    return seq, values, stop
