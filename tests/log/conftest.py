"""Fixtures for the ECG log tests: isolated user dirs, SQLite and PostgreSQL logs.

PostgreSQL tests (marker ``postgres``) use ``$ECGCORE_TEST_POSTGRES_URL``
(``.ci/run`` starts a server and sets it); each test gets its own schema. When
the variable is unset they skip locally and fail in CI (``CI=true``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ENV_PG = "ECGCORE_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test away from the real user data/config dirs and env settings."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("ECGCORE_LOG", raising=False)
    monkeypatch.delenv("ECGCORE_LOG_KEY_FILE", raising=False)
    monkeypatch.delenv("ECGCORE_LOG_TEST_PAUSE_IN_APPEND", raising=False)
    return home


def postgres_base_url() -> str:
    url = os.environ.get(ENV_PG)
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{ENV_PG} is not set in CI; .ci/run must start PostgreSQL")
        pytest.skip(f"{ENV_PG} not set (no PostgreSQL server)")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL schema (dropped after the test)."""
    import sqlalchemy as sa

    base = postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'logs' / 'log.sqlite'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def log_url(request: pytest.FixtureRequest) -> str:
    """A fresh log on each back end."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def log(log_url: str) -> Iterator[object]:
    from ecgcore.log import open_log

    with open_log(log_url) as opened:
        yield opened


@pytest.fixture
def wfdb_record(tmp_path: Path) -> Path:
    """A small two-lead WFDB record (100 Hz, 3 s) with an annotation file."""
    import wfdb

    out = tmp_path / "records"
    out.mkdir()
    fs = 100
    t = np.arange(300) / fs
    signal = np.column_stack([np.sin(2 * np.pi * t), 0.5 * np.cos(2 * np.pi * t)])
    wfdb.wrsamp(
        "rec1",
        fs=fs,
        units=["mV", "mV"],
        sig_name=["I", "II"],
        p_signal=signal,
        fmt=["16", "16"],
        write_dir=str(out),
    )
    beats = np.array([50, 150, 250])
    wfdb.wrann("rec1", "atr", beats, np.array(["N"] * len(beats)), write_dir=str(out))
    return out / "rec1"
