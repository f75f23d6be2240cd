"""The monitor's rhythm stage: labels and latched alarms from the rhythm analyzer."""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore.drivers import ChannelInfo, DeviceInfo, SampleBlock
from ecgcore.drivers.sim import simulate_ecg
from ecgcore.web.pipeline import LivePipeline


def _run(schedule: str, seconds: float, chunk: int = 40):
    fs = 500.0
    rec = simulate_ecg(seconds, fs, leads=12, schedule=schedule, seed=4).recording
    mv = rec.physical("mV")
    info = DeviceInfo(
        "sim", "", "", tuple(ChannelInfo(n, "mV", 2000.0) for n in rec.lead_names), fs
    )
    pipe = LivePipeline(info)
    timeline = []  # (time s, rhythm shown, active alarm kinds)
    for i in range(0, mv.shape[0], chunk):
        block = SampleBlock(
            i, mv[i : i + chunk], np.full(min(chunk, mv.shape[0] - i), i / fs), info.units
        )
        meta = pipe.process(block).meta
        timeline.append(((i + chunk) / fs, meta["rhythm"], [a["kind"] for a in meta["alarms"]]))
    return timeline


def test_vf_alarm_is_raised_within_10_s_and_cleared_after_sinus_returns():
    timeline = _run("sinus:12,vf:12,sinus", 50.0)
    raised = next(t for t, _, kinds in timeline if "VF" in kinds)
    assert 12.0 < raised <= 22.0, raised  # onset at 12 s; alarm within 10 s
    shown = {r for t, r, kinds in timeline if "VF" in kinds}
    assert shown == {"ventricular fibrillation"}
    cleared = next(t for t, _, kinds in timeline if t > raised and "VF" not in kinds)
    assert 24.0 < cleared < 40.0, cleared  # VF ends at 24 s
    assert timeline[-1][1] == "sinus rhythm" and timeline[-1][2] == []
    assert all(not kinds for t, _, kinds in timeline if t < 12.0)


def test_sinus_rhythm_raises_no_alarm():
    timeline = _run("sinus", 25.0, chunk=100)
    assert all(not kinds for _, _, kinds in timeline)
    assert timeline[-1][1] == "sinus rhythm"


@pytest.mark.parametrize(("schedule", "kind"), [("asystole", "ASYS"), ("vt", "VT")])
def test_asystole_and_vt_alarms_are_raised_and_cleared(schedule, kind):
    timeline = _run(f"sinus:12,{schedule}:10,sinus", 45.0)
    raised = next(t for t, _, kinds in timeline if kind in kinds)
    assert 12.0 < raised <= 22.0, raised  # onset at 12 s; alarm within 10 s
    assert kind not in timeline[-1][2] and timeline[-1][1] == "sinus rhythm"
