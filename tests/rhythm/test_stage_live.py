"""The live rhythm stage on the simulated patient: streaming == batch, delays, alarms in time."""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore.drivers import ChannelInfo, DeviceInfo, SampleBlock
from ecgcore.drivers.sim import simulate_ecg
from ecgcore.rhythm import RhythmConfig, analyze_rhythm
from ecgcore.rhythm.stage import (
    BeatClassEvent,
    RhythmAlarmEvent,
    RhythmEpisodeEvent,
    RhythmLabelEvent,
    RhythmStage,
    RhythmStatus,
    live_rhythm_stages,
)
from ecgcore.stream import LivePipeline

FS = 250.0
LEADS = ("I", "II")
ORIGIN = 7000  # device counters rarely start at 0
MIXED = "sinus:15,vt:8,sinus:10,afib:15,vf:8,sinus"


def _info() -> DeviceInfo:
    return DeviceInfo("sim", "", "", tuple(ChannelInfo(n, "mV", 2000.0) for n in LEADS), FS)


def _sizes(kind: str, n: int) -> list[int]:
    if kind == "irregular":
        rng = np.random.default_rng(3)
        return rng.integers(1, 120, size=n).tolist()
    return [int(kind)] * n


def _stream(sim, stage: RhythmStage, sizes: list[int]):
    """Feed the record in blocks; return [(stream position of the block end, event)]."""
    rec = sim.recording
    mv = rec.physical("mV")
    lead_off = sim.truth.lead_off
    pipe = LivePipeline(_info(), stages=(stage,))
    out, pos = [], 0
    for size in sizes:
        k = min(size, mv.shape[0] - pos)
        if k <= 0:
            break
        block = SampleBlock(
            ORIGIN + pos, mv[pos : pos + k], np.zeros(k), ("mV",) * 2, lead_off[pos : pos + k]
        )
        pos += k
        out += [(ORIGIN + pos, e) for e in pipe.process(block, now=0.0).events]
    assert pos == mv.shape[0]
    out += [(ORIGIN + pos, e) for e in pipe.finish(now=0.0)]
    return out


def _batch(sim, lead: str):
    """analyze_rhythm on the lead's samples, lead-off samples missing."""
    rec = sim.recording
    col = list(rec.lead_names).index(lead)
    x = rec.lead_mv(lead).copy()
    x[sim.truth.lead_off[:, col]] = np.nan
    return analyze_rhythm(x, FS)


def _of(events, cls):
    return [e for _, e in events if isinstance(e, cls)]


@pytest.fixture(scope="module")
def mixed():
    # II detached for 3 s: missing samples, as a device flags them
    return simulate_ecg(80, FS, leads=LEADS, schedule=MIXED, lead_off="RA:62-65", seed=3)


@pytest.mark.parametrize(("lead", "chunks"), [(None, "irregular"), (None, "250"), (None, "5000"),
                                              ("I", "irregular")])  # fmt: skip
def test_streaming_gives_the_beats_and_episodes_of_batch(mixed, lead, chunks):
    stage = RhythmStage(lead=lead)
    events = _stream(mixed, stage, _sizes(chunks, 20000))
    # on the detection lead the stage uses the pipeline's R-peaks, elsewhere its own detector
    assert stage.own_detector is (lead is not None)
    whole = _batch(mixed, lead or "II")
    beats = _of(events, BeatClassEvent)
    assert [b.sample - ORIGIN for b in beats] == whole.beats_idx.tolist()
    assert [b.aami for b in beats] == whole.beat_classes.tolist()
    episodes = [(e.rhythm, e.sample - ORIGIN, e.end_sample - ORIGIN)
                for e in _of(events, RhythmEpisodeEvent)]  # fmt: skip
    assert episodes == [tuple(ep) for ep in whole.episodes]
    codes = {ep.rhythm for ep in whole.episodes}
    assert {"N", "VT", "AFIB"} <= codes and codes & {"VF", "VFL"} and "NOISE" in codes
    raised = [(e.alarm, round(e.onset_s, 3)) for e in _of(events, RhythmAlarmEvent) if e.active]
    assert sorted(raised) == sorted({(a.kind, round(a.onset_s, 3)) for a in whole.alarms})


def test_samples_lost_on_the_way_are_missing_for_stream_and_batch(mixed):
    # blocks never delivered (e.g. a radio dropout): the pipeline passes them on as missing
    rec, lead_off = mixed.recording, mixed.truth.lead_off
    mv = rec.physical("mV")
    starts = range(0, rec.n_samples, 50)
    lost = [a for a in starts if 30.2 * FS <= a < 31.7 * FS]
    stage = RhythmStage()
    pipe = LivePipeline(_info(), stages=(stage,))
    events = []
    for a in starts:
        b = min(a + 50, rec.n_samples)
        if a in lost:
            continue
        block = SampleBlock(ORIGIN + a, mv[a:b], np.zeros(b - a), ("mV",) * 2, lead_off[a:b])
        events += pipe.process(block, now=0.0).events
    events += pipe.finish(now=0.0)
    x = rec.lead_mv("II").copy()
    x[lead_off[:, 1]] = np.nan
    x[lost[0] : lost[-1] + 50] = np.nan
    whole = analyze_rhythm(x, FS)
    beats = [e for e in events if isinstance(e, BeatClassEvent)]
    assert [b.sample - ORIGIN for b in beats] == whole.beats_idx.tolist()
    assert [b.aami for b in beats] == whole.beat_classes.tolist()
    episodes = [(e.rhythm, e.sample - ORIGIN, e.end_sample - ORIGIN)
                for e in events if isinstance(e, RhythmEpisodeEvent)]  # fmt: skip
    assert episodes == [tuple(ep) for ep in whole.episodes]


def test_beats_and_episodes_are_delivered_within_10_s():
    # Outside the detector's learning (the first 12 s, and 12 s after missing signal)
    # and for intervals below 2 s; see ecgcore.rhythm.analyzer for the stage delays.
    cfg = RhythmConfig()
    settle = round((cfg.detector_learn_s + cfg.peak_delay_s) * FS)
    sim = simulate_ecg(80, FS, leads=LEADS, schedule="sinus:15,vt:8,sinus:10,afib:15,sinus",
                       seed=3)  # fmt: skip
    events = _stream(sim, RhythmStage(), _sizes("25", 20000))  # 0.1 s blocks
    beat_delay = [(at - e.sample) / FS for at, e in events
                  if isinstance(e, BeatClassEvent) and e.sample - ORIGIN >= settle]  # fmt: skip
    assert len(beat_delay) > 60 and max(beat_delay) <= 10.0
    end = ORIGIN + 80 * FS
    closed = [(at - e.end_sample) / FS for at, e in events
              if isinstance(e, RhythmEpisodeEvent) and e.end_sample < end]  # fmt: skip
    assert len(closed) >= 4 and max(closed) <= 10.0
    labels = [(at - e.sample) / FS for at, e in events
              if isinstance(e, RhythmLabelEvent) and e.sample - ORIGIN >= settle]  # fmt: skip
    assert len(labels) >= 4 and max(labels) <= 10.0


@pytest.mark.parametrize(
    ("schedule", "kind"),
    [("vf:12", "VF"), ("vt:10", "VT"), ("asystole:10", "ASYS"), ("pause:3", "PAUSE")],
)
def test_alarm_raised_within_10_s_of_onset_and_cleared_when_the_rhythm_ends(schedule, kind):
    sim = simulate_ecg(50, FS, leads=LEADS, schedule=f"sinus:15,{schedule},sinus", seed=4)
    onset_s = 15.0
    end_s = onset_s + float(schedule.split(":")[1])
    status = RhythmStatus()
    shown = []  # (stream position s, active alarms)
    events = _stream(sim, RhythmStage(), _sizes("50", 20000))
    for at, ev in events:
        status.feed(ev)
        shown.append(((at - ORIGIN) / FS, status.active_alarms()))
    first = next(t for t, kinds in shown if kind in kinds)
    assert onset_s < first <= onset_s + 10.0
    raised = next(e for e in _of(events, RhythmAlarmEvent) if e.alarm == kind and e.active)
    assert abs(raised.onset_s - onset_s) <= 1.0  # the onset reported is the true one
    assert raised.delay_s == pytest.approx(first - raised.onset_s)
    assert all(not kinds for t, kinds in shown if t <= onset_s)
    cleared = next(t for t, kinds in shown if t > first and kind not in kinds)
    assert end_s < cleared <= end_s + 12.0
    assert shown[-1][1] == [] and status.label == "sinus rhythm"


@pytest.mark.parametrize(("hr", "seed"), [(72, 1), (48, 2), (125, 3)])
def test_clean_sinus_raises_no_alarm(hr, seed):
    sim = simulate_ecg(60, FS, leads=LEADS, rhythm="sinus", hr=hr, seed=seed)
    events = _stream(sim, RhythmStage(), _sizes("irregular", 20000))
    assert _of(events, RhythmAlarmEvent) == []
    labels = [e.rhythm for e in _of(events, RhythmLabelEvent)]
    assert labels == [{72: "N", 48: "SBR", 125: "STACH"}[hr]]


def test_status_shows_the_gravest_alarm_and_reads_other_stages_by_fields():
    status = RhythmStatus()
    assert status.shown_rhythm() is None
    status.feed(RhythmLabelEvent(10, "N", "sinus rhythm"))
    assert status.shown_rhythm() == "sinus rhythm"
    pause = RhythmAlarmEvent(20, "PAUSE", True, "RR above 2 s", 20, 900, 0.08, 3.6)
    vt = RhythmAlarmEvent(30, "VT", True, "ventricular run", 30, 950, 0.12, 3.8)
    assert status.feed(pause) and status.feed(vt)
    assert status.active_alarms() == ["VT", "PAUSE"]
    assert status.shown_rhythm() == "ventricular tachycardia"
    status.feed(RhythmAlarmEvent(40, "VT", False, "ended", 30, 990, 0.12, 3.96))
    assert status.shown_rhythm() == "pause"
    assert not status.feed(BeatClassEvent(50, "N"))

    class Other:  # another stage's event, read by its fields
        sample, alarm, active, message, rhythm = 60, "VF", True, "scripted", "VF"

    status.feed(Other())
    assert status.active_alarms() == ["VF", "PAUSE"] and status.label == "VF"


def test_no_live_stage_outside_the_analysable_rates():
    assert live_rhythm_stages(50.0) == ()
    (stage,) = live_rhythm_stages(360.0, lead="II")
    assert isinstance(stage, RhythmStage) and stage.lead == "II"
