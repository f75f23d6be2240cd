"""Helpers shared by the driver tests."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import numpy as np

from ecgcore.drivers import Device, SampleBlock


def collect(dev: Device, duration_s: float) -> list[SampleBlock]:
    """Read blocks for ``duration_s`` seconds."""
    blocks = []
    end = time.monotonic() + duration_s
    while time.monotonic() < end:
        block = dev.read(timeout=0.1)
        if block is not None:
            blocks.append(block)
    return blocks


def concat(blocks: list[SampleBlock]) -> tuple[int, np.ndarray, list]:
    """Join blocks (checking they are contiguous): first index, data, events."""
    blocks = [b for b in blocks if b.n_samples or b.events]
    with_rows = [b for b in blocks if b.n_samples]
    for a, b in itertools.pairwise(with_rows):
        assert b.first_sample == a.stop_sample, "blocks must be contiguous"
    data = np.concatenate([b.data for b in with_rows]) if with_rows else np.empty((0, 0))
    events = [e for b in blocks for e in b.events]
    return (with_rows[0].first_sample if with_rows else 0), data, events


def wait_for(predicate: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    """Poll ``predicate`` until true or timeout."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
