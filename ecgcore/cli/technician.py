"""``ecg technician``: certification, continuing education and logged work of a technician."""

from __future__ import annotations

import argparse
import dataclasses
import json

from ecgcore.cli.log import add_log_option
from ecgcore.log import add_ce_credits, certify, open_log, technician_status
from ecgcore.log._fields import printable
from ecgcore.log.technician import (
    DEFAULT_CE_REQUIRED,
    DEFAULT_MIN_LIVE_RECORDINGS,
    DEFAULT_WARN_DAYS,
    TechnicianStatus,
)

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "technician",
        help="technician record: status, certification, continuing education",
        description="Certification, CE credits and logged recordings/exams of a technician.",
    )
    cmds = p.add_subparsers(dest="technician_command", metavar="SUBCOMMAND")
    cmds.required = True

    q = cmds.add_parser("status", help="recordings, exams, certification and CE credits")
    add_log_option(q)
    q.add_argument("id", help="technician id")
    q.add_argument("--today", help="reference date YYYY-MM-DD (default: today, UTC)")
    q.add_argument(
        "--ce-required",
        type=float,
        default=DEFAULT_CE_REQUIRED,
        metavar="N",
        help=f"CE credits required per certification period (default {DEFAULT_CE_REQUIRED:g})",
    )
    q.add_argument(
        "--min-live",
        type=int,
        default=DEFAULT_MIN_LIVE_RECORDINGS,
        metavar="N",
        help="recordings on live individuals required "
        f"(default {DEFAULT_MIN_LIVE_RECORDINGS}, as for the NHA CET)",
    )
    q.add_argument(
        "--warn-days",
        type=int,
        default=DEFAULT_WARN_DAYS,
        metavar="DAYS",
        help=f"warn this many days before expiry (default {DEFAULT_WARN_DAYS})",
    )
    q.add_argument("--json", action="store_true", help="print as JSON")
    q.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    q.set_defaults(func=_run_status)

    q = cmds.add_parser("ce", help="log continuing-education credits")
    add_log_option(q)
    q.add_argument("id", help="technician id")
    q.add_argument("--credits", type=float, required=True, metavar="N", help="credits earned")
    q.add_argument("--course", required=True, help="course title")
    q.add_argument("--date", help="completion date YYYY-MM-DD (default: today, UTC)")
    q.add_argument("--provider", help="course provider")
    q.set_defaults(func=_run_ce)

    q = cmds.add_parser("certify", help="log a certification (renewal every 2 years)")
    add_log_option(q)
    q.add_argument("id", help="technician id")
    q.add_argument("--date", required=True, help="certification date YYYY-MM-DD")
    q.add_argument("--expires", help="expiry date YYYY-MM-DD (default: 2 years after --date)")
    q.add_argument("--programme", default="CET", help="certification (default: CET)")
    q.set_defaults(func=_run_certify)


def _print_status(s: TechnicianStatus) -> None:
    print(f"technician          {printable(s.technician)} (as of {s.as_of})")
    if s.certified_on:
        print(
            f"certification       {printable(s.programme or '')} {s.certified_on}, "
            f"expires {s.expires_on} ({s.days_to_expiry} days)"
        )
    else:
        print("certification       none logged")
    print(f"recordings          {s.recordings} logged, {s.live_recordings} on live individuals "
          f"(minimum {s.min_live_recordings})")  # fmt: skip
    print(f"exams graded        {len(s.exams)}")
    for exam in s.exams:
        out_of = "" if exam.max_score is None else f" / {exam.max_score:g}"
        passed = {True: "  passed", False: "  failed", None: ""}[exam.passed]
        print(
            f"    entry {exam.entry_id:>6}  {exam.when_utc[:10]}  {exam.score:g}{out_of}{passed}"
        )
    print(f"CE credits          {s.ce_credits:g} of {s.ce_required:g} required")
    for day, course, credits in s.ce_courses:
        print(f"    {day}  {credits:>5g}  {printable(course)}")
    for warning in s.warnings:
        print(f"WARNING: {warning}")


def _run_status(args: argparse.Namespace) -> int:
    with open_log(args.log) as log:
        status = technician_status(
            log,
            args.id,
            today=args.today,
            ce_required=args.ce_required,
            min_live_recordings=args.min_live,
            warn_days=args.warn_days,
        )
    if args.json:
        print(json.dumps(dataclasses.asdict(status), ensure_ascii=False, indent=1))
    else:
        _print_status(status)
    return 1 if args.strict and status.warnings else 0


def _run_ce(args: argparse.Namespace) -> int:
    with open_log(args.log) as log:
        entry = add_ce_credits(
            log,
            args.id,
            credits=args.credits,
            course=args.course,
            completed_on=args.date,
            provider=args.provider,
        )
    print(f"logged entry {entry.id}: {args.credits:g} CE credits")
    return 0


def _run_certify(args: argparse.Namespace) -> int:
    with open_log(args.log) as log:
        entry = certify(
            log,
            args.id,
            certified_on=args.date,
            expires_on=args.expires,
            programme=args.programme,
        )
    details = entry.details or {}
    print(
        f"logged entry {entry.id}: certified {details['certified_on']}, "
        f"expires {details['expires_on']}"
    )
    return 0
