"""``ecg bench``: side-by-side benchmarks on PhysioNet data.

``ecg bench detect`` and ``ecg bench noise`` run the benchmark kinds of
:mod:`ecgcore.benchmarks.runner`; ``ecg bench rhythm`` and ``ecg bench beats``
(:mod:`ecgcore.cli._bench_rhythm`) the rhythm-analysis ones; ``ecg bench report`` regenerates
``benchmarks/RESULTS.md``; ``ecg bench detectors`` lists what can run here.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ecgcore.benchmarks.peers import DEFAULT_DETECTORS, DETECTOR_FAMILIES, detector_status
from ecgcore.benchmarks.report import format_markdown, write_outputs
from ecgcore.benchmarks.results import BenchmarkResult
from ecgcore.benchmarks.results_md import generate_results
from ecgcore.benchmarks.runner import BENCHMARK_KINDS, DetectConfig, NoiseConfig, run_benchmark
from ecgcore.cli._bench_rhythm import register_rhythm
from ecgcore.cli._common import add_runner_options, runner_executor


def _csv_list(value: str) -> tuple[str, ...]:
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    return items


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return n


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--detectors",
        type=_csv_list,
        default=DEFAULT_DETECTORS,
        metavar="A,B,...",
        help=f"detectors to compare (default: {','.join(DEFAULT_DETECTORS)}; "
        "`ecg bench detectors` lists them)",
    )
    p.add_argument("--lead", type=int, default=0, help="lead index fed to the detectors (0)")
    p.add_argument(
        "--start-s",
        type=float,
        default=300.0,
        help="start of EC57 scoring in s (default 300: after the 5-min learning period)",
    )
    p.add_argument(
        "--max-duration-s",
        type=float,
        default=None,
        help="use only the first seconds of each record (quick runs)",
    )
    add_runner_options(p)
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="write CSV/JSON/PNG here")
    p.add_argument("--cpu", type=int, default=None, help="pin workers to this CPU")
    p.add_argument("--no-record-table", action="store_true", help="print only the gross table")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmarks: detectors side by side on PhysioNet data (EC57)",
        description="Benchmarks on PhysioNet data, scored as ANSI/AAMI EC57 defines.",
    )
    bsub = p.add_subparsers(dest="bench_command", metavar="BENCHMARK")
    bsub.required = True

    p_det = bsub.add_parser(
        "detect",
        help=BENCHMARK_KINDS["detect"].description,
        description="Run every detector on the same records in one run; print gross and "
        "per-record Se, +P, F1, FN, FP, seconds and Msamples/s (Markdown), and write "
        "CSV, JSON and PNG plots to --out.",
    )
    p_det.add_argument("--db", default="mitdb", help="database (default mitdb)")
    p_det.add_argument("--records", nargs="+", default=None, metavar="REC")
    p_det.add_argument(
        "--repeat",
        type=_positive_int,
        default=1,
        metavar="N",
        help="timed runs of every detector on every record (at most; fewer once they took 2 s), "
        "the shortest counts (default 1)",
    )
    _common(p_det)
    p_det.set_defaults(func=run_detect)

    p_noise = bsub.add_parser(
        "noise",
        help=BENCHMARK_KINDS["noise"].description,
        description="Detectors under noise in one run: the nstdb stress records present "
        "(electrode motion, SNR in the name) and clean records with nstdb noise added at "
        "each SNR with the nst protocol (noise from minute 5 in alternating 2-min blocks).",
    )
    p_noise.add_argument("--db", default="mitdb", help="database of the clean records")
    p_noise.add_argument(
        "--records",
        nargs="+",
        default=["118", "119"],
        metavar="REC",
        help="clean records (default 118 119, the nstdb ones)",
    )
    p_noise.add_argument(
        "--noise",
        nargs="+",
        default=["bw", "ma"],
        metavar="NAME",
        help="nstdb noise records to add (default bw ma)",
    )
    p_noise.add_argument(
        "--snr",
        nargs="+",
        type=float,
        default=[24.0, 18.0, 12.0, 6.0, 0.0, -6.0],
        metavar="DB",
        help="SNRs in dB (default 24 18 12 6 0 -6)",
    )
    p_noise.add_argument("--no-stress", action="store_true", help="skip the nstdb stress records")
    p_noise.add_argument("--no-added", action="store_true", help="skip the added-noise runs")
    _common(p_noise)
    p_noise.set_defaults(func=run_noise)

    register_rhythm(bsub)

    p_list = bsub.add_parser("detectors", help="list detector families and whether they run here")
    p_list.set_defaults(func=run_detectors)

    p_rep = bsub.add_parser(
        "report",
        help="regenerate benchmarks/RESULTS.md (full mitdb run, noise, 1 vs 2 workers)",
        description="Run the published benchmarks (single process for timing) and write "
        "RESULTS.md plus CSV/JSON/PNG files to --out.",
    )
    p_rep.add_argument("--out", type=Path, default=Path("benchmarks"), metavar="DIR")
    p_rep.add_argument("--data-dir", default=None)
    p_rep.add_argument(
        "--records", nargs="+", default=None, metavar="REC", help="shortened run: only these"
    )
    p_rep.add_argument(
        "--max-duration-s", type=float, default=None, help="shortened run: first seconds only"
    )
    p_rep.add_argument("--quiet", action="store_true", help="no progress bar")
    p_rep.set_defaults(func=run_report)


def _finish(args: argparse.Namespace, result: BenchmarkResult) -> int:
    print(format_markdown(result, records=not args.no_record_table), end="")
    if args.out is not None:
        paths = write_outputs(result, args.out)
        print(f"\nwrote {', '.join(str(p) for p in paths)}")
    sys.stdout.flush()
    return 0


def _command() -> str:
    return "ecg " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def run_detect(args: argparse.Namespace) -> int:
    config = DetectConfig(
        database=args.db,
        records=tuple(args.records) if args.records else None,
        detectors=args.detectors,
        lead=args.lead,
        start_s=args.start_s,
        max_duration_s=args.max_duration_s,
        data_dir=args.data_dir,
        cpu=args.cpu,
        repeat=args.repeat,
    )
    result = run_benchmark(
        "detect",
        config,
        executor=runner_executor(args),
        progress=not args.quiet,
        command=_command(),
    )
    return _finish(args, result)


def run_noise(args: argparse.Namespace) -> int:
    config = NoiseConfig(
        database=args.db,
        records=tuple(args.records),
        noises=() if args.no_added else tuple(args.noise),
        snrs=tuple(args.snr),
        stress=not args.no_stress,
        detectors=args.detectors,
        lead=args.lead,
        start_s=args.start_s,
        max_duration_s=args.max_duration_s,
        data_dir=args.data_dir,
        cpu=args.cpu,
    )
    result = run_benchmark(
        "noise",
        config,
        executor=runner_executor(args),
        progress=not args.quiet,
        command=_command(),
    )
    return _finish(args, result)


def run_detectors(args: argparse.Namespace) -> int:
    for family in DETECTOR_FAMILIES.values():
        name = (
            family.name
            if family.default_option is None
            else f"{family.name}:{family.default_option}"
        )
        ok, reason = detector_status(name)
        state = "available" if ok else f"missing: {reason}"
        print(f"{family.name:<10} {state}\n           {family.description}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    path = generate_results(
        args.out,
        data_dir=args.data_dir,
        records=tuple(args.records) if args.records else None,
        max_duration_s=args.max_duration_s,
        progress=not args.quiet,
    )
    print(f"wrote {path}")
    return 0
