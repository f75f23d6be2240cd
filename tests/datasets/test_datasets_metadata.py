"""Metadata tables of LUDB and PTB-XL keyed by the loaders' record names."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecgcore.datasets.metadata import ludb_table, ptbxl_table, scp_codes


def test_ludb_rows_by_record_name(tmp_path: Path) -> None:
    (tmp_path / "ludb.csv").write_text(
        'ID,Rhythms,Cardiac pacing\n1,Sinus rhythm,\n12,"Atrial flutter",Pacing\n',
        encoding="utf-8",
    )
    table = ludb_table(tmp_path)
    assert list(table) == ["1", "12"]
    assert table["12"]["Rhythms"] == "Atrial flutter"
    assert table["12"]["Cardiac pacing"] == "Pacing"


def test_ptbxl_rows_by_record_name_and_scp_codes(tmp_path: Path) -> None:
    (tmp_path / "ptbxl_database.csv").write_text(
        "ecg_id,patient_id,scp_codes\n"
        "1.0,15709.0,\"{'NORM': 100.0, 'SR': 0.0}\"\n"
        "17,42.0,\"{'AFLT': 100.0}\"\n",
        encoding="utf-8",
    )
    table = ptbxl_table(tmp_path)
    assert list(table) == ["00001", "00017"]
    assert table["00001"]["patient_id"] == "15709.0"
    assert scp_codes(table["00001"]) == {"NORM": 100.0, "SR": 0.0}
    assert scp_codes(table["00017"]) == {"AFLT": 100.0}


def test_missing_table_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"ptbxl_database\.csv"):
        ptbxl_table(tmp_path)
