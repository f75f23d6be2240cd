"""Argument helpers shared by the ``ecg`` command modules."""

from __future__ import annotations

import argparse


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
