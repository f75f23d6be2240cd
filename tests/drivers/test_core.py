"""Device-model pieces without hardware: URLs, clock model, ring buffer, paced sources."""

from __future__ import annotations

import time

import numpy as np
import pytest
from _drv_util import collect, concat

import ecgcore.io
from ecgcore.drivers import ChannelInfo, DeviceInfo, DeviceURL, PacedDevice, open_device
from ecgcore.drivers._ring import RingBuffer
from ecgcore.drivers._stream import SequenceUnwrapper
from ecgcore.drivers.timing import ClockModel
from ecgcore.errors import DeviceError


def test_device_url_parsing_and_consumption():
    url = DeviceURL("openbci:///dev/ttyUSB0?gain=12&daisy=auto&x=1")
    assert url.scheme == "openbci" and url.target == "/dev/ttyUSB0"
    assert url.get_int("gain") == 12 and url.get_str("daisy") == "auto"
    with pytest.raises(DeviceError, match=r"unknown parameter.*x"):
        url.check_consumed()
    assert DeviceURL("usb://2E73:0001?serial=A1").target == "2E73:0001"
    assert DeviceURL("openbci://COM3").target == "COM3"
    with pytest.raises(DeviceError, match="not a number"):
        DeviceURL("a://b?fs=fast").get_float("fs")
    with pytest.raises(DeviceError, match="2 times"):
        DeviceURL("a://b?fs=1&fs=2")
    with pytest.raises(DeviceError, match="no scheme"):
        DeviceURL("/dev/ttyUSB0")


def test_clock_model_recovers_rate_offset_and_drift():
    rng = np.random.default_rng(0)
    fs, ppm = 500.0, 150.0
    model = ClockModel(fs)
    t0 = 1000.0
    for k in range(49, 20000, 50):  # a chunk of 50 samples arrives every 0.1 s
        t = t0 + k / (fs * (1 + ppm * 1e-6)) + 0.004 + rng.uniform(0, 0.003)
        model.update(k, t)
    assert model.drift_ppm == pytest.approx(ppm, abs=5)
    assert model.fs_estimated == pytest.approx(fs * (1 + ppm * 1e-6), abs=0.01)
    assert model.host_time(np.array([10000]))[0] == pytest.approx(
        t0 + 10000 / (fs * (1 + ppm * 1e-6)) + 0.0055, abs=0.001
    )
    assert 0.5e-3 < model.jitter_s < 1.5e-3  # uniform(0, 3 ms) has an RMS of 0.87 ms
    assert model.index_at(t0 + 20.0) == pytest.approx(20.0 * fs * (1 + ppm * 1e-6) - 2.75, abs=1)


def test_clock_model_uses_nominal_rate_until_fitted():
    model = ClockModel(250.0)
    model.update(9, 5.0)
    assert not model.fitted and np.isnan(model.drift_ppm)
    assert model.host_time(np.array([9, 259]))[1] == pytest.approx(6.0)


def test_ring_buffer_counts_overwritten_rows_and_keeps_order():
    ring = RingBuffer(5, 1)
    assert ring.push(0, np.arange(3.0)[:, None], None, np.arange(3.0)) == 0
    assert ring.push(3, np.arange(3.0, 7.0)[:, None], None, np.arange(3.0, 7.0)) == 2
    first, data, lead_off, _t = ring.pop_all()
    assert first == 2 and data[:, 0].tolist() == [2, 3, 4, 5, 6] and not lead_off.any()
    assert ring.push(7, np.arange(7.0, 19.0)[:, None], None, np.arange(7.0, 19.0)) == 7
    first, data, _, _ = ring.pop_all()
    assert first == 14 and data[:, 0].tolist() == [14, 15, 16, 17, 18]
    with pytest.raises(ValueError, match="contiguous"):
        ring.push(30, np.zeros((1, 1)), None, np.zeros(1))


def test_sequence_unwrapper():
    u = SequenceUnwrapper(16)
    u.origin = 100
    got = [u.update(s) for s in (14, 15, 0, 3, 3, 4)]
    assert got == [(100, 0), (101, 0), (102, 0), (105, 2), (105, 0), (106, 0)]


@pytest.mark.parametrize("cut", [1, 2, 5, 600])
def test_sequence_unwrapper_runs_equal_one_by_one(cut):
    rng = np.random.default_rng(cut)
    seqs = np.cumsum(rng.choice([0, 1, 1, 1, 2, 7], size=600)) % 256  # repeats and gaps
    one = SequenceUnwrapper(256)
    expected = [one.update(int(s)) for s in seqs]
    runs = SequenceUnwrapper(256)
    got_idx, got_lost = [], 0
    for a in range(0, seqs.size, cut):
        idx, lost = runs.update_run(seqs[a : a + cut])
        got_idx += idx.tolist()
        got_lost += lost
    assert got_idx == [i for i, _ in expected]
    assert got_lost == sum(lost for _, lost in expected)
    assert (runs.value, runs._last) == (one.value, one._last)


class Ramp(PacedDevice):
    """A finite paced source: sample k of channel c is 1000 c + k."""

    def _open_source(self):
        return DeviceInfo("ramp", "", "", (ChannelInfo("a"), ChannelInfo("b")), 200.0)

    def _n_samples(self):
        return 120

    def _generate(self, start, n):
        k = np.arange(start, start + n, dtype=float)[:, None]
        lo = np.zeros((n, 2), dtype=bool)
        lo[:, 1] = k[:, 0] >= 100
        return k + np.array([0.0, 1000.0]), lo


def test_paced_source_is_real_time_and_ends():
    dev = Ramp("ramp://", speed=2.0, reports_lead_off=True).open()
    with dev:
        t0 = time.monotonic()
        dev.start()
        blocks = collect(dev, 0.45)
        elapsed = time.monotonic() - t0
        first, data, events = concat(blocks)
        assert first == 0 and data.shape == (120, 2)
        assert data[:, 0].tolist() == list(range(120))
        assert elapsed > 0.28  # 120 samples at 2 x 200 Hz take 0.3 s
        assert [e.kind for e in events] == ["lead_off", "end"]
        assert events[0].sample == 100 and events[0].data["channels"] == ("b",)
        assert dev.read(0.05) is None
        assert dev.status().state == "finished"


@pytest.mark.skipif(
    not hasattr(ecgcore.io, "write_record"),
    reason="ecgcore.io.read_record/write_record not built yet",
)
def test_file_playback_plays_a_record(tmp_path):
    from ecgcore.io import write_record
    from ecgcore.recording import Recording

    sig = np.sin(np.arange(500) / 20.0)[:, None] * np.array([1.0, 0.5])
    sig[100:110, 1] = np.nan
    rec = Recording.from_physical(sig, 250.0, ("I", "II"), name="play")
    path = write_record(rec, tmp_path)
    with open_device(f"file://{path}?speed=4") as dev:
        assert dev.info.lead_names == ("I", "II") and dev.info.fs == 250.0
        dev.start()
        first, data, events = concat(collect(dev, 0.8))
    assert first == 0 and data.shape == (500, 2)
    np.testing.assert_allclose(data, rec.physical("mV"), atol=1e-9, equal_nan=True)
    assert events[-1].kind == "end"


def test_file_playback_missing_file_is_an_error(tmp_path):
    with pytest.raises(DeviceError):
        open_device(f"file://{tmp_path}/nope.hea")
