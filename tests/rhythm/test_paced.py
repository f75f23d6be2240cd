"""Paced beats and paced rhythm: simulated ventricular pacing, batch and live."""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore.drivers import ChannelInfo, DeviceInfo, SampleBlock
from ecgcore.drivers.sim import simulate_ecg
from ecgcore.rhythm import analyze_rhythm
from ecgcore.rhythm.analyzer import RhythmAnalyzer
from ecgcore.rhythm.paced import is_paced_rhythm, pacing_detector, pacing_leads
from ecgcore.rhythm.stage import BeatClassEvent, RhythmEpisodeEvent, RhythmStage
from ecgcore.stream import LivePipeline

FS = 500.0
LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
SCHEDULE = "sinus:20,paced:30,sinus"


@pytest.fixture(scope="module")
def paced_sim():
    return simulate_ecg(70, FS, leads=LEADS, schedule=SCHEDULE, seed=1)


def _seconds(episodes, code: str) -> float:
    return sum((e.end_idx - e.start_idx) / FS for e in episodes if e.rhythm == code)


def test_simulated_ventricular_pacing_is_paced_rhythm(paced_sim):
    r = analyze_rhythm(paced_sim.recording)
    paced = [e for e in r.episodes if e.rhythm == "P"]
    assert len(paced) == 1
    assert abs(paced[0].start_idx / FS - 20.0) < 1.5
    assert abs(paced[0].end_idx / FS - 50.0) < 1.5
    assert _seconds(r.episodes, "N") > 35.0
    # every beat of the paced stretch is class Q (EC57 classes paced beats so), no other is
    t = r.beats_idx / FS
    inside = (t > 20.5) & (t < 49.5)
    assert (r.beat_classes[inside] == "Q").all()
    # (the last beat, with no beat after it, is the classifier's unclassifiable Q)
    outside = (t < 19.5) | ((t > 50.5) & (t < t[-1]))
    assert (r.beat_classes[outside] != "Q").all()
    # wide paced beats are not ventricular: no VT or idioventricular rhythm, no alarm
    assert _seconds(r.episodes, "IVR") == 0.0
    assert _seconds(r.episodes, "VT") == 0.0
    assert not r.alarms


def test_without_the_other_leads_the_paced_beats_are_not_recognised(paced_sim):
    """One lead cannot tell a spike from noise: the analysis says so by not claiming pacing."""
    r = analyze_rhythm(paced_sim.recording.lead_mv("II"), FS)
    assert _seconds(r.episodes, "P") == 0.0


def test_live_stage_gives_the_batch_paced_episodes(paced_sim):
    rec = paced_sim.recording
    mv = rec.physical("mV")
    info = DeviceInfo("sim", "", "", tuple(ChannelInfo(n, "mV", 2000.0) for n in LEADS), FS)
    stage = RhythmStage()
    pipe = LivePipeline(info, stages=(stage,))
    origin, chunk = 777, 173
    events = []
    for i in range(0, mv.shape[0], chunk):
        n = min(chunk, mv.shape[0] - i)
        block = SampleBlock(origin + i, mv[i : i + n], 10.0 + np.arange(n) / FS, info.units)
        events += pipe.process(block, now=0.0).events
    events += pipe.finish(now=0.0)
    whole = analyze_rhythm(rec, lead=stage.lead_name)
    beats = [e for e in events if isinstance(e, BeatClassEvent)]
    assert [b.sample - origin for b in beats] == whole.beats_idx.tolist()
    assert [b.aami for b in beats] == whole.beat_classes.tolist()
    episodes = [e for e in events if isinstance(e, RhythmEpisodeEvent)]
    assert [(e.rhythm, e.sample - origin, e.end_sample - origin) for e in episodes] == [
        tuple(ep) for ep in whole.episodes
    ]
    assert "P" in {e.rhythm for e in episodes}


def test_spikes_given_after_their_beats_were_classified_are_counted(paced_sim):
    x = paced_sim.recording.lead_mv("II")
    an = RhythmAnalyzer(FS)
    an.process(x)  # every beat but the last few is classified by now
    an.process(np.zeros(0), pace_idx=np.array([10_500], dtype=np.int64))
    assert an.late_spikes == 1


def test_pacing_leads_and_when_pacing_is_looked_for():
    assert pacing_leads(LEADS) == [0, 1, 6, 7, 8, 9, 10, 11]
    assert pacing_leads(("MLII", "V1")) == [0, 1]
    assert pacing_detector(FS, LEADS) is not None
    assert pacing_detector(FS, ("I", "II", "V1")) is None  # too few leads to agree
    assert pacing_detector(200.0, LEADS) is None  # the pulse is lost below 250 Hz


def test_paced_rhythm_needs_most_of_the_neighbouring_beats():
    paced = np.array([False, True, False, True, True, True, False, False])
    assert not is_paced_rhythm(paced, 0, paced.size)  # the beat itself is not paced
    assert not is_paced_rhythm(paced, 1, paced.size)  # 2 of 4 around it
    assert is_paced_rhythm(paced, 3, paced.size)  # 3 of 5
    assert is_paced_rhythm(paced, 5, paced.size)  # 3 of 5
    assert is_paced_rhythm(paced, 5, 6)  # 3 of the 3 known
    assert not is_paced_rhythm(paced, 1, 2)  # 1 of 2 known


def test_simulator_draws_the_stimulus_before_each_paced_beat(paced_sim):
    from ecgcore.detect import detect_pacing_spikes

    rec = paced_sim.recording
    spikes = detect_pacing_spikes(rec.physical("mV", leads=pacing_leads(rec.lead_names)), FS)
    truth = paced_sim.truth
    r_idx = np.asarray(truth.r_peak_idx)[np.asarray(truth.beat_symbols) == "/"]
    assert r_idx.size > 30
    expected = r_idx - 0.085 * FS  # the R peak is rounded to a sample, so is the spike
    assert spikes.spike_idx.size == expected.size
    assert np.abs(spikes.spike_idx - expected).max() <= 1.0


def test_record_analysis_and_cli_report_the_paced_rhythm(paced_sim, tmp_path, capsys):
    import json

    from ecgcore import analyze_recording
    from ecgcore.cli.main import main
    from ecgcore.io import write_record

    result = analyze_recording(paced_sim.recording)
    assert result.rhythm.burden().get("P", 0.0) > 35.0
    write_record(paced_sim.recording, tmp_path, name="paced")
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "paced"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert any(e["rhythm"] == "P" for e in report["episodes"])


def test_annotation_file_writes_paced_beats_as_mitbih_slash(paced_sim, tmp_path):
    import wfdb

    from ecgcore.rhythm.annotations import write_rhythm_annotations

    r = analyze_rhythm(paced_sim.recording)
    write_rhythm_annotations(r, tmp_path, "paced")
    ann = wfdb.rdann(str(tmp_path / "paced"), "rhy")
    beats = [(s, sym) for s, sym in zip(ann.sample, ann.symbol, strict=True) if sym != "+"]
    paced = {int(s) for s in r.beats_idx[r.beats_paced]}
    assert len(paced) > 30
    assert {int(s) for s, sym in beats if sym == "/"} == paced
    assert "(P" in ann.aux_note
