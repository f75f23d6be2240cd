"""Device URLs with odd options, fuzzed: each opens, starts and reads, or raises a
DeviceError - never another exception (a typo in a technician's URL must get a
clear message, not a crash in the reader thread)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecgcore.drivers import open_device
from ecgcore.errors import DeviceError
from ecgcore.io import write_record
from ecgcore.recording import Recording

_COMMON = ("speed", "buffer_s", "stall_s", "reconnect", "reconnect_max_s")
_KEYS = {
    "sim": (*_COMMON, "duration", "leads", "fs", "hr", "rhythm", "schedule", "seed", "noise",
            "lead_off", "pause_s"),
    "file": (*_COMMON, "loop"),
}  # fmt: skip
_VALUES = st.sampled_from(
    ("", "0", "-1", "1e12", "1e9", "nan", "inf", "abc", "1", "2", "yes", "I,II", "X", "0x10",
     "1e-9", "250", "-0", "1,2", "sinus:1e12", "V2:0-1e12", "sinus:5,vf:2", "LA:0.5-1")
)  # fmt: skip


@pytest.fixture(scope="module")
def playback_url(tmp_path_factory) -> str:
    x = np.random.default_rng(0).standard_normal((2000, 3)) * 0.5
    rec = Recording.from_physical(x, 250.0, lead_names=["I", "II", "III"], name="p")
    return "file://" + str(write_record(rec, tmp_path_factory.mktemp("playback")))


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scheme=st.sampled_from(("sim", "file")), data=st.data())
def test_odd_options_stream_or_raise_a_device_error(scheme, data, playback_url):
    keys = st.sampled_from(_KEYS[scheme])
    options = data.draw(st.lists(st.tuples(keys, _VALUES), max_size=2, unique_by=lambda o: o[0]))
    base = "sim://ecg" if scheme == "sim" else playback_url
    url = base + ("?" + "&".join(f"{k}={v}" for k, v in options) if options else "")
    try:
        dev = open_device(url)
    except DeviceError:
        return
    try:
        dev.start()
        dev.read(timeout=0.05)
        assert not dev.status().last_error
    except DeviceError:
        pass
    finally:
        dev.close()
