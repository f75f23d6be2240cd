"""Robustness against real faults on real pseudo-terminals (and the emulated USB bus)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from _drv_util import collect, concat, wait_for

from ecgcore.drivers import open_device
from ecgcore.drivers.simulators import SIMULATORS

pytestmark = pytest.mark.timeout(60)

UV = 4.5 / 24 / (2**23 - 1) * 1e6  # OpenBCI uV per count at gain 24


def openbci_truth(sim, n):
    return np.array([sim.sent.get(k, (np.nan,) * 8) for k in range(n)], dtype=float) * UV


def test_garbage_is_skipped_counted_and_costs_no_sample(sim_factory):
    sim = sim_factory("openbci")
    with open_device(SIMULATORS["openbci"].url_for(sim)) as dev:
        dev.start()
        time.sleep(0.2)
        sim.inject_garbage(b"\xa0\x01garbage\xc0" * 4)
        time.sleep(0.2)
        sim.inject_garbage(bytes(range(256)))
        first, data, events = concat(collect(dev, 0.4))
        status = dev.status()
    assert first == 0
    assert status.corrupt_bytes == 4 * 10 + 256
    assert status.missing_samples == 0 and not [e for e in events if e.kind == "gap"]
    np.testing.assert_allclose(data, openbci_truth(sim, len(data)), rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", ["openbci", "bitalino"])
def test_dropped_frames_become_nan_at_their_positions(sim_factory, name):
    sim = sim_factory(name)
    with open_device(SIMULATORS[name].url_for(sim)) as dev:
        dev.start()
        assert wait_for(lambda: sim.frame_index > 50)
        sim.drop_frames(5)
        blocks = collect(dev, 0.5)
        fs = dev.info.fs
        status = dev.status()
    _first, data, events = concat(blocks)
    gaps = [e for e in events if e.kind == "gap"]
    dropped = sorted(sim.dropped)
    assert len(dropped) == 5 and len(gaps) == 1
    assert gaps[0].sample == dropped[0] and gaps[0].data["n_samples"] == 5
    assert not gaps[0].data["estimated"]
    assert status.dropped_frames == 5 and status.missing_samples == 5
    assert np.all(np.isnan(data[dropped]))
    ok = np.ones(len(data), dtype=bool)
    ok[dropped] = False
    assert np.isfinite(data[ok]).all()
    # values after the gap sit at their true indices
    k = dropped[-1] + 10
    expected = np.array(sim.sent[k], dtype=float)
    if name == "openbci":
        np.testing.assert_allclose(data[k], expected * UV, atol=1e-9)
    else:
        np.testing.assert_allclose(
            data[k], (expected / 1024 - 0.5) * 3.3 / 1100 * 1000, atol=1e-12
        )
    # timing stays right after the gap: host times follow k / fs across it
    t = np.concatenate([b.host_time_s for b in blocks if b.n_samples])
    span = t[k] - t[dropped[0] - 1]
    assert span == pytest.approx((k - dropped[0] + 1) / fs, abs=0.02)


def test_corrupt_frames_without_counter_are_estimated_gaps(sim_factory):
    sim = sim_factory("spikerbox")
    with open_device(SIMULATORS["spikerbox"].url_for(sim)) as dev:
        dev.start()
        time.sleep(0.2)
        sim.corrupt_frames(3)
        _first, data, events = concat(collect(dev, 0.4))
        status = dev.status()
    gaps = [e for e in events if e.kind == "gap"]
    assert len(gaps) == 1 and gaps[0].data["estimated"] and gaps[0].data["n_samples"] == 3
    assert status.corrupt_frames >= 1 and status.missing_samples == 3
    assert np.isnan(data[gaps[0].sample : gaps[0].sample + 3]).all()


@pytest.mark.parametrize("name", ["openbci", "ad8232", "protocentral"])
def test_unplug_replug_serial(sim_factory, name):
    sim = sim_factory(name)
    url = SIMULATORS[name].url_for(sim) + ("&" if "?" in SIMULATORS[name].url else "?")
    with open_device(url + "reconnect_max_s=0.2") as dev:
        dev.start()
        before = concat(collect(dev, 0.5))[1]
        n_before = len(before)
        sim.unplug()
        assert wait_for(lambda: dev.status().disconnects == 1, 3)
        time.sleep(0.4)
        sim.replug()
        assert wait_for(lambda: dev.status().reconnects == 1, 5)
        blocks = collect(dev, 0.8)
        status = dev.status()
    first, after, events = concat(blocks)
    kinds = [e.kind for e in events]
    assert kinds.index("disconnect") < kinds.index("reconnect")
    assert first == n_before  # nothing read before the disconnect was lost
    assert np.isfinite(before).all() if name != "ad8232" else np.isfinite(before).mean() > 0.99
    gap = [e for e in events if e.kind == "gap"]
    assert gap and gap[0].data["estimated"]  # the time unplugged, from the host clock
    # roughly the unplugged time (~0.4-0.6 s) became missing samples
    assert 0.2 * dev.info.fs < gap[0].data["n_samples"] < 1.5 * dev.info.fs
    assert np.isfinite(after[-10:]).all() and status.state == "streaming"


def test_silent_device_is_a_disconnect_then_recovers(sim_factory):
    sim = sim_factory("openbci")
    url = SIMULATORS["openbci"].url_for(sim) + "?stall_s=0.3&reconnect_max_s=0.1&timeout_s=0.3"
    with open_device(url) as dev:
        dev.start()
        time.sleep(0.2)
        sim.set_responding(False)
        assert wait_for(lambda: dev.status().disconnects == 1, 3)
        time.sleep(0.3)
        sim.set_responding(True)
        assert wait_for(lambda: dev.status().reconnects == 1, 5)
        n0 = dev.status().samples
        assert wait_for(lambda: dev.status().samples > n0 + 25, 3)
        events = concat(collect(dev, 0.1))[2]
    disconnect = next(e for e in events if e.kind == "disconnect")
    assert "stalled" in disconnect.message


def test_openbci_lead_off_per_electrode(sim_factory):
    sim = sim_factory("openbci")
    with open_device(SIMULATORS["openbci"].url_for(sim)) as dev:
        dev.start()
        time.sleep(0.2)
        sim.set_lead_off(2)
        time.sleep(0.2)
        sim.set_lead_off(2, False)
        blocks = collect(dev, 0.3)
    lo = np.concatenate([b.lead_off for b in blocks if b.n_samples])
    assert lo[:, 2].any() and not lo[:, [0, 1, 3, 4, 5, 6, 7]].any()
    events = [e for b in blocks for e in b.events if e.kind == "lead_off"]
    assert [e.data["lead_off"] for e in events] == [(True,), (False,)]
    assert all(e.data["channels"] == ("ch3",) for e in events)
    on = np.nonzero(lo[:, 2])[0]
    assert events[0].sample == on[0] and events[1].sample == on[-1] + 1


def test_ad8232_leads_off_rate_estimate_and_jitter(sim_factory):
    sim = sim_factory("ad8232", jitter=0.0)
    with open_device(f"ad8232://{sim.path}?probe_s=0.5") as dev:
        assert dev.info.extra["fs_source"] == "estimated"
        assert dev.info.fs == pytest.approx(250, rel=0.1)
        dev.start()
        time.sleep(0.2)
        sim.set_lead_off(0)
        time.sleep(0.1)
        sim.set_lead_off(0, False)
        blocks = collect(dev, 0.2)
    data = np.concatenate([b.data for b in blocks if b.n_samples])
    lo = np.concatenate([b.lead_off for b in blocks if b.n_samples])
    assert lo.any() and np.isnan(data[lo]).all() and np.isfinite(data[~lo]).all()


def test_ad8232_irregular_rate_is_flagged(sim_factory):
    sim = sim_factory("ad8232", fs=200)
    with open_device(f"ad8232://{sim.path}?fs=250") as dev:  # nominal rate is wrong by 20%
        dev.start()
        assert wait_for(lambda: dev.status().samples > 300, 4)
        events = concat(collect(dev, 0.1))[2]
        status = dev.status()
    rate = [e for e in events if e.kind == "rate"]
    assert rate and rate[0].data["fs_estimated_hz"] == pytest.approx(200, rel=0.05)
    assert status.fs_estimated_hz == pytest.approx(200, rel=0.05)


def test_clock_drift_is_measured(sim_factory):
    sim = sim_factory("bitalino", clock_ppm=20000.0)
    with open_device(SIMULATORS["bitalino"].url_for(sim)) as dev:
        dev.start()
        collect(dev, 2.0)
        status = dev.status()
    assert status.drift_ppm == pytest.approx(20000, abs=3000)
    assert status.fs_estimated_hz == pytest.approx(1020, abs=3)
    assert status.jitter_ms < 20


def test_ring_buffer_overflow_is_reported(sim_factory):
    sim = sim_factory("bitalino")
    with open_device(SIMULATORS["bitalino"].url_for(sim) + "&buffer_s=0.1") as dev:
        dev.start()
        time.sleep(0.6)
        block = dev.read(1.0)
        status = dev.status()
    assert status.overflow_samples > 0
    over = [e for e in block.events if e.kind == "overflow"]
    assert over and sum(e.data["n_samples"] for e in over) == status.overflow_samples
    assert block.first_sample == status.overflow_samples  # the oldest rows were overwritten
    assert block.n_samples == 100


def test_spikerbox_event_messages(sim_factory):
    sim = sim_factory("spikerbox")
    with open_device(SIMULATORS["spikerbox"].url_for(sim)) as dev:
        assert dev.info.firmware == "0.9"
        dev.start()
        time.sleep(0.1)
        sim.send_event(4)
        events = concat(collect(dev, 0.3))[2]
        assert dev.status().missing_samples == 0
    assert [e.data["text"] for e in events if e.kind == "message"] == ["EVNT:4;"]


def test_usb_unplug_replug_by_serial():
    from ecgcore.drivers.simulators.usb import EmulatedBackend, SpikerBoxProEmulator
    from ecgcore.drivers.usb import register_usb_backend

    ours = SpikerBoxProEmulator(serial="SBP-A", fs=2000)
    other = SpikerBoxProEmulator(serial="SBP-B", fs=2000, channels=2)
    backend = EmulatedBackend([other, ours])
    register_usb_backend("robust", lambda: backend)
    url = "usb://2E73:0001?serial=SBP-A&backend=robust&reconnect_max_s=0.1"
    with open_device(url) as dev:
        assert dev.info.serial_number == "SBP-A" and dev.info.fs == 2000
        dev.start()
        before = concat(collect(dev, 0.3))[1]
        backend.unplug(ours)
        assert wait_for(lambda: dev.status().disconnects == 1, 3)
        time.sleep(0.2)
        backend.plug(ours)
        assert wait_for(lambda: dev.status().reconnects == 1, 3)
        first, after, events = concat(collect(dev, 0.4))
    assert not other.streaming  # never touched the other box
    assert first == len(before) and np.isfinite(before).all()
    assert {"disconnect", "reconnect", "gap"} <= {e.kind for e in events}
    # samples after the reconnect are the device's values
    expected = (np.array(ours.sent[5], dtype=float) - 512) * 5.0 / 1024 * 1000
    assert np.isclose(after, expected).all(axis=1).any()
