"""ring_write and ring_read place and take rows as modular indexing would."""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore._ring import ring_read, ring_write


@pytest.mark.parametrize("start", [0, 3, 7, 8, 21])
@pytest.mark.parametrize("n", [0, 1, 5, 8, 19])
def test_ring_write_equals_modular_indexing(start: int, n: int) -> None:
    rows = np.arange(100, 100 + 2 * n, dtype=float).reshape(n, 2)
    got = np.full((8, 2), -1.0)
    expected = got.copy()
    ring_write(got, start, rows)
    expected[np.arange(start, start + n) % 8] = rows  # last write wins, as here
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("start", [0, 3, 7, 8, 21])
@pytest.mark.parametrize("n", [0, 1, 5, 8, 19])
def test_ring_read_equals_modular_indexing(start: int, n: int) -> None:
    ring = np.arange(16, dtype=float).reshape(8, 2)
    got = ring_read(ring, start, n)
    np.testing.assert_array_equal(got, ring[np.arange(start, start + n) % 8])
    got[...] = -1.0  # a copy: the ring is untouched
    np.testing.assert_array_equal(ring, np.arange(16, dtype=float).reshape(8, 2))
