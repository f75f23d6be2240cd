"""``ecg info``: what a record holds (leads, rate, duration, units, gain, missing samples)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from ecgcore.errors import ECGCoreError
from ecgcore.io import RecordHeader, read_header, read_record

_FORMAT_NAMES = {"wfdb": "WFDB", "edf": "EDF", "bdf": "BDF", "csv": "CSV", "cinc2011": "CinC 2011"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "info",
        help="describe a record: leads, fs, duration, units, gain, missing samples",
        description=(
            "Describe a record (WFDB, EDF/BDF, CSV, CinC 2011 text): leads, sampling rate, "
            "duration, units, gain, baseline, samples, start time, missing samples and "
            "format. The header is read first; the samples are then read to count missing "
            "ones unless --header-only is given."
        ),
    )
    p.add_argument("record", help="record path, with or without extension")
    p.add_argument("--json", action="store_true", help="print the description as JSON")
    p.add_argument(
        "--header-only",
        action="store_true",
        help="do not read the samples (missing samples are then not counted)",
    )
    p.set_defaults(func=run)


def _format_label(header: RecordHeader) -> str:
    label = _FORMAT_NAMES.get(header.format, header.format)
    wfdb_fmt = header.metadata.get("wfdb_fmt")
    if wfdb_fmt:
        label += " " + "/".join(dict.fromkeys(str(f) for f in wfdb_fmt))
    return label


def _hms(seconds: float) -> str:
    minutes, sec = divmod(seconds, 60.0)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours:02d}:{minutes:02d}:{sec:06.3f}"


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def describe(header: RecordHeader, *, error: str | None = None) -> dict[str, Any]:
    """JSON-ready description of a record header."""
    counts = header.missing_counts
    leads = []
    for j, name in enumerate(header.lead_names):
        leads.append(
            {
                "name": name,
                "unit": header.units[j],
                "gain": _number(header.gain[j]),
                "baseline": _number(header.baseline[j]),
                "missing": None if counts is None else counts[j],
            }
        )
    notes = {
        key: header.metadata[key]
        for key in (
            "uncalibrated",
            "checksum_mismatch",
            "saturated",
            "gain_source",
            "resolution",
            "annotations",
        )
        if header.metadata.get(key)
    }
    return {
        "record": header.name,
        "path": str(header.path),
        "format": _format_label(header),
        "fs_hz": header.fs,
        "n_leads": header.n_leads,
        "n_samples": header.n_samples,
        "duration_s": header.duration_s,
        "start_time": None if header.start_time is None else header.start_time.isoformat(),
        "missing_samples": header.n_missing,
        "leads": leads,
        "notes": notes,
        "error": error,
    }


def _print_text(info: dict[str, Any]) -> None:
    missing = info["missing_samples"]
    rows = [
        ("record", f"{info['record']} ({info['path']})"),
        ("format", info["format"]),
        ("leads", f"{info['n_leads']}: {', '.join(d['name'] for d in info['leads'])}"),
        ("fs", f"{info['fs_hz']:g} Hz"),
        ("duration", f"{info['duration_s']:.3f} s ({_hms(info['duration_s'])})"),
        ("samples", f"{info['n_samples']} per lead"),
        ("start", info["start_time"] or "unknown"),
        ("missing", "not counted" if missing is None else f"{missing} samples"),
    ]
    for key, value in rows:
        print(f"{key:<10}{value}")
    width = max([4, *(len(d["name"]) for d in info["leads"])])
    print(
        f"\n{'lead':<{width}}  {'unit':<4}  {'gain (counts/unit)':>18}  {'baseline':>9}  missing"
    )
    for d in info["leads"]:
        miss = "-" if d["missing"] is None else str(d["missing"])
        print(
            f"{d['name']:<{width}}  {d['unit']:<4}  {d['gain']:>18g}  {d['baseline']:>9g}  {miss}"
        )
    for key, value in info["notes"].items():
        text = f"{len(value)} EDF annotations" if key == "annotations" else value
        print(f"note: {key}: {text}")


def run(args: argparse.Namespace) -> int:
    header = read_header(args.record)
    error = None
    if header.missing_counts is None and not args.header_only:
        try:
            rec = read_record(header.path)
        except ECGCoreError as exc:
            error = f"samples not read: {exc}"
        else:
            header = dataclasses.replace(
                header, missing_counts=tuple(int(n) for n in rec.missing_mask.sum(axis=0))
            )
    info = describe(header, error=error)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
    else:
        _print_text(info)
    if error is not None:
        print(f"ecg info: error: {error}", file=sys.stderr)
        return 1
    return 0
