"""Streaming over any chunking + finish() equals batch detection, exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _detect_synth import NORMAL, TALL_T, WIDE, synth_ecg

from ecgcore.detect import RPeakDetector, detect_r_peaks
from ecgcore.io import read_record


def _stream(x: np.ndarray, fs: float, sizes: np.ndarray) -> np.ndarray:
    det = RPeakDetector(fs)
    parts = []
    start = 0
    k = 0
    while start < x.size:
        size = int(sizes[k % sizes.size])
        parts.append(det.process(x[start : start + size]))
        start += size
        k += 1
    parts.append(det.finish())
    out = np.concatenate(parts)
    assert out.dtype == np.int64
    return out


def _random_sizes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chunk sizes from 1 sample to 10 s at 360 Hz, log-uniform."""
    return np.round(np.exp(rng.uniform(0.0, np.log(3600.0), n))).astype(np.int64)


def _synthetic_cases() -> list[tuple[str, np.ndarray, float]]:
    cases = []
    for fs, beat, seed in ((100.0, NORMAL, 1), (250.0, TALL_T, 2), (1000.0, WIDE, 3)):
        x, _ = synth_ecg(90.0, fs, beat=beat, seed=seed)
        cases.append((f"synthetic-{fs:g}Hz", x, fs))
    fs = 360
    x, _ = synth_ecg(90.0, fs, seed=4)
    x[20 * fs : 23 * fs] = np.nan  # gap
    x[40 * fs : 40 * fs + 3] = np.nan  # short gap inside a decimation block
    x[50 * fs :] += np.random.default_rng(0).standard_normal(x.size - 50 * fs)
    cases.append(("synthetic-gaps-noise", x, 360.0))
    return cases


@pytest.mark.parametrize(("name", "x", "fs"), _synthetic_cases(), ids=lambda v: str(v)[:24])
def test_random_chunkings_equal_batch_synthetic(name: str, x: np.ndarray, fs: float) -> None:
    batch = detect_r_peaks(x, fs)
    assert batch.size > 0
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    for _ in range(3):
        assert np.array_equal(_stream(x, fs, _random_sizes(rng, 64)), batch)


def test_sample_by_sample_equals_batch() -> None:
    x, _ = synth_ecg(20.0, 250.0, seed=5)
    x[1000:1017] = np.nan
    assert np.array_equal(_stream(x, 250.0, np.array([1])), detect_r_peaks(x, 250.0))


@pytest.mark.parametrize("size", [2, 3, 5, 7, 4096])
def test_fixed_chunk_sizes_equal_batch(size: int) -> None:
    """Chunk boundaries at every phase of the internal decimation blocks."""
    x, _ = synth_ecg(30.0, 1000.0, seed=6)
    assert np.array_equal(_stream(x, 1000.0, np.array([size])), detect_r_peaks(x, 1000.0))


def test_peaks_are_confirmed_while_streaming() -> None:
    """Peaks come out of process() with bounded delay, not only at finish()."""
    fs = 250.0
    x, _ = synth_ecg(60.0, fs, seed=7)
    det = RPeakDetector(fs)
    delays = []
    for start in range(0, x.size, 25):  # 100 ms chunks
        for peak in det.process(x[start : start + 25]):
            delays.append((start + 25 - peak) / fs)
    tail = det.finish()
    assert tail.size <= 1
    delays_arr = np.asarray(delays[10:])  # after the 8 s learning period
    assert delays_arr.size > 50
    assert delays_arr.max() < 1.0


@pytest.mark.shared_data
@pytest.mark.parametrize("record", ["101", "203", "207"])
def test_random_chunkings_equal_batch_mitdb(data_dir: Path, record: str) -> None:
    rec = read_record(data_dir / "mitdb" / record)
    x = rec.lead_mv(0)[: round(300 * rec.fs)]
    batch = detect_r_peaks(x, rec.fs)
    assert batch.size > 300
    rng = np.random.default_rng(int(record))
    for _ in range(3):
        assert np.array_equal(_stream(x, rec.fs, _random_sizes(rng, 64)), batch)
