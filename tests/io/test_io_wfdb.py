"""WFDB reading (every signal format) and writing (bit-exact via wfdb.rdrecord)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import wfdb
from _io_fixtures import ecg_like, write_wfdb_by_hand

from ecgcore.errors import DataError, FormatError
from ecgcore.io import read_header, read_record, write_record
from ecgcore.io._wfdb import INVALID_VALUE
from ecgcore.recording import Recording


def _rec(n=600, n_leads=3, *, missing=True, clip=None, **kwargs):
    adc = ecg_like(n, n_leads).astype(np.int32)
    if clip is not None:
        adc = np.clip(adc, -clip, clip)
    mask = np.zeros(adc.shape, dtype=bool)
    if missing:
        mask[10:20, 0] = True
        mask[-3:, -1] = True
    defaults = dict(
        fs=360.0,
        lead_names=("MLII", "V1", "V5")[:n_leads],
        gain=np.array([200.0, 1000.0, 3333.3333333333335])[:n_leads],
        baseline=np.array([1024, 0, -7])[:n_leads],
        units=("mV", "uV", "mV")[:n_leads],
        missing=mask,
        start_time=dt.datetime(2020, 1, 2, 3, 4, 5, 678000),
        name="rt",
        metadata={"device": "bench unit 3", "age": 71, "comments": ("free text line",)},
    )
    defaults.update(kwargs)
    return Recording(adc=adc, **defaults)


# ------------------------------------------------------------------ writing
@pytest.mark.parametrize("fmt", ["16", "32", "24", "212", "80"])
def test_write_is_bit_exact_through_wfdb(tmp_path, fmt):
    rec = _rec(clip=100 if fmt == "80" else None)
    path = write_record(rec, tmp_path, fmt=fmt)
    assert path == tmp_path / "rt.hea"
    w = wfdb.rdrecord(str(tmp_path / "rt"), physical=False)
    expected = rec.adc.astype(np.int64).copy()
    expected[rec.missing_mask] = INVALID_VALUE[fmt]
    np.testing.assert_array_equal(w.d_signal, expected)
    assert w.fmt == [fmt] * rec.n_leads
    assert w.adc_gain == list(rec.gain)
    assert w.baseline == list(rec.baseline)
    assert w.units == list(rec.units)
    assert w.sig_name == list(rec.lead_names)
    assert w.fs == rec.fs
    # and back through ecgcore: the same recording
    back = read_record(path)
    np.testing.assert_array_equal(back.adc, expected)
    np.testing.assert_array_equal(back.missing_mask, rec.missing_mask)
    np.testing.assert_array_equal(back.physical(), rec.physical())


def test_write_carries_time_and_metadata(tmp_path):
    rec = _rec()
    path = write_record(rec, tmp_path)
    w = wfdb.rdrecord(str(tmp_path / "rt"), physical=False)
    assert w.base_date == dt.date(2020, 1, 2)
    assert w.base_time == dt.time(3, 4, 5, 678000)
    assert "free text line" in w.comments
    assert "device: bench unit 3" in w.comments
    assert "age: 71" in w.comments
    back = read_record(path)
    assert back.start_time == rec.start_time
    assert back.metadata["device"] == "bench unit 3"
    assert back.metadata["age"] == "71"  # comment values come back as text
    # writing what was read does not duplicate comment lines
    write_record(back, tmp_path / "again")
    again = wfdb.rdheader(str(tmp_path / "again" / "rt"))
    assert again.comments == w.comments


def test_timezone_round_trip(tmp_path):
    tz = dt.timezone(dt.timedelta(hours=-5, minutes=-30))
    rec = _rec(start_time=dt.datetime(2024, 6, 1, 12, 0, 0, tzinfo=tz))
    back = read_record(write_record(rec, tmp_path))
    assert back.start_time == rec.start_time
    assert back.start_time.utcoffset() == dt.timedelta(hours=-5, minutes=-30)


def test_auto_format_is_wide_enough(tmp_path):
    small = _rec(missing=False)
    write_record(small, tmp_path / "a")
    assert wfdb.rdheader(str(tmp_path / "a" / "rt")).fmt == ["16"] * 3
    # -32768 is format 16's missing marker, so a real -32768 needs format 32
    adc = small.adc.copy()
    adc[0, 0] = -32768
    big = Recording(
        adc, 360.0, small.lead_names, small.gain, small.baseline, small.units, name="b"
    )
    write_record(big, tmp_path / "b")
    w = wfdb.rdrecord(str(tmp_path / "b" / "b"), physical=False)
    assert w.fmt == ["32"] * 3 and w.d_signal[0, 0] == -32768
    assert not read_record(tmp_path / "b" / "b").missing_mask.any()


def test_format_too_narrow_is_an_error(tmp_path):
    rec = _rec(missing=False)
    with pytest.raises(DataError, match=r"lead 'MLII' spans ADC counts .* outside WFDB format 80"):
        write_record(rec, tmp_path, fmt="80")
    with pytest.raises(DataError, match="cannot write WFDB format '310'"):
        write_record(rec, tmp_path, fmt="310")
    huge = Recording(
        np.array([[2**31 - 1]], dtype=np.int64) * 2, 100.0, ("x",), [1.0], [0], ("mV",)
    )
    with pytest.raises(DataError, match="outside WFDB format 32"):
        write_record(huge, tmp_path)


def test_write_rejects_bad_names_and_empty_records(tmp_path):
    rec = _rec()
    with pytest.raises(DataError, match="not valid for WFDB"):
        write_record(rec, tmp_path, name="my record")
    empty = Recording(np.zeros((0, 1), dtype=np.int32), 100.0, ("x",), [1.0], [0], ("mV",))
    with pytest.raises(DataError, match="no samples"):
        write_record(empty, tmp_path)
    with pytest.raises(DataError, match="cannot be written"):
        write_record(_rec(metadata={"a: b": 1}), tmp_path)


def test_fractional_baseline_is_scaled_exactly(tmp_path):
    # EDF's symmetric ranges give a baseline of -0.5 counts
    adc = np.array([[-32768], [0], [32767], [5]], dtype=np.int32)
    rec = Recording(adc, 250.0, ("V1",), [6553.5], [-0.5], ("mV",), name="half")
    path = write_record(rec, tmp_path)
    w = wfdb.rdrecord(str(tmp_path / "half"), physical=False)
    np.testing.assert_array_equal(w.d_signal[:, 0], 2 * adc[:, 0])
    assert w.adc_gain == [13107.0] and w.baseline == [-1]
    back = read_record(path)
    np.testing.assert_array_equal(back.physical(), rec.physical())  # bit for bit
    assert back.metadata["counts_scaled"] == "V1 x2"


def test_other_fractional_baselines_are_rounded_and_reported(tmp_path, caplog):
    adc = np.array([[-8388608], [0], [8388607]], dtype=np.int32)
    rec = Recording(adc, 250.0, ("I",), [32.00003], [15.500029563960197], ("uV",), name="bdf")
    back = read_record(write_record(rec, tmp_path))
    assert back.baseline[0] == 16
    assert back.metadata["baseline_rounded"] == "I 15.500029563960197"
    assert "rounded to 16" in caplog.text
    np.testing.assert_array_equal(back.adc, rec.adc)
    assert np.max(np.abs(back.physical() - rec.physical())) < 0.5 / 32.00003


# ------------------------------------------------------------------ reading
@pytest.mark.parametrize("fmt", ["212", "16", "80", "24", "32", "516"])
def test_read_formats_written_by_wfdb(tmp_path, fmt):
    lo, hi = {"80": (-127, 127), "212": (-2047, 2047)}.get(fmt, (-30000, 30000))
    d = np.clip(ecg_like(300, 2).astype(np.int64) * 3, lo, hi)
    d[7, 1] = INVALID_VALUE[fmt]
    wfdb.wrsamp(
        "w", fs=500, units=["mV", "mV"], sig_name=["I", "II"], d_signal=d, fmt=[fmt, fmt],
        adc_gain=[200.0, 400.0], baseline=[3, -3], write_dir=str(tmp_path),
    )  # fmt: skip
    rec = read_record(tmp_path / "w")
    valid = d.copy()
    np.testing.assert_array_equal(rec.adc, valid)
    assert rec.missing_mask.sum() == 1 and rec.missing_mask[7, 1]
    assert np.isnan(rec.physical()[7, 1])
    assert rec.metadata["wfdb_fmt"] == (fmt, fmt)
    np.testing.assert_array_equal(rec.gain, [200.0, 400.0])
    np.testing.assert_array_equal(rec.baseline, [3, -3])


@pytest.mark.parametrize("fmt", ["310", "311", "61", "160", "8"])
def test_read_formats_encoded_by_hand(tmp_path, fmt):
    d = np.clip(ecg_like(300, 2).astype(np.int64), -511, 511)
    if fmt == "8":
        d = np.cumsum(np.clip(np.diff(d, axis=0, prepend=0), -100, 100), axis=0)
    elif fmt in ("61", "160"):
        d[5, 1] = -32768
    else:
        d[5, 1] = -512
    path = write_wfdb_by_hand(tmp_path, "h", fmt, d)
    # the encoder follows the spec: wfdb decodes the same values
    np.testing.assert_array_equal(wfdb.rdrecord(str(tmp_path / "h"), physical=False).d_signal, d)
    rec = read_record(path)
    np.testing.assert_array_equal(rec.adc, d)
    assert rec.missing_mask.sum() == (0 if fmt == "8" else 1)
    assert "checksum_mismatch" not in rec.metadata


def test_path_forms_and_lead_selection(tmp_path):
    write_record(_rec(), tmp_path)
    for form in ("rt", "rt.hea", "rt.dat"):
        assert read_record(tmp_path / form).n_leads == 3
    sub = read_record(tmp_path / "rt", leads=["V5", 0])
    full = read_record(tmp_path / "rt")
    assert sub.lead_names == ("V5", "MLII")
    np.testing.assert_array_equal(sub.adc, full.adc[:, [2, 0]])
    np.testing.assert_array_equal(sub.gain, full.gain[[2, 0]])
    np.testing.assert_array_equal(sub.missing_mask, full.missing_mask[:, [2, 0]])
    with pytest.raises(DataError, match=r"no lead 'V9'; leads are \['MLII', 'V1', 'V5'\]"):
        read_record(tmp_path / "rt", leads=["V9"])
    with pytest.raises(DataError, match="lead index 5 is out of range"):
        read_record(tmp_path / "rt", leads=[5])


def test_duplicate_lead_names_need_an_index(tmp_path):
    # vfdb headers name both signals "ECG"
    d = ecg_like(30, 2).astype(np.int64)
    write_wfdb_by_hand(tmp_path, "dup", "16", d, lead_names=("ECG", "ECG"))
    with pytest.raises(DataError, match="occurs 2 times"):
        read_record(tmp_path / "dup", leads=["ECG"])
    second = read_record(tmp_path / "dup", leads=[1])
    assert second.lead_names == ("ECG",)
    np.testing.assert_array_equal(second.adc[:, 0], d[:, 1])
    with pytest.raises(DataError, match="lead names must be unique"):
        write_record(read_record(tmp_path / "dup"), tmp_path / "out")


def test_samples_per_frame(tmp_path):
    wfdb.wrsamp(
        "f", fs=100, units=["mV", "mV"], sig_name=["fast", "slow"],
        e_d_signal=[np.arange(20), np.arange(10)], samps_per_frame=[2, 1], fmt=["16", "16"],
        adc_gain=[1.0, 1.0], baseline=[0, 0], write_dir=str(tmp_path),
    )  # fmt: skip
    with pytest.raises(FormatError, match="samples per frame"):
        read_record(tmp_path / "f")
    fast = read_record(tmp_path / "f", leads=["fast"])
    assert fast.fs == 200.0 and fast.n_samples == 20
    np.testing.assert_array_equal(fast.adc[:, 0], np.arange(20))
    assert read_record(tmp_path / "f", leads=["slow"]).fs == 100.0


def test_checksum_mismatch_is_reported(tmp_path):
    path = write_record(_rec(missing=False), tmp_path)
    lines = path.read_text().splitlines()
    fields = lines[1].split(" ")
    fields[6] = str(int(fields[6]) + 1)
    lines[1] = " ".join(fields)
    path.write_text("\n".join(lines) + "\n")
    assert read_record(path).metadata["checksum_mismatch"] == ("MLII",)


# ------------------------------------------------------------------ errors
def test_header_errors_name_file_and_field(tmp_path):
    bad = tmp_path / "bad.hea"
    bad.write_text("this is not a header\n")
    with pytest.raises(FormatError, match=r"bad\.hea: field 'header'"):
        read_record(bad)

    path = write_wfdb_by_hand(
        tmp_path, "u", "16", np.zeros((6, 1), dtype=np.int64), units=("mmHg",)
    )
    with pytest.raises(FormatError) as err:
        read_record(path)
    assert err.value.path == str(path)
    assert err.value.field == "units of signal 's0'"
    assert "voltage unit" in err.value.expected and err.value.found == "mmHg"

    # a gain of 0 marks an uncalibrated signal: WFDB assumes 200, and it is reported
    path = write_wfdb_by_hand(tmp_path, "g", "16", np.zeros((6, 1), dtype=np.int64), gains=(0.0,))
    rec = read_record(path)
    assert rec.gain[0] == 200.0 and rec.metadata["uncalibrated"] == ("s0",)

    (tmp_path / "f.hea").write_text("f 1 0 10\nf.dat 16 200 12 0 0 0 0 I\n")
    with pytest.raises(FormatError, match="sampling frequency"):
        read_record(tmp_path / "f.hea")

    (tmp_path / "z.hea").write_text("z 0 250 10\n")
    with pytest.raises(FormatError, match="number of signals"):
        read_record(tmp_path / "z.hea")


def test_missing_or_truncated_signal_file(tmp_path):
    path = write_record(_rec(missing=False), tmp_path)
    dat = tmp_path / "rt.dat"
    dat.write_bytes(dat.read_bytes()[:-5])
    with pytest.raises(FormatError, match=r"signal data \(rt\.dat\).*600 samples per signal"):
        read_record(path)
    dat.unlink()
    with pytest.raises(DataError, match=r"signal file .*rt\.dat not found"):
        read_record(path)


def test_multi_segment_records_are_refused(tmp_path):
    zeros = np.zeros((5, 1), dtype=np.int64)
    wfdb.wrsamp("s1", fs=100, units=["mV"], sig_name=["a"], d_signal=zeros, fmt=["16"],
                adc_gain=[1.0], baseline=[0], write_dir=str(tmp_path))  # fmt: skip
    (tmp_path / "m.hea").write_text("m/2 1 100 10\ns1 5\ns1 5\n")
    with pytest.raises(FormatError, match="single-segment record"):
        read_record(tmp_path / "m")


def test_read_header_matches_read_record(tmp_path):
    path = write_record(_rec(), tmp_path)
    h = read_header(path)
    r = read_record(path)
    assert h.missing_counts is None
    assert (h.fs, h.n_samples, h.lead_names, h.units) == (r.fs, r.n_samples, r.lead_names, r.units)
    np.testing.assert_array_equal(h.gain, r.gain)
    np.testing.assert_array_equal(h.baseline, r.baseline)
    assert h.start_time == r.start_time and h.duration_s == r.duration_s


# ------------------------------------------------------------------ real data
@pytest.mark.shared_data
def test_mitdb_physical_equals_wfdb_p_signal(data_dir):
    rec = read_record(data_dir / "mitdb" / "101")
    ref = wfdb.rdrecord(str(data_dir / "mitdb" / "101"))
    assert rec.lead_names == ("MLII", "V1") and rec.fs == 360.0 and rec.n_samples == 650000
    assert rec.metadata["wfdb_fmt"] == ("212", "212")
    np.testing.assert_array_equal(rec.physical(), ref.p_signal)


@pytest.mark.shared_data
def test_cinc2017_mat_record(data_dir):
    rec = read_record(data_dir / "cinc2017" / "A00001.mat")
    ref = wfdb.rdrecord(str(data_dir / "cinc2017" / "A00001"), physical=False)
    assert rec.fs == 300.0 and rec.lead_names == ("ECG",)
    np.testing.assert_array_equal(rec.adc, ref.d_signal)
    assert rec.start_time == dt.datetime(2000, 5, 1, 5, 5, 15)
