"""Per-record metadata tables of the 12-lead databases, keyed by record name.

LUDB keeps its diagnoses in ``ludb.csv`` (one row per ``ID``) and PTB-XL its
SCP-ECG statements, quality labels and patient ids in ``ptbxl_database.csv``
(one row per ``ecg_id``). These readers key the rows by the record names the
database loaders use (``"1"`` for LUDB, ``"00001"`` for PTB-XL), so that
benchmarks look a record's labels up by the name they loaded it with.
"""

from __future__ import annotations

import ast
import csv
from pathlib import Path

__all__ = ["ludb_table", "ptbxl_table", "scp_codes"]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def ludb_table(db_path: Path) -> dict[str, dict[str, str]]:
    """Rows of ``ludb.csv`` in the LUDB folder ``db_path``, by record name (``"1"``)."""
    return {str(int(row["ID"])): row for row in _read(Path(db_path) / "ludb.csv")}


def ptbxl_table(db_path: Path) -> dict[str, dict[str, str]]:
    """Rows of ``ptbxl_database.csv`` in the PTB-XL folder ``db_path``, by record name
    (``"00001"``)."""
    return {
        f"{int(float(row['ecg_id'])):05d}": row
        for row in _read(Path(db_path) / "ptbxl_database.csv")
    }


def scp_codes(row: dict[str, str]) -> dict[str, float]:
    """SCP-ECG statements of a PTB-XL row and their likelihoods (%)."""
    codes = ast.literal_eval(row["scp_codes"])
    return {str(k): float(v) for k, v in codes.items()}
