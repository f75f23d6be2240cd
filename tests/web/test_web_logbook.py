"""Log book API: search, entry detail, tracing, amendments by role, export, verify."""

from __future__ import annotations

import csv
import io
import json

import pytest
from _web_util import write_wfdb

from ecgcore.log import log_recording, open_log


@pytest.fixture
def logged(station_dir, tmp_path):
    """Three entries: two recordings by tech1/tech2 and one graded exam."""
    hea = write_wfdb(tmp_path / "recs", "r100", seconds=8.0)
    with open_log(str(station_dir / "log.sqlite")) as log:
        a = log_recording(
            log, hea, technician="tech1", patient="MRN-1", source="record",
            subject="simulator", rhythm="sinus rhythm", heart_rate_bpm=72, notes="first",
        )  # fmt: skip
        b = log_recording(
            log, hea, technician="tech2", patient="MRN-2", source="record",
            subject="simulator", rhythm="atrial fibrillation", heart_rate_bpm=110,
        )  # fmt: skip
        c = log_recording(
            log, hea, technician="tech1", patient=None, source="grade", subject="simulator",
            grade={"score": 80.0, "passed": True, "findings": ["BASELINE_WANDER"]},
        )  # fmt: skip
    return {"a": a.id, "b": b.id, "c": c.id, "hea": hea}


def test_search_filters_and_free_text(client_as, logged):
    c = client_as("grader1")
    all_rows = c.get("/api/log").json()
    assert all_rows["total"] == 3
    assert [r["id"] for r in all_rows["entries"]] == [logged["c"], logged["b"], logged["a"]]
    rows = c.get("/api/log", params={"technician": "tech1"}).json()["entries"]
    assert {r["id"] for r in rows} == {logged["a"], logged["c"]}
    rows = c.get("/api/log", params={"rhythm": "fibrill"}).json()["entries"]
    assert [r["id"] for r in rows] == [logged["b"]]
    rows = c.get("/api/log", params={"patient": "MRN-1"}).json()["entries"]
    assert [r["id"] for r in rows] == [logged["a"]]
    rows = c.get("/api/log", params={"q": "FIRST"}).json()["entries"]
    assert [r["id"] for r in rows] == [logged["a"]]
    assert c.get("/api/log", params={"since": "not a date"}).status_code == 422


def test_entry_detail_has_chain_and_file_status(client_as, logged):
    c = client_as("tech1")
    d = c.get(f"/api/log/{logged['a']}").json()
    assert d["current"]["technician"] == "tech1" and d["amendments"] == []
    assert d["chain"]["ok"] is True and d["chain"]["entry_ok"] is True
    assert d["chain"]["n_entries"] == 3
    assert [f["ok"] for f in d["files"]] == [True, True]
    assert c.get("/api/log/999").status_code == 422
    assert c.get("/api/log/abc").status_code == 422


def test_tracing_is_served_only_while_files_match_their_hashes(client_as, logged):
    c = client_as("tech1")
    t = c.get(f"/api/log/{logged['a']}/tracing").json()
    assert t["fs"] == 500.0 and len(t["leads"]) == 12 and t["n_samples"] == 4000
    assert t["analysis"]["n_beats"] >= 8 and t["marks"]["peaks"]
    dat = logged["hea"].with_suffix(".dat")
    raw = bytearray(dat.read_bytes())
    raw[100] ^= 0xFF
    dat.write_bytes(bytes(raw))
    r = c.get(f"/api/log/{logged['a']}/tracing")
    assert r.status_code == 409 and "changed since it was logged" in r.json()["detail"]
    d = c.get(f"/api/log/{logged['a']}").json()
    assert [f["ok"] for f in d["files"]] == [True, False]


def test_technician_amends_recordings_but_not_grades(client_as, logged):
    c = client_as("tech1")
    body = {"reason": "typo", "changes": {"rhythm": "sinus bradycardia"}}
    r = c.post(f"/api/log/{logged['a']}/amend", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["amendment"]["author"] == "tech1"
    assert r.json()["entry"]["current"]["rhythm"] == "sinus bradycardia"
    body = {"reason": "I deserve more", "changes": {"grade": {"score": 100}}}
    r = c.post(f"/api/log/{logged['c']}/amend", json=body)
    assert r.status_code == 403 and "may not change grades" in r.json()["detail"]
    body = {"reason": "better", "grade": {"score": 100}}
    assert c.post(f"/api/grading/entry/{logged['c']}/grade", json=body).status_code == 403
    assert c.get(f"/api/log/{logged['c']}").json()["current"]["grade"]["score"] == 80.0


def test_grader_changes_grades_but_cannot_amend_recordings(client_as, logged):
    g = client_as("grader1")
    body = {"reason": "typo", "changes": {"rhythm": "ventricular tachycardia"}}
    r = g.post(f"/api/log/{logged['a']}/amend", json=body)
    assert r.status_code == 403
    assert g.get(f"/api/log/{logged['a']}").json()["current"]["rhythm"] == "sinus rhythm"
    body = {"reason": "re-marked item 3", "grade": {"score": 85.0, "passed": True}}
    r = g.post(f"/api/grading/entry/{logged['c']}/grade", json=body)
    assert r.status_code == 200, r.text
    current = g.get(f"/api/log/{logged['c']}").json()["current"]
    assert current["grade"]["score"] == 85.0
    assert g.post(f"/api/grading/entry/{logged['a']}/grade", json=body).status_code == 422


def test_amend_errors_are_reported(client_as, logged):
    c = client_as("admin1")
    r = c.post(f"/api/log/{logged['a']}/amend", json={"reason": "x", "changes": {"bogus": 1}})
    assert r.status_code == 422 and "unknown log field" in r.json()["detail"]
    r = c.post(f"/api/log/{logged['a']}/amend", json={"reason": "", "changes": {"notes": "x"}})
    assert r.status_code == 422


def test_exports_match_the_cli_exporters(client_as, logged):
    c = client_as("tech1")
    r = c.get("/api/log/export/csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [int(x["id"]) for x in rows] == [logged["a"], logged["b"], logged["c"]]
    doc = json.loads(c.get("/api/log/export/json").text)
    assert doc["format"] == "ecgcore-log" and len(doc["entries"]) == 3
    r = c.get("/api/log/export/pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert c.get("/api/log/export/xml").status_code == 404


def test_verify_reports_changed_files(client_as, logged):
    c = client_as("tech1")
    r = c.get("/api/log/verify/chain").json()
    assert r["ok"] is True and r["n_entries"] == 3 and r["files_checked"] is True
    logged["hea"].with_suffix(".dat").write_bytes(b"\0" * 10)
    r = c.get("/api/log/verify/chain").json()
    assert r["ok"] is False and any("file" in p for p in r["problems"])


def test_gradebook_lists_graded_attempts_per_technician(client_as, logged, station_dir):
    with open_log(str(station_dir / "log.sqlite")) as log:
        log_recording(
            log, logged["hea"], technician="tech2", patient=None, source="grade",
            subject="simulator", grade={"score": 55.0, "passed": False, "acceptable": False,
                                        "findings": ["LIMB_REVERSAL_LA_RA", "LEAD_OFF"]},
        )  # fmt: skip
    c = client_as("tech1")
    book = c.get("/api/grading/gradebook").json()
    assert [a["technician"] for a in book["attempts"]] == ["tech2", "tech1"]
    assert book["attempts"][0]["findings"] == ["LIMB_REVERSAL_LA_RA", "LEAD_OFF"]
    by_tech = {t["technician"]: t for t in book["technicians"]}
    assert by_tech["tech1"]["best_score"] == 80.0 and by_tech["tech1"]["passed"] is True
    assert by_tech["tech2"]["passed"] is False and by_tech["tech2"]["attempts"] == 1
    rows = list(csv.DictReader(io.StringIO(c.get("/api/grading/gradebook.csv").text)))
    assert [r["technician"] for r in rows] == ["tech1", "tech2"]
    assert rows[1]["findings"] == "LIMB_REVERSAL_LA_RA LEAD_OFF" and rows[1]["passed"] == "false"
    assert rows[0]["record"] == "r100"
