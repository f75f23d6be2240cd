"""Fixtures for the grading tests: simulated 12-lead records and a few real ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecgcore.drivers._patient import simulate_ecg
from ecgcore.grading import STANDARD_LEADS, standard_leads_mv
from ecgcore.recording import Recording


def make_recording(
    signals: np.ndarray,
    fs: float = 500.0,
    leads: tuple[str, ...] = STANDARD_LEADS,
    *,
    name: str = "rec",
    **metadata: object,
) -> Recording:
    """A Recording from physical values (mV), 1 uV per count."""
    return Recording.from_physical(signals, fs, leads, name=name, metadata=metadata)


@pytest.fixture(scope="session")
def sim_rec() -> Recording:
    """A clean simulated 12-lead sinus record, 10 s at 500 Hz, with a calibration pulse."""
    return simulate_ecg(10.0, 500.0, calibration=True, seed=2).recording


@pytest.fixture(scope="session")
def sim_signals() -> np.ndarray:
    """A clean simulated 12-lead record without calibration pulse, standard leads in mV."""
    x, _ = standard_leads_mv(simulate_ecg(10.0, 500.0, seed=3).recording)
    return x


def _load(
    data_dir: Path, db: str, records: tuple[str, ...]
) -> list[tuple[str, np.ndarray, float]]:
    from ecgcore.datasets import get_database

    database = get_database(db, data_dir)
    out = []
    for r in records:
        rec, _ = database.load(r)
        x, _ = standard_leads_mv(rec)
        out.append((f"{db}:{r}", x, rec.fs))
    return out


@pytest.fixture(scope="session")
def real_records(data_dir: Path) -> list[tuple[str, np.ndarray, float]]:
    """Three LUDB and three PTB-XL records (standard leads, mV)."""
    if not (data_dir / "ludb").is_dir() or not (data_dir / "ptbxl").is_dir():
        pytest.skip("LUDB/PTB-XL not present")
    return _load(data_dir, "ludb", ("20", "40", "60")) + _load(
        data_dir, "ptb-xl", ("00020", "00040", "00060")
    )
