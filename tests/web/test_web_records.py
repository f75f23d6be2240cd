"""Record names, uploads and their limits: nothing leaves the station folder."""

from __future__ import annotations

import os

import pytest
from _web_util import client, csrf_of, write_wfdb

from ecgcore.errors import DataError
from ecgcore.web import create_app
from ecgcore.web.records import (
    RecordNameError,
    check_record_name,
    list_records,
    resolve_record,
    save_upload,
)

TRAVERSALS = [
    "..",
    "../users.json",
    "..%2Fusers.json",
    "a/../../etc",
    "/etc/passwd",
    "..\\..\\windows",
    ".hidden",
    "x" * 81,
    "",
    "name\x00.hea",
]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_unsafe_record_names_are_refused(name):
    with pytest.raises(RecordNameError):
        check_record_name(name)


@pytest.mark.parametrize("name", TRAVERSALS)
def test_resolve_never_leaves_the_area(station_dir, name):
    with pytest.raises((RecordNameError, FileNotFoundError)):
        resolve_record(station_dir, "uploads", name)


def test_unknown_area_is_refused(station_dir):
    with pytest.raises(RecordNameError, match="area"):
        resolve_record(station_dir, "..", "uploads")


def test_symlink_out_of_the_station_is_not_a_record(station_dir, tmp_path):
    outside = tmp_path / "outside"
    write_wfdb(outside, "secret")
    (station_dir / "uploads").mkdir()
    os.symlink(outside, station_dir / "uploads" / "link")
    with pytest.raises(FileNotFoundError):
        resolve_record(station_dir, "uploads", "link")
    real = station_dir / "uploads" / "real"
    real.mkdir()
    os.symlink(outside / "secret.hea", real / "secret.hea")
    with pytest.raises(FileNotFoundError):
        resolve_record(station_dir, "uploads", "real")
    assert list_records(station_dir) == []


def _wfdb_files(tmp_path, name="exam1"):
    hea = write_wfdb(tmp_path / "src", name, seconds=4.0)
    dat = hea.with_suffix(".dat")
    return [(hea.name, hea.read_bytes()), (dat.name, dat.read_bytes())]


def test_save_upload_reads_and_keeps_a_wfdb_record(station_dir, tmp_path):
    ref, rec = save_upload(station_dir, _wfdb_files(tmp_path))
    assert ref.key == "uploads/exam1" and ref.path.name == "exam1.hea"
    assert rec.n_leads == 12 and rec.fs == 500.0
    assert [r.key for r in list_records(station_dir)] == ["uploads/exam1"]
    with pytest.raises(RecordNameError, match="exists"):
        save_upload(station_dir, _wfdb_files(tmp_path))


def test_header_naming_a_file_outside_the_upload_is_refused(station_dir, tmp_path):
    files = _wfdb_files(tmp_path)
    header = files[0][1].replace(b"exam1.dat", b"users.json")
    with pytest.raises(RecordNameError, match=r"'users\.json', which was not uploaded"):
        save_upload(station_dir, [("exam1.hea", header), files[1]])
    header = files[0][1].replace(b"exam1.dat", b"../../users.json")
    with pytest.raises(DataError):  # wfdb itself refuses paths in signal lines
        save_upload(station_dir, [("exam1.hea", header), files[1]])
    assert not (station_dir / "uploads" / "exam1").exists()
    assert [p.name for p in (station_dir / "uploads").iterdir()] == []


@pytest.mark.parametrize(
    ("files", "match"),
    [
        ([("../x.hea", b"")], "plain file name"),
        ([("sub/x.edf", b"")], "plain file name"),
        ([("x.exe", b"MZ")], "suffix"),
        ([("x.dat", b"\0\0")], "exactly one record file"),
        ([("a.edf", b""), ("b.edf", b"")], "exactly one record file"),
        ([], "no file"),
    ],
)
def test_bad_upload_file_names(station_dir, files, match):
    with pytest.raises(RecordNameError, match=match):
        save_upload(station_dir, files)


def test_garbage_record_is_refused_with_the_readers_message(station_dir, tmp_path):
    with pytest.raises(DataError, match="not a valid WFDB header"):
        save_upload(station_dir, [("junk.hea", b"this is not a header\n" * 10)])
    header, dat = _wfdb_files(tmp_path)
    with pytest.raises(DataError, match=r"exam1\.hea: not a readable ECG record"):
        save_upload(station_dir, [header, (dat[0], dat[1][:1001])])  # truncated signal
    assert list_records(station_dir) == []
    assert list((station_dir / "uploads").iterdir()) == []


def test_upload_api_validates_and_lists(client_as, tmp_path):
    grader = client_as("grader1")
    files = [("files", (n, data, "application/octet-stream")) for n, data in _wfdb_files(tmp_path)]
    r = grader.post("/api/grading/upload", files=files, data={"name": "exam-07"})
    assert r.status_code == 201, r.text
    assert r.json()["key"] == "uploads/exam-07" and r.json()["leads"][:2] == ["I", "II"]
    keys = [x["key"] for x in grader.get("/api/grading/records").json()["records"]]
    assert keys == ["uploads/exam-07"]
    r = grader.post("/api/grading/upload", files=files, data={"name": "../../escape"})
    assert r.status_code == 400 and "record name" in r.json()["detail"]
    tech = client_as("tech1")
    assert tech.post("/api/grading/upload", files=files).status_code == 403


def test_upload_size_is_limited(make_settings, tmp_path):
    app = create_app(make_settings(max_upload_bytes=64 * 1024))
    with client(app) as c:
        token = csrf_of(c)
        big = [("files", ("big.edf", b"0" * (200 * 1024), "application/octet-stream"))]
        r = c.post("/api/grading/upload", files=big, headers={"X-CSRF-Token": token})
        assert r.status_code == 413
        assert "larger than 65536 bytes" in r.json()["detail"]

        def chunks():  # no Content-Length: counted while it streams in
            for _ in range(100):
                yield b"x" * 4096

        r = c.post(
            "/api/grading/upload",
            content=chunks(),
            headers={"X-CSRF-Token": token, "Content-Type": "multipart/form-data; boundary=b"},
        )
        assert r.status_code == 413
    assert not any((make_settings().data_dir / "uploads").glob("*"))


def test_report_names_cannot_traverse(local_client):
    for path in (
        "/api/grading/report/..%2F..%2Fusers/x.pdf",
        "/api/grading/report/abc/..%2Fu.pdf",
    ):
        r = local_client.get(path)
        assert r.status_code in (400, 404), (path, r.status_code)
    assert local_client.get("/api/grading/report/abc/../../users.json").status_code == 404
