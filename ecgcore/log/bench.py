"""Benchmark of the ECG log: append throughput and verify time.

Run::

    python -m ecgcore.log.bench [--postgres URL] [--appends 2000] [--verify-entries 100000]

Measures, on a fresh SQLite file (and a fresh schema of the PostgreSQL
database at ``URL`` when given):

* append throughput in entries/s with 1 writer (one transaction per entry)
  and with 8 writer processes appending at once;
* ``verify`` time for a log of ``--verify-entries`` entries, chain only and
  with record files re-hashed.

Entries are realistic: 12 leads, device, filter settings, per-lead quality,
grade, three record files with SHA-256 digests.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ecgcore.log.files import FileRef, hash_file
from ecgcore.log.store import open_log

_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")


def _entry(n: int, files: list[FileRef]) -> dict[str, Any]:
    return {
        "technician": f"T-{n % 17:03d}",
        "patient": f"MRN-{n % 5000:06d}",
        "acquired_utc": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
        "source": "record",
        "subject": "live" if n % 3 else "simulator",
        "device": {"model": "ADS1298 eval", "serial": f"SN-{n % 7}", "firmware": "2.4.1"},
        "leads": list(_LEADS),
        "fs": 500.0,
        "duration_s": 10.0,
        "filter": {"highpass_hz": 0.05, "lowpass_hz": 150.0, "notch_hz": 50, "order": 4},
        "heart_rate_bpm": 60.0 + n % 40,
        "rhythm": "sinus rhythm" if n % 5 else "atrial fibrillation",
        "alarms": [] if n % 11 else ["lead off V3"],
        "quality": {lead: round(0.8 + (n % 20) / 100, 2) for lead in _LEADS},
        "grade": {"score": 70 + n % 30, "max_score": 100, "passed": n % 30 >= 5},
        "files": files[(3 * n) % len(files) :][:3] or files[:3],
        "notes": f"routine 12-lead ECG number {n}; patient supine, electrodes replaced once.",
    }


def _make_files(directory: Path, count: int) -> list[FileRef]:
    directory.mkdir(parents=True, exist_ok=True)
    refs = []
    for i in range(count):
        path = directory / f"rec{i:05d}.dat"
        path.write_bytes(os.urandom(24_000))  # 10 s, 12 leads, 16 bit at 100 Hz-ish size
        refs.append(hash_file(path))
    return refs


@contextmanager
def _postgres_schema(base_url: str) -> Iterator[str]:
    engine = sa.create_engine(base_url)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


def _writer(job: dict[str, Any]) -> None:
    with open_log(job["url"]) as log:
        entries = [_entry(job["first"] + i, job["files"]) for i in range(job["count"])]
        log.append(entries[0])  # connect, load the key, warm up
        job["ready"].wait()
        job["go"].wait()
        for fields in entries[1:]:
            log.append(fields)


def append_throughput(url: str, n_entries: int, writers: int, files: list[FileRef]) -> float:
    """Entries per second with ``writers`` processes appending ``n_entries`` in total."""
    if writers == 1:
        with open_log(url) as log:
            entries = [_entry(i, files) for i in range(n_entries)]
            start = time.perf_counter()
            for fields in entries:
                log.append(fields)
            return n_entries / (time.perf_counter() - start)
    ctx = mp.get_context("spawn")
    ready, go = ctx.Barrier(writers + 1), ctx.Event()
    per = n_entries // writers + 1  # +1: the warm-up entry is not timed
    open_log(url).close()  # create the schema before the race
    job = {"url": url, "count": per, "files": files, "ready": ready, "go": go}
    procs = [ctx.Process(target=_writer, args=(dict(job, first=w * per),)) for w in range(writers)]
    for proc in procs:
        proc.start()
    ready.wait()
    wall_start = time.perf_counter()
    go.set()
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise RuntimeError(f"writer exited with {proc.exitcode}")
    wall = time.perf_counter() - wall_start
    with open_log(url) as log:
        report = log.verify(check_files=False)
        if not report.ok:
            raise RuntimeError(f"chain broken after concurrent appends: {report.problems[:3]}")
    return writers * (per - 1) / wall


def verify_time(url: str, n_entries: int, files: list[FileRef]) -> tuple[float, float, int]:
    """Fill a log with ``n_entries`` (batched) and time verify: chain only, with files."""
    with open_log(url) as log:
        batch = 5000
        for first in range(0, n_entries, batch):
            count = min(batch, n_entries - first)
            log.append_many(_entry(first + i, files) for i in range(count))
        start = time.perf_counter()
        report = log.verify(check_files=False)
        chain_s = time.perf_counter() - start
        assert report.ok and report.n_entries == n_entries, report.problems[:3]
        start = time.perf_counter()
        report = log.verify(check_files=True)
        files_s = time.perf_counter() - start
        assert report.ok, report.problems[:3]
    return chain_s, files_s, report.n_files


def _say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - this module is a command-line benchmark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ecgcore.log.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL database to benchmark")
    parser.add_argument("--appends", type=int, default=2000, help="entries per append run")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer processes")
    parser.add_argument("--verify-entries", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=300, help="distinct record files")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ecglog-bench-") as tmp:
        root = Path(tmp)
        os.environ["ECGCORE_LOG_KEY_FILE"] = str(root / "key" / "log.key")
        files = _make_files(root / "records", args.files)
        backends: list[tuple[str, Any]] = [("sqlite", None)]
        if args.postgres:
            backends.append(("postgresql", args.postgres))
        _say(f"ecgcore log benchmark; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
        for name, base in backends:
            n = 0

            @contextmanager
            def fresh(name: str = name, base: Any = base) -> Iterator[str]:
                nonlocal n
                n += 1
                if name == "sqlite":
                    yield f"sqlite:///{root / f'log{n}.sqlite'}"
                else:
                    with _postgres_schema(base) as url:
                        yield url

            for writers in (1, args.writers):
                with fresh() as url:
                    rate = append_throughput(url, args.appends, writers, files)
                _say(f"{name:<10} append, {writers} writer(s): {rate:8.0f} entries/s "
                      f"({args.appends} entries)")  # fmt: skip
            with fresh() as url:
                chain_s, files_s, n_files = verify_time(url, args.verify_entries, files)
            _say(f"{name:<10} verify {args.verify_entries} entries: chain {chain_s:.2f} s; "
                  f"with {n_files} record files re-hashed {files_s:.2f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
