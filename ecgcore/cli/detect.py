"""``ecg detect``: R-peak detection written as a WFDB annotation file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ecgcore.analysis import default_analysis_lead
from ecgcore.cli._common import add_lead_option
from ecgcore.detect import detect_r_peaks
from ecgcore.io import Annotations, read_record, write_annotations


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "detect",
        help="detect R-peaks and write <record>.qrs",
        description=(
            "Detect R-peaks on one lead and write a WFDB annotation file <record>.qrs "
            "(beat symbol N at each R-peak), readable by wfdb.rdann."
        ),
    )
    p.add_argument("record", help="record path, with or without extension")
    add_lead_option(p, help_default="default: II/MLII if present, else 0")
    p.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="folder for the annotation file (default: the record's folder)",
    )
    p.add_argument("--extension", default="qrs", help="annotation file extension (default qrs)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rec = read_record(args.record)
    lead = default_analysis_lead(rec) if args.lead is None else rec.lead_index(args.lead)
    peaks = detect_r_peaks(rec.lead_mv(lead), rec.fs)
    out_dir = args.out_dir if args.out_dir is not None else Path(args.record).resolve().parent
    ann = Annotations.from_beats(peaks, rec.fs, extension=args.extension, chan=lead)
    path = write_annotations(out_dir, rec.name, args.extension, ann)
    print(f"{rec.name}: {peaks.size} R-peaks on lead {rec.lead_names[lead]} -> {path}")
    sys.stdout.flush()
    return 0
