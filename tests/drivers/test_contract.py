"""One contract over every driver: open by URL against its simulator, lifecycle, blocks."""

from __future__ import annotations

import importlib.util
import itertools
import time

import numpy as np
import pytest

from ecgcore.drivers import DeviceInfo, SampleBlock, open_device
from ecgcore.drivers.simulators import SIMULATORS
from ecgcore.errors import DeviceError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def usb_url():
    from ecgcore.drivers.simulators.usb import EmulatedBackend, SpikerBoxProEmulator
    from ecgcore.drivers.usb import register_usb_backend

    backend = EmulatedBackend([SpikerBoxProEmulator(serial="CONTRACT1", fs=2000)])
    register_usb_backend("contract", lambda: backend)
    return "usb://2E73:0001?serial=CONTRACT1&backend=contract"


@pytest.fixture(params=[*SIMULATORS, "usb", "sim"])
def device_url(request, sim_factory):
    if request.param == "usb":
        return request.getfixturevalue("usb_url")
    if request.param == "sim":  # the simulated patient, built alongside the live pipeline
        if importlib.util.find_spec("ecgcore.drivers.sim") is None:
            pytest.skip("drivers/sim.py (sim://) is not in the tree yet")
        return "sim://ecg?leads=3&fs=250"
    sim = sim_factory(request.param)
    return SIMULATORS[request.param].url_for(sim)


def test_driver_contract(device_url):
    dev = open_device(device_url)
    with dev:
        info = dev.info
        assert isinstance(info, DeviceInfo)
        assert info.fs > 0 and info.n_channels >= 1
        assert len(info.lead_names) == len(info.units) == info.n_channels
        with pytest.raises(DeviceError, match="before start"):
            dev.read(0.01)
        dev.start()
        blocks = []
        end = time.monotonic() + 0.6
        while time.monotonic() < end:
            b = dev.read(timeout=0.2)
            if b is not None:
                blocks.append(b)
        dev.stop()
        rows = [b for b in blocks if b.n_samples]
        assert rows, "no samples within 0.6 s"
        for b in rows:
            assert isinstance(b, SampleBlock)
            assert b.data.dtype == np.float64 and b.data.shape[1] == info.n_channels
            assert b.host_time_s.shape == (b.n_samples,)
            assert np.all(np.diff(b.host_time_s) > 0)
            assert b.units == info.units
            assert b.lead_off is None or b.lead_off.shape == b.data.shape
        assert rows[0].first_sample == 0
        for a, b in itertools.pairwise(rows):
            assert b.first_sample == a.stop_sample  # monotonic counter, no holes
        total = sum(b.n_samples for b in rows)
        assert total >= 0.3 * info.fs * 0.6 or info.fs < 200
        assert np.isfinite(np.concatenate([b.data for b in rows])).mean() > 0.95
        status = dev.status()
        assert status.samples >= total and status.corrupt_frames == 0
    dev.close()  # double close is safe
    assert not dev.is_open
    with pytest.raises(DeviceError):
        dev.read(0.01)
    with pytest.raises(DeviceError):
        dev.start()


def test_unknown_parameter_and_scheme_are_errors(sim_factory):
    sim = sim_factory("openbci")
    with pytest.raises(DeviceError, match="unknown parameter"):
        open_device(f"openbci://{sim.path}?gian=24")
    with pytest.raises(DeviceError, match="unknown device scheme"):
        open_device("nosuch://x")
    with pytest.raises(DeviceError, match="cannot open serial port"):
        open_device("openbci:///nonexistent/tty0")
