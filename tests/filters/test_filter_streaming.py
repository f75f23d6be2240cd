"""StreamingFilter: chunked == whole-array, start-up state, NaN runs, input validation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from ecgcore.errors import SignalError
from ecgcore.filters import StreamingFilter, design_filter, filter_signal, get_preset

FS = 250.0


def _ecg_like(n: int, n_channels: int, seed: int) -> np.ndarray:
    """Baseline wander + offset + spiky beats + noise, (n, n_channels), mV."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FS
    x = np.empty((n, n_channels))
    for c in range(n_channels):
        beats = np.zeros(n)
        beats[rng.integers(0, n, size=max(1, n // 200))] = 1.5
        beats = np.convolve(beats, np.hanning(9), mode="same")
        x[:, c] = 200.0 * (c + 1) + 0.4 * np.sin(2 * np.pi * 0.3 * t) + beats
        x[:, c] += 0.02 * rng.standard_normal(n)
    return x


def _with_nan_runs(x: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = x.copy()
    n = x.shape[0]
    for _ in range(4):
        c = rng.integers(0, x.shape[1])
        start = rng.integers(0, n)
        x[start : start + rng.integers(1, 60), c] = np.nan
    x[:3, 0] = np.nan  # a channel that starts with missing samples
    return x


def _stream(filt: StreamingFilter, x: np.ndarray, cuts: list[int]) -> np.ndarray:
    bounds = [0, *sorted(cuts), x.shape[0]]
    return np.concatenate([filt.process(x[a:b]) for a, b in itertools.pairwise(bounds)])


@settings(max_examples=40, deadline=None)
@given(
    preset=st.sampled_from(["monitoring", "detection", "notch"]),
    n_channels=st.integers(1, 3),
    cuts=st.lists(st.integers(0, 1500), max_size=12),
    nan_runs=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_chunked_equals_whole_array(preset, n_channels, cuts, nan_runs, seed) -> None:
    spec = get_preset("monitoring").replace(notch_hz=50.0) if preset == "notch" else preset
    x = _ecg_like(1500, n_channels, seed)
    if nan_runs:
        x = _with_nan_runs(x, seed)
    whole = StreamingFilter(spec, FS, n_channels).process(x)
    chunked = _stream(StreamingFilter(spec, FS, n_channels), x, cuts)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(np.isnan(chunked), np.isnan(x))
    # The batch causal mode is the same filter.
    np.testing.assert_allclose(filter_signal(x, FS, spec, zero_phase=False), whole, atol=1e-12)


def test_one_sample_at_a_time_multichannel() -> None:
    x = _with_nan_runs(_ecg_like(800, 3, 1), 2)
    filt = StreamingFilter("diagnostic", 500.0, n_channels=3)
    chunked = np.concatenate([filt.process(x[i : i + 1]) for i in range(x.shape[0])])
    whole = StreamingFilter("diagnostic", 500.0, n_channels=3).process(x)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-12)
    assert filt.n_samples == 800


def test_matches_scipy_sosfilt_with_steady_state_start() -> None:
    x = _ecg_like(2000, 2, 3)
    sos = design_filter("monitoring", FS)
    zi = scipy.signal.sosfilt_zi(sos)[:, :, np.newaxis] * x[0][np.newaxis, np.newaxis, :]
    expected, _ = scipy.signal.sosfilt(sos, x, axis=0, zi=zi)
    filt = StreamingFilter("monitoring", FS, n_channels=2)
    got = filt.process(x)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # The state is scipy's layout: continuing with scipy from it gives the same samples.
    more = _ecg_like(300, 2, 4)
    expected_more, _ = scipy.signal.sosfilt(sos, more, axis=0, zi=filt.zi.transpose(1, 2, 0))
    np.testing.assert_allclose(filt.process(more), expected_more, rtol=0, atol=1e-12)


def test_no_startup_transient_from_offset() -> None:
    """A 300 mV electrode offset must not swing the high-passed output at the start."""
    x = np.full(5000, 300.0)
    for preset in ("diagnostic", "monitoring", "detection"):
        y = StreamingFilter(preset, 500.0).process(x)
        assert np.abs(y).max() < 1e-9
    # Without the steady-state start (zero state) the same input swings by ~300 mV.
    sos = design_filter("monitoring", 500.0)
    assert np.abs(scipy.signal.sosfilt(sos, x)).max() > 100.0


def test_nan_run_restarts_state_at_first_valid_sample() -> None:
    x = _ecg_like(3000, 1, 5)[:, 0]
    x[1000:1200] = np.nan
    filt = StreamingFilter("monitoring", FS)
    y = filt.process(x)
    assert np.all(np.isnan(y[1000:1200])) and not np.any(np.isnan(y[:1000]))
    # Before the gap: as if the gap did not exist; after: a fresh filter started there.
    fresh_before = StreamingFilter("monitoring", FS).process(x[:1000])
    fresh_after = StreamingFilter("monitoring", FS).process(x[1200:])
    np.testing.assert_array_equal(y[:1000], fresh_before)
    np.testing.assert_array_equal(y[1200:], fresh_after)
    assert not filt.waiting[0]


def test_nan_only_affects_its_channel() -> None:
    x = _ecg_like(2000, 2, 6)
    x_gap = x.copy()
    x_gap[500:700, 0] = np.nan
    y = StreamingFilter("monitoring", FS, 2).process(x_gap)
    ref = StreamingFilter("monitoring", FS, 2).process(x)
    np.testing.assert_array_equal(y[:, 1], ref[:, 1])


def test_all_nan_chunk_then_data() -> None:
    filt = StreamingFilter("monitoring", FS)
    assert np.all(np.isnan(filt.process(np.full(50, np.nan))))
    assert filt.waiting[0]
    x = _ecg_like(500, 1, 7)[:, 0]
    np.testing.assert_array_equal(filt.process(x), StreamingFilter("monitoring", FS).process(x))


def test_reset_restarts_like_new() -> None:
    x = _ecg_like(1000, 2, 8)
    filt = StreamingFilter("detection", FS, 2)
    filt.process(x[:400])
    filt.reset()
    assert filt.n_samples == 0 and np.all(filt.waiting) and not filt.zi.any()
    np.testing.assert_array_equal(filt.process(x), StreamingFilter("detection", FS, 2).process(x))


def test_empty_chunk_returns_empty_and_keeps_state() -> None:
    filt = StreamingFilter("monitoring", FS, n_channels=2)
    x = _ecg_like(600, 2, 9)
    first = filt.process(x[:300])
    state = filt.zi
    out = filt.process(np.empty((0, 2)))
    assert out.shape == (0, 2) and out.dtype == np.float64
    np.testing.assert_array_equal(filt.zi, state)
    whole = StreamingFilter("monitoring", FS, n_channels=2).process(x)
    np.testing.assert_array_equal(np.concatenate([first, filt.process(x[300:])]), whole)
    assert StreamingFilter("monitoring", FS).process([]).shape == (0,)


def test_shapes_and_dtypes() -> None:
    x = _ecg_like(400, 1, 10)
    filt = StreamingFilter("monitoring", FS)
    assert filt.process(x[:, 0]).shape == (400,)
    assert StreamingFilter("monitoring", FS).process(x).shape == (400, 1)
    counts = np.round(x[:, 0] * 200).astype(np.int16)
    np.testing.assert_array_equal(
        StreamingFilter("monitoring", FS).process(counts),
        StreamingFilter("monitoring", FS).process(counts.astype(np.float64)),
    )
    assert StreamingFilter("monitoring", FS).process(x.astype(np.float32)).dtype == np.float64


@pytest.mark.parametrize(
    ("n_channels", "chunk", "message"),
    [
        (3, np.zeros((10, 2)), r"chunk must have shape \(n_samples, 3\), got shape \(10, 2\)"),
        (2, np.zeros(10), r"chunk must have shape \(n_samples, 2\), got shape \(10,\)"),
        (1, np.zeros((4, 3, 2)), r"chunk must be 1-D .* or 2-D .*, got shape \(4, 3, 2\)"),
        (1, np.zeros(5, dtype=complex), "real numeric array, got dtype complex128"),
        (1, np.zeros(5, dtype=bool), "real numeric array, got dtype bool"),
        (1, np.array(["1", "2"]), "real numeric array, got dtype <U1"),
        (1, np.array([0.0, np.inf]), "infinite value at sample 1, channel 0"),
    ],
)
def test_bad_chunks(n_channels, chunk, message) -> None:
    with pytest.raises(SignalError, match=message):
        StreamingFilter("monitoring", FS, n_channels).process(chunk)


def test_bad_construction() -> None:
    with pytest.raises(ValueError, match="n_channels must be at least 1"):
        StreamingFilter("monitoring", FS, 0)
    with pytest.raises(TypeError, match="n_channels must be an integer"):
        StreamingFilter("monitoring", FS, 2.0)  # type: ignore[arg-type]
    with pytest.raises(SignalError, match=r"'diagnostic'.*fs > 300 Hz"):
        StreamingFilter("diagnostic", FS)
    with pytest.raises(SignalError, match="unknown filter preset"):
        StreamingFilter("ambulatory", FS)
