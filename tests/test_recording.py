"""The Recording signal model: counts, physical values, missing samples, slicing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ecgcore.errors import SignalError
from ecgcore.recording import Recording


def _rec(**kwargs):
    adc = np.array([[1024, 0], [1224, 500], [824, -1000], [1024, 7]], dtype=np.int32)
    fields = dict(
        adc=adc,
        fs=4.0,
        lead_names=("MLII", "V1"),
        gain=[200.0, 1000.0],
        baseline=[1024, 0],
        units=("mV", "uV"),
        start_time=dt.datetime(2020, 1, 1, 12, 0, 0),
        name="r",
        metadata={"k": "v"},
    )
    fields.update(kwargs)
    return Recording(**fields)


def test_physical_values_and_units():
    rec = _rec()
    np.testing.assert_array_equal(rec.physical("mV")[:, 0], [0.0, 1.0, -1.0, 0.0])
    np.testing.assert_allclose(rec.physical("mV")[:, 1], [0.0, 0.0005, -0.001, 0.000007])
    np.testing.assert_array_equal(rec.physical("uV")[:, 1], [0.0, 0.5, -1.0, 0.007])
    np.testing.assert_array_equal(rec.physical("mV", leads=["V1", 0]), rec.physical()[:, [1, 0]])
    np.testing.assert_array_equal(rec.lead_mv("MLII"), rec.physical()[:, 0])
    assert rec.n_samples == 4 and rec.n_leads == 2 and rec.duration_s == 1.0


def test_physical_divides_by_the_gain_like_wfdb():
    # (adc - baseline) / gain, not times 1/gain: 3/10 == 0.3 but 3 * 0.1 != 0.3
    rec = Recording(np.array([[3], [7]]), 10.0, ("x",), [10.0], [0], ("mV",))
    assert rec.physical()[0, 0] == 0.3 and rec.physical()[1, 0] == 0.7


def test_missing_samples_become_nan_and_are_never_filled():
    missing = np.zeros((4, 2), dtype=bool)
    missing[1, 0] = True
    rec = _rec(missing=missing)
    phys = rec.physical()
    assert np.isnan(phys[1, 0]) and np.isfinite(phys[[0, 2, 3], 0]).all()
    assert rec.missing_mask.sum() == 1
    assert _rec(missing=np.zeros((4, 2), dtype=bool)).missing is None  # no mask when none missing


def test_fractional_baseline_is_kept_exactly():
    rec = _rec(baseline=[1024, -0.5])
    assert rec.baseline.dtype == np.float64
    np.testing.assert_array_equal(rec.baseline, [1024.0, -0.5])
    assert rec.physical("uV")[0, 1] == 0.5 / 1000.0
    integral = _rec(baseline=np.array([1024.0, 0.0]))
    assert integral.baseline.dtype == np.int64


def test_arrays_are_read_only_and_inputs_untouched():
    gain = np.array([200.0, 1000.0])
    rec = _rec(gain=gain)
    for arr in (rec.adc, rec.gain, rec.baseline):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1
    gain[0] = 1.0  # the caller's gain array is copied, not frozen
    assert rec.gain[0] == 200.0
    with pytest.raises(TypeError):
        rec.metadata["k"] = "w"  # type: ignore[index]


def test_slicing_and_picking():
    missing = np.zeros((4, 2), dtype=bool)
    missing[2, 1] = True
    rec = _rec(missing=missing)
    part = rec.slice_idx(1, 3)
    np.testing.assert_array_equal(part.adc, rec.adc[1:3])
    assert part.start_time == dt.datetime(2020, 1, 1, 12, 0, 0, 250000)
    assert part.missing_mask[1, 1]
    np.testing.assert_array_equal(rec.slice_s(0.5).adc, rec.adc[2:])
    picked = rec.pick(["V1"])
    assert picked.lead_names == ("V1",) and picked.units == ("uV",)
    np.testing.assert_array_equal(picked.physical("uV")[:, 0], rec.physical("uV")[:, 1])
    with pytest.raises(SignalError, match="outside record"):
        rec.slice_idx(3, 9)
    with pytest.raises(SignalError, match="no lead 'V9'"):
        rec.pick(["V9"])
    with pytest.raises(SignalError, match="out of range"):
        rec.lead_index(2)


def test_from_physical_quantises_at_the_resolution():
    sig = np.array([[0.1234, 1.0], [np.nan, -2.5]])
    rec = Recording.from_physical(sig, 250.0, ("I", "II"), resolution=1e-3)
    np.testing.assert_array_equal(rec.adc, [[123, 1000], [0, -2500]])
    assert rec.missing_mask[1, 0] and rec.gain[0] == 1000.0
    with pytest.raises(SignalError, match="int32"):
        Recording.from_physical(np.array([1e9]), 250.0, resolution=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"adc": np.zeros((4, 2))}, "integer ADC counts"),
        ({"adc": np.zeros((2, 2, 2), dtype=int)}, "shape"),
        ({"fs": 0.0}, "fs must be a positive"),
        ({"fs": float("nan")}, "fs must be a positive"),
        ({"lead_names": ("a",)}, "lead_names has 1 entries"),
        ({"units": ("mV",)}, "units has 1 entries"),
        ({"gain": [200.0]}, "gain must have shape"),
        ({"gain": [200.0, 0.0]}, "finite and non-zero"),
        ({"baseline": [0, float("inf")]}, "baseline must be finite"),
        ({"baseline": ["a", "b"]}, "baseline must be real"),
        ({"units": ("mV", "mmHg")}, "'mmHg' is not a voltage"),
        ({"missing": np.zeros((3, 2), dtype=bool)}, "missing mask shape"),
    ],
)
def test_invalid_recordings_are_refused(kwargs, message):
    with pytest.raises(SignalError, match=message):
        _rec(**kwargs)
