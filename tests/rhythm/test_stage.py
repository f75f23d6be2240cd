"""The rhythm stage in the live pipeline: same beats and episodes as batch, alarms in time."""

from __future__ import annotations

import numpy as np

from ecgcore.drivers import ChannelInfo, DeviceInfo, SampleBlock
from ecgcore.drivers.sim import simulate_ecg
from ecgcore.rhythm import analyze_rhythm
from ecgcore.rhythm.stage import (
    BeatClassEvent,
    RhythmAlarmEvent,
    RhythmEpisodeEvent,
    RhythmStage,
)
from ecgcore.stream import LivePipeline

FS = 250.0


def test_stage_in_live_pipeline_matches_batch() -> None:
    rec = simulate_ecg(60, FS, leads=("I", "II"), schedule="sinus:30,vf:15,sinus", seed=5)
    mv = rec.recording.physical("mV")
    info = DeviceInfo("sim", "", "", tuple(ChannelInfo(n, "mV", 2000.0) for n in ("I", "II")), FS)
    stage = RhythmStage()
    pipe = LivePipeline(info, stages=(stage,))
    origin, chunk = 5000, 100  # device counters rarely start at 0
    events = []
    for i in range(0, mv.shape[0], chunk):
        n = min(chunk, mv.shape[0] - i)
        block = SampleBlock(origin + i, mv[i : i + n], 1000.0 + np.arange(n) / FS, info.units)
        update = pipe.process(block, now=0.0)
        stamp = (i + n) / FS
        events += [(stamp, e) for e in update.events]
    events += [(mv.shape[0] / FS, e) for e in pipe.finish(now=0.0)]
    whole = analyze_rhythm(mv[:, 1], FS)
    beats = [e for _, e in events if isinstance(e, BeatClassEvent)]
    assert [b.sample - origin for b in beats] == whole.beats_idx.tolist()
    assert [b.aami for b in beats] == whole.beat_classes.tolist()
    episodes = [e for _, e in events if isinstance(e, RhythmEpisodeEvent)]
    assert [(e.rhythm, e.sample - origin, e.end_sample - origin) for e in episodes] == [
        tuple(ep) for ep in whole.episodes
    ]
    vf = [
        (t, e)
        for t, e in events
        if isinstance(e, RhythmAlarmEvent) and e.alarm == "VF" and e.active
    ]
    assert vf
    stamp, first = vf[0]
    assert abs((first.sample - origin) / FS - 30.0) < 2.0
    assert stamp - 30.0 <= 10.0
