"""``ecg log``: list, show, amend, verify, export and import ECG log entries."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from ecgcore.errors import LogError
from ecgcore.log import (
    EXPORTERS,
    SOURCES,
    SUBJECTS,
    EntryHistory,
    LogEntry,
    export_log,
    log_recording,
    open_log,
)
from ecgcore.log._fields import printable
from ecgcore.log.entry import check_change_names
from ecgcore.log.location import ENV_LOG

__all__ = ["add_log_option", "register"]


def add_log_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--log URL`` (for every command that reads or writes the log)."""
    parser.add_argument(
        "--log",
        metavar="URL",
        default=None,
        help=(
            "log database: sqlite:///path/log.sqlite, postgresql://user@host/db or a file path "
            f"(default: ${ENV_LOG}, then the log file in the user data directory)"
        ),
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "log",
        help="the tamper-evident ECG log: list, show, amend, verify, export, import",
        description="Read and maintain the append-only, hash-chained ECG log.",
    )
    cmds = p.add_subparsers(dest="log_command", metavar="SUBCOMMAND")
    cmds.required = True

    q = cmds.add_parser("list", help="list entries (current values, after amendments)")
    add_log_option(q)
    q.add_argument("--technician", help="technician id")
    q.add_argument("--patient", help="patient id (matched via its pseudonym)")
    q.add_argument("--since", help="from this UTC date/time (YYYY-MM-DD or ISO with offset)")
    q.add_argument("--until", help="up to this UTC date (whole day) or date-time (inclusive)")
    q.add_argument("--rhythm", help="rhythm summary contains this text (case-insensitive)")
    q.add_argument(
        "--kind",
        choices=("recording", "certification", "ce_credit", "all"),
        default="recording",
        help="entry kind (default: recording)",
    )
    q.add_argument("--json", action="store_true", help="one JSON object per line")
    q.set_defaults(func=_run_list)

    q = cmds.add_parser("show", help="show one entry with its amendment history")
    add_log_option(q)
    q.add_argument("id", help="entry id")
    q.add_argument("--json", action="store_true", help="print as JSON")
    q.set_defaults(func=_run_show)

    q = cmds.add_parser(
        "amend",
        help="correct an entry by appending an amendment (the original is kept)",
        description="Append an amendment that corrects fields of an entry. Example: "
        "ecg log amend 12 --reason 'wrong lead set' --author T01 --set rhythm='atrial flutter'",
    )
    add_log_option(q)
    q.add_argument("id", help="id of the entry to correct")
    q.add_argument("--reason", required=True, help="why the entry is corrected")
    q.add_argument("--author", required=True, help="who corrects it")
    q.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=TEXT",
        help="new text value (rhythm, notes, technician, patient, source, subject, ...)",
    )
    q.add_argument(
        "--set-json",
        action="append",
        default=[],
        metavar="FIELD=JSON",
        help="new structured value, e.g. heart_rate_bpm=74 or grade='{\"score\": 90}'",
    )
    q.add_argument("--clear-patient", action="store_true", help="store a new patient id in clear")
    q.set_defaults(func=_run_amend)

    q = cmds.add_parser(
        "verify",
        help="re-hash the chain and every record file; exit 1 on any mismatch",
    )
    add_log_option(q)
    q.add_argument("--no-files", action="store_true", help="check the chain only")
    q.add_argument(
        "--expect-head", metavar="HASH", help="head hash recorded elsewhere (e.g. a printout)"
    )
    q.add_argument("--all", action="store_true", help="print every problem, not the first 20")
    q.set_defaults(func=_run_verify)

    q = cmds.add_parser("export", help="export every entry as CSV, JSON or a PDF log book")
    add_log_option(q)
    q.add_argument("--format", required=True, choices=tuple(EXPORTERS), dest="fmt")
    q.add_argument("--out", metavar="FILE", help="output file (default: standard output)")
    q.set_defaults(func=_run_export)

    q = cmds.add_parser(
        "import",
        help="log an existing record (hashes all its files)",
        description="Append an entry for an existing record; every file of the record "
        "(WFDB header, signal and annotation files, or a single EDF/CSV file) is hashed.",
    )
    add_log_option(q)
    q.add_argument("record", help="record path (WFDB with or without .hea, EDF, CSV, ...)")
    q.add_argument("--technician", required=True, help="technician id")
    q.add_argument("--patient", help="patient id (pseudonymised unless --clear-patient)")
    q.add_argument("--clear-patient", action="store_true", help="store the patient id in clear")
    q.add_argument("--source", choices=SOURCES, default="import")
    q.add_argument("--subject", choices=SUBJECTS, default="unknown", help="who was recorded")
    q.add_argument("--acquired", help="acquisition time, UTC (ISO 8601 with offset)")
    q.add_argument("--rhythm", help="rhythm summary")
    q.add_argument("--heart-rate", type=float, metavar="BPM", help="average heart rate")
    q.add_argument("--device-model")
    q.add_argument("--device-serial")
    q.add_argument("--device-firmware")
    q.add_argument("--notes", default="", help="free text")
    q.add_argument("--extra-file", action="append", default=[], help="another file to hash")
    q.set_defaults(func=_run_import)


# --- presentation ---------------------------------------------------------------


def _short(text: str | None, width: int) -> str:
    text = printable(text or "")
    return text if len(text) <= width else text[: width - 1] + "…"


def _list_line(history: EntryHistory) -> str:
    e = history.current
    hr = "" if e.heart_rate_bpm is None else f"{e.heart_rate_bpm:.0f}"
    grade = "" if e.grade is None else f"{e.grade['score']:g}"
    what = e.rhythm or ""
    if e.kind != "recording":
        what = ", ".join(f"{k}={v}" for k, v in sorted((e.details or {}).items()))
    flags = "A" if history.amended else ""
    return (
        f"{e.id:>7}  {e.when_utc[:19].replace('T', ' '):<19}  {_short(e.technician, 12):<12}  "
        f"{_short(e.patient_ref, 12):<12}  {e.source or e.kind:<9}  {e.subject or '':<9}  "
        f"{_short(what, 30):<30}  {hr:>4}  {grade:>6}  {flags}"
    )


_LIST_HEADER = (
    f"{'ID':>7}  {'WHEN (UTC)':<19}  {'TECHNICIAN':<12}  {'PATIENT':<12}  {'SOURCE':<9}  "
    f"{'SUBJECT':<9}  {'RHYTHM / DETAILS':<30}  {'HR':>4}  {'GRADE':>6}  FLAGS"
)


def _entry_json(entry: LogEntry) -> dict[str, Any]:
    return {**entry.body(), "entry_hash": entry.entry_hash}


def _print_entry(entry: LogEntry, indent: str = "") -> None:
    for field in dataclasses.fields(entry):
        value = getattr(entry, field.name)
        if value in (None, (), "") or field.name in ("files",):
            continue
        if isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        elif isinstance(value, tuple):
            value = ", ".join(map(str, value))
        print(f"{indent}{field.name:<16} {printable(str(value))}")
    for ref in entry.files:
        print(f"{indent}{'file':<16} {ref.sha256}  {ref.size:>10}  {printable(ref.path)}")


# --- commands -----------------------------------------------------------------


def _run_list(args: argparse.Namespace) -> int:
    with open_log(args.log) as log:
        rows = log.list(
            technician=args.technician,
            patient=args.patient,
            since=args.since,
            until=args.until,
            rhythm=args.rhythm,
            kind=None if args.kind == "all" else args.kind,
        )
    if args.json:
        for history in rows:
            record = _entry_json(history.current)
            record["amended_by"] = [a.id for a in history.amendments]
            print(json.dumps(record, ensure_ascii=False))
        return 0
    print(_LIST_HEADER)
    for history in rows:
        print(_list_line(history))
    print(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}")
    return 0


def _run_show(args: argparse.Namespace) -> int:
    with open_log(args.log) as log:
        history = log.show(args.id)
    if args.json:
        out = {
            "current": _entry_json(history.current),
            "original": _entry_json(history.original),
            "amendments": [_entry_json(a) for a in history.amendments],
        }
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    original = history.original
    print(f"Entry {original.id} ({original.kind})")
    _print_entry(history.current, indent="  ")
    print("History:")
    print(f"  {original.logged_utc}  entry {original.id} logged  hash {original.entry_hash}")
    for a in history.amendments:
        changes = json.dumps(a.changes, ensure_ascii=False, sort_keys=True)
        print(
            f"  {a.logged_utc}  amendment {a.id} by {printable(a.author or '')}: "
            f"{printable(a.reason or '')}"
        )
        print(f"      changes {printable(changes)}")
        print(f"      hash    {a.entry_hash}")
    if not history.amendments:
        print("  (no amendments)")
    return 0


def _split_assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise LogError(f"expected FIELD=VALUE, got {text!r}")
    return name.strip(), value


def _run_amend(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    for item in args.set:
        name, value = _split_assignment(item)
        changes[name] = value
    for item in args.set_json:
        name, value = _split_assignment(item)
        try:
            changes[name] = json.loads(value)
        except ValueError:
            raise LogError(f"--set-json {name}: {value!r} is not valid JSON") from None
    if args.clear_patient:
        changes["clear_patient"] = True
    check_change_names(changes)
    with open_log(args.log) as log:
        amendment = log.amend(args.id, reason=args.reason, author=args.author, **changes)
    print(f"entry {amendment.id} amends entry {amendment.amends}; hash {amendment.entry_hash}")
    return 0


def _run_verify(args: argparse.Namespace) -> int:
    with open_log(args.log) as log:
        report = log.verify(check_files=not args.no_files, expect_head=args.expect_head)
    files = (
        f", {report.n_files} files re-hashed" if report.files_checked else ", files not checked"
    )
    if report.ok:
        print(
            f"OK: {report.n_entries} entries{files}; head entry {report.head_id} "
            f"{report.head_hash}"
        )
        return 0
    first = report.first_bad_id
    where = f"entry {first}" if first is not None else "the chain head"
    print(f"FAILED: {len(report.problems)} problem(s); first mismatch at {where}", file=sys.stderr)
    shown = report.problems if args.all else report.problems[:20]
    for problem in shown:
        print(f"  {printable(str(problem))}", file=sys.stderr)
    if len(shown) < len(report.problems):
        print(f"  ... {len(report.problems) - len(shown)} more (--all)", file=sys.stderr)
    print(f"checked {report.n_entries} entries{files}", file=sys.stderr)
    return 1


def _run_export(args: argparse.Namespace) -> int:
    with open_log(args.log) as log:
        if args.out is None:
            if args.fmt == "pdf":
                raise LogError("the PDF export needs --out FILE.pdf")
            export_log(log, args.fmt, sys.stdout)
        else:
            export_log(log, args.fmt, args.out)
            print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _run_import(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {"subject": args.subject, "notes": args.notes}
    if args.clear_patient:
        fields["clear_patient"] = True
    if args.acquired is not None:
        fields["acquired_utc"] = args.acquired
    if args.rhythm is not None:
        fields["rhythm"] = args.rhythm
    if args.heart_rate is not None:
        fields["heart_rate_bpm"] = args.heart_rate
    device = {
        "model": args.device_model,
        "serial": args.device_serial,
        "firmware": args.device_firmware,
    }
    if any(v is not None for v in device.values()):
        fields["device"] = device
    with open_log(args.log) as log:
        entry = log_recording(
            log,
            args.record,
            technician=args.technician,
            patient=args.patient,
            source=args.source,
            extra_files=args.extra_file,
            **fields,
        )
    print(f"logged entry {entry.id} ({len(entry.files)} files); hash {entry.entry_hash}")
    return 0
