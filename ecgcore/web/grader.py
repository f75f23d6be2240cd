"""The grading page's calls into :mod:`ecgcore.grading` and :mod:`ecgcore.report`.

The same functions as ``ecg grade``: read the record with
:func:`ecgcore.io.read_record`, :func:`ecgcore.grading.grade_recording` with a
rubric (the packaged default, or a TOML file in the station's ``rubrics/``
folder), the report (HTML and PDF, when the report stage provides it) and a
log entry with the grade (:func:`ecgcore.log.log_recording`, ``source="grade"``).
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any

from ecgcore._validate import logger
from ecgcore.errors import ECGCoreError
from ecgcore.log import ECGLog, LogEntry, log_recording
from ecgcore.recording import Recording
from ecgcore.web.records import NotFound, check_record_name

__all__ = ["GradeOutcome", "available_rubrics", "grade", "log_grading", "resolve_rubric"]

#: Name of the packaged rubric.
DEFAULT_RUBRIC = "default"


@dataclasses.dataclass(frozen=True)
class GradeOutcome:
    """A grading as the page shows it."""

    result: Any
    recording: Recording
    result_json: dict[str, Any]
    pdf: Path | None
    html: Path | None
    report_error: str = ""


def _station_rubrics(rubric_dir: Path | None) -> dict[str, Path]:
    if rubric_dir is None or not rubric_dir.is_dir():
        return {}
    return {p.stem: p for p in sorted(rubric_dir.glob("*.toml")) if p.is_file()}


def available_rubrics(rubric_dir: Path | None = None) -> list[dict[str, Any]]:
    """The packaged default rubric and the station's own (``rubrics/*.toml``).

    A station rubric that does not parse is listed with its error, not hidden.
    """
    from ecgcore.grading import load_rubric  # noqa: PLC0415

    out = []
    for name, path in [(DEFAULT_RUBRIC, None), *_station_rubrics(rubric_dir).items()]:
        try:
            r = load_rubric(path)
            out.append({"name": name, "title": r.name, "version": r.version,
                        "pass_mark": r.pass_mark, "error": ""})  # fmt: skip
        except (ECGCoreError, OSError) as exc:
            out.append({"name": name, "title": "", "version": None, "pass_mark": None,
                        "error": str(exc)})  # fmt: skip
    return out


def resolve_rubric(name: str | None, rubric_dir: Path | None = None) -> Any:
    """The rubric called ``name`` (None or ``default``: the packaged one)."""
    from ecgcore.grading import load_rubric  # noqa: PLC0415

    if name in (None, "", DEFAULT_RUBRIC):
        return load_rubric()
    check_record_name(name, what="rubric name")
    path = _station_rubrics(rubric_dir).get(name)
    if path is None:
        raise NotFound(f"no rubric {name!r}")
    return load_rubric(path)


def _write_report(
    result: Any, rec: Recording, report_dir: Path
) -> tuple[Path | None, Path | None]:
    """HTML and PDF report through the report stage (None when it offers no writer)."""
    report = importlib.import_module("ecgcore.report")
    write = getattr(report, "write_grade_report", None)
    if write is None:
        return None, None
    report_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = write(result, rec, report_dir)  # ReportFiles: pdf, html, svg
    return Path(files.pdf), Path(files.html)


def grade(
    record_path: Path,
    *,
    rubric: str | None,
    interpretation: str | None,
    technician: str | None,
    report_dir: Path,
    rubric_dir: Path | None = None,
) -> GradeOutcome:
    """Grade the record at ``record_path`` and write its report into ``report_dir``."""
    from ecgcore.grading import grade_recording  # noqa: PLC0415
    from ecgcore.io import read_record  # noqa: PLC0415

    rec = read_record(record_path)
    result = grade_recording(
        rec,
        rubric=resolve_rubric(rubric, rubric_dir),
        interpretation=interpretation or None,
        technician=technician or None,
    )
    pdf = html = None
    error = ""
    try:
        pdf, html = _write_report(result, rec, report_dir)
    except (ECGCoreError, OSError, ValueError) as exc:
        error = str(exc)
        logger.warning("web: report of %s failed: %s", rec.name, exc)
    return GradeOutcome(result, rec, result.to_json(), pdf, html, error)


def log_grading(
    log: ECGLog, record_path: Path, outcome: GradeOutcome, *, technician: str, grader_name: str
) -> LogEntry:
    """Append the grading to the log (record files and PDF report hashed)."""
    grade_field = {**outcome.result.log_grade(), "grader": grader_name}
    grade_field["record"] = outcome.recording.name
    extra = [outcome.pdf] if outcome.pdf is not None else []
    return log_recording(
        log,
        record_path,
        technician=technician,
        patient=None,
        source="grade",
        subject="unknown",
        extra_files=extra,
        grade=grade_field,
        rhythm=outcome.result.engine.rhythm,
        heart_rate_bpm=outcome.result.engine.heart_rate_bpm,
    )
