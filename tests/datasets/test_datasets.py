"""Dataset registry, local presence (partial databases), lazy loading, labels."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

from ecgcore.datasets import (
    DATABASES,
    ENV_DATA_DIR,
    database_info,
    get_database,
    iter_records,
)
from ecgcore.errors import DataError

REQUIRED = (
    "mitdb",
    "nstdb",
    "vfdb",
    "afdb",
    "ltafdb",
    "nsrdb",
    "svdb",
    "incartdb",
    "cudb",
    "qtdb",
    "edb",
    "ludb",
    "ptb-xl",
    "cinc2011",
    "cinc2017",
)


def test_registry_has_every_required_database() -> None:
    assert set(REQUIRED) <= set(DATABASES)
    for info in DATABASES.values():
        assert info.fs > 0 and info.n_leads >= 1
        assert info.licence and info.citation and info.slug and info.folder
        if info.records is not None:
            assert len(info.records) == info.expected_count
            assert len(set(info.records)) == len(info.records)


@pytest.mark.parametrize(
    ("name", "count", "first", "last"),
    [
        ("mitdb", 48, "100", "234"),
        ("nstdb", 15, "118e_6", "ma"),
        ("vfdb", 22, "418", "615"),
        ("afdb", 23, "04015", "08455"),
        ("ltafdb", 84, "00", "75"),
        ("nsrdb", 18, "16265", "19830"),
        ("svdb", 78, "800", "894"),
        ("incartdb", 75, "I01", "I75"),
        ("cudb", 35, "cu01", "cu35"),
        ("qtdb", 105, "sel100", "sele0704"),
        ("edb", 90, "e0103", "e1304"),
        ("ludb", 200, "1", "200"),
        ("cinc2017", 8528, "A00001", "A08528"),
    ],
)
def test_official_record_lists(name: str, count: int, first: str, last: str) -> None:
    info = database_info(name)
    assert info.records is not None
    assert (len(info.records), info.records[0], info.records[-1]) == (count, first, last)


def test_mitdb_facts() -> None:
    info = database_info("mitdb")
    assert info.fs == 360.0 and info.reference_extension == "atr"
    assert set(info.paced_records) == {"102", "104", "107", "217"}
    assert "110" not in info.records and "204" not in info.records  # not in the release


def test_aliases_and_unknown_name() -> None:
    assert database_info("ptbxl").name == "ptb-xl"
    assert database_info("challenge-2017").name == "cinc2017"
    assert database_info("MITDB").name == "mitdb"
    with pytest.raises(ValueError, match="known databases: mitdb"):
        database_info("nosuchdb")


def test_record_layouts() -> None:
    assert database_info("ludb").record_path("17") == "data/17"
    assert database_info("ptb-xl").record_path("00001") == "records500/00000/00001_hr"
    assert database_info("ptb-xl").record_path("21837") == "records500/21000/21837_hr"
    assert database_info("mitdb").record_path("101") == "101"


# --- a small partial mitdb written in a temporary folder ------------------------------


def _write_record(folder: Path, name: str, fs: float = 360.0, seconds: float = 20.0) -> None:
    import wfdb

    folder.mkdir(parents=True, exist_ok=True)
    n = int(fs * seconds)
    t = np.arange(n) / fs
    beats = np.arange(int(0.5 * fs), n - int(0.5 * fs), int(0.8 * fs))
    sig = np.zeros((n, 2))
    for b in beats:
        sig[:, 0] += 1.2 * np.exp(-0.5 * ((t - b / fs) / 0.012) ** 2)
    sig[:, 1] = 0.5 * sig[:, 0]
    wfdb.wrsamp(
        name,
        fs=fs,
        units=["mV", "mV"],
        sig_name=["MLII", "V1"],
        p_signal=sig,
        fmt=["212", "212"],
        adc_gain=[200.0, 200.0],
        baseline=[0, 0],
        write_dir=str(folder),
    )
    symbols = ["N"] * beats.size
    symbols[3] = "V"
    symbols[5] = "A"
    samples = np.concatenate([[2], beats])
    wfdb.wrann(
        name,
        "atr",
        sample=samples,
        symbol=["+", *symbols],
        aux_note=["(N", *[""] * beats.size],
        write_dir=str(folder),
    )


@pytest.fixture
def partial_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    _write_record(root / "mitdb", "101")
    _write_record(root / "mitdb", "100")
    (root / "mitdb" / "999.hea").write_text("not a release record\n")
    return root


def test_partial_database_status(partial_root: Path) -> None:
    db = get_database("mitdb", partial_root)
    assert db.records() == ["100", "101"]  # official order, unknown files ignored
    s = db.status()
    assert (s.present, s.expected, s.state) == (2, 48, "partial")
    assert "102" in s.missing and "100" not in s.missing and len(s.missing) == 46
    empty = get_database("svdb", partial_root).status()
    assert (empty.present, empty.state) == (0, "missing")


def test_header_without_signal_is_not_present(partial_root: Path) -> None:
    (partial_root / "mitdb" / "102.hea").write_text("102 2 360 650000\n")
    assert not get_database("mitdb", partial_root).is_present("102")


def test_data_root_from_environment(partial_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_DATA_DIR, str(partial_root))
    assert get_database("mitdb").root == partial_root
    assert get_database("mitdb", "/elsewhere").root == Path("/elsewhere")


def test_load_record_maps_beats_and_rhythms(partial_root: Path) -> None:
    rec = get_database("mitdb", partial_root).load_record("101", leads=[0])
    assert rec.recording.fs == 360.0 and rec.recording.n_leads == 1
    assert rec.beat_idx.dtype == np.int64
    assert rec.beat_idx.size == len(rec.beat_symbols) == len(rec.beat_classes)
    assert rec.beat_classes[3] == "V" and rec.beat_classes[5] == "S"
    assert rec.beat_classes.count("N") == rec.beat_idx.size - 2
    assert rec.rhythm_changes == ((2, "N"),)
    assert np.all(np.diff(rec.beat_idx) > 0)


def test_iter_records_is_lazy(partial_root: Path) -> None:
    gen = iter_records("mitdb", ["100", "105", "101"], data_dir=partial_root)
    assert isinstance(gen, types.GeneratorType)
    first = next(gen)
    assert first.record == "100"
    with pytest.raises(DataError, match=r"record '105' not found .* 2 of 48"):
        next(gen)


def test_missing_annotations_give_none(partial_root: Path) -> None:
    (partial_root / "mitdb" / "100.atr").unlink()
    rec = get_database("mitdb", partial_root).load_record("100")
    assert rec.annotations is None
    assert rec.beat_idx.size == 0 and rec.rhythm_changes == ()


def test_cinc_labels_and_text_records(tmp_path: Path) -> None:
    folder = tmp_path / "cinc2011"
    folder.mkdir()
    for name in ("1002603", "1002867"):
        (folder / f"{name}.txt").write_text("")
    (folder / "notes.txt").write_text("")
    (folder / "REFERENCE.csv").write_text("1002603,unacceptable\n1002867,acceptable\n")
    db = get_database("cinc2011", tmp_path)
    assert db.records() == ["1002603", "1002867"]
    assert db.status().expected == 1000
    assert db.label("1002867") == "acceptable"
    (folder / "REFERENCE.csv").write_text("1002603,unacceptable,extra\n")
    with pytest.raises(DataError, match=r"REFERENCE.csv: line 1: expected 'record,label'"):
        get_database("cinc2011", tmp_path).label("1002603")


def test_ptbxl_records_come_from_its_index(tmp_path: Path) -> None:
    folder = tmp_path / "ptbxl"
    (folder / "records500" / "00000").mkdir(parents=True)
    (folder / "ptbxl_database.csv").write_text("ecg_id,patient_id\n1,15709.0\n2,13243.0\n")
    for stem in ("00001_hr",):
        (folder / "records500" / "00000" / f"{stem}.hea").write_text("")
        (folder / "records500" / "00000" / f"{stem}.dat").write_text("")
    db = get_database("ptb-xl", tmp_path)
    assert db.records() == ["00001"]
    assert db.status().present == 1 and db.status().expected == 21799


# --- the shared PhysioNet data ---------------------------------------------------------


@pytest.mark.shared_data
def test_shared_mitdb_record(data_dir: Path) -> None:
    import wfdb

    db = get_database("mitdb", data_dir)
    assert "101" in db.records()
    rec = db.load_record("101", leads=[0])
    ann = wfdb.rdann(str(data_dir / "mitdb" / "101"), "atr")
    beat_symbols = set("NLRBejnAaJSVrEF/fQ?")
    assert rec.beat_idx.size == sum(s in beat_symbols for s in ann.symbol)
    assert rec.recording.n_samples == 650000
    assert rec.rhythm_changes[0][1] == "N"


@pytest.mark.shared_data
def test_shared_cinc2017_labels(data_dir: Path) -> None:
    db = get_database("cinc2017", data_dir)
    if not db.records():
        pytest.skip("cinc2017 not in the local data")
    first = db.records()[0]
    assert db.label(first) in {"N", "A", "O", "~"}


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "name", ["mitdb", "nstdb", "vfdb", "ludb", "ptb-xl", "cinc2011", "cinc2017"]
)
def test_registry_facts_match_the_shared_files(data_dir: Path, name: str) -> None:
    db = get_database(name, data_dir)
    present = db.records()
    if not present:
        pytest.skip(f"{name} not in the local data")
    rec = db.load_record(present[0])
    assert rec.recording.fs == db.info.fs
    assert rec.recording.n_leads == db.info.n_leads
    assert (rec.annotations is not None) == db.has_reference(present[0])
    if db.info.labels_file is not None:
        assert rec.label is not None
