"""filter_signal: zero-phase against scipy sosfiltfilt, corners in time, NaN runs, errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from ecgcore.errors import SignalError
from ecgcore.filters import design_filter, filter_signal, get_preset
from ecgcore.filters.design import default_padlen
from ecgcore.filters.offline import sosfiltfilt


def _noise(n: int, n_channels: int | None = None, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (n,) if n_channels is None else (n, n_channels)
    return 5.0 + rng.standard_normal(shape).cumsum(axis=0) * 0.01 + rng.standard_normal(shape)


@pytest.mark.parametrize(
    "spec",
    ["diagnostic", "monitoring", "detection", get_preset("monitoring").replace(notch_hz=60.0)],
    ids=["diagnostic", "monitoring", "detection", "monitoring+60Hz"],
)
@pytest.mark.parametrize("n_channels", [None, 3])
def test_zero_phase_equals_scipy_sosfiltfilt(spec, n_channels) -> None:
    fs = 500.0
    x = _noise(20000, n_channels, seed=1)  # 40 s: longer than every preset's extension
    sos = design_filter(spec, fs, zero_phase=True)
    assert default_padlen(sos) < x.shape[0]
    expected = scipy.signal.sosfiltfilt(sos, x, axis=0, padtype="even", padlen=default_padlen(sos))
    got = filter_signal(x, fs, spec)
    assert got.shape == x.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("n", [1, 2, 5, 20])
def test_short_signal_uses_shorter_padding(n) -> None:
    fs = 500.0
    x = _noise(n, seed=2)
    sos = design_filter("monitoring", fs, zero_phase=True)
    padlen = min(default_padlen(sos), n - 1)
    expected = scipy.signal.sosfiltfilt(sos, x, padtype="even", padlen=padlen)
    np.testing.assert_allclose(filter_signal(x, fs), expected, rtol=0, atol=1e-12)


def test_nan_runs_filter_each_segment_on_its_own() -> None:
    fs = 500.0
    x = _noise(4000, 2, seed=3)
    x[1000:1100, 0] = np.nan
    x[2500:2501, 0] = np.nan  # a single missing sample
    x[3997, 1] = np.nan  # leaves a 2-sample run at the end
    y = filter_signal(x, fs, "monitoring")
    np.testing.assert_array_equal(np.isnan(y), np.isnan(x))
    sos = design_filter("monitoring", fs, zero_phase=True)
    pad = default_padlen(sos)
    for c, segments in (
        (0, [(0, 1000), (1100, 2500), (2501, 4000)]),
        (1, [(0, 3997), (3998, 4000)]),
    ):
        for a, b in segments:
            expected = scipy.signal.sosfiltfilt(
                sos, x[a:b, c], padtype="even", padlen=min(pad, b - a - 1)
            )
            np.testing.assert_allclose(y[a:b, c], expected, rtol=0, atol=1e-12)


def test_causal_nan_runs_match_streaming_restart() -> None:
    fs = 360.0
    x = _noise(3000, seed=4)
    x[:10] = np.nan
    x[2000:2300] = np.nan
    y = filter_signal(x, fs, "detection", zero_phase=False)
    sos = design_filter("detection", fs)
    zi = scipy.signal.sosfilt_zi(sos)
    for a, b in ((10, 2000), (2300, 3000)):
        expected, _ = scipy.signal.sosfilt(sos, x[a:b], zi=zi * x[a])
        np.testing.assert_allclose(y[a:b], expected, rtol=0, atol=1e-12)
    assert np.all(np.isnan(y[:10])) and np.all(np.isnan(y[2000:2300]))


def test_all_nan_signal_stays_nan() -> None:
    assert np.all(np.isnan(filter_signal(np.full(100, np.nan), 500.0)))


def test_zero_phase_keeps_a_symmetric_pulse_symmetric() -> None:
    """No phase shift: a pulse symmetric about its peak stays symmetric and in place."""
    fs = 500.0
    t = np.arange(int(4 * fs) + 1) / fs
    x = np.exp(-0.5 * ((t - 2.0) / 0.01) ** 2)  # 10 ms wide bump at 2 s
    peak = int(np.argmax(x))
    y = filter_signal(x, fs, "detection")
    assert int(np.argmax(y)) == peak
    np.testing.assert_allclose(y, y[::-1], rtol=0, atol=1e-9)
    # The causal filter distorts it asymmetrically (the check can fail).
    y_causal = filter_signal(x, fs, "detection", zero_phase=False)
    assert np.abs(y_causal - y_causal[::-1]).max() > 0.1


@pytest.mark.parametrize("zero_phase", [False, True])
@pytest.mark.parametrize(("preset", "corner"), [("monitoring", 0.5), ("monitoring", 40.0)])
def test_sine_at_corner_comes_out_at_minus_3db(zero_phase, preset, corner) -> None:
    """End-to-end check of the delivered corner: steady-state amplitude 1/sqrt(2) +- 5 %."""
    fs = 250.0
    t = np.arange(int(240 * fs)) / fs
    y = filter_signal(np.sin(2 * np.pi * corner * t), fs, preset, zero_phase=zero_phase)
    middle = y[int(80 * fs) : int(160 * fs)]
    amplitude = np.sqrt(2.0) * np.std(middle)
    assert amplitude == pytest.approx(1.0 / np.sqrt(2.0), rel=0.05)


@pytest.mark.parametrize("zero_phase", [False, True])
@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_mains_and_harmonics_removed_in_time_domain(zero_phase, mains) -> None:
    fs = 500.0
    t = np.arange(int(20 * fs)) / fs
    ecg_band = np.sin(2 * np.pi * 1.3 * t) + 0.5 * np.sin(2 * np.pi * 9.0 * t)
    hum = 0.3 * np.sin(2 * np.pi * mains * t) + 0.1 * np.sin(2 * np.pi * 3 * mains * t + 1.0)
    spec = get_preset("diagnostic").replace(notch_hz=mains)
    y_clean = filter_signal(ecg_band, fs, spec, zero_phase=zero_phase)
    y_hum = filter_signal(ecg_band + hum, fs, spec, zero_phase=zero_phase)
    settled = slice(int(5 * fs), int(15 * fs))
    residual = y_hum[settled] - y_clean[settled]  # the filter is linear: what is left of the hum
    attenuation_db = 20 * np.log10(np.std(hum[settled]) / np.std(residual))
    assert attenuation_db >= 30.0


def test_input_is_not_modified() -> None:
    x = _noise(1000, 2, seed=5)
    before = x.copy()
    filter_signal(x, 500.0)
    filter_signal(x, 500.0, zero_phase=False)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    ("signal", "message"),
    [
        (np.zeros(0), r"signal is empty: shape \(0,\)"),
        (np.zeros((0, 3)), r"signal is empty: shape \(0, 3\)"),
        (np.zeros((10, 0)), r"signal has no channels"),
        (np.zeros((2, 3, 4)), r"got shape \(2, 3, 4\)"),
        (np.float64(1.0), r"got shape \(\)"),
        (np.ones(10, dtype=np.complex64), "got dtype complex64"),
        (np.array([1.0, -np.inf, 2.0]), "infinite value at sample 1"),
        (np.array([None, 1.0]), "got dtype object"),
    ],
)
def test_bad_signals(signal, message) -> None:
    with pytest.raises(SignalError, match=message):
        filter_signal(signal, 500.0)


def test_bad_preset_and_fs() -> None:
    with pytest.raises(SignalError, match="unknown filter preset 'wide'"):
        filter_signal(np.zeros(10), 500.0, "wide")
    with pytest.raises(SignalError, match=r"fs=100 Hz is too low for filter 'diagnostic'"):
        filter_signal(np.zeros(10), 100.0, "diagnostic")
    with pytest.raises(SignalError, match="fs must be a positive finite number"):
        filter_signal(np.zeros(10), -1.0)


@pytest.mark.parametrize("padtype", ["odd", "even"])
@pytest.mark.parametrize("padlen", [0, 9, 3000, 4999])
def test_sosfiltfilt_rows_equal_scipy(padtype, padlen) -> None:
    fs = 1000.0
    x = _noise(5000, 12, seed=5).T  # 12 leads as rows
    for sos in (
        scipy.signal.butter(2, [40.0, 150.0], btype="bandpass", fs=fs, output="sos"),
        scipy.signal.butter(2, 0.7, fs=fs, output="sos"),
    ):
        expected = scipy.signal.sosfiltfilt(sos, x, axis=1, padtype=padtype, padlen=padlen)
        got = sosfiltfilt(sos, x, padlen=padlen, padtype=padtype)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": np.zeros(10)}, "shape"),
        ({"x": np.zeros((2, 10)), "padlen": 10}, "padlen"),
        ({"x": np.full((2, 10), np.nan)}, "finite"),
        ({"sos": np.zeros((1, 5))}, "sos"),
        ({"padtype": "constant"}, "padtype"),
    ],
)
def test_sosfiltfilt_rows_errors(kwargs, message) -> None:
    args = {"sos": scipy.signal.butter(2, 0.2, output="sos"), "x": np.ones((2, 10)), "padlen": 3}
    args.update(kwargs)
    with pytest.raises((SignalError, ValueError), match=message):
        sosfiltfilt(args.pop("sos"), args.pop("x"), **args)
