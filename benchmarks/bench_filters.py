"""Filter kernels: every preset, zero-phase and streaming, by lead count.

Run with ``pytest benchmarks --benchmark-enable`` (add ``--benchmark-autosave``
and later ``--benchmark-compare`` to see regressions). scipy's ``sosfiltfilt``
and ``sosfilt`` with the same sections are the baselines.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from ecgcore.benchmarks._bench_data import FS, multi_lead
from ecgcore.filters import StreamingFilter, design_filter, filter_signal, list_presets

PRESETS = list_presets()
LEADS = (1, 3, 12)


@pytest.mark.parametrize("n_leads", LEADS)
@pytest.mark.parametrize("preset", PRESETS)
def test_zero_phase(benchmark, preset: str, n_leads: int) -> None:
    x = multi_lead(n_leads)
    benchmark.group = f"zero-phase {preset}"
    benchmark.extra_info.update(samples=x.shape[0], leads=n_leads)
    y = benchmark(filter_signal, x, FS, preset)
    assert y.shape == x.shape


@pytest.mark.parametrize("n_leads", LEADS)
@pytest.mark.parametrize("preset", PRESETS)
def test_zero_phase_scipy_baseline(benchmark, preset: str, n_leads: int) -> None:
    x = multi_lead(n_leads)
    sos = np.asarray(design_filter(preset, FS))
    benchmark.group = f"zero-phase {preset}"
    benchmark.extra_info.update(samples=x.shape[0], leads=n_leads, baseline="scipy.sosfiltfilt")
    y = benchmark(scipy.signal.sosfiltfilt, sos, x, axis=0)
    assert y.shape == x.shape


@pytest.mark.parametrize("n_leads", LEADS)
@pytest.mark.parametrize("preset", PRESETS)
def test_streaming_1s_chunks(benchmark, preset: str, n_leads: int) -> None:
    x = multi_lead(n_leads)
    step = int(FS)
    chunks = [x[i : i + step] for i in range(0, x.shape[0], step)]

    def run() -> int:
        f = StreamingFilter(preset, FS, n_channels=n_leads)
        total = 0
        for c in chunks:
            total += f.process(c if n_leads > 1 else c[:, 0]).shape[0]
        return total

    benchmark.group = f"streaming {preset}"
    benchmark.extra_info.update(samples=x.shape[0], leads=n_leads, chunk_s=1.0)
    assert benchmark(run) == x.shape[0]
