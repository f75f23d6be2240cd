"""``ecg log`` and ``ecg technician`` end to end, plus the exports."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa

from ecgcore.cli.main import main
from ecgcore.log import open_log
from ecgcore.log._canonical import GENESIS_HASH, canonical_json, hash_text
from ecgcore.log.export import logbook_pages


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(log_url, wfdb_record):
    with open_log(log_url) as log:
        log.append(
            technician="T-01",
            patient="MRN-1",
            rhythm="sinus rhythm",
            subject="live",
            acquired_utc="2024-03-01T09:00:00Z",
            heart_rate_bpm=70,
            source="record",
        )
        log.append(
            technician="T-02",
            patient="MRN-2",
            rhythm="atrial fibrillation",
            acquired_utc="2024-03-02T09:00:00Z",
            grade={"score": 90},
            source="grade",
        )
        log.amend(1, reason="HR recount", author="SUP", heart_rate_bpm=72)
    return log_url  # fmt: skip


def test_import_list_show_amend_verify(capsys, filled, wfdb_record):
    url = filled
    code, out, _ = run(capsys, "log", "import", str(wfdb_record), "--log", url,
                       "--technician", "T-01", "--patient", "MRN-3", "--subject", "live",
                       "--acquired", "2024-03-03T10:00:00+01:00", "--rhythm", "sinus tachycardia",
                       "--device-model", "ADS1298")  # fmt: skip
    assert code == 0 and "logged entry 4 (3 files)" in out
    code, out, _ = run(capsys, "log", "list", "--log", url, "--technician", "T-01")
    assert code == 0 and out.splitlines()[-1] == "2 entries"
    assert "sinus tachycardia" in out and " A" in out.splitlines()[1]
    code, out, _ = run(capsys, "log", "list", "--log", url, "--patient", "MRN-2", "--json")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [2]
    code, out, _ = run(capsys, "log", "list", "--log", url, "--since", "2024-03-02",
                       "--until", "2024-03-02", "--rhythm", "fib")  # fmt: skip
    assert out.splitlines()[-1] == "1 entry"
    code, out, _ = run(capsys, "log", "amend", "4", "--log", url, "--reason", "typo",
                       "--author", "T-01", "--set", "rhythm=sinus rhythm",
                       "--set-json", "heart_rate_bpm=101")  # fmt: skip
    assert code == 0 and "entry 5 amends entry 4" in out
    code, out, _ = run(capsys, "log", "show", "4", "--log", url)
    assert code == 0 and "amendment 5 by T-01: typo" in out and "heart_rate_bpm   101.0" in out
    assert "rec1.dat" in out
    code, out, _ = run(capsys, "log", "show", "4", "--log", url, "--json")
    shown = json.loads(out)
    assert shown["original"]["rhythm"] == "sinus tachycardia"
    assert shown["current"]["rhythm"] == "sinus rhythm"
    code, out, _ = run(capsys, "log", "verify", "--log", url)
    assert code == 0 and out.startswith("OK: 5 entries, 3 files re-hashed")
    wfdb_record.with_suffix(".atr").write_bytes(b"changed")
    code, out, err = run(capsys, "log", "verify", "--log", url)
    assert code == 1 and "first mismatch at entry 4" in err and "rec1.atr" in err
    code, out, _ = run(capsys, "log", "verify", "--log", url, "--no-files")
    assert code == 0


def test_verify_exit_code_on_tampered_chain(capsys, filled):
    with open_log(filled) as log:
        engine = log._engine
        with engine.begin() as conn:
            if log.backend == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER log_entries_no_update")
            else:
                conn.exec_driver_sql("DROP TRIGGER log_entries_append_only ON log_entries")
            conn.execute(sa.text("UPDATE log_entries SET body = replace(body, 'MRN', 'XXX') "
                                 "WHERE id = 2"))  # fmt: skip
            conn.execute(sa.text("UPDATE log_entries SET body = replace(body, '90', '99') "
                                 "WHERE id = 2"))  # fmt: skip
    code, _, err = run(capsys, "log", "verify", "--log", filled)
    assert code == 1 and "first mismatch at entry 2" in err and "content" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["log", "show", "99"], "no log entry with id 99"),
        (["log", "show", "abc"], "positive integer"),
        (["log", "show", "1 OR 1=1"], "positive integer"),
        (["log", "list", "--since", "yesterday"], "since"),
        (["log", "list", "--until", "2024-02-30"], "until"),
        (["log", "amend", "99", "--reason", "r", "--author", "A", "--set", "notes=x"], "no such"),
        (["log", "amend", "1", "--reason", "r", "--author", "A"], "at least one"),
        (["log", "amend", "1", "--reason", "r", "--author", "A", "--set", "bogus"], "FIELD=VALUE"),
        (["log", "amend", "1", "--reason", "r", "--author", "A", "--set-json", "fs=x"], "JSON"),
        (["log", "amend", "1", "--reason", "r", "--author", "A\u202e", "--set", "notes=x"],
         "not allowed"),
        (["log", "export", "--format", "pdf"], "--out"),
        (["technician", "ce", "T", "--credits", "-2", "--course", "c"], "credits"),
        (["technician", "certify", "T", "--date", "2024-13-01"], "date"),
    ],
)  # fmt: skip
def test_bad_input_gives_one_clear_line(capsys, filled, argv, message):
    code, _, err = run(capsys, *argv, "--log", filled)
    assert code == 1 and message in err and len(err.splitlines()) == 1, err
    with open_log(filled) as log:
        assert log.count() == 3 and log.verify().ok


def test_log_falls_back_to_env(capsys, sqlite_url, monkeypatch):
    monkeypatch.setenv("ECGCORE_LOG", sqlite_url)
    with open_log(sqlite_url) as log:
        log.append(technician="ENV")
    code, out, _ = run(capsys, "log", "list")
    assert code == 0 and "ENV" in out


def test_technician_commands(capsys, log_url):
    with open_log(log_url) as log:
        for n in range(3):
            log.append(technician="T-9", subject="live", source="record", notes=str(n))
        log.append(technician="T-9", source="grade", grade={"score": 80, "max_score": 100})
    code, out, _ = run(capsys, "technician", "certify", "T-9", "--date", "2023-03-01",
                       "--log", log_url)  # fmt: skip
    assert code == 0 and "expires 2025-03-01" in out
    code, out, _ = run(capsys, "technician", "ce", "T-9", "--credits", "4", "--course",
                       "ACLS refresher", "--date", "2024-01-10", "--log", log_url)  # fmt: skip
    assert code == 0
    code, out, _ = run(capsys, "technician", "status", "T-9", "--today", "2025-01-15",
                       "--ce-required", "6", "--log", log_url)  # fmt: skip
    assert code == 0
    assert "3 on live individuals (minimum 10)" in out and "80 / 100" in out
    assert "WARNING: certification expires on 2025-03-01 (in 45 days)" in out
    assert "WARNING: continuing education: 4 of 6 credits logged (2 short)" in out
    code, out, _ = run(capsys, "technician", "status", "T-9", "--today", "2025-01-15",
                       "--log", log_url, "--json", "--strict")  # fmt: skip
    assert code == 1 and json.loads(out)["live_recordings"] == 3


def test_exports(capsys, filled, tmp_path):
    with open_log(filled) as log:
        head = log.head()
        stored = list(log.entries())
    code, out, _ = run(capsys, "log", "export", "--format", "csv", "--log", filled)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["1", "2", "3"] and rows[2]["kind"] == "amendment"
    assert rows[1]["grade"] == '{"score":90}' and rows[2]["entry_hash"] == head.last_hash
    out_json = tmp_path / "log.json"
    code, _, _ = run(capsys, "log", "export", "--format", "json", "--out", str(out_json),
                     "--log", filled)  # fmt: skip
    document = json.loads(out_json.read_text(encoding="utf-8"))
    assert document["head_hash"] == head.last_hash
    # The JSON export can be re-verified on its own.
    prev = GENESIS_HASH
    for record in document["entries"]:
        entry_hash = record.pop("entry_hash")
        assert record["prev_hash"] == prev and hash_text(canonical_json(record)) == entry_hash
        prev = entry_hash
    assert [e.entry_hash for e in stored] == [r["prev_hash"] for r in document["entries"][1:]] + [
        prev
    ]  # fmt: skip
    pdf = tmp_path / "book.pdf"
    code, _, _ = run(capsys, "log", "export", "--format", "pdf", "--out", str(pdf),
                     "--log", filled)  # fmt: skip
    assert code == 0 and pdf.read_bytes().startswith(b"%PDF")
    with open_log(filled) as log:
        pages = logbook_pages(log, lines_per_page=2)
    assert len(pages) == 2 and sum(len(lines) for lines, _ in pages) == 3
    assert all(head.last_hash in footer for _, footer in pages)
    assert pages[1][0][0].split()[:2] == ["3", "amd"]


def test_pdf_survives_odd_text(log, tmp_path):
    from ecgcore.log import export_log

    log.append(technician="T $x^2$ 患者", rhythm="\u202e RTL 👩\u200d⚕️ $\\alpha$")
    export_log(log, "pdf", tmp_path / "odd.pdf")
    assert (tmp_path / "odd.pdf").stat().st_size > 1000


@pytest.mark.parametrize("field", ["reason", "author"])
def test_amend_refuses_a_change_named_like_its_own_options(capsys, filled, field):
    code, _, err = run(capsys, "log", "amend", "1", "--log", filled, "--reason", "typo",
                       "--author", "SUP", "--set", f"{field}=x")  # fmt: skip
    assert code == 1
    assert f"{field}: not a field of the entry" in err
