"""Grading API: pick an uploaded record, grade it, report, log entry, roles, rubrics."""

from __future__ import annotations

import pytest
from _web_util import write_wfdb


@pytest.fixture
def exam(tmp_path):
    """A 12-lead exam recording with the V3 electrode off (files as uploaded)."""
    hea = write_wfdb(tmp_path / "src", "exam01", seconds=12.0, lead_off="V3")
    dat = hea.with_suffix(".dat")
    return [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in (hea, dat)]


def test_grader_grades_an_uploaded_record(client_as, exam):
    g = client_as("grader1")
    assert g.post("/api/grading/upload", files=exam).status_code == 201
    rubrics = g.get("/api/grading/rubrics").json()["rubrics"]
    assert rubrics[0]["name"] == "default" and rubrics[0]["error"] == ""
    body = {"record": "uploads/exam01", "rubric": "default", "technician": "tech1",
            "interpretation": "sinus rhythm 72 bpm"}  # fmt: skip
    r = g.post("/api/grading/grade", json=body)
    assert r.status_code == 200, r.text
    res = r.json()
    assert 0 <= res["score"] <= 100 and isinstance(res["passed"], bool)
    assert {"items", "findings", "acceptable"} <= set(res)
    v3 = [f for f in res["findings"] if "V3" in f["leads"]]
    assert v3, res["findings"]
    assert sum(i["kept"] for i in res["items"]) == pytest.approx(res["score"], abs=0.01)
    assert res["tracing"]["fs"] == 500.0 and len(res["tracing"]["leads"]) == 12
    entry = g.get(f"/api/log/{res['log_entry']}").json()["current"]
    assert entry["source"] == "grade" and entry["technician"] == "tech1"
    assert entry["grade"]["score"] == res["score"] and entry["grade"]["grader"] == "grader1"
    book = g.get("/api/grading/gradebook").json()
    assert book["attempts"][0]["record"] == "exam01"
    assert any(code == v3[0]["code"] for code in book["attempts"][0]["findings"])
    pdf = g.get(res["report_pdf"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    html = g.get(res["report_html"])
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "sandbox" in html.headers["content-security-policy"]
    svg = res["report_html"].rsplit("/", 1)[0] + "/exam01.svg"
    assert g.get(svg).headers["content-type"].startswith("image/svg+xml")
    assert g.get(res["report_pdf"].replace(".pdf", ".py")).status_code == 404
    assert entry["files"][-1]["path"].endswith("exam01.pdf")  # the report is hashed too


def test_technicians_cannot_grade_and_names_are_checked(client_as, exam):
    admin = client_as("admin1")
    assert admin.post("/api/grading/upload", files=exam).status_code == 201
    tech = client_as("tech1")
    body = {"record": "uploads/exam01", "technician": "tech1"}
    assert tech.post("/api/grading/grade", json=body).status_code == 403
    for bad in ("uploads/../users", "../uploads/exam01", "uploads", "secrets/exam01"):
        r = admin.post("/api/grading/grade", json={"record": bad})
        assert r.status_code in (400, 404), (bad, r.text)
    r = admin.post("/api/grading/grade", json={"record": "uploads/exam01", "rubric": "../x"})
    assert r.status_code == 400
    r = admin.post("/api/grading/grade", json={"record": "uploads/exam01", "rubric": "nosuch"})
    assert r.status_code == 404


def test_station_rubrics_are_listed_and_bad_ones_explained(client_as, station_dir, exam):
    import importlib.resources

    default = importlib.resources.files("ecgcore.grading").joinpath("rubrics", "default.toml")
    rubrics = station_dir / "rubrics"
    rubrics.mkdir()
    strict = default.read_text().replace("pass_mark = 75", "pass_mark = 99")
    (rubrics / "strict.toml").write_text(strict)
    (rubrics / "broken.toml").write_text("[rubric\nname = ")
    g = client_as("grader1")
    listed = {r["name"]: r for r in g.get("/api/grading/rubrics").json()["rubrics"]}
    assert listed["strict"]["pass_mark"] == 99 and listed["strict"]["error"] == ""
    assert "TOML" in listed["broken"]["error"]
    g.post("/api/grading/upload", files=exam)
    res = g.post("/api/grading/grade", json={"record": "uploads/exam01", "rubric": "strict"})
    assert res.status_code == 200 and res.json()["rubric"]["pass_mark"] == 99
    assert res.json()["log_entry"] is None and "not logged" in res.json()["log_error"]
