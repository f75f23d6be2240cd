"""Finding the file behind a record path and choosing its reader."""

from __future__ import annotations

import numpy as np
import pytest
from _io_fixtures import write_cinc2011, write_edf

from ecgcore.errors import DataError
from ecgcore.io import FORMATS, RecordFormat, read_record, register_format, resolve_record


def _csv(path):
    path.write_text("t,I [mV]\n0,1\n0.01,2\n")
    return path


def test_every_format_is_registered_once():
    assert list(FORMATS) == ["wfdb", "edf", "bdf", "csv", "cinc2011"]
    with pytest.raises(ValueError, match="already registered"):
        register_format(RecordFormat("csv", (".tsv",), "ecgcore.io._csv", "x"))
    with pytest.raises(ValueError, match=r"extensions \['.csv'\] already belong to 'csv'"):
        register_format(RecordFormat("other", (".csv",), "ecgcore.io._csv", "x"))


def test_record_path_with_and_without_extension(tmp_path):
    csv_path = _csv(tmp_path / "a.csv")
    assert resolve_record(tmp_path / "a") == (csv_path, FORMATS["csv"])
    assert resolve_record(csv_path) == (csv_path, FORMATS["csv"])
    txt = write_cinc2011(tmp_path / "c.txt", np.zeros((2, 12), dtype=np.int64))
    assert resolve_record(tmp_path / "c")[1] is FORMATS["cinc2011"]
    assert resolve_record(str(txt))[0] == txt


def test_upper_case_extension(tmp_path):
    path = write_edf(tmp_path / "UP.EDF", np.zeros((250, 2), dtype=np.int64))
    assert resolve_record(path)[1] is FORMATS["edf"]
    assert resolve_record(tmp_path / "UP") == (path, FORMATS["edf"])
    assert read_record(tmp_path / "UP").n_leads == 2


def test_names_with_dots_and_priority(tmp_path):
    # "rec.v1" has a suffix no reader knows: the extensions are appended to it
    csv_path = _csv(tmp_path / "rec.v1.csv")
    assert resolve_record(tmp_path / "rec.v1") == (csv_path, FORMATS["csv"])
    # with several files of one record the registry order decides (WFDB first)
    (tmp_path / "rec.v1.hea").write_text("rec.v1 1 100 2\nrec.v1.dat 16 200 12 0 0 0 0 I\n")
    assert resolve_record(tmp_path / "rec.v1")[1] is FORMATS["wfdb"]


def test_companion_files_lead_to_the_header(tmp_path):
    (tmp_path / "w.dat").write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match=r"w\.dat: a wfdb \.dat file needs its \.hea file"):
        resolve_record(tmp_path / "w.dat")
    (tmp_path / "w.hea").write_text("w 1 100 1\nw.dat 16 200 12 0 0 0 0 I\n")
    assert resolve_record(tmp_path / "w.dat") == (tmp_path / "w.hea", FORMATS["wfdb"])


def test_missing_record_names_the_path_and_extensions(tmp_path):
    with pytest.raises(DataError) as err:
        read_record(tmp_path / "data" / "101")
    msg = str(err.value)
    assert str(tmp_path / "data" / "101") in msg
    for ext in (".hea", ".edf", ".bdf", ".csv", ".txt"):
        assert ext in msg
    with pytest.raises(DataError, match=r"record file .*gone\.edf not found"):
        read_record(tmp_path / "gone.edf")


def test_unknown_extension_and_format(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(DataError, match=r"no reader for extension '\.json'; known extensions"):
        read_record(tmp_path / "x.json")
    with pytest.raises(DataError, match="unknown record format 'xml'"):
        read_record(tmp_path / "x.json", fmt="xml")


def test_forced_format(tmp_path):
    data = tmp_path / "export.dat1"
    data.write_text("t,I [mV]\n0,1\n0.01,2\n")
    rec = read_record(data, fmt="csv")
    assert rec.metadata["format"] == "csv" and rec.n_samples == 2
    _csv(tmp_path / "b.csv")
    assert read_record(tmp_path / "b", fmt="csv").name == "b"
    with pytest.raises(DataError, match=r"record .*nothing not found; tried"):
        read_record(tmp_path / "nothing", fmt="csv")


def test_lead_selection_errors(tmp_path):
    _csv(tmp_path / "a.csv")
    with pytest.raises(DataError, match="leads must be a sequence of names or indices"):
        read_record(tmp_path / "a.csv", leads="I")
    with pytest.raises(DataError, match="leads selects no lead"):
        read_record(tmp_path / "a.csv", leads=[])


def test_forced_format_needs_the_companion(tmp_path):
    (tmp_path / "w.dat").write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match=r"wfdb record file .*w\.hea not found"):
        read_record(tmp_path / "w.dat", fmt="wfdb")
