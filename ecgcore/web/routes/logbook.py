"""Log book: search entries, open one (tracing, analysis, amendments, chain), export.

Amendments follow the roles: technicians (and admins) correct recording
entries but never their ``grade``; graders change grades only through the
grading API (``POST /api/grading/entry/{id}/grade``) and cannot amend anything else.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from ecgcore.errors import DataError, LogError
from ecgcore.log import EXPORTERS, EntryHistory, LogEntry, export_log, hash_file
from ecgcore.log.entry import check_change_names
from ecgcore.web.routes._common import json_safe, station, tracing_json
from ecgcore.web.security import require
from ecgcore.web.users import User

__all__ = ["entry_json", "router"]

router = APIRouter(prefix="/api/log", tags=["log"])

_MEDIA = {"csv": "text/csv", "json": "application/json", "pdf": "application/pdf"}


def entry_json(entry: LogEntry) -> dict[str, Any]:
    """A log entry as JSON (its exact body plus hash)."""
    return json_safe({**entry.body(), "entry_hash": entry.entry_hash})


def history_json(history: EntryHistory) -> dict[str, Any]:
    """An entry with its amendments and current values."""
    return {
        "id": history.original.id,
        "amended": history.amended,
        "current": entry_json(history.current),
        "original": entry_json(history.original),
        "amendments": [entry_json(a) for a in history.amendments],
    }


class LogQuery(BaseModel):
    """Filters of ``GET /api/log`` (all optional; combined with AND)."""

    technician: str | None = None
    patient: str | None = None
    since: str | None = None
    until: str | None = None
    rhythm: str | None = None
    kind: str = "recording"
    q: str | None = Field(default=None, description="free text")
    limit: int = Field(default=500, ge=1, le=5000)


@router.get("")
def list_entries(
    request: Request,
    user: Annotated[User, require("view")],
    query: Annotated[LogQuery, Query()],
) -> dict[str, Any]:
    """Entries matching every filter (current values), newest first.

    ``q`` is free text matched (case-insensitively) against technician,
    patient reference, rhythm, notes, device model, source and subject.
    """
    technician, patient, since, until = query.technician, query.patient, query.since, query.until
    rhythm, kind, q, limit = query.rhythm, query.kind, query.q, query.limit
    log = station(request).log
    items = log.list(
        technician=technician or None,
        patient=patient or None,
        since=since or None,
        until=until or None,
        rhythm=rhythm or None,
        kind=None if kind == "all" else kind,
    )
    if q:
        needle = q.casefold()

        def text(h: EntryHistory) -> str:
            e = h.current
            parts = [e.technician, e.patient_ref, e.rhythm, e.notes, e.source, e.subject]
            parts.append((e.device or {}).get("model"))
            return " ".join(p for p in parts if p).casefold()

        items = [h for h in items if needle in text(h)]
    total = len(items)
    items = items[::-1][:limit]
    rows = []
    for h in items:
        e = h.current
        rows.append(
            {
                "id": e.id,
                "kind": e.kind,
                "when_utc": e.when_utc,
                "technician": e.technician,
                "patient_ref": e.patient_ref,
                "source": e.source,
                "subject": e.subject,
                "rhythm": e.rhythm,
                "heart_rate_bpm": e.heart_rate_bpm,
                "alarms": list(e.alarms),
                "grade": json_safe(dict(e.grade)) if e.grade else None,
                "n_files": len(e.files),
                "amended": h.amended,
                "entry_hash": e.entry_hash,
            }
        )
    return {"total": total, "entries": rows}


#: Chain checks of the entry view are reused while the head is unchanged, at most this long (s);
#: "Verify chain and files" always checks afresh.
CHAIN_CHECK_MAX_AGE_S = 30.0


def _chain_status(request: Request, entry_id: int) -> dict[str, Any]:
    st = station(request)
    head = st.log.head()
    now = time.monotonic()
    cached = st.chain_check
    if cached is not None and cached[0] == tuple(head) and now - cached[1] < CHAIN_CHECK_MAX_AGE_S:
        report, checked = cached[2], cached[1]
    else:
        report, checked = st.log.verify(check_files=False), now
        st.chain_check = (tuple(head), now, report)
    mine = [str(p) for p in report.problems if p.entry_id == entry_id]
    return {
        "ok": report.ok,
        "entry_ok": not mine,
        "n_entries": report.n_entries,
        "head_id": report.head_id,
        "head_hash": report.head_hash,
        "checked_s_ago": round(now - checked, 1),
        "problems": [str(p) for p in report.problems[:20]],
        "entry_problems": mine,
    }


def _files_status(entry: LogEntry) -> list[dict[str, Any]]:
    out = []
    for ref in entry.files:
        try:
            now = hash_file(ref.path)
        except LogError as exc:
            out.append({"path": ref.path, "ok": False, "message": str(exc)})
            continue
        ok = now.sha256 == ref.sha256 and now.size == ref.size
        out.append(
            {
                "path": ref.path,
                "ok": ok,
                "message": "matches its logged SHA-256" if ok else "changed since it was logged",
            }
        )
    return out


@router.get("/{entry_id}")
def show_entry(
    request: Request, entry_id: int, user: Annotated[User, require("view")]
) -> dict[str, Any]:
    """One entry: original, amendments, current values, chain and file status."""
    history = station(request).log.show(entry_id)
    out = history_json(history)
    out["chain"] = _chain_status(request, history.original.id)
    out["files"] = _files_status(history.current)
    return out


def _record_path(entry: LogEntry) -> Path:
    """The record file of an entry, only if every file still matches its logged hash."""
    if not entry.files:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"entry {entry.id} names no record file")
    for item in _files_status(entry):
        if not item["ok"]:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"entry {entry.id}: {item['path']}: {item['message']}; not shown",
            )
    for suffix in (".hea", ".edf", ".bdf", ".csv", ".txt"):
        for ref in entry.files:
            if ref.path.lower().endswith(suffix):
                return Path(ref.path)
    return Path(entry.files[0].path)


@router.get("/{entry_id}/tracing")
def entry_tracing(
    request: Request, entry_id: int, user: Annotated[User, require("view")]
) -> dict[str, Any]:
    """The entry's record (first minute) with its whole-record analysis.

    Only files whose SHA-256 still matches the log are read, so a changed or
    substituted file is never shown as the logged recording.
    """
    from ecgcore.analysis import analyze_recording  # noqa: PLC0415
    from ecgcore.io import read_record  # noqa: PLC0415

    history = station(request).log.show(entry_id)
    path = _record_path(history.current)
    try:
        rec = read_record(path)
    except (DataError, ValueError, OSError) as exc:
        raise HTTPException(422, str(exc)) from None
    analysis: dict[str, Any] | None
    peaks: list[int] = []
    try:
        result = analyze_recording(rec)
        analysis = json_safe(result.to_json())
        peaks = [int(p) for p in result.peaks_idx]
    except (DataError, ValueError) as exc:
        analysis = {"error": str(exc)}
    data = tracing_json(rec, marks={"peaks": peaks})
    data["analysis"] = analysis
    return data


class AmendBody(BaseModel):
    """Fields of ``POST /api/log/{id}/amend``."""

    reason: str = Field(min_length=1, max_length=4000)
    changes: dict[str, Any] = Field(min_length=1)


@router.post("/{entry_id}/amend")
def amend_entry(
    request: Request,
    entry_id: int,
    body: AmendBody,
    user: Annotated[User, require("amend")],
) -> dict[str, Any]:
    """Correct a recording entry (technicians, admins); never its grade.

    The author is the signed-in user.
    """
    if "grade" in body.changes and not user.can("grade"):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role!r} may not change grades; a grader re-grades the recording",
        )
    check_change_names(body.changes)
    log = station(request).log
    target = log.get(entry_id)
    if target.kind != "recording":
        raise HTTPException(
            422,
            f"entry {entry_id} is a {target.kind}; only recording entries are amended here",
        )
    amendment = log.amend(entry_id, reason=body.reason, author=user.name, **body.changes)
    return {"amendment": entry_json(amendment), "entry": history_json(log.show(entry_id))}


@router.get("/export/{fmt}")
def export(request: Request, fmt: str, user: Annotated[User, require("view")]) -> Any:
    """Every entry as ``csv``, ``json`` or a printable ``pdf`` log book (as ``ecg log export``)."""
    if fmt not in EXPORTERS:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown format {fmt!r}; expected {', '.join(EXPORTERS)}"
        )
    log = station(request).log
    filename = f"ecg-log.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "pdf":
        tmpdir = Path(tempfile.mkdtemp(prefix="ecg-export-"))
        out = tmpdir / filename
        export_log(log, "pdf", out)
        return FileResponse(
            out,
            media_type=_MEDIA[fmt],
            filename=filename,
            background=BackgroundTask(_remove_tree, tmpdir),
        )
    text = export_log(log, fmt)
    return PlainTextResponse(text, media_type=_MEDIA[fmt], headers=headers)


def _remove_tree(path: Path) -> None:
    import shutil  # noqa: PLC0415

    shutil.rmtree(path, ignore_errors=True)


@router.get("/verify/chain")
def verify_chain(request: Request, user: Annotated[User, require("view")]) -> dict[str, Any]:
    """Re-hash the whole chain and every record file (as ``ecg log verify``)."""
    report = station(request).log.verify(check_files=True)
    return json_safe(
        {
            **{k: v for k, v in dataclasses.asdict(report).items() if k != "problems"},
            "problems": [str(p) for p in report.problems[:100]],
        }
    )
