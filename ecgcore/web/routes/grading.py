"""Grading: pick or upload a recording, grade it against a rubric, report, gradebook.

Grading itself is :mod:`ecgcore.grading` (the same call as ``ecg grade``); this
router validates what comes in, keeps uploads and reports inside the station
folder and writes each grading to the ECG log. Only graders and admins grade
or change grades; technicians see results but cannot alter them.
"""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel, Field

from ecgcore._validate import logger
from ecgcore.errors import ECGCoreError
from ecgcore.web import grader
from ecgcore.web.records import (
    check_record_name,
    list_records,
    resolve_record,
    save_upload,
)
from ecgcore.web.routes._common import json_safe, station, tracing_json
from ecgcore.web.routes.logbook import entry_json
from ecgcore.web.security import require
from ecgcore.web.users import User

__all__ = ["router"]

router = APIRouter(prefix="/api/grading", tags=["grading"])

#: Report files served, by suffix.
_REPORT_MEDIA = {".pdf": "application/pdf", ".html": "text/html", ".svg": "image/svg+xml"}

#: Most files accepted in one upload (a WFDB record has a header, signals, annotations).
MAX_UPLOAD_FILES = 8


def _record_json(ref: Any) -> dict[str, Any]:
    return {
        "key": ref.key,
        "area": ref.area,
        "name": ref.name,
        "files": [p.name for p in ref.files],
        "size_bytes": ref.size_bytes,
    }


@router.get("/records")
def records(request: Request, user: Annotated[User, require("view")]) -> dict[str, Any]:
    """Records of the station (made here or uploaded) that can be graded."""
    return {"records": [_record_json(r) for r in list_records(station(request).settings.data_dir)]}


@router.get("/rubrics")
def rubrics(request: Request, user: Annotated[User, require("view")]) -> dict[str, Any]:
    """Rubrics to choose from (the packaged ones)."""
    return {"rubrics": grader.available_rubrics(_rubric_dir(request))}


@router.post("/upload", status_code=status.HTTP_201_CREATED)
async def upload(
    request: Request,
    user: Annotated[User, require("upload")],
    files: Annotated[list[UploadFile], File()],
    name: Annotated[str | None, Form(max_length=80)] = None,
) -> dict[str, Any]:
    """Keep an uploaded record after checking names and reading it with ``read_record``.

    The whole request is limited to the station's upload size (413 beyond it).
    """
    if len(files) > MAX_UPLOAD_FILES:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"at most {MAX_UPLOAD_FILES} files per record"
        )
    contents = []
    for f in files:
        contents.append((f.filename or "", await f.read()))
    settings = station(request).settings
    ref, rec = save_upload(settings.data_dir, contents, name=name or None)
    logger.info("web: %s uploaded %s (%d files)", user.name, ref.key, len(contents))
    return {
        **_record_json(ref),
        "fs": rec.fs,
        "leads": list(rec.lead_names),
        "duration_s": rec.duration_s,
    }


class GradeBody(BaseModel):
    """``POST /api/grading/grade``."""

    record: str = Field(min_length=3, max_length=200, description="area/name")
    rubric: str | None = Field(default=None, max_length=80)
    interpretation: str | None = Field(default=None, max_length=2000)
    technician: str | None = Field(default=None, max_length=64)


def _rubric_dir(request: Request) -> Path:
    return station(request).settings.data_dir / "rubrics"


def _split_key(key: str) -> tuple[str, str]:
    area, sep, name = key.partition("/")
    if not sep:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"record {key!r}: expected AREA/NAME")
    return area, name


@router.post("/grade")
def grade(
    request: Request, body: GradeBody, user: Annotated[User, require("grade")]
) -> dict[str, Any]:
    """Grade a station record: itemised score, findings, PDF report, log entry."""
    st = station(request)
    area, name = _split_key(body.record)
    ref = resolve_record(st.settings.data_dir, area, name)
    report_id = secrets.token_hex(8)
    report_dir = st.settings.folder("reports") / report_id
    outcome = grader.grade(
        ref.path,
        rubric=body.rubric,
        interpretation=body.interpretation,
        technician=body.technician,
        report_dir=report_dir,
        rubric_dir=_rubric_dir(request),
    )
    result = outcome.result_json
    log_entry: int | None = None
    log_error = ""
    if not body.technician:
        log_error = "no technician given: the grading was not logged"
    else:
        try:
            entry = grader.log_grading(
                st.log, ref.path, outcome, technician=body.technician, grader_name=user.name
            )
            log_entry = entry.id
        except ECGCoreError as exc:
            log_error = str(exc)
            logger.warning("web: grading of %s not logged: %s", ref.key, exc)
    return {
        **result,
        "record": ref.key,
        "report_pdf": f"/api/grading/report/{report_id}/{outcome.pdf.name}"
        if outcome.pdf is not None
        else None,
        "report_html": f"/api/grading/report/{report_id}/{outcome.html.name}"
        if outcome.html is not None
        else None,
        "report_error": outcome.report_error,
        "log_entry": log_entry,
        "log_error": log_error,
        "tracing": tracing_json(outcome.recording, max_s=10.0),
    }


@router.get("/report/{report_id}/{filename}")
def report(
    request: Request, report_id: str, filename: str, user: Annotated[User, require("view")]
) -> FileResponse:
    """A grading report file (PDF or HTML) by its id; names are checked, never joined blindly."""
    check_record_name(report_id, what="report id")
    check_record_name(filename, what="report file")
    if Path(filename).suffix.lower() not in _REPORT_MEDIA:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report file")
    root = st_root = station(request).settings.folder("reports")
    path = root / report_id / filename
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report") from None
    if not resolved.is_relative_to(st_root.resolve()) or not resolved.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report")
    return FileResponse(
        resolved,
        media_type=_REPORT_MEDIA[resolved.suffix.lower()],
        filename=filename,
        content_disposition_type="inline",
        # A report is a document: nothing in it may run or load anything but its tracing.
        headers={
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src "
            "'unsafe-inline'; sandbox",
            "X-Content-Type-Options": "nosniff",
        },
    )


class RegradeBody(BaseModel):
    """``POST /api/grading/entry/{id}/grade``: a grader's correction of a logged grade."""

    reason: str = Field(min_length=1, max_length=4000)
    grade: dict[str, Any]


@router.post("/entry/{entry_id}/grade")
def change_grade(
    request: Request,
    entry_id: int,
    body: RegradeBody,
    user: Annotated[User, require("grade")],
) -> dict[str, Any]:
    """Change the grade of a logged grading (an amendment of the ``grade`` field only)."""
    log = station(request).log
    target = log.get(entry_id)
    if target.kind != "recording" or target.grade is None:
        raise HTTPException(422, f"entry {entry_id} carries no grade")
    amendment = log.amend(entry_id, reason=body.reason, author=user.name, grade=body.grade)
    return {"amendment": entry_json(amendment)}


def _attempts(request: Request) -> list[dict[str, Any]]:
    out = []
    for h in station(request).log.list(kind="recording"):
        e = h.current
        if e.grade is None:
            continue
        g = dict(e.grade)
        out.append(
            json_safe(
                {
                    "id": e.id,
                    "when_utc": e.when_utc,
                    "technician": e.technician,
                    "record": g.get("record") or (Path(e.files[0].path).stem if e.files else ""),
                    "score": g.get("score"),
                    "max_score": g.get("max_score"),
                    "passed": g.get("passed"),
                    "acceptable": g.get("acceptable"),
                    "findings": [
                        f.get("code", "?") if isinstance(f, dict) else str(f)
                        for f in g.get("findings") or []
                    ],
                    "rubric": g.get("rubric"),
                    "amended": h.amended,
                }
            )
        )
    return out


@router.get("/gradebook")
def gradebook(request: Request, user: Annotated[User, require("view")]) -> dict[str, Any]:
    """Every graded attempt in the log and one row per technician (the class view)."""
    attempts = _attempts(request)
    by_tech: dict[str, list[dict[str, Any]]] = {}
    for a in attempts:
        by_tech.setdefault(a["technician"] or "(unknown)", []).append(a)
    techs = []
    for tech, rows in sorted(by_tech.items()):
        scores = [r["score"] for r in rows if r["score"] is not None]
        techs.append(
            {
                "technician": tech,
                "attempts": len(rows),
                "last_score": rows[-1]["score"],
                "best_score": max(scores) if scores else None,
                "passed": any(r["passed"] for r in rows),
                "last_utc": rows[-1]["when_utc"],
            }
        )
    return {"attempts": attempts[::-1], "technicians": techs}


@router.get("/gradebook.csv")
def gradebook_csv(request: Request, user: Annotated[User, require("view")]) -> Any:
    """The gradebook as CSV (columns as ``ecg grade DIR --out gradebook.csv`` plus log id)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    cols = (
        "entry",
        "when_utc",
        "technician",
        "record",
        "score",
        "passed",
        "acceptable",
        "findings",
    )
    writer.writerow(cols)
    for a in _attempts(request):
        writer.writerow(
            [
                a["id"],
                a["when_utc"],
                a["technician"] or "",
                a["record"],
                "" if a["score"] is None else a["score"],
                "" if a["passed"] is None else str(a["passed"]).lower(),
                "" if a["acceptable"] is None else str(a["acceptable"]).lower(),
                " ".join(a["findings"]),
            ]
        )
    return PlainTextResponse(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="gradebook.csv"'},
    )
