"""CSV records: header, units, time column, missing cells, quantisation, errors."""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore.errors import FormatError
from ecgcore.io import read_record


def _write(tmp_path, text, name="r.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_basic_csv_with_units_time_and_missing_cells(tmp_path):
    _write(
        tmp_path,
        "time [s],I [mV],II (uV)\n0.000,0.125,12\n0.002,,13.5\n0.004,-0.3,14\n0.006,1.5,-2\n",
    )
    rec = read_record(tmp_path / "r")
    assert rec.lead_names == ("I", "II") and rec.units == ("mV", "uV")
    assert rec.fs == 500.0 and rec.n_samples == 4
    assert rec.metadata["fs_source"] == "time column"
    np.testing.assert_array_equal(rec.missing_mask[:, 0], [False, True, False, False])
    # resolution inferred from the text: 0.001 mV and 0.1 uV, represented exactly
    assert rec.metadata["resolution"] == (0.001, 0.1)
    assert rec.metadata["quantisation_max_error"] == (0.0, 0.0)
    np.testing.assert_array_equal(rec.adc[:, 1], [120, 135, 140, -20])
    # physical values equal the parsed numbers bit for bit
    expected = np.array([[0.125, 12], [np.nan, 13.5], [-0.3, 14], [1.5, -2]])
    np.testing.assert_array_equal(rec.physical("mV")[:, 0], expected[:, 0])
    np.testing.assert_array_equal(rec.physical("uV")[:, 1], expected[:, 1])


def test_units_argument_and_fs_argument(tmp_path):
    _write(tmp_path, "I,II\n1,2\n3,4\n")
    rec = read_record(tmp_path / "r.csv", fs=250, units="uV")
    assert rec.units == ("uV", "uV") and rec.fs == 250.0
    assert rec.metadata["fs_source"] == "argument"
    rec = read_record(tmp_path / "r.csv", fs=250, units={"I": "mV", "II": "µV"})
    assert rec.units == ("mV", "uV")


def test_time_in_ms_with_rounded_stamps_gives_integer_fs(tmp_path):
    t = np.round(np.arange(50) / 360.0 * 1000, 1)  # ms rounded to 0.1 ms
    rows = "\n".join(f"{ti},{i % 7}" for i, ti in enumerate(t))
    _write(tmp_path, "time [ms],ECG [mV]\n" + rows + "\n")
    rec = read_record(tmp_path / "r.csv")
    assert rec.fs == 360.0


def test_sample_number_column(tmp_path):
    _write(tmp_path, "sample,V1 [mV]\n10,0.1\n11,0.2\n12,0.3\n")
    rec = read_record(tmp_path / "r.csv", fs=100)
    assert rec.lead_names == ("V1",) and rec.metadata["first_sample"] == 10
    with pytest.raises(FormatError, match="fs= argument"):
        read_record(tmp_path / "r.csv")
    _write(tmp_path, "sample,V1 [mV]\n0,0.1\n1,0.2\n3,0.3\n")
    with pytest.raises(FormatError, match=r"line 4, column 'sample'.*expected sample number 2"):
        read_record(tmp_path / "r.csv", fs=100)


def test_delimiter_bom_crlf_and_trailing_blank_lines(tmp_path):
    _write(tmp_path, "\ufefft [s];II [mV]\r\n0;1.5\r\n0.01;2.5\r\n\r\n\r\n", encoding="utf-8")
    rec = read_record(tmp_path / "r.csv", delimiter=";")
    assert rec.lead_names == ("II",) and rec.fs == 100.0 and rec.n_samples == 2


def test_explicit_resolution_reports_rounding(tmp_path):
    _write(tmp_path, "t,II [mV]\n0,0.12345\n0.5,0.5\n")
    rec = read_record(tmp_path / "r.csv", resolution=0.001)
    np.testing.assert_array_equal(rec.adc[:, 0], [123, 500])
    assert rec.metadata["resolution"] == (0.001,)
    assert rec.metadata["quantisation_max_error"][0] == pytest.approx(0.00045, abs=1e-12)
    assert read_record(tmp_path / "r.csv").metadata["quantisation_max_error"] == (0.0,)


def test_lead_selection(tmp_path):
    _write(tmp_path, "time,I [mV],II [mV],III [mV]\n0,1,2,3\n0.5,4,5,6\n")
    rec = read_record(tmp_path / "r.csv", leads=["III", "I"])
    assert rec.lead_names == ("III", "I")
    np.testing.assert_array_equal(rec.physical()[:, 0], [3, 6])


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("text", "kwargs", "field", "expected"),
    [
        ("I,II\n1,2\n", {"fs": 100}, "unit of column 'I'", "a unit in the header"),
        ("I [mmHg]\n1\n", {"fs": 100}, "unit of column 'I [mmHg]'", "a voltage unit"),
        ("I [mV]\n1\n", {"fs": 100, "units": "uV"}, "unit of column 'I [mV]'", "uV (as given"),
        ("I [mV]\n1\n", {"fs": 100, "units": {"X": "mV"}}, "units argument", "lead names"),
        ("I [mV]\n1\n2\n", {}, "sampling rate", "a time column"),
        ("1.0,2.0\n3,4\n", {"fs": 1}, "header row (line 1)", "column names"),
        ("I [mV],I [mV]\n1,2\n", {"fs": 1}, "header row (line 1)", "distinct column names"),
        ("I [mV],\n1,2\n", {"fs": 1}, "header row (line 1)", "a name for every column"),
        ("t,I [mV]\n0,1\n0.01,x\n", {}, "line 3, column 'I [mV]'", "a number or an empty cell"),
        ("t,I [mV]\n0,1\n0.01,inf\n", {}, "line 3, column 'I [mV]'", "a finite number"),
        ("t,I [mV],II [mV]\n0,1,2\n0.01,3\n", {}, "line 3", "3 fields"),
        ("t,I [mV]\n0,1\n0.01,2,3\n", {}, "line 3", "2 fields"),
        (
            "t,I [mV]\n0,1\n0.01,2\n0.02,3\n0.03,4\n0.08,5\n0.09,6\n",
            {},
            "line 6, column 't'",
            "uniformly spaced",
        ),
        ("t,I [mV]\n0,1\n,2\n", {}, "line 3, column 't'", "a time value"),
        ("t,I [mV]\n0,1\n0.01,2\n", {"fs": 200}, "column 't'", "times spaced 1/200 s"),
        ("t [h],I [mV]\n0,1\n", {}, "unit of column 't [h]'", "one of s"),
        ("t,I [mV]\n0,1\n", {}, "column 't'", "at least two times"),
        ("t,I [mV]\n0,1\n0.01,3e12\n", {}, "column 'I [mV]'", "int32 range"),
        ("t,I [mV]\n0,1\n0.01,2\n", {"resolution": -1.0}, "resolution argument", "positive"),
        ("t,I [mV]\n0,1\n0.01,2\n", {"time_column": "x"}, "time_column argument", "one of"),
        ("time\n0\n1\n", {}, "header row (line 1)", "at least one lead column"),
        ("", {"fs": 1}, "header row (line 1)", "column names"),
        ("I [mV]\n1\n", {"fs": 1, "delimiter": ",,"}, "delimiter argument", "one character"),
        ("I [mV]\n1\n", {"fs": -1.0}, "fs argument", "a positive number"),
    ],
)
def test_errors_name_file_field_and_expectation(tmp_path, text, kwargs, field, expected):
    path = _write(tmp_path, text)
    with pytest.raises(FormatError) as err:
        read_record(path, **kwargs)
    assert err.value.path == str(path)
    assert err.value.field == field
    assert expected in err.value.expected


def test_unknown_option_is_not_ignored(tmp_path):
    _write(tmp_path, "t,I [mV]\n0,1\n0.01,2\n")
    with pytest.raises(
        TypeError, match=r"csv reader does not take option\(s\) \['sampling_rate'\]"
    ):
        read_record(tmp_path / "r.csv", sampling_rate=100)
