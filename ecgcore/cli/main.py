"""Entry point of the ``ecg`` console script.

Each command group lives in its own module under :mod:`ecgcore.cli` and
exposes ``register(subparsers)``; this module only wires them together and
maps errors to exit codes:

* 0 - success
* 1 - data error (unreadable record, failed verification, ...)
* 2 - usage error (bad arguments)
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from ecgcore._version import __version__
from ecgcore.errors import ECGCoreError

#: Command modules, in the order they appear in ``ecg --help``.
COMMAND_MODULES: tuple[str, ...] = (
    "demo",
    "info",
    "detect",
    "analyze",
    "log",
    "technician",
    "devices",
    "sim",
    "monitor",
    "record",
    "grade",
    "datasets",
    "bench",
    "serve",
)

EXIT_OK = 0
EXIT_DATA_ERROR = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """Build the ``ecg`` argument parser with every registered command."""
    parser = argparse.ArgumentParser(
        prog="ecg",
        description="ecgcore: ECG acquisition, filtering, R-peak detection and rhythm analysis.",
    )
    parser.add_argument("--version", action="version", version=f"ecgcore {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(f"ecgcore.cli.{module_name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ecg`` command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("ecgcore").setLevel(level)
    try:
        code = args.func(args)
    except ECGCoreError as exc:
        print(f"ecg {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_DATA_ERROR
    except (ValueError, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        print(f"ecg {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_DATA_ERROR
    except KeyboardInterrupt:
        print(f"ecg {args.command}: interrupted", file=sys.stderr)
        return 130
    return EXIT_OK if code is None else int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
