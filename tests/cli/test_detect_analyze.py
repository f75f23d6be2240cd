"""``ecg detect``, ``ecg analyze`` and ``ecg demo`` on generated records."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgcore import detect_r_peaks, read_record, write_record
from ecgcore.cli.main import main
from ecgcore.drivers.sim import simulate_ecg


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sim = simulate_ecg(30, 360, leads=("I", "II"), hr=75, seed=3)
    folder = tmp_path_factory.mktemp("rec")
    return write_record(sim.recording, folder, name="sim75").with_suffix("")


def test_detect_writes_qrs_readable_by_rdann(record: Path, tmp_path: Path) -> None:
    assert main(["detect", str(record), "--out-dir", str(tmp_path)]) == 0
    ann = wfdb.rdann(str(tmp_path / "sim75"), "qrs")
    rec = read_record(record)
    expected = detect_r_peaks(rec.lead_mv("II"), rec.fs)
    np.testing.assert_array_equal(ann.sample, expected)
    assert set(ann.symbol) == {"N"}
    assert set(ann.chan) == {rec.lead_index("II")}
    # 30 s at 75 bpm
    assert 35 <= ann.sample.size <= 39


def test_detect_lead_option_and_record_with_extension(record: Path, tmp_path: Path) -> None:
    hea = record.with_suffix(".hea")
    assert main(["detect", str(hea), "--lead", "0", "--out-dir", str(tmp_path)]) == 0
    assert set(wfdb.rdann(str(tmp_path / "sim75"), "qrs").chan) == {0}


def test_analyze_json(record: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(record), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lead"] == "II"
    assert out["heart_rate"]["mean_bpm"] == pytest.approx(75, abs=3)
    assert out["n_beats"] == len(out["beats"])
    assert {b["aami"] for b in out["beats"]} <= set("NSVFQ")
    spans = [(e["start_s"], e["end_s"]) for e in out["episodes"]]
    assert spans[0][0] == 0.0
    assert spans[-1][1] == pytest.approx(30.0)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))


def test_analyze_out_dir_writes_rhythm_annotations(record: Path, tmp_path: Path) -> None:
    assert main(["analyze", str(record), "--out-dir", str(tmp_path)]) == 0
    ann = wfdb.rdann(str(tmp_path / "sim75"), "rhy")
    assert any(note.startswith("(") for note in ann.aux_note)


def test_missing_record_is_a_data_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert "nope" in err
    assert len(err.strip().splitlines()) == 1


def test_bad_arguments_are_usage_errors(record: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["detect"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(record), "--no-such-option"])
    assert exc.value.code == 2


def test_unknown_lead_is_a_data_error(record: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(record), "--lead", "V9"]) == 1
    assert "V9" in capsys.readouterr().err


def test_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--seconds", "10", "--speed", "20"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "OK:" in text  # the log verified
    for name in ("demo.hea", "demo.dat", "analysis/demo.qrs", "analysis/demo_beats.png"):
        assert (out / name).is_file(), name
    assert (out / "report" / "demo.pdf").is_file()
    # A rerun starts afresh and still verifies.
    assert main(args) == 0
    assert "OK:" in capsys.readouterr().out
