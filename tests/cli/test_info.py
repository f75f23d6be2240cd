"""``ecg info``: text and JSON output, header-only mode, exit codes."""

from __future__ import annotations

import datetime as dt
import json

import edfio
import numpy as np
import pytest

from ecgcore.cli.main import main
from ecgcore.io import write_record
from ecgcore.recording import Recording


@pytest.fixture
def record(tmp_path):
    adc = (np.arange(1000).reshape(500, 2) % 97).astype(np.int32)
    missing = np.zeros(adc.shape, dtype=bool)
    missing[10:15, 1] = True
    rec = Recording(adc, 250.0, ("I", "II"), [200.0, 1000.0], [0, -3], ("mV", "uV"),
                    missing=missing, start_time=dt.datetime(2024, 2, 3, 4, 5, 6),
                    name="rec")  # fmt: skip
    write_record(rec, tmp_path)
    return tmp_path / "rec"


def test_text_output(record, capsys):
    assert main(["info", str(record)]) == 0
    out = capsys.readouterr().out
    assert "format    WFDB 16" in out
    assert "leads     2: I, II" in out
    assert "fs        250 Hz" in out
    assert "duration  2.000 s (00:00:02.000)" in out
    assert "samples   500 per lead" in out
    assert "start     2024-02-03T04:05:06" in out
    assert "missing   5 samples" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert lines["I"] == ["I", "mV", "200", "0", "0"]
    assert lines["II"] == ["II", "uV", "1000", "-3", "5"]


def test_json_output(record, capsys):
    assert main(["info", str(record) + ".hea", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["record"] == "rec" and info["format"] == "WFDB 16"
    assert info["fs_hz"] == 250.0 and info["n_samples"] == 500 and info["duration_s"] == 2.0
    assert info["missing_samples"] == 5
    assert info["start_time"] == "2024-02-03T04:05:06"
    assert info["leads"][1] == {"name": "II", "unit": "uV", "gain": 1000, "baseline": -3,
                                "missing": 5}  # fmt: skip
    assert info["error"] is None


def test_header_only(record, capsys):
    assert main(["info", str(record), "--header-only", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["missing_samples"] is None and info["leads"][0]["missing"] is None


def test_missing_record_is_a_data_error(tmp_path, capsys):
    assert main(["info", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("ecg info: error: record ") and ".hea" in err[0]


def test_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["info"])
    assert exc.value.code == 2


def test_unreadable_samples_still_show_the_header(tmp_path, capsys):
    ecg = edfio.EdfSignal(np.zeros(500), 500, label="ECG", physical_dimension="mV",
                          physical_range=(-5, 5))  # fmt: skip
    resp = edfio.EdfSignal(np.zeros(250), 250, label="Resp", physical_dimension="Ohm",
                           physical_range=(0, 10))  # fmt: skip
    edfio.Edf([ecg, resp]).write(tmp_path / "mixed.edf")
    assert main(["info", str(tmp_path / "mixed.edf")]) == 1
    captured = capsys.readouterr()
    assert "leads     2: ECG, Resp" in captured.out
    assert "missing   not counted" in captured.out
    assert "sampling frequency" in captured.err


@pytest.mark.shared_data
def test_real_record(data_dir, capsys):
    assert main(["info", str(data_dir / "mitdb" / "101"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "WFDB 212" and info["n_samples"] == 650000
    assert [d["name"] for d in info["leads"]] == ["MLII", "V1"]
