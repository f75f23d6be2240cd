"""``ecg grade``: JSON schema, text output, reports, the ECG log and the folder gradebook."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from ecgcore.cli.main import COMMAND_MODULES, main
from ecgcore.drivers._patient import simulate_ecg
from ecgcore.grading import STANDARD_LEADS, apply_swap, standard_leads_mv
from ecgcore.grading.schema import GRADE_JSON_SCHEMA
from ecgcore.io import write_record
from ecgcore.recording import Recording

jsonschema = pytest.importorskip("jsonschema")


@pytest.fixture(autouse=True)
def _no_log_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ECGCORE_LOG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def _write_edf(path: Path, x: np.ndarray, fs: float) -> Path:
    """The 12 leads (n, 12) in mV as a 16-bit EDF file (1 uV per count)."""
    import edfio

    signals = [
        edfio.EdfSignal.from_digital(
            np.round(x[:, j] * 1000).astype(np.int16), fs, label=name,
            physical_dimension="uV", physical_range=(-32768.0, 32767.0),
            digital_range=(-32768, 32767),
        )
        for j, name in enumerate(STANDARD_LEADS)
    ]  # fmt: skip
    edfio.Edf(signals).write(path)
    return path


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A clean WFDB record, one with LA/RA swapped, a CinC 2011 text record, an EDF record
    with LA/RA swapped, a broken file."""
    folder = tmp_path_factory.mktemp("exam")
    clean = simulate_ecg(10.0, 500.0, calibration=True, seed=5).recording
    x, _ = standard_leads_mv(clean)
    swapped = Recording.from_physical(apply_swap(x, "LA_RA"), 500.0, STANDARD_LEADS)
    write_record(clean, folder, name="T01")
    write_record(swapped, folder, name="T02")
    counts = np.round(x * 200).astype(int)  # CinC 2011: 200 counts/mV, sample number first
    rows = np.column_stack([np.arange(counts.shape[0]), counts])
    np.savetxt(folder / "T03.txt", rows, fmt="%d", delimiter=",")
    (folder / "T04.txt").write_text("this is not an ECG\n", encoding="utf-8")
    _write_edf(folder / "T05.edf", apply_swap(x, "LA_RA"), 500.0)
    (folder / "T01.reading.json").write_text('{"rhythm": "sinus", "heart_rate_bpm": 150}', "utf-8")
    (folder / "notes.md").write_text("not a record", encoding="utf-8")
    return {"folder": folder, "clean": folder / "T01", "swapped": folder / "T02",
            "cinc": folder / "T03.txt", "broken": folder / "T04.txt",
            "edf": folder / "T05.edf"}  # fmt: skip


def test_grade_is_registered() -> None:
    assert "grade" in COMMAND_MODULES


def test_json_output_follows_the_schema(records, capsys) -> None:
    code = main(["grade", str(records["swapped"]), "--json", "--technician", "T-2",
                 "--interpretation", "sinus rhythm 70 bpm"])  # fmt: skip
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, GRADE_JSON_SCHEMA)
    assert doc["technician"] == "T-2" and doc["passed"] is False and doc["acceptable"] is True
    codes = {f["code"] for f in doc["findings"]}
    assert "LIMB_REVERSAL_LA_RA" in codes
    limb = next(i for i in doc["items"] if i["id"] == "limb_electrodes")
    assert limb["kept"] == 0 and limb["losses"][0]["code"] == "LIMB_REVERSAL_LA_RA"
    assert limb["losses"][0]["leads"]
    assert doc["interpretation"]["rhythm"] == "sinus"


def test_cinc_text_record_and_text_output(records, capsys) -> None:
    assert main(["grade", str(records["cinc"])]) == 0
    out = capsys.readouterr().out
    assert "T03" in out and "score 100/100" in out and "Complete 12-lead recording" in out


def test_bad_inputs_exit_1_with_a_reason(records, tmp_path, capsys) -> None:
    assert main(["grade", str(records["broken"])]) == 1
    assert "T04.txt" in capsys.readouterr().err
    rubric = tmp_path / "r.toml"
    rubric.write_text('[rubric]\nname = "x"\npass_mark = 50\n[[items]]\nid = "a"\npoints = 5\n'
                      "[items.deductions]\nLEADOFF = 5\n", encoding="utf-8")  # fmt: skip
    assert main(["grade", str(records["clean"]), "--rubric", str(rubric)]) == 1
    assert "items[0].deductions.LEADOFF" in capsys.readouterr().err
    assert main(["grade", str(records["clean"]), "--interpretation", "{bad json"]) == 1


def test_report_and_log(records, tmp_path, capsys) -> None:
    log_url = f"sqlite:///{tmp_path / 'class.sqlite'}"
    report = tmp_path / "reports"
    code = main(["grade", str(records["clean"]), "--json", "--technician", "T-1",
                 "--report", str(report), "--log", log_url])  # fmt: skip
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(p.suffix for p in report.iterdir()) == [".html", ".pdf", ".svg"]
    from ecgcore.log import open_log

    with open_log(log_url) as log:
        entry = log.get(doc["log_entry"])
        assert entry.source == "grade" and entry.technician == "T-1"
        assert entry.grade["score"] == doc["score"] and entry.grade["passed"] == doc["passed"]
        assert {Path(f.path).suffix for f in entry.files} >= {".hea", ".dat", ".pdf"}
        assert all(len(f.sha256) == 64 for f in entry.files)
        assert log.verify().ok


def test_folder_gradebook_with_an_unreadable_record(records, tmp_path, capsys) -> None:
    """WFDB, CinC 2011 text and EDF records and a broken file in one folder, two processes."""
    out = tmp_path / "gradebook.csv"
    log_url = f"sqlite:///{tmp_path / 'book.sqlite'}"
    code = main(["grade", str(records["folder"]), "--out", str(out), "--jobs", "2", "--quiet",
                 "--technician", "class-3", "--log", log_url])  # fmt: skip
    assert code == 1  # one record could not be read
    with out.open(encoding="utf-8", newline="") as fh:
        rows = {r["record"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"T01", "T02", "T03", "T04.txt", "T05"}
    assert "T04.txt" in rows["T04.txt"]["error"] and rows["T04.txt"]["score"] == ""
    assert rows["T04.txt"]["passed"] == ""
    for name in ("T01", "T02", "T03", "T05"):
        assert rows[name]["error"] == "" and 0 <= float(rows[name]["score"]) <= 100
        assert rows[name]["passed"] in ("true", "false")
        assert rows[name]["acceptable"] in ("true", "false")
        assert rows[name]["technician"] == "class-3"
    assert rows["T05"]["file"].endswith("T05.edf")
    assert "LIMB_REVERSAL_LA_RA" in rows["T02"]["findings"].split()
    assert "LIMB_REVERSAL_LA_RA" in rows["T05"]["findings"].split()  # the EDF record
    assert "LIMB_REVERSAL_LA_RA" not in rows["T03"]["findings"].split()
    assert "INTERPRETATION_MISMATCH" in rows["T01"]["findings"].split()  # from T01.reading.json
    assert "T04.txt" in capsys.readouterr().err
    from ecgcore.log import open_log

    with open_log(log_url) as log:
        assert log.count() == 4  # every graded record, not the unreadable one
        entries = {Path(e.files[0].path).name.split(".")[0]: e for e in log.entries()}
        assert set(entries) == {"T01", "T02", "T03", "T05"}
        for name, entry in entries.items():
            assert entry.source == "grade" and entry.technician == "class-3"
            assert entry.grade["score"] == float(rows[name]["score"])
            codes = [f["code"] for f in entry.grade["findings"]]
            assert " ".join(dict.fromkeys(codes)) == rows[name]["findings"]
            # the record's bytes are hashed into the entry
            for ref in entry.files:
                assert ref.sha256 == hashlib.sha256(Path(ref.path).read_bytes()).hexdigest()
        assert {Path(f.path).name for f in entries["T01"].files} >= {"T01.hea", "T01.dat"}
        assert [Path(f.path).name for f in entries["T05"].files] == ["T05.edf"]
        assert log.verify().ok


def test_folder_all_readable_exits_0(records, tmp_path) -> None:
    folder = tmp_path / "ok"
    folder.mkdir()
    for name in ("T01.hea", "T01.dat", "T03.txt"):
        (folder / name).write_bytes((records["folder"] / name).read_bytes())
    out = tmp_path / "book.csv"
    assert main(["grade", str(folder), "--out", str(out), "--quiet"]) == 0
    with out.open(encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 2
