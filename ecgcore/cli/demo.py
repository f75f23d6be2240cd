"""``ecg demo``: the main job end to end on the built-in simulated patient.

Streams a 12-lead session from ``sim://``, records it as WFDB, logs it, reads
it back, filters it, detects R-peaks, classifies beats and rhythm, writes the
annotations and a PNG of the beats, grades the recording with its ECG-paper
report, and verifies the log. Every step is an existing ``ecg`` command or
library call; nothing here processes signals.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ecgcore.analysis import analyze_recording
from ecgcore.io import Annotations, read_record, write_annotations
from ecgcore.report import plot_beats


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the main job end to end on the simulated patient",
        description=(
            "Record a session from the built-in simulated 12-lead patient, then analyse, "
            "annotate, plot, grade and log it. Needs no data and no hardware."
        ),
    )
    p.add_argument("--out", type=Path, default=Path("ecg-demo"), help="output folder")
    p.add_argument("--seconds", type=float, default=12.0, help="length of the session (s)")
    p.add_argument("--hr", type=float, default=72.0, help="simulated heart rate (bpm)")
    p.add_argument(
        "--speed", type=float, default=4.0, help="stream speed, times real time (default 4)"
    )
    p.set_defaults(func=run)


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def run(args: argparse.Namespace) -> int:
    from ecgcore.cli.main import main as ecg  # noqa: PLC0415 - avoid an import cycle

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    log_url = f"sqlite:///{(out / 'ecg-log.sqlite').resolve()}"
    name = "demo"
    # A rerun starts afresh: the demo's own previous record and log go.
    for old in [*out.glob(f"{name}.*"), *out.glob("ecg-log.sqlite*")]:
        old.unlink()
    url = (
        f"sim://ecg?leads=12&fs=500&hr={args.hr:g}&calibration=1&noise=0.01"
        f"&speed={args.speed:g}&seed=1"
    )

    _step(f"record {args.seconds:g} s from the simulated patient")
    code = ecg(
        ["record", url, "--duration", f"{args.seconds:g}s", "--out", str(out), "--name", name,
         "--technician", "DEMO-TECH", "--patient", "DEMO-PATIENT", "--log", log_url]
    )  # fmt: skip
    if code:
        return code

    _step("read the record back, filter, detect R-peaks, classify beats and rhythm")
    rec = read_record(out / name)
    result = analyze_recording(rec)
    hr = result.heart_rate
    print(f"{rec!r}")
    print(f"lead {result.lead}: {result.n_beats} beats, heart rate {hr.mean_bpm:.0f} bpm")
    print(hr.describe())
    if result.rhythm is not None:
        print(f"rhythm: {result.rhythm_summary()}")
    peaks = result.peaks_idx
    lead = rec.lead_index(result.lead)
    ann = Annotations.from_beats(peaks, rec.fs, chan=lead)
    # Written beside, not over, the logged record files: the log hashes those.
    analysis_dir = out / "analysis"
    print(f"annotations -> {write_annotations(analysis_dir, name, 'qrs', ann)}")
    png = plot_beats(rec, peaks, analysis_dir / f"{name}_beats.png", lead=lead, duration_s=10.0)
    print(f"tracing with beats -> {png}")

    _step("grade the recording as a 12-lead practical (report on ECG paper)")
    code = ecg(
        ["grade", str(out / name), "--interpretation", f"sinus rhythm {args.hr:g} bpm",
         "--technician", "DEMO-TECH", "--report", str(out / "report"), "--log", log_url,
         "--subject", "simulator"]
    )  # fmt: skip
    if code:
        return code

    _step("verify the tamper-evident ECG log")
    code = ecg(["log", "verify", "--log", log_url])
    if code:
        return code
    print(f"\ndone: everything is in {out.resolve()}")
    return 0
