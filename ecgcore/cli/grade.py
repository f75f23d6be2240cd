"""``ecg grade``: score technicians' 12-lead recordings against a rubric.

One record::

    ecg grade exam/T17 --interpretation "sinus rhythm 72 bpm" --technician T17 --json
    ecg grade exam/T17.edf --report out/ --log sqlite:///class.sqlite

A folder (every record in it, in parallel) into a gradebook::

    ecg grade exam/ --out gradebook.csv --jobs 4

Records are every file :func:`ecgcore.io.read_record` reads (WFDB ``.hea``,
EDF/BDF, CSV, CinC 2011 ``.txt``). In a folder, a technician's reading can sit
next to the record as ``<record>.reading.json`` or ``<record>.reading.toml``.
A record that cannot be read gets a gradebook row with the reason; the exit
code is then 1 (0 when every record was graded).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ecgcore.errors import ECGCoreError
from ecgcore.grading import grade_recording, load_rubric, parse_interpretation
from ecgcore.io import FORMATS, read_record
from ecgcore.log import SUBJECTS, log_recording, open_log
from ecgcore.log.location import ENV_LOG

__all__ = ["GRADEBOOK_COLUMNS", "find_records", "register"]

#: Columns of the gradebook CSV.
GRADEBOOK_COLUMNS = (
    "record",
    "score",
    "passed",
    "acceptable",
    "findings",
    "technician",
    "rubric",
    "file",
    "error",
)

_READING_SUFFIXES = (".reading.json", ".reading.toml")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "grade",
        help="grade technicians' 12-lead recordings (score, findings, ECG-paper report)",
        description="Grade a 12-lead recording, or every record in a folder into a gradebook: "
        "completeness, calibration, contact and artefact, electrode placement and the "
        "technician's reading, scored with a TOML rubric.",
    )
    p.add_argument("target", help="a record (path with or without extension) or a folder")
    p.add_argument(
        "--rubric", default=None, metavar="FILE", help="rubric TOML (default: CET-style)"
    )
    p.add_argument(
        "--interpretation",
        default=None,
        metavar="TEXT|FILE",
        help="the technician's reading: text ('sinus rhythm 72 bpm'), JSON/TOML, or a "
        ".json/.toml file (one record only)",
    )
    p.add_argument("--technician", default=None, metavar="ID", help="technician identifier")
    p.add_argument("--json", action="store_true", help="print the grading as JSON")
    p.add_argument("--report", type=Path, default=None, metavar="DIR",
                   help="write the HTML and PDF report(s) here")  # fmt: skip
    p.add_argument(
        "--log",
        metavar="URL",
        default=None,
        help=f"write each grading to this ECG log (sqlite:///file, postgresql://..., or a path); "
        f"default: ${ENV_LOG} when set, else no log entry",
    )
    p.add_argument(
        "--subject",
        choices=SUBJECTS,
        default="unknown",
        help="who was recorded, for the log entry (default unknown)",
    )
    p.add_argument("--out", type=Path, default=None, metavar="CSV",
                   help="folder mode: gradebook CSV (default: standard output)")  # fmt: skip
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="folder mode: processes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


# ------------------------------------------------------------------ records
def find_records(folder: Path) -> list[Path]:
    """Record paths in ``folder`` (not recursive), sorted; WFDB records without extension."""
    readable = {ext for fmt in FORMATS.values() for ext in fmt.extensions}
    out = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.endswith(_READING_SUFFIXES):
            continue
        ext = path.suffix.lower()
        if ext not in readable:
            continue
        out.append(path.with_suffix("") if ext == ".hea" else path)
    return out


def _reading_for(record: Path) -> Path | None:
    base = record.with_suffix("") if record.suffix.lower() in _suffixes() else record
    for suffix in _READING_SUFFIXES:
        candidate = base.with_name(base.name + suffix)
        if candidate.is_file():
            return candidate
    return None


def _suffixes() -> set[str]:
    return {ext for fmt in FORMATS.values() for ext in fmt.extensions}


def _record_files_path(record: Path) -> Path:
    """Path to hand to the log (the WFDB header for WFDB records)."""
    header = record.with_name(record.name + ".hea")
    return header if header.is_file() else record


# ------------------------------------------------------------------ one record
def _grade_one(task: tuple[str, str | None, str | None, str | None, str | None]) -> dict[str, Any]:
    """Worker: read, grade and (optionally) report one record; never raises."""
    path, rubric_path, reading, technician, report_dir = task
    row: dict[str, Any] = {"record": Path(path).name, "file": path, "technician": technician or ""}
    try:
        rubric = load_rubric(rubric_path)
        rec = read_record(path)
        reading_value = reading
        if reading_value is None:
            sidecar = _reading_for(Path(path))
            reading_value = None if sidecar is None else str(sidecar)
        interp = None if reading_value is None else parse_interpretation(reading_value)
        result = grade_recording(rec, rubric=rubric, interpretation=interp, technician=technician)
    except (ECGCoreError, ValueError, OSError) as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
        return row
    row.update(
        record=result.record,
        score=result.score,
        passed=result.passed,
        acceptable=result.acceptable,
        findings=" ".join(result.codes),
        rubric=f"{rubric.name} v{rubric.version}",
        result=result.to_json(),
        log_grade=result.log_grade(),
        heart_rate_bpm=result.engine.heart_rate_bpm,
        rhythm=result.engine.describe(),
        quality_summary={
            "acceptable": result.acceptable,
            "unreadable": list(result.quality.unreadable) if result.quality else [],
        },
        lead_names=list(rec.lead_names),
        fs=rec.fs,
        duration_s=rec.duration_s,
    )
    if report_dir is not None:
        from ecgcore.report import write_grade_report  # noqa: PLC0415 - matplotlib is heavy

        files = write_grade_report(result, rec, report_dir)
        row["report"] = [str(files.html), str(files.pdf)]
    return row


def _log_configured(args: argparse.Namespace) -> bool:
    return args.log is not None or bool(os.environ.get(ENV_LOG))


def _log_rows(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    """Append one log entry per graded record (single process: the log is one writer)."""
    graded = [r for r in rows if not r.get("error")]
    if not graded:
        return
    with open_log(args.log) as log:
        for row in graded:
            extra = [Path(p) for p in row.get("report", []) if p.endswith(".pdf")]
            heart_rate = row.get("heart_rate_bpm")
            entry = log_recording(
                log,
                _record_files_path(Path(row["file"])),
                technician=args.technician or "unknown",
                patient=None,
                source="grade",
                subject=args.subject,
                extra_files=extra,
                grade=row["log_grade"],
                heart_rate_bpm=heart_rate,
                rhythm=row["rhythm"],
                quality=row["quality_summary"],
                fs=row["fs"],
                duration_s=row["duration_s"],
                leads=row["lead_names"],
            )
            row["log_entry"] = entry.id


# ------------------------------------------------------------------ commands
def run(args: argparse.Namespace) -> int:
    load_rubric(args.rubric)  # fail early, with the field named, on a bad rubric
    if args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {args.jobs}")
    target = Path(args.target)
    if target.is_dir():
        return _run_folder(args, target)
    if args.out is not None:
        raise ValueError("--out is for a folder of records; give a folder or drop --out")
    return _run_one(args)


def _run_one(args: argparse.Namespace) -> int:
    if args.interpretation is not None:
        parse_interpretation(args.interpretation)  # usage error before any work
    report = None if args.report is None else str(args.report)
    row = _grade_one((args.target, args.rubric, args.interpretation, args.technician, report))
    if row.get("error"):
        print(f"ecg grade: error: {row['file']}: {row['error']}", file=sys.stderr)
        return 1
    if _log_configured(args):
        _log_rows(args, [row])
    doc = row["result"]
    if "log_entry" in row:
        doc["log_entry"] = row["log_entry"]
    if "report" in row:
        doc["report"] = row["report"]
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        _print_text(doc)
    return 0


def _print_text(doc: dict[str, Any]) -> None:
    verdict = "PASSED" if doc["passed"] else "FAILED"
    usable = "acceptable" if doc["acceptable"] else "NOT acceptable"
    print(f"record      {doc['record']}  score {doc['score']:g}/100  {verdict}  ({usable})")
    for reason in doc["fail_reasons"]:
        print(f"            failed: {reason}")
    for item in doc["items"]:
        print(f"  {item['kept']:>5g}/{item['points']:<3g} {item['title']}")
        for loss in item["losses"]:
            leads = f" ({', '.join(loss['leads'])})" if loss["leads"] else ""
            print(f"           -{loss['points']:g} {loss['code']}{leads}")
    if doc["findings"]:
        print("findings")
        for f in doc["findings"]:
            leads = f" [{', '.join(f['leads'])}]" if f["leads"] else ""
            print(f"  {f['severity']:<8} {f['code']}{leads}: {f['message']}")
    for path in doc.get("report", []):
        print(f"report      {path}")
    if "log_entry" in doc:
        print(f"log entry   {doc['log_entry']}")


def _results(tasks: list[tuple], jobs: int) -> Iterator[dict[str, Any]]:
    if jobs == 1 or len(tasks) < 2:
        for t in tasks:
            yield _grade_one(t)
        return
    with ProcessPoolExecutor(max_workers=jobs) as ex:
        yield from ex.map(_grade_one, tasks)


def _run_folder(args: argparse.Namespace, folder: Path) -> int:
    if args.interpretation is not None:
        raise ValueError(
            "--interpretation is for one record; in a folder put <record>.reading.json "
            "or <record>.reading.toml next to each record"
        )
    records = find_records(folder)
    if not records:
        raise ValueError(
            f"{folder}: no records found (extensions {', '.join(sorted(_suffixes()))})"
        )
    report = None if args.report is None else str(args.report)
    tasks = [(str(p), args.rubric, None, args.technician, report) for p in records]
    from tqdm import tqdm  # noqa: PLC0415 - only the folder mode shows progress

    rows = list(
        tqdm(
            _results(tasks, args.jobs),
            total=len(tasks),
            desc="grading",
            unit="record",
            disable=args.quiet,
            file=sys.stderr,
        )
    )
    if _log_configured(args):
        _log_rows(args, rows)
    text = _gradebook_csv(rows)
    if args.json:
        print(json.dumps([_public(r) for r in rows], indent=2))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8", newline="")
    elif not args.json:
        sys.stdout.write(text)
    failed = [r for r in rows if r.get("error")]
    if not args.quiet:
        graded = len(rows) - len(failed)
        passed = sum(1 for r in rows if r.get("passed"))
        print(f"ecg grade: {graded} graded ({passed} passed), {len(failed)} unreadable",
              file=sys.stderr)  # fmt: skip
    for r in failed:
        print(f"ecg grade: {r['file']}: {r['error']}", file=sys.stderr)
    return 1 if failed else 0


def _public(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k, "") for k in GRADEBOOK_COLUMNS}
    if "result" in row:
        out["result"] = row["result"]
    return out


def _gradebook_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=GRADEBOOK_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        out = {k: row.get(k, "") for k in GRADEBOOK_COLUMNS}
        for key in ("passed", "acceptable"):
            if isinstance(out[key], bool):
                out[key] = "true" if out[key] else "false"
        writer.writerow(out)
    return buf.getvalue()
