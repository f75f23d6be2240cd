"""``ecg analyze``: heart rate, RR statistics, beats and rhythm of a record."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ecgcore.analysis import RecordAnalysis, analyze_recording
from ecgcore.cli._common import add_lead_option
from ecgcore.cli.log import add_log_option
from ecgcore.io import read_record
from ecgcore.rhythm.annotations import write_rhythm_annotations


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="summarise heart rate, beats and rhythm of a record",
        description=(
            "Detect beats, classify them (AAMI N/S/V/F/Q), find rhythm episodes and "
            "summarise duration, heart rate and RR statistics."
        ),
    )
    p.add_argument("record", help="record path, with or without extension")
    add_lead_option(p, help_default="default: II/MLII if present, else 0")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="write <record>.rhy (beat labels, rhythm changes as aux notes) here",
    )
    p.add_argument(
        "--technician",
        default=None,
        help="log this analysis in the ECG log under this technician id",
    )
    p.add_argument("--patient", default=None, help="patient reference for the log entry")
    add_log_option(p)
    p.set_defaults(func=run)


def _print_text(result: RecordAnalysis) -> None:
    print(f"record      {result.record} (lead {result.lead}, {result.fs:g} Hz)")
    print(f"duration    {result.duration_s:.1f} s ({result.missing_s:.1f} s missing)")
    print(f"beats       {result.n_beats}")
    print(result.heart_rate.describe())
    if result.rhythm is not None:
        print(f"rhythm      {result.rhythm_summary()}")


def run(args: argparse.Namespace) -> int:
    rec = read_record(args.record)
    result = analyze_recording(rec, lead=args.lead)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        _print_text(result)
    if args.out_dir is not None and result.rhythm is not None:
        path = write_rhythm_annotations(result.rhythm, args.out_dir, rec.name)
        if not args.json:
            print(f"annotations {path}")
    if args.technician is not None:
        from ecgcore.log import log_recording, open_log  # noqa: PLC0415 - only when logging

        with open_log(args.log) as log:
            entry = log_recording(
                log,
                args.record,
                technician=args.technician,
                patient=args.patient,
                source="analyze",
                heart_rate_bpm=result.heart_rate.mean_bpm,
                rhythm=result.rhythm_summary(),
                alarms=tuple(a.message for a in result.rhythm.alarms) if result.rhythm else (),
            )
        if not args.json:
            print(f"logged      entry {entry.id}")
    return 0
