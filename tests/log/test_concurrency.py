"""Eight processes appending at once, and a process killed mid-append (both back ends)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from ecgcore.log import open_log

WORKER = Path(__file__).with_name("_append_worker.py")
N_WORKERS = 8
PER_WORKER = 25


def _spawn(url: str, index: int, count: int, start: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, str(index), str(count), str(start)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_eight_writers_keep_one_valid_chain(log_url, tmp_path):
    # The log does not exist yet: the workers also race to create it and its key.
    start = tmp_path / "start"
    procs = [_spawn(log_url, i, PER_WORKER, start) for i in range(N_WORKERS)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < N_WORKERS:  # every log open, none appending
        assert all(p.poll() is None for p in procs), [p.communicate()[1] for p in procs]
        assert time.monotonic() < deadline, "workers did not get ready"
        time.sleep(0.01)
    start.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with open_log(log_url) as log:
        report = log.verify()
        assert report.ok, report.problems
        entries = list(log.entries())
    total = N_WORKERS * PER_WORKER
    assert report.n_entries == total and [e.id for e in entries] == list(range(1, total + 1))
    assert sorted(e.notes for e in entries) == sorted(
        f"w{i}-{n}" for i in range(N_WORKERS) for n in range(PER_WORKER)
    )
    # Each worker's own entries stay in its order. (How writers interleave is up
    # to the lock: SQLite's busy handler is not fair, so it is not asserted.)
    for i in range(N_WORKERS):
        mine = [int(e.notes.split("-")[1]) for e in entries if e.technician == f"tech-{i}"]
        assert mine == list(range(PER_WORKER))
    # All workers agreed on one pseudonymisation key.
    refs = Counter((e.patient_ref, e.key_id) for e in entries)
    assert len(refs) == 3


def test_killed_writer_leaves_no_partial_entry(log_url, tmp_path):
    with open_log(log_url) as log:
        for n in range(3):
            log.append(technician="before", notes=str(n))
        head = log.head()
    marker = tmp_path / "inside-transaction"
    start = tmp_path / "start"
    start.touch()
    proc = _spawn(log_url, 0, 1, start, ECGCORE_LOG_TEST_PAUSE_IN_APPEND=str(marker))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "worker never reached the append"
        time.sleep(0.01)
    # The worker has inserted its row and is paused before commit.
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with open_log(log_url) as log:
        assert log.head() == head and log.count() == 3
        report = log.verify()
        assert report.ok, report.problems
        after = log.append(technician="after")  # the lock was released
        assert after.id == 4 and after.prev_hash == head.last_hash
        assert log.verify().ok


def test_open_waits_for_a_writer_creating_the_log(tmp_path):
    # A new log is still in rollback-journal mode while its first writer holds the
    # write lock; SQLite then refuses the switch to WAL at once, without its busy
    # handler. Opening must wait for the writer, not fail with "database is locked".
    path = tmp_path / "log.sqlite"
    path.touch(mode=0o600)
    locked = threading.Event()

    def writer() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE other_writer (x INTEGER)")
        locked.set()
        time.sleep(0.5)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert locked.wait(10)
    t0 = time.monotonic()
    try:
        with open_log(f"sqlite:///{path}") as log:
            assert log.schema_version > 0
    finally:
        thread.join()
    assert time.monotonic() - t0 >= 0.3  # it waited for the writer
