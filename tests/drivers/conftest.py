"""Fixtures for the driver tests: simulators on real pseudo-terminals."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest


@pytest.fixture
def sim_factory(tmp_path) -> Iterator[Callable]:
    """Start simulators in ``tmp_path``; all are closed after the test."""
    from ecgcore.drivers.simulators import make_simulator

    started = []

    def make(name: str, **kwargs):
        sim = make_simulator(name, link_dir=tmp_path, **kwargs)
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.close()
