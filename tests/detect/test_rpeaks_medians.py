"""The detector's median networks equal numpy's medians, ties included."""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore.detect._rpeaks_rules_numba import _median8, _median_of_9


@pytest.mark.parametrize("seed", range(5))
def test_median_networks_equal_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(2000):
        v = rng.choice([0.1, 0.2, 0.3, 0.5], 9) if rng.random() < 0.5 else rng.standard_normal(9)
        assert _median_of_9(tuple(v)) == np.median(v)
        assert _median8(v[:8], 8) == np.median(v[:8])
        for n in range(1, 8):  # while fewer than eight levels are known
            assert _median8(v, n) == np.median(v[:n])
