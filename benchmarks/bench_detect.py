"""R-peak detection: ecgcore batch and streaming, peers as baselines, by lead count.

Run with ``pytest benchmarks --benchmark-enable``. Every detector gets the
same ten minutes of signal (mitdb 101 lead 0 when present) and does its own
filtering; warm-up (imports, JIT) happens before timing.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore.benchmarks._bench_data import FS, ecg_signal, multi_lead
from ecgcore.benchmarks.peers import build_detector, detector_status
from ecgcore.detect import RPeakDetector, detect_r_peaks

PEERS = ("sleepecg", "neurokit2:neurokit", "neurokit2:pantompkins1985", "wfdb-xqrs")


@pytest.fixture(scope="module")
def signal() -> tuple[np.ndarray, str]:
    return ecg_signal()


def test_ecgcore_batch(benchmark, signal) -> None:
    x, source = signal
    detect_r_peaks(x[: int(10 * FS)], FS)  # warm-up: numba compilation
    benchmark.group = "detect 1 lead"
    benchmark.extra_info.update(samples=x.size, source=source)
    peaks = benchmark(detect_r_peaks, x, FS)
    assert peaks.size > 0


@pytest.mark.parametrize("chunk_s", [0.1, 1.0])
def test_ecgcore_streaming(benchmark, signal, chunk_s: float) -> None:
    x, source = signal
    step = max(1, int(chunk_s * FS))
    chunks = [x[i : i + step] for i in range(0, x.size, step)]
    detect_r_peaks(x[: int(10 * FS)], FS)

    def run() -> int:
        det = RPeakDetector(FS)
        n = sum(det.process(c).size for c in chunks)
        return n + det.finish().size

    benchmark.group = "detect 1 lead"
    benchmark.extra_info.update(samples=x.size, source=source, chunk_s=chunk_s)
    assert benchmark(run) == detect_r_peaks(x, FS).size


@pytest.mark.parametrize("peer", PEERS)
def test_peer_baseline(benchmark, signal, peer: str) -> None:
    ok, reason = detector_status(peer)
    if not ok:
        pytest.skip(reason)
    x, source = signal
    fn = build_detector(peer)
    fn(x[: int(10 * FS)], FS)  # warm-up
    benchmark.group = "detect 1 lead"
    benchmark.extra_info.update(samples=x.size, source=source)
    peaks = benchmark.pedantic(fn, args=(x, FS), rounds=3, iterations=1)
    assert peaks.size > 0


@pytest.mark.parametrize("n_leads", [1, 3, 12])
def test_ecgcore_per_lead_count(benchmark, n_leads: int) -> None:
    x = multi_lead(n_leads, seconds=120.0)
    detect_r_peaks(x[: int(10 * FS), 0], FS)

    def run() -> int:
        return sum(detect_r_peaks(np.ascontiguousarray(x[:, k]), FS).size for k in range(n_leads))

    benchmark.group = "detect per lead count"
    benchmark.extra_info.update(samples=x.shape[0], leads=n_leads)
    assert benchmark(run) > 0
