"""``ecg bench rhythm`` and ``ecg bench beats``: rhythm-analysis benchmarks.

* ``ecg bench rhythm --db mitdb``: AF episodes (EC57 ``epicmp``);
* ``ecg bench rhythm --db vfdb``: VF/VFL episodes, non-shockable specificity, VT;
* ``ecg bench rhythm --db cinc2017``: CinC 2017 classes, cross-validated;
* ``ecg bench beats --db mitdb``: AAMI beat classes on DS1 (EC57 ``bxb``).

They run the benchmark kinds of :mod:`ecgcore.rhythm.bench` on the executors
of ``ecg bench detect``; tables and files come from
:mod:`ecgcore.rhythm.bench_report`. ``--results FILE`` writes the tables into
the command's own block of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from ecgcore.benchmarks.results_md import replace_results_block
from ecgcore.benchmarks.runner import run_benchmark
from ecgcore.cli._common import add_runner_options, runner_executor
from ecgcore.rhythm.bench import (
    BeatsBenchConfig,
    CincBenchConfig,
    RhythmBenchConfig,
    register_kinds,
)
from ecgcore.rhythm.bench_report import format_markdown, results_block, results_key, write_outputs

__all__ = ["register_rhythm"]

_PEAKS = ("detected", "reference")


def _options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--records", nargs="+", default=None, metavar="REC", help="only these records")
    add_runner_options(p)
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="write MD/CSV/JSON here")
    p.add_argument(
        "--results",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the tables into this command's block of FILE "
        "(e.g. benchmarks/RESULTS.md); other blocks are kept",
    )
    p.add_argument("--no-record-table", action="store_true", help="print only the gross tables")


def _model_options(p: argparse.ArgumentParser, peaks_default: str) -> None:
    p.add_argument(
        "--no-loo",
        action="store_true",
        help="score the shipped models as they are (they saw the mitdb/vfdb records; "
        "default: refit leave-one-record-out)",
    )
    p.add_argument(
        "--peaks",
        choices=_PEAKS,
        default=None,
        help=f"beat positions: R-peaks detected by ecgcore or the reference beats "
        f"(default {peaks_default})",
    )


def register_rhythm(bsub: argparse._SubParsersAction) -> None:
    """Add ``rhythm`` and ``beats`` to the ``ecg bench`` subcommands."""
    register_kinds()
    p_r = bsub.add_parser(
        "rhythm",
        help="rhythm analysis: AF on mitdb, VF/VFL and VT on vfdb, CinC 2017 classes",
        description="Rhythm-analysis benchmarks (need scikit-learn: pip install "
        "'ecgcore[bench]'). mitdb: AF episodes, EC57 epicmp episode and duration Se/+P. "
        "vfdb: VF/VFL episode Se/+P, non-shockable specificity, VT reported separately. "
        "cinc2017: Normal/AF/Other/Noisy by stratified 5-fold cross-validation, score = "
        "mean F1 of N, A, O. Models fitted on the database under test are refitted "
        "leave-one-record-out.",
    )
    p_r.add_argument("--db", choices=("mitdb", "vfdb", "cinc2017"), default="mitdb")
    _model_options(p_r, "detected")
    _options(p_r)
    p_r.set_defaults(func=run_rhythm, bench_kind="rhythm")

    p_b = bsub.add_parser(
        "beats",
        help="AAMI beat classes on mitdb DS1, leave-one-record-out (EC57 bxb)",
        description="Beat classification benchmark (needs scikit-learn: pip install "
        "'ecgcore[bench]'): AAMI classes of the mitdb DS1 records scored with the EC57 bxb "
        "rules (VEB/SVEB Se, +P, FPR, confusion matrix); the beat classifier is refitted "
        "without each record in turn.",
    )
    p_b.add_argument("--db", choices=("mitdb",), default="mitdb")
    _model_options(p_b, "reference")
    _options(p_b)
    p_b.set_defaults(func=run_beats, bench_kind="beats")


def _command(args: argparse.Namespace) -> str:
    """The command line as given (options in a fixed order)."""
    parts = ["ecg", "bench", args.bench_kind, "--db", args.db]
    if args.records:
        parts += ["--records", *args.records]
    if args.no_loo:
        parts.append("--no-loo")
    if args.peaks:
        parts += ["--peaks", args.peaks]
    for flag, value in (("--data-dir", args.data_dir), ("--out", args.out),
                        ("--results", args.results)):  # fmt: skip
        if value is not None:
            parts += [flag, str(value)]
    if args.executor != "local":
        parts += ["--executor", args.executor]
    if args.scheduler:
        parts += ["--scheduler", args.scheduler]
    if args.jobs != 1:
        parts += ["--jobs", str(args.jobs)]
    parts += [f for f, on in (("--quiet", args.quiet),
                              ("--no-record-table", args.no_record_table)) if on]  # fmt: skip
    return shlex.join(parts)


def _run(args: argparse.Namespace, kind: str, config: Any) -> int:
    result = run_benchmark(
        kind,
        config,
        executor=runner_executor(args),
        progress=not args.quiet,
        command=_command(args),
    )
    print(format_markdown(result, records=not args.no_record_table), end="")
    if args.out is not None:
        paths = write_outputs(result, args.out)
        print(f"\nwrote {', '.join(str(p) for p in paths)}")
    if args.results is not None:
        key = results_key(result)
        replace_results_block(args.results, key, results_block(result))
        print(f"wrote the `{key}` block of {args.results}")
    sys.stdout.flush()
    return 0


def _records(args: argparse.Namespace) -> tuple[str, ...] | None:
    return tuple(args.records) if args.records else None


def _model_config(
    cls: type[RhythmBenchConfig] | type[BeatsBenchConfig], args: argparse.Namespace, peaks: str
) -> RhythmBenchConfig | BeatsBenchConfig:
    """The config of a benchmark that scores the models (``--no-loo``, ``--peaks``)."""
    return cls(
        database=args.db,
        records=_records(args),
        loo=not args.no_loo,
        peaks=args.peaks or peaks,
        data_dir=args.data_dir,
    )


def run_rhythm(args: argparse.Namespace) -> int:
    if args.db == "cinc2017":
        if args.no_loo or args.peaks is not None:
            print(
                "ecg bench rhythm: error: --no-loo and --peaks do not apply to --db cinc2017 "
                "(it cross-validates on detected R-peaks)",
                file=sys.stderr,
            )
            return 2
        return _run(args, "cinc", CincBenchConfig(records=_records(args), data_dir=args.data_dir))
    return _run(args, "rhythm", _model_config(RhythmBenchConfig, args, "detected"))


def run_beats(args: argparse.Namespace) -> int:
    return _run(args, "beats", _model_config(BeatsBenchConfig, args, "reference"))
