"""The ``sim://`` device: same samples as simulate_ecg, lead-off, pacing, URL errors."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ecgcore.drivers import open_device
from ecgcore.drivers.sim import simulate_ecg
from ecgcore.errors import DeviceError


def _read_all(dev, timeout_s=20.0):
    blocks, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        block = dev.read(0.5)
        if block is None:
            if dev.status().state == "finished":
                break
            continue
        blocks.append(block)
        if any(e.kind == "end" for e in block.events):
            break
    return blocks


def test_device_streams_exactly_the_simulated_record():
    url = "sim://ecg?fs=500&rhythm=pvc&seed=4&speed=25&duration=3&lead_off=V2:1-2&emg=0.02"
    with open_device(url) as dev:
        info = dev.info
        assert info.lead_names[:3] == ("I", "II", "III") and info.n_channels == 12
        assert info.fs == 500.0 and set(info.units) == {"mV"}
        assert np.all(info.gain == 2000.0)
        dev.start()
        blocks = _read_all(dev)
    first = [b.first_sample for b in blocks if b.n_samples]
    stops = [b.stop_sample for b in blocks if b.n_samples]
    assert first[0] == 0 and first[1:] == stops[:-1]  # contiguous
    data = np.vstack([b.data for b in blocks if b.n_samples])
    lead_off = np.vstack([b.lead_off for b in blocks if b.n_samples])
    sim = simulate_ecg(3, 500, rhythm="pvc", seed=4, lead_off="V2:1-2", emg=0.02)
    assert np.array_equal(np.round(data * 2000).astype(np.int64), sim.recording.adc)
    assert np.array_equal(lead_off, sim.truth.lead_off)
    kinds = [e.kind for b in blocks for e in b.events]
    assert kinds.count("lead_off") == 2 and kinds[-1] == "end"
    on = next(e for b in blocks for e in b.events if e.kind == "lead_off")
    assert on.sample == 500 and on.data["channels"] == ("V2",)


def test_device_is_paced_by_the_clock():
    with open_device("sim://ecg?fs=1000&leads=2&speed=2") as dev:
        dev.start()
        t0 = time.monotonic()
        time.sleep(0.6)
        block = dev.read(0.05)  # everything buffered so far
        elapsed = time.monotonic() - t0
        n = block.stop_sample
    assert n <= elapsed * 2000 + 50  # never ahead of the clock
    assert n >= 0.5 * 0.6 * 2000  # and not far behind


def test_a_source_far_behind_its_clock_catches_up_in_steps():
    # at a billion times real time the device owes ~10^9 samples a second: it
    # computes them a second of signal at a time, the reader keeps up, and the
    # ring buffer's overflow is counted instead of a failed allocation
    with open_device("sim://ecg?fs=250&leads=2&speed=1e9&seed=1") as dev:
        dev.start()
        blocks = [dev.read(0.5) for _ in range(20)]
        status = dev.status()
    got = [b for b in blocks if b is not None and b.n_samples]
    assert got and status.state == "streaming" and not status.last_error, status
    assert all(b.n_samples <= dev.info.fs * 60 for b in got)  # at most the ring buffer
    first = [b.first_sample for b in got]
    assert first == sorted(first)


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("sim://ecg?rythm=afib", "rythm"),
        ("sim://ecg?rhythm=torsades", "torsades"),
        ("sim://ecg?leads=7", "leads"),
        ("sim://ecg?lead_off=LX", "LX"),
        ("sim://heart", "heart"),
        ("sim://ecg?hr=abc", "hr"),
        ("sim://ecg?duration=-1", "duration"),
        ("sim://ecg?seed=-1", "seed"),
        ("sim://ecg?buffer_s=inf", "buffer_s"),
        ("sim://ecg?stall_s=0", "stall_s"),
    ],
)
def test_bad_urls_are_device_errors(url, match):
    with pytest.raises(DeviceError, match=match):
        open_device(url)


def test_a_ring_buffer_too_large_for_memory_is_refused_at_start():
    with (
        open_device("sim://ecg?fs=500&buffer_s=1e9") as dev,
        pytest.raises(DeviceError, match=r"buffer_s=1e\+09 needs a .* GiB ring buffer"),
    ):
        dev.start()
