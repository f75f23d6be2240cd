"""The log store on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from ecgcore.errors import LogError
from ecgcore.log import ECGLog, open_log
from ecgcore.log._canonical import GENESIS_HASH, canonical_json, hash_text
from ecgcore.log.schema import LATEST_VERSION, migrate

FULL = {
    "technician": "T-01",
    "patient": "MRN-0042",
    "acquired_utc": "2024-05-01T10:00:00Z",
    "source": "record",
    "subject": "live",
    "device": {"model": "ADS1298 board", "serial": "SN 7", "firmware": "1.2.3"},
    "leads": ["I", "II", "V1"],
    "fs": 500,
    "duration_s": 10.0,
    "filter": {"highpass_hz": 0.5, "lowpass_hz": 40.0, "notch_hz": 50},
    "heart_rate_bpm": 71.5,
    "rhythm": "sinus rhythm",
    "alarms": ["lead off V1"],
    "quality": {"I": 0.98, "II": 0.95, "V1": 0.4},
    "grade": {"score": 88, "max_score": 100, "passed": True},
    "notes": "first recording",
}


def _engine(log: ECGLog) -> sa.Engine:
    return log._engine


def _drop_append_only(log: ECGLog) -> None:
    """What someone tampering with the database would do first."""
    with _engine(log).begin() as conn:
        if log.backend == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS log_entries_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS log_entries_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS log_entries_append_only ON log_entries")


def test_append_get_round_trip_and_chain(log, tmp_path):
    rec = tmp_path / "a.dat"
    rec.write_bytes(b"\x01\x02" * 100)
    first = log.append(FULL, files=[rec])
    second = log.append(technician="T-02", patient=None, source="manual", notes="")
    assert (first.id, second.id) == (1, 2)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.entry_hash
    assert first.entry_hash == hash_text(canonical_json(first.body()))
    got = log.get(1)
    assert got == first
    assert got.device == FULL["device"] and got.leads == ("I", "II", "V1") and got.fs == 500.0
    assert got.grade == FULL["grade"] and got.alarms == ("lead off V1",)
    assert got.acquired_utc == "2024-05-01T10:00:00.000000Z"
    assert got.files[0].sha256 == hashlib.sha256(rec.read_bytes()).hexdigest()
    assert got.files[0].path == str(rec.resolve()) and got.files[0].size == 200
    assert log.head() == (2, second.entry_hash)
    report = log.verify()
    assert report.ok and report.n_entries == 2 and report.n_files == 1
    assert report.head_hash == second.entry_hash


def test_unknown_and_bad_ids(log):
    log.append(technician="T")
    for bad in (2, "99", 0, -1, "abc", "1; DROP TABLE log_entries", 2**70, True):
        with pytest.raises(LogError, match=r"no log entry|positive integer"):
            log.get(bad)
    assert log.count() == 1


def test_pseudonymisation(log, isolated_user_dirs):
    entry = log.append(technician="T", patient="MRN-0042")
    key_file = isolated_user_dirs / "config" / "ecgcore" / "log.key"
    key = bytes.fromhex(key_file.read_text())
    expected = hmac.new(key, b"ecgcore-patient\x00MRN-0042", hashlib.sha256).hexdigest()
    assert entry.patient_ref == expected and entry.patient_ref_kind == "pseudonym"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    again = log.append(technician="T", patient="MRN-0042")
    other = log.append(technician="T", patient="MRN-0043")
    clear = log.append(technician="T", patient="MRN-0042", clear_patient=True)
    assert again.patient_ref == expected != other.patient_ref
    assert clear.patient_ref == "MRN-0042" and clear.patient_ref_kind == "clear"
    assert [h.original.id for h in log.list(patient="MRN-0042")] == [1, 2, 4]
    assert "MRN-0042" not in json.dumps([e.body() for e in log.entries() if e.id != 4])
    with pytest.raises(LogError, match="clear_patient"):
        log.append(technician="T", clear_patient=True)


def test_key_is_not_in_the_database_and_a_readable_key_is_refused(sqlite_url, tmp_path):
    key_file = tmp_path / "k" / "log.key"
    with open_log(sqlite_url, key_file=key_file) as log:
        log.append(technician="T", patient="P1")
    key_hex = key_file.read_text().strip()
    db = Path(sa.make_url(sqlite_url).database)
    for part in db.parent.iterdir():
        data = part.read_bytes()
        assert key_hex.encode() not in data and bytes.fromhex(key_hex) not in data
    key_file.chmod(0o644)
    with open_log(sqlite_url, key_file=key_file) as log, pytest.raises(LogError, match="chmod"):
        log.append(technician="T", patient="P2")


def test_amendments_keep_the_original(log):
    log.append(FULL)
    log.append(technician="T-02", rhythm="atrial fibrillation")
    amendment = log.amend(1, reason="rhythm misread", author="SUP-1", rhythm="sinus bradycardia",
                          heart_rate_bpm=52)  # fmt: skip
    assert amendment.kind == "amendment" and amendment.amends == 1
    assert amendment.changes == {"rhythm": "sinus bradycardia", "heart_rate_bpm": 52.0}
    assert log.get(1).rhythm == "sinus rhythm"
    history = log.show(1)
    assert history.amended and history.amendments[0].reason == "rhythm misread"
    assert history.current.rhythm == "sinus bradycardia" and history.current.heart_rate_bpm == 52
    assert log.show(3) == history
    log.amend(1, reason="patient mix-up", author="SUP-1", patient="MRN-9", clear_patient=True)
    assert log.show(1).current.patient_ref == "MRN-9"
    # filters see current values
    assert [h.original.id for h in log.list(rhythm="BRADY")] == [1]
    assert [h.original.id for h in log.list(rhythm="sinus rhythm")] == []
    assert [h.original.id for h in log.list(patient="MRN-9")] == [1]
    assert log.list(patient="MRN-0042") == []
    assert log.verify().ok


@pytest.mark.parametrize(
    ("target", "kwargs", "match"),
    [
        (99, {"rhythm": "x"}, "no such entry"),
        (2, {"rhythm": "x"}, "is an amendment"),
        (1, {}, "at least one field"),
        (1, {"colour": "red"}, "unknown log field"),
        (1, {"id": 5}, "unknown log field"),
        (1, {"rhythm": 5}, "rhythm"),
    ],
)
def test_amend_refusals(log, target, kwargs, match):
    log.append(technician="T")
    log.amend(1, reason="r", author="A", notes="fixed")
    with pytest.raises(LogError, match=match):
        log.amend(target, reason="because", author="A", **kwargs)
    with pytest.raises(LogError, match="reason"):
        log.amend(1, reason="  ", author="A", notes="x")
    assert log.count() == 2


def test_append_only_at_the_database(log):
    log.append(technician="T")
    for sql in ("UPDATE log_entries SET technician = 'X'", "DELETE FROM log_entries"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), _engine(log).begin() as c:
            c.exec_driver_sql(sql)
    assert log.verify().ok


def _tamper(log: ECGLog, sql: str, **params: object) -> None:
    _drop_append_only(log)
    with _engine(log).begin() as conn:
        conn.execute(sa.text(sql), params)


def _fill(log: ECGLog, n: int = 5) -> None:
    for i in range(n):
        log.append(technician=f"T{i}", rhythm="sinus rhythm", notes=f"entry {i + 1}")


def test_verify_names_a_changed_entry(log):
    _fill(log)
    body = log.get(3).body()
    body["rhythm"] = "ventricular tachycardia"
    _tamper(log, "UPDATE log_entries SET body = :b WHERE id = 3", b=canonical_json(body))
    report = log.verify()
    assert not report.ok and report.first_bad_id == 3
    assert report.problems[0].what == "content"


def test_verify_names_a_rehashed_entry_by_order(log):
    # Rewriting an entry with a fresh, self-consistent hash breaks the next link.
    _fill(log)
    body = log.get(2).body()
    body["notes"] = "rewritten"
    text = canonical_json(body)
    _tamper(log, "UPDATE log_entries SET body = :b, entry_hash = :h WHERE id = 2",
            b=text, h=hash_text(text))  # fmt: skip
    report = log.verify()
    assert report.first_bad_id == 3 and report.problems[0].what == "order"


def test_verify_names_a_filter_column_edit(log):
    _fill(log)
    _tamper(log, "UPDATE log_entries SET technician = 'T9' WHERE id = 4")
    report = log.verify()
    assert report.first_bad_id == 4 and "technician" in report.problems[0].message


def test_verify_names_a_deleted_entry(log):
    _fill(log)
    _tamper(log, "DELETE FROM log_entries WHERE id = 2")
    report = log.verify()
    assert report.first_bad_id == 3 and report.problems[0].what == "order"


def test_verify_detects_truncation_and_expected_head(log):
    _fill(log)
    head = log.head()
    _tamper(log, "DELETE FROM log_entries WHERE id = 5")
    report = log.verify()
    assert not report.ok and report.problems[0].what == "head" and report.first_bad_id == 5
    # Head rewritten too: only a head hash kept elsewhere reveals it.
    _tamper(log, "UPDATE chain_head SET last_id = 4, last_hash = :h", h=log.get(4).entry_hash)
    assert log.verify().ok
    report = log.verify(expect_head=head.last_hash)
    assert not report.ok and report.problems[0].what == "head"


def test_verify_detects_swapped_entries(log):
    _fill(log)
    _drop_append_only(log)
    with _engine(log).begin() as conn:
        conn.exec_driver_sql("UPDATE log_entries SET id = 100 WHERE id = 2")
        conn.exec_driver_sql("UPDATE log_entries SET id = 2 WHERE id = 3")
        conn.exec_driver_sql("UPDATE log_entries SET id = 3 WHERE id = 100")
    report = log.verify()
    assert report.first_bad_id == 2 and {p.what for p in report.problems} == {"order"}


def test_verify_files(log, tmp_path):
    files = []
    for i in range(3):
        f = tmp_path / f"r{i}.dat"
        f.write_bytes(bytes([i]) * 64)
        files.append(f)
        log.append(technician="T", files=[f])
    assert log.verify().ok
    files[1].write_bytes(bytes([9]) * 64)  # same size, other content
    files[2].unlink()
    report = log.verify()
    assert [(p.entry_id, p.what) for p in report.problems] == [(2, "file"), (3, "file")]
    assert "changed" in report.problems[0].message and "missing" in report.problems[1].message
    assert log.verify(check_files=False).ok
    # A documented move: amend the file list, verify follows the amendment.
    moved = tmp_path / "moved.dat"
    moved.write_bytes(bytes([9]) * 64)
    log.amend(2, reason="file re-exported", author="A", files=[moved])
    assert log.verify().first_bad_id == 3


def test_odd_text_is_stored_verbatim(log):
    odd = {
        "technician": "Robert'); DROP TABLE log_entries;--",
        "patient": "x' OR '1'='1",
        "clear_patient": True,
        "rhythm": "50% _sinus_ \\ \"quoted\" 'single'",
        "notes": "عربي \u202e RTL, 👩\u200d⚕️, e\u0301, tab\t, lines\n\n, $x$, %s, :param, ?",
        "alarms": ["", "x" * 1000],
    }
    entry = log.append(odd)
    got = log.get(entry.id)
    assert got.technician == odd["technician"] and got.patient_ref == odd["patient"]
    assert got.rhythm == odd["rhythm"] and got.notes == odd["notes"]
    assert [h.original.id for h in log.list(technician=odd["technician"])] == [1]
    assert [h.original.id for h in log.list(patient=odd["patient"])] == [1]
    assert log.list(rhythm="50% _SINUS_")[0].original.id == 1
    assert log.list(rhythm="%") and not log.list(rhythm="'1'='1")
    assert log.verify().ok and log.count() == 1


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"notes": "nul \x00 byte"}, "U\\+0000"),
        ({"notes": "x" * 20_001}, "at most"),
        ({"technician": "T\u202e"}, "not allowed"),
        ({"rhythm": "\ud83d"}, "surrogate"),
        ({"acquired_utc": "2024-05-01 10:00"}, "offset"),
    ],
)
def test_bad_text_is_refused(log, fields, match):
    with pytest.raises(LogError, match=match):
        log.append({"technician": "T", **fields})
    assert log.count() == 0 and log.verify().ok


def test_list_filters(log):
    log.append(technician="A", acquired_utc="2024-01-01T23:59:59Z", rhythm="Sinus rhythm")
    log.append(technician="B", acquired_utc="2024-01-02T00:00:00Z", rhythm="atrial flutter")
    log.append(technician="A", acquired_utc="2024-01-03T08:00:00+02:00", rhythm="AFib")

    def ids(**kw):
        return [h.original.id for h in log.list(**kw)]

    assert ids() == [1, 2, 3]
    assert ids(technician="A") == [1, 3]
    assert ids(since="2024-01-02") == [2, 3]
    assert ids(until="2024-01-02") == [1, 2]
    assert ids(until="2024-01-02T00:00:00Z") == [1, 2]
    assert ids(since="2024-01-03T06:00:00Z", until="2024-01-03T06:00:00Z") == [3]
    assert ids(rhythm="a") == [2, 3] and ids(rhythm="SINUS") == [1]
    assert ids(technician="A", rhythm="afib") == [3]
    with pytest.raises(LogError, match="since"):
        log.list(since="last week")
    with pytest.raises(LogError, match="kind"):
        log.list(kind="amendment")


def test_schema_migrates_from_v1_and_refuses_newer(log_url, request):
    from ecgcore.log.schema import schema_version

    engine = sa.create_engine(
        sa.make_url(log_url).set(
            drivername="postgresql+psycopg" if log_url.startswith("postgresql") else "sqlite"
        )
    )
    if log_url.startswith("sqlite"):
        Path(sa.make_url(log_url).database).parent.mkdir(parents=True)
    with engine.begin() as conn:
        assert migrate(conn, target=1) == 1
    with open_log(log_url) as log:
        assert log.schema_version == LATEST_VERSION
        log.append(technician="T")
        assert log.verify().ok
    with engine.begin() as conn:
        future = {"version": 99, "applied_utc": "x", "description": "future"}
        conn.execute(sa.insert(schema_version).values(**future))
    with pytest.raises(LogError, match="newer than this ecgcore"):
        open_log(log_url)
    engine.dispose()


def test_sqlite_file_permissions_and_wal(isolated_user_dirs):
    with open_log() as log:  # default file in the user data dir
        log.append(technician="T")
        path = Path(log.url.database)
        assert path == isolated_user_dirs / "data" / "ecgcore" / "log.sqlite"
        with _engine(log).connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        for part in [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]:
            assert stat.S_IMODE(part.stat().st_mode) == 0o600, part
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_url_resolution(tmp_path, monkeypatch):
    from ecgcore.log import resolve_log_url

    env_file = tmp_path / "env.sqlite"
    monkeypatch.setenv("ECGCORE_LOG", f"sqlite:///{env_file}")
    assert resolve_log_url().database == str(env_file)
    assert resolve_log_url(str(tmp_path / "arg.sqlite")).database == str(tmp_path / "arg.sqlite")
    assert resolve_log_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    for bad, match in [("mysql://u@h/db", "unsupported"), ("sqlite://", "in-memory"),
                       ("sqlite:///:memory:", "in-memory")]:  # fmt: skip
        with pytest.raises(LogError, match=match):
            resolve_log_url(bad)
