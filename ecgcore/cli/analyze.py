"""``ecg analyze``: heart rate, RR statistics, beats and rhythm of a record."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ecgcore.analysis import RecordAnalysis, analyze_recording
from ecgcore.cli._common import add_lead_option
from ecgcore.io import read_record


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "analyze",
        help="summarise heart rate and rhythm of a record",
        description="Detect beats and summarise duration, beats, heart rate and RR statistics.",
    )
    p.add_argument("record", help="record path, with or without extension")
    add_lead_option(p, help_default="default: II/MLII if present, else 0")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="also write a WFDB annotation file with beat labels and rhythm changes here",
    )
    p.set_defaults(func=run)


def _print_text(result: RecordAnalysis) -> None:
    hr = result.heart_rate
    print(f"record      {result.record} (lead {result.lead}, {result.fs:g} Hz)")
    print(f"duration    {result.duration_s:.1f} s ({result.missing_s:.1f} s missing)")
    print(f"beats       {result.n_beats}")
    print(hr.describe())


def run(args: argparse.Namespace) -> int:
    rec = read_record(args.record)
    result = analyze_recording(rec, lead=args.lead)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        _print_text(result)
    return 0
