"""Filter specs, presets and designs: amplitude responses against the preset specs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ecgcore.errors import SignalError
from ecgcore.filters import (
    PRESETS,
    FilterSpec,
    design_filter,
    filter_signal,
    get_preset,
    list_presets,
    register_preset,
    resolve_spec,
)

MODES = [pytest.param(False, id="causal"), pytest.param(True, id="zero-phase")]
# Sampling rates of common ECG sources (devices, MIT-BIH, PTB-XL, INCART, Holter).
PRESET_FS = [("diagnostic", fs) for fs in (360.0, 500.0, 1000.0, 2000.0)] + [
    (name, fs) for name in ("monitoring", "detection") for fs in (128.0, 250.0, 360.0, 1000.0)
]


def test_registry_has_the_three_presets_with_their_bands() -> None:
    assert set(list_presets()) >= {"diagnostic", "monitoring", "detection"}
    bands = {name: (PRESETS[name].highpass_hz, PRESETS[name].lowpass_hz) for name in PRESETS}
    assert bands["diagnostic"] == (0.05, 150.0)
    assert bands["monitoring"] == (0.5, 40.0)
    assert bands["detection"] == (5.0, 30.0)
    assert all(PRESETS[name].name == name for name in PRESETS)


def test_registry_errors_and_lookup() -> None:
    with pytest.raises(SignalError, match=r"unknown filter preset 'holter'.*'diagnostic'"):
        get_preset("holter")
    with pytest.raises(SignalError, match="already exists"):
        register_preset(FilterSpec(name="monitoring"))
    with pytest.raises(TypeError, match="FilterSpec or a preset name"):
        resolve_spec(40.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PRESETS["x"] = FilterSpec()  # type: ignore[index]
    assert resolve_spec("monitoring") is PRESETS["monitoring"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"highpass_hz": -0.5}, "highpass_hz must be a positive"),
        ({"lowpass_hz": math.nan}, "lowpass_hz must be a positive"),
        ({"lowpass_hz": "40"}, "lowpass_hz must be a number"),
        ({"highpass_hz": 40.0, "lowpass_hz": 40.0}, "must be below lowpass_hz"),
        ({"highpass_hz": None, "lowpass_hz": None}, "must remove something"),
        ({"notch_harmonics": 3}, "notch_harmonics was given without notch_hz"),
        ({"notch_hz": 50.0, "notch_harmonics": 0}, "notch_harmonics must be a positive integer"),
        ({"lowpass_order": 0}, "lowpass_order must be an integer from 1 to 8"),
        ({"highpass_order": 2.0}, "highpass_order must be an integer"),
        ({"highpass_order": True}, "highpass_order must be an integer"),
        ({"notch_hz": 50.0, "notch_q": 0.0}, "notch_q must be a positive"),
    ],
)
def test_spec_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(SignalError, match=message):
        FilterSpec(**kwargs)


def test_spec_equality_ignores_name_and_serialises() -> None:
    spec = get_preset("monitoring")
    assert spec == FilterSpec(0.5, 40.0, highpass_order=2, lowpass_order=4)
    with_notch = spec.replace(notch_hz=50)
    assert with_notch.notch_hz == 50.0 and with_notch.name == "monitoring"
    assert "notch 50 Hz + harmonics" in with_notch.describe()
    assert json.loads(json.dumps(with_notch.to_dict()))["notch_hz"] == 50.0


@pytest.mark.parametrize(("name", "fs"), PRESET_FS)
@pytest.mark.parametrize("zero_phase", MODES)
def test_minus3db_points_within_5_percent(name, fs, zero_phase, minus3db) -> None:
    spec = get_preset(name)
    sos = design_filter(name, fs, zero_phase=zero_phase)
    passes = 2 if zero_phase else 1
    mid = math.sqrt(spec.highpass_hz * spec.lowpass_hz)
    hp = minus3db(sos, fs, passes, spec.highpass_hz / 20, mid)
    lp = minus3db(sos, fs, passes, mid, fs / 2 * (1 - 1e-9))
    assert hp == pytest.approx(spec.highpass_hz, rel=0.05)
    assert lp == pytest.approx(spec.lowpass_hz, rel=0.05)


# Passband requirements: IEC 60601-2-25 for the diagnostic band (0.67-40 Hz within
# +-10 %, i.e. about +-0.9 dB, and 40-150 Hz within +10 %/-30 %); the bands of
# the other presets are checked where they are meant to be flat.
FLATNESS = [
    ("diagnostic", 0.67, 40.0, -0.5, 0.5),
    ("diagnostic", 40.0, 140.0, -3.0, 0.5),
    ("monitoring", 1.5, 25.0, -0.5, 0.5),
    ("detection", 10.0, 20.0, -1.0, 0.5),
]


@pytest.mark.parametrize("band", FLATNESS, ids=[f"{b[0]}-{b[1]}-{b[2]}Hz" for b in FLATNESS])
@pytest.mark.parametrize("zero_phase", MODES)
def test_passband_flatness(band, zero_phase, gain_db) -> None:
    name, lo, hi, min_db, max_db = band
    fs = 500.0
    sos = design_filter(name, fs, zero_phase=zero_phase)
    g = gain_db(sos, np.geomspace(lo, hi, 400), fs, 2 if zero_phase else 1)
    assert g.min() >= min_db and g.max() <= max_db
    # Never any gain above unity anywhere (Butterworth sections are monotonic).
    g_all = gain_db(sos, np.linspace(0.001, fs / 2 * 0.999, 5000), fs, 2 if zero_phase else 1)
    assert g_all.max() < 0.01


@pytest.mark.parametrize("mains", [50.0, 60.0])
@pytest.mark.parametrize("fs", [360.0, 500.0, 1000.0])
@pytest.mark.parametrize("zero_phase", MODES)
def test_notch_attenuation_at_mains_and_harmonics(mains, fs, zero_phase, gain_db) -> None:
    spec = get_preset("monitoring").replace(notch_hz=mains)
    freqs = np.array(spec.notch_frequencies(fs))
    # Every harmonic below Nyquist, none at or above it.
    assert freqs[0] == mains and freqs[-1] < fs / 2 <= freqs[-1] + mains
    sos = design_filter(spec, fs, zero_phase=zero_phase)
    passes = 2 if zero_phase else 1
    assert np.all(gain_db(sos, freqs, fs, passes) <= -30.0)
    # ... and the notches leave the ECG band alone: below 0.1 dB extra loss
    # more than 20 % of the mains frequency away from every notch.
    band = np.linspace(1.0, 0.8 * mains, 300)
    base = design_filter(get_preset("monitoring"), fs, zero_phase=zero_phase)
    extra = gain_db(base, band, fs, passes) - gain_db(sos, band, fs, passes)
    assert extra.max() < 0.1


@pytest.mark.parametrize("zero_phase", MODES)
def test_notch_width_matches_q_in_both_modes(zero_phase, gain_db) -> None:
    fs, f0, q = 1000.0, 50.0, 30.0
    spec = FilterSpec(highpass_hz=None, lowpass_hz=None, notch_hz=f0, notch_harmonics=1, notch_q=q)
    sos = design_filter(spec, fs, zero_phase=zero_phase)
    passes = 2 if zero_phase else 1
    f = np.linspace(f0 - 3, f0 + 3, 60001)
    inside = f[gain_db(sos, f, fs, passes) < -3.0]
    width = inside[-1] - inside[0]
    assert width == pytest.approx(f0 / q, rel=0.05)


def test_notch_harmonics_count_and_fs_check() -> None:
    spec = FilterSpec(highpass_hz=0.5, lowpass_hz=40.0, notch_hz=60.0, notch_harmonics=3)
    assert spec.notch_frequencies(1000.0) == (60.0, 120.0, 180.0)
    assert design_filter(spec, 1000.0).shape == (1 + 2 + 3, 6)
    with pytest.raises(SignalError, match=r"notch harmonic 3 \(180 Hz\).*fs > 360 Hz"):
        design_filter(spec, 360.0)


def test_fs_too_low_names_preset_fs_and_minimum() -> None:
    with pytest.raises(SignalError) as err:
        design_filter("diagnostic", 250.0)
    msg = str(err.value)
    assert "'diagnostic'" in msg and "fs=250 Hz" in msg and "fs > 300 Hz" in msg
    assert "low-pass corner (150 Hz)" in msg
    with pytest.raises(SignalError, match=r"'monitoring'.*fs > 80 Hz"):
        filter_signal(np.zeros(100), 80.0, "monitoring")
    assert get_preset("detection").min_fs() == 60.0


@pytest.mark.parametrize("fs", [0.0, -500.0, math.inf, math.nan, "fast"])
def test_invalid_fs(fs) -> None:
    with pytest.raises(SignalError, match="fs"):
        design_filter("monitoring", fs)


def test_zero_phase_must_be_bool() -> None:
    with pytest.raises(TypeError, match="zero_phase must be True or False"):
        design_filter("monitoring", 500.0, zero_phase=1)  # type: ignore[arg-type]


def test_design_returns_private_writable_copy() -> None:
    sos = design_filter("monitoring", 500.0)
    sos[:] = 0.0
    assert np.any(design_filter("monitoring", 500.0) != 0.0)


@pytest.mark.parametrize("fs", [1000.0, 10000.0])
def test_low_corner_is_robust_at_high_fs(fs, minus3db) -> None:
    """A 0.05 Hz high-pass at 1-10 kHz: poles within 3e-5 of the unit circle."""
    sos = design_filter("diagnostic", fs)
    for section in sos:
        assert np.all(np.abs(np.roots(section[3:])) < 1.0)
    assert minus3db(sos, fs, 1, 0.005, 1.0) == pytest.approx(0.05, rel=0.05)
    # The high-pass removes an offset completely: a DC step decays to < 1e-6 of it.
    x = np.zeros(int(120 * fs))
    x[int(fs) :] = 300.0
    y = filter_signal(x, fs, "diagnostic", zero_phase=False)
    assert abs(y[-1]) < 300.0 * 1e-6


@pytest.mark.parametrize("zero_phase", MODES)
def test_diagnostic_highpass_passes_iec_impulse_test(zero_phase) -> None:
    """IEC 60601-2-25 low-frequency response: a 3 mV x 100 ms impulse may leave at most
    0.1 mV of displacement and 0.3 mV/s of slope after it. The low-frequency response
    is the high-pass alone, so the test runs the diagnostic preset without its low-pass."""
    fs = 500.0
    spec = get_preset("diagnostic").replace(lowpass_hz=None)
    x = np.zeros(int(30 * fs))
    start, stop = int(10 * fs), int(10 * fs) + int(0.1 * fs)
    x[start:stop] = 3.0
    y = filter_signal(x, fs, spec, zero_phase=zero_phase)
    outside = [y[stop:], y[:start]]
    assert max(np.abs(part).max() for part in outside) <= 0.1
    assert max(np.abs(np.diff(part)).max() * fs for part in outside) <= 0.3
    # The same impulse through the monitoring high-pass (0.5 Hz) fails: the test can fail.
    y_mon = filter_signal(x, fs, get_preset("monitoring").replace(lowpass_hz=None))
    assert np.abs(y_mon[stop:]).max() > 0.1
