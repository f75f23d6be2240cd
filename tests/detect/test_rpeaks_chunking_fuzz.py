"""Chunked streaming equals batch detection for any chunking, gaps and rate (fuzzed).

Hypothesis chooses the sampling rate, where the signal is missing (NaN runs of
any length, a decimation block or many seconds), the amplitude and polarity,
and the chunk sizes (around a typical size from a few samples to the whole
record), including empty chunks and chunks longer than the detector's
history rings.
"""

from __future__ import annotations

import itertools

import numpy as np
from _detect_synth import synth_ecg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecgcore.detect import RPeakDetector, detect_r_peaks

_RATES = (100.0, 128.0, 250.0, 360.0, 500.0, 1000.0)
_SECONDS = 30.0


@st.composite
def _cases(draw: st.DrawFn) -> tuple[np.ndarray, float, list[int]]:
    fs = draw(st.sampled_from(_RATES))
    seed = draw(st.integers(0, 2**16))
    x, _ = synth_ecg(_SECONDS, fs, seed=seed)
    x *= draw(st.sampled_from((-1.0, 1.0))) * draw(st.floats(0.05, 20.0))
    n = x.size
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, n - 1))
        length = draw(st.integers(1, n // 3))
        x[start : start + length] = np.nan
    # chunk sizes around a drawn typical size (a few samples to more than the
    # whole record; sample by sample is in test_rpeaks_streaming), some empty
    typical = draw(st.sampled_from((4, 37, 256, 1000, 5000, 2 * n)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = np.floor(typical * rng.exponential(1.0, 2 * n // typical + 2)).astype(np.int64)
    cuts = np.minimum(np.cumsum(sizes), n)
    return x, fs, [int(c) for c in cuts[: int(np.searchsorted(cuts, n)) + 1]]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_any_chunking_equals_batch(case: tuple[np.ndarray, float, list[int]]) -> None:
    x, fs, cuts = case
    det = RPeakDetector(fs)
    bounds = [0, *cuts, x.size]
    parts = [det.process(x[a:b]) for a, b in itertools.pairwise(bounds)]
    streamed = np.concatenate([*parts, det.finish()])
    np.testing.assert_array_equal(streamed, detect_r_peaks(x, fs))
    assert np.all(np.diff(streamed) > 0)
    assert np.all(np.isfinite(x[streamed]))  # never on a missing sample
