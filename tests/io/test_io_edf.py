"""EDF/EDF+/BDF reading through edfio: digital values kept, exact gain/baseline."""

from __future__ import annotations

import datetime as dt

import edfio
import numpy as np
import pytest
from _io_fixtures import ecg_like, write_edf

from ecgcore.errors import FormatError
from ecgcore.io import read_header, read_record, write_record


def _digital(n=500, bits=16, seed=0):
    d = ecg_like(n, 2, seed=seed).astype(np.int64) * 40
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    d[0] = [lo, hi]  # the range ends are ordinary values in EDF
    return np.clip(d, lo, hi)


def test_edf_round_trip_keeps_digital_values(tmp_path):
    d = _digital()
    path = write_edf(
        tmp_path / "e.edf", d, annotations=((0.5, None, "start"), (1.25, 0.5, "electrode check"))
    )
    rec = read_record(path)
    np.testing.assert_array_equal(rec.adc, d)
    assert rec.lead_names == ("I", "II") and rec.units == ("uV", "mV") and rec.fs == 250.0
    # physical -3276.8..3276.7 uV over -32768..32767: 10 counts/uV, baseline 0;
    # physical -5..5 mV over the same range: 6553.5 counts/mV, baseline exactly -0.5
    np.testing.assert_array_equal(rec.gain, [10.0, 6553.5])
    np.testing.assert_array_equal(rec.baseline, [0.0, -0.5])
    assert rec.start_time == dt.datetime(2021, 3, 4, 10, 11, 12)
    assert rec.metadata["format"] == "edf"
    assert rec.metadata["annotations"] == ((0.5, None, "start"), (1.25, 0.5, "electrode check"))
    assert rec.metadata["edf_signals"][1]["physical_max"] == 5.0
    # edfio's own physical values agree
    edf = edfio.read_edf(path)
    ref = np.column_stack([edf.signals[0].data / 1000.0, edf.signals[1].data])  # uV -> mV
    np.testing.assert_allclose(rec.physical("mV"), ref, rtol=1e-12, atol=1e-12)


def test_bdf_round_trip_keeps_24_bit_values(tmp_path):
    d = _digital(bits=24) * 100
    d = np.clip(d, -(2**23), 2**23 - 1)
    path = write_edf(
        tmp_path / "b.bdf",
        d,
        bdf=True,
        physical_ranges=((-262144.0, 262143.0), (-8388.608, 8388.607)),
    )
    rec = read_record(tmp_path / "b")
    np.testing.assert_array_equal(rec.adc, d)
    assert rec.metadata["format"] == "bdf"
    bdf = edfio.read_bdf(path)
    ref = np.column_stack([bdf.signals[0].data / 1000.0, bdf.signals[1].data])
    np.testing.assert_allclose(rec.physical("mV"), ref, rtol=1e-12, atol=1e-9)


def test_edf_to_wfdb_keeps_physical_values(tmp_path):
    rec = read_record(write_edf(tmp_path / "e.edf", _digital()))
    back = read_record(write_record(rec, tmp_path / "wfdb"))
    np.testing.assert_array_equal(back.physical(), rec.physical())
    assert back.start_time == rec.start_time


def test_anonymised_start_date(tmp_path):
    path = write_edf(tmp_path / "a.edf", _digital(), start=None)
    rec = read_record(path)
    assert rec.start_time is None
    assert rec.metadata["start_date"] == "anonymised"


def test_lead_selection_and_mixed_rates(tmp_path):
    fast = edfio.EdfSignal(np.zeros(500), 500, label="ECG", physical_dimension="mV",
                           physical_range=(-5, 5))  # fmt: skip
    slow = edfio.EdfSignal(np.zeros(250), 250, label="Resp", physical_dimension="Ohm",
                           physical_range=(0, 10))  # fmt: skip
    path = tmp_path / "mixed.edf"
    edfio.Edf([fast, slow]).write(path)
    with pytest.raises(FormatError) as err:
        read_record(path)
    assert err.value.field == "sampling frequency" and err.value.found == {
        "ECG": 500.0,
        "Resp": 250.0,
    }
    assert read_record(path, leads=["ECG"]).fs == 500.0
    with pytest.raises(FormatError, match="physical dimension of signal 'Resp'"):
        read_record(path, leads=["Resp"])
    header = read_header(path)  # the header describes every signal
    assert header.lead_names == ("ECG", "Resp") and header.units == ("mV", "Ohm")


def test_header_only_read(tmp_path):
    path = write_edf(tmp_path / "e.edf", _digital())
    h = read_header(path)
    r = read_record(path)
    assert h.missing_counts is None
    assert (h.fs, h.n_samples, h.lead_names, h.units) == (r.fs, r.n_samples, r.lead_names, r.units)
    np.testing.assert_array_equal(h.gain, r.gain)
    np.testing.assert_array_equal(h.baseline, r.baseline)


def test_edf_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.edf"
    bad.write_bytes(b"not an edf file at all" * 20)
    with pytest.raises(FormatError) as err:
        read_record(bad)
    assert err.value.path == str(bad) and err.value.field == "version (bytes 0-7)"

    good = write_edf(tmp_path / "g.edf", _digital())
    truncated = tmp_path / "t.edf"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(FormatError, match=r"t\.edf: field 'header'"):
        read_record(truncated)


def test_discontinuous_edf_plus_is_refused(tmp_path):
    sig = edfio.EdfSignal(np.zeros(500), 250, label="I", physical_dimension="mV",
                          physical_range=(-5, 5))  # fmt: skip
    path = tmp_path / "d.edf"
    edfio.Edf([sig], annotations=[edfio.EdfAnnotation(0.1, None, "x")]).write(path)
    raw = path.read_bytes()
    assert raw.count(b"+1\x14\x14") == 1  # onset of the second data record
    path.write_bytes(raw.replace(b"+1\x14\x14", b"+5\x14\x14"))
    with pytest.raises(FormatError, match="a continuous recording"):
        read_record(path)


def test_edf_without_ordinary_signals(tmp_path):
    path = tmp_path / "n.edf"
    edfio.Edf([], annotations=[edfio.EdfAnnotation(0.1, None, "x")]).write(path)
    with pytest.raises(FormatError, match="number of signals"):
        read_record(path)


def test_zero_digital_range_is_an_error(tmp_path):
    path = write_edf(tmp_path / "z.edf", _digital())
    raw = bytearray(path.read_bytes())
    n_sig = int(raw[252:256])
    offset = 256 + n_sig * (16 + 80 + 8 + 8 + 8)  # digital_min fields
    raw[offset : offset + 8] = b"32767   "  # digital_min of signal 0 == its digital_max
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="digital range of signal 'I'"):
        read_record(path)


def test_zero_physical_range_is_an_error(tmp_path):
    path = write_edf(tmp_path / "z.edf", _digital())
    raw = bytearray(path.read_bytes())
    n_sig = int(raw[252:256])  # ordinary signals plus the EDF+ annotation signal
    # physical_min fields start after 256 + n_sig * (16 + 80 + 8) bytes
    offset = 256 + n_sig * (16 + 80 + 8)
    raw[offset : offset + 8] = b"3276.7  "  # physical_min of signal 0 == its physical_max
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="physical range of signal 'I'"):
        read_record(path)
