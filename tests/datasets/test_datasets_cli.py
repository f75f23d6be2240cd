"""``ecg datasets``: list, info, and download failing clearly without a network."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ecgcore.cli.main import main


def _touch_record(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.hea").write_text(f"{name} 1 360 10\n")
    (folder / f"{name}.dat").write_bytes(np.zeros(15, dtype=np.uint8).tobytes())


def test_list_shows_present_and_missing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _touch_record(tmp_path / "mitdb", "100")
    _touch_record(tmp_path / "mitdb", "101")
    assert main(["datasets", "list", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("mitdb"))
    assert "2/48" in line and "partial" in line
    assert "partial: mitdb" in out
    assert next(ln for ln in out.splitlines() if ln.startswith("afdb")).split()[3] == "missing"

    assert main(["datasets", "list", "--data-dir", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    mit = next(d for d in data["databases"] if d["name"] == "mitdb")
    assert (mit["present"], mit["expected"], mit["state"]) == (2, 48, "partial")


def test_info_lists_missing_records(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _touch_record(tmp_path / "vfdb", "418")
    assert main(["datasets", "info", "vfdb", "--data-dir", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["present"] == 1 and data["expected"] == 22
    assert "419" in data["missing"] and "418" not in data["missing"]
    assert data["licence"] == "ODC-By 1.0" and "Greenwald" in data["citation"]
    assert main(["datasets", "info", "vfdb", "--data-dir", str(tmp_path)]) == 0
    assert "missing:     419" in capsys.readouterr().out


def test_download_offline_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # port 9 on the loopback interface: nothing listens, the connection is refused
    code = main(
        [
            "datasets",
            "download",
            "mitdb",
            "--records",
            "100",
            "--data-dir",
            str(tmp_path),
            "--physionet-url",
            "http://127.0.0.1:9/",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot download mitdb" in err and "not reachable" in err
    assert "127.0.0.1:9" in err
    assert not (tmp_path / "mitdb" / "100.dat").exists()


def test_download_of_archive_database_says_how(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["datasets", "download", "cinc2017", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "zip archive" in err and "challenge-2017" in err and str(tmp_path) in err


def test_download_unknown_database_or_record(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["datasets", "download", "nosuchdb", "--data-dir", str(tmp_path)]) == 1
    assert "unknown database 'nosuchdb'" in capsys.readouterr().err
    code = main(["datasets", "download", "mitdb", "--records", "110", "--data-dir", str(tmp_path)])
    assert code == 1
    assert "unknown record(s) 110" in capsys.readouterr().err
