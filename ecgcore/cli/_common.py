"""Argument helpers shared by the ``ecg`` command modules."""

from __future__ import annotations

import argparse

from ecgcore.benchmarks.executors import EXECUTORS, Executor, make_executor
from ecgcore.datasets import ENV_DATA_DIR


def lead_arg(value: str) -> int | str:
    """Parse ``--lead``: an integer index or a lead name such as ``II``."""
    try:
        return int(value)
    except ValueError:
        return value


def add_lead_option(parser: argparse.ArgumentParser, *, help_default: str) -> None:
    """Add the common ``--lead N|NAME`` option."""
    parser.add_argument(
        "--lead",
        type=lead_arg,
        default=None,
        metavar="N|NAME",
        help=f"lead index or name ({help_default})",
    )


def add_runner_options(parser: argparse.ArgumentParser) -> None:
    """Add the options every ``ecg bench`` benchmark run shares: data, workers, progress."""
    parser.add_argument(
        "--data-dir",
        default=None,
        help=f"data root (default: ${ENV_DATA_DIR}, then ../shared/datasets, then the user cache)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="local worker processes (default 1)")
    parser.add_argument(
        "--executor",
        choices=sorted(EXECUTORS),
        default="local",
        help="local processes or a Dask distributed cluster",
    )
    parser.add_argument("--scheduler", default=None, metavar="ADDR", help="Dask scheduler address")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def runner_executor(args: argparse.Namespace) -> Executor:
    """The executor chosen by the options of :func:`add_runner_options`."""
    return make_executor(args.executor, jobs=args.jobs, scheduler=args.scheduler)
