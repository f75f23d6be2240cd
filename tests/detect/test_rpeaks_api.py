"""Public API of the R-peak detector: types, validation, stream life cycle."""

from __future__ import annotations

import numpy as np
import pytest
from _detect_synth import synth_ecg

import ecgcore
from ecgcore.detect import RPeakDetector, detect_r_peaks
from ecgcore.errors import SignalError


def test_exported_from_package() -> None:
    assert ecgcore.detect_r_peaks is detect_r_peaks
    assert ecgcore.RPeakDetector is RPeakDetector


def test_returns_increasing_int64_indices() -> None:
    x, _ = synth_ecg(20.0, 360.0)
    peaks = detect_r_peaks(x, 360.0)
    assert peaks.dtype == np.int64
    assert peaks.ndim == 1
    assert np.all(np.diff(peaks) > 0)
    assert peaks.min() >= 0
    assert peaks.max() < x.size


@pytest.mark.parametrize("fs", [100.0, 2000.0, 360])
def test_fs_limits_accepted(fs: float) -> None:
    x, r_idx = synth_ecg(10.0, fs)
    assert detect_r_peaks(x, fs).size == r_idx.size


@pytest.mark.parametrize("fs", [99.0, 99.999, 2000.001, 2001.0, 0.0, -360.0, np.nan, np.inf])
def test_fs_outside_range_rejected(fs: float) -> None:
    with pytest.raises(SignalError, match="fs"):
        detect_r_peaks(np.zeros(1000), fs)
    with pytest.raises(SignalError, match="fs"):
        RPeakDetector(fs)


def test_fs_not_a_number_rejected() -> None:
    with pytest.raises(SignalError, match="fs"):
        detect_r_peaks(np.zeros(100), "fast")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("signal", "pattern"),
    [
        (np.zeros((100, 2)), "1-D"),
        (np.zeros((0, 0)), "1-D"),
        (np.array(["a", "b"]), "numeric"),
        (np.zeros(10, dtype=complex), "numeric"),
    ],
)
def test_bad_signal_rejected(signal: np.ndarray, pattern: str) -> None:
    with pytest.raises(SignalError, match=pattern):
        detect_r_peaks(signal, 250.0)
    with pytest.raises(SignalError, match=pattern):
        RPeakDetector(250.0).process(signal)


@pytest.mark.parametrize("n", [0, 1, 2, 7, 50, 300])
def test_short_input(n: int) -> None:
    x, _ = synth_ecg(2.0, 250.0)
    peaks = detect_r_peaks(x[:n], 250.0)
    assert peaks.dtype == np.int64
    assert np.all((peaks >= 0) & (peaks < n))
    if n <= 50:  # under 0.2 s, before the first QRS
        assert peaks.size == 0


def test_integer_and_list_input() -> None:
    x, _ = synth_ecg(10.0, 250.0)
    counts = np.round(x * 200).astype(np.int16)  # ADC-like integers, 5 uV per count
    assert np.array_equal(detect_r_peaks(counts / 200.0, 250.0), detect_r_peaks(list(x), 250.0))
    assert detect_r_peaks(counts, 250.0).size > 0


def test_empty_chunks_and_finish_twice() -> None:
    x, _ = synth_ecg(10.0, 250.0)
    det = RPeakDetector(250.0)
    assert det.process(np.zeros(0)).size == 0
    got = np.concatenate([det.process(x), det.process(np.zeros(0)), det.finish()])
    assert np.array_equal(got, detect_r_peaks(x, 250.0))
    assert det.finish().size == 0


def test_process_after_finish_needs_reset() -> None:
    x, _ = synth_ecg(10.0, 250.0)
    det = RPeakDetector(250.0)
    first = np.concatenate([det.process(x), det.finish()])
    with pytest.raises(SignalError, match="reset"):
        det.process(x)
    det.reset()
    assert det.n_samples == 0
    again = np.concatenate([det.process(x), det.finish()])
    assert np.array_equal(first, again)


def test_reset_mid_stream_starts_a_new_stream() -> None:
    x, _ = synth_ecg(20.0, 250.0, seed=3)
    det = RPeakDetector(250.0)
    det.process(x[:1234])
    det.reset()
    got = np.concatenate([det.process(x), det.finish()])
    assert np.array_equal(got, detect_r_peaks(x, 250.0))


def test_n_samples_counts_the_stream() -> None:
    det = RPeakDetector(500.0)
    det.process(np.zeros(100))
    det.process(np.full(23, np.nan))
    assert det.n_samples == 123


def test_input_not_modified() -> None:
    x, _ = synth_ecg(10.0, 250.0)
    x[100:200] = np.nan
    before = x.copy()
    detect_r_peaks(x, 250.0)
    assert np.array_equal(x, before, equal_nan=True)


def test_band_pass_sections_are_padded_or_refused() -> None:
    from ecgcore.detect.rpeaks import _detector
    from ecgcore.filters import FilterSpec

    x, _ = synth_ecg(20.0, 250.0, seed=5)
    # one section (2nd-order band-pass) runs through a pass-through second section
    narrow = FilterSpec(highpass_hz=5.0, lowpass_hz=30.0, highpass_order=1, lowpass_order=1)
    det = _detector(250.0, band=narrow)
    peaks = np.concatenate([det.process(x), det.finish()])
    assert peaks.size > 10
    wide = FilterSpec(highpass_hz=5.0, lowpass_hz=30.0, highpass_order=4, lowpass_order=4)
    with pytest.raises(SignalError, match="at most 2 second-order sections"):
        _detector(250.0, band=wide)


@pytest.mark.parametrize("fs", [100.0, 199.99, 200.0, 360.0, 1024.0, 1999.99, 2000.0])
def test_rings_fit_the_state_record_at_every_rate(fs: float) -> None:
    # the state record has fixed capacities; every accepted fs must fit them
    from ecgcore.detect import _rpeaks_state as k
    from ecgcore.detect.rpeaks import _parameters, _Tuning

    par, filt = _parameters(fs, _Tuning())
    assert filt[2].shape[0] == par[k.P_D] <= k.DEC_CAP
    for size, cap in ((par[k.P_RING_SIZE], k.RING_CAP), (par[k.P_RAW_SIZE], k.RAW_CAP)):
        assert size <= cap
        assert int(size) & (int(size) - 1) == 0  # a power of two: positions are masked


def test_a_longer_history_than_the_state_record_holds_is_refused() -> None:
    from ecgcore.detect.rpeaks import _detector

    with pytest.raises(SignalError, match="raw ring 65536 exceeds 32768"):
        _detector(2000.0, ring_s=30.0)
