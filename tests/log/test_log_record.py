"""log_recording: every file of a record is hashed and verified later."""

from __future__ import annotations

import hashlib

import pytest

from ecgcore.errors import LogError
from ecgcore.log import log_recording, open_log, record_files


def test_record_files_of_a_wfdb_record(wfdb_record):
    names = [p.name for p in record_files(wfdb_record)]
    assert names == ["rec1.hea", "rec1.dat", "rec1.atr"]
    assert [p.name for p in record_files(wfdb_record.with_suffix(".hea"))] == names
    with pytest.raises(LogError, match="no such record"):
        record_files(wfdb_record.with_name("missing"))


def test_header_naming_a_missing_signal_file(wfdb_record):
    wfdb_record.with_suffix(".dat").unlink()
    with pytest.raises(LogError, match="missing"):
        record_files(wfdb_record)


def test_log_recording_hashes_and_verify_catches_changes(log, wfdb_record):
    entry = log_recording(
        log, wfdb_record, technician="T-01", patient="MRN-1", source="record", subject="live",
        device={"model": "sim", "serial": "0", "firmware": "1"}, rhythm="sinus rhythm",
    )  # fmt: skip
    assert entry.fs == 100.0 and entry.leads == ("I", "II") and entry.duration_s == 3.0
    by_name = {ref.path.rsplit("/", 1)[1]: ref for ref in entry.files}
    assert set(by_name) == {"rec1.hea", "rec1.dat", "rec1.atr"}
    dat = wfdb_record.with_suffix(".dat")
    assert by_name["rec1.dat"].sha256 == hashlib.sha256(dat.read_bytes()).hexdigest()
    log.append(technician="T-01", notes="unrelated")
    assert log.verify().ok
    data = bytearray(dat.read_bytes())
    data[10] ^= 0x01  # one bit of one sample
    dat.write_bytes(bytes(data))
    report = log.verify()
    assert not report.ok and report.first_bad_id == 1
    assert report.problems[0].what == "file" and "rec1.dat" in report.problems[0].message
    wfdb_record.with_suffix(".atr").unlink()
    assert len(log.verify().problems) == 2


def test_log_recording_checks_given_values_against_the_header(log, wfdb_record):
    with pytest.raises(LogError, match="header says 100"):
        log_recording(log, wfdb_record, technician="T", patient=None, source="record", fs=250)
    with pytest.raises(LogError, match="leads"):
        log_recording(log, wfdb_record, technician="T", patient=None, source="record",
                      leads=["V1", "V2"])  # fmt: skip
    with pytest.raises(LogError, match="extra_files"):
        log_recording(log, wfdb_record, technician="T", patient=None, source="record", files=[])
    assert log.count() == 0


def test_single_file_record_and_url_argument(sqlite_url, tmp_path):
    csv_file = tmp_path / "ecg.csv"
    csv_file.write_text("time_s,I\n0,0.1\n")
    (tmp_path / "ecg.notes.txt").write_text("companion")
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4")
    entry = log_recording(sqlite_url, csv_file, technician="T", patient="P", source="import",
                          fs=250, extra_files=[report])  # fmt: skip
    assert [r.path.rsplit("/", 1)[1] for r in entry.files] == [
        "ecg.csv", "ecg.notes.txt", "report.pdf"
    ]  # fmt: skip
    with open_log(sqlite_url) as log:
        assert log.verify().ok and log.get(entry.id) == entry
