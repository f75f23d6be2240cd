"""The rhythm analyzer: streaming == batch, episodes, alarms on simulated rhythms, real floors."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from _rhythm_synth import stream as _stream

from ecgcore.drivers.sim import simulate_ecg
from ecgcore.errors import SignalError
from ecgcore.rhythm import RhythmAnalysis, RhythmAnalyzer, RhythmConfig, analyze_rhythm

SIM_FS = 250.0


def _assert_same(a: RhythmAnalysis, b: RhythmAnalysis) -> None:
    np.testing.assert_array_equal(a.beats_idx, b.beats_idx)
    np.testing.assert_array_equal(a.beat_classes, b.beat_classes)
    assert a.episodes == b.episodes
    assert sorted((x.kind, x.onset_s) for x in a.alarms) == sorted(
        (x.kind, x.onset_s) for x in b.alarms
    )


def _assert_covering(r: RhythmAnalysis) -> None:
    eps = r.episodes
    assert eps[0].start_idx == 0 and eps[-1].end_idx == r.n_samples
    for a, b in itertools.pairwise(eps):
        assert a.end_idx == b.start_idx and a.rhythm != b.rhythm
    assert sum(r.burden().values()) == pytest.approx(100.0)


def _sim(schedule: str, seconds: float = 60.0, seed: int = 1, **kw: object) -> np.ndarray:
    sim = simulate_ecg(seconds, SIM_FS, leads=1, schedule=schedule, seed=seed, **kw)
    return sim.recording.lead_mv(0)


def test_streaming_equals_batch_with_a_gap() -> None:
    x = _sim("sinus:25,vt:12,sinus:10,afib:40,sinus:13", seconds=100.0, seed=3)
    x[int(60 * SIM_FS) : int(62.5 * SIM_FS)] = np.nan  # dropped samples
    whole = analyze_rhythm(x, SIM_FS)
    _assert_covering(whole)
    assert "NOISE" in whole.burden()  # the gap
    for sizes in ([250], [97, 1, 611, 33]):
        _assert_same(_stream(x, SIM_FS, sizes), whole)


@pytest.mark.parametrize(
    ("schedule", "kind", "onset_s", "kw"),
    [
        ("sinus:30,vf:20,sinus:10", "VF", 30.0, {}),
        ("sinus:30,vt:15,sinus:15", "VT", 30.0, {}),
        ("sinus:30,asystole:10,sinus:20", "ASYS", 30.0, {}),
        ("sinus:30,pause:2.8,sinus:27", "PAUSE", 30.0, {}),
    ],
)
def test_alarms_within_10_s(schedule: str, kind: str, onset_s: float, kw: dict) -> None:
    x = _sim(schedule, **kw)
    result = _stream(x, SIM_FS, [int(SIM_FS)])  # a live monitor fed every second
    alarms = [a for a in result.alarms if a.kind == kind]
    assert alarms, f"no {kind} alarm: {result.alarms}"
    first = alarms[0]
    assert abs(first.onset_s - onset_s) < 2.0
    assert first.raised_s - onset_s <= 10.0
    assert not [a for a in result.alarms if a.onset_s < onset_s - 2.0]  # nothing in the sinus part


def test_simulated_episodes() -> None:
    x = _sim("sinus:30,vf:20,sinus:10")
    r = analyze_rhythm(x, SIM_FS)
    vf = r.episodes_of(("VF", "VFL"))
    assert sum(e - s for s, e in vf) > 15.0
    assert all(s > 27.0 and e < 53.0 for s, e in vf)
    r = analyze_rhythm(_sim("afib:60", seed=2), SIM_FS)
    assert r.burden().get("AFIB", 0.0) > 80.0
    r = analyze_rhythm(_sim("sinus@50:60"), SIM_FS)
    assert r.burden().get("SBR", 0.0) > 90.0


def test_flat_line_is_noise_not_asystole() -> None:
    x = _sim("sinus:60")
    x[int(30 * SIM_FS) : int(40 * SIM_FS)] = 0.0  # lead off: no signal at all
    r = analyze_rhythm(x, SIM_FS)
    noise = r.episodes_of(("NOISE",))
    assert sum(e - s for s, e in noise) >= 7.0
    # the 1 s segments resolve the edges of the flat stretch to about a second
    assert sum(e - s for s, e in r.episodes_of(("ASYS",))) <= 3.0
    assert not [a for a in r.alarms if a.kind in ("ASYS", "PAUSE")]  # lead off is no asystole


def test_recording_and_array_give_the_same_json() -> None:
    sim = simulate_ecg(40, SIM_FS, leads=("I", "II"), rhythm="pvc", seed=4)
    rec = sim.recording
    a = analyze_rhythm(rec)  # lead II by default
    b = analyze_rhythm(rec.lead_mv("II"), rec.fs)
    assert a.to_json() == b.to_json()
    out = json.loads(json.dumps(a.to_json()))
    assert set(out) >= {"beats", "episodes", "burden"}
    assert {"sample", "aami"} == set(out["beats"][0])
    assert {"rhythm", "start_s", "end_s"} == set(out["episodes"][0])
    assert {c for b in out["beats"] for c in b["aami"]} <= set("NSVFQ")
    assert "V" in {b["aami"] for b in out["beats"]}


def test_bad_input() -> None:
    an = RhythmAnalyzer(SIM_FS)
    with pytest.raises(ValueError, match="detect=True"):
        an.process(np.zeros(10), peaks=[1])
    an2 = RhythmAnalyzer(SIM_FS, detect=False)
    an2.process(np.zeros(100), peaks=np.array([10, 50]))
    with pytest.raises(SignalError, match="not after the previous peak"):
        an2.process(np.zeros(100), peaks=np.array([40]))
    with pytest.raises(SignalError, match="infinite"):
        an.process(np.array([0.0, np.inf]))
    an.finish()
    with pytest.raises(SignalError, match="after finish"):
        an.process(np.zeros(10))
    with pytest.raises(ValueError, match="asystole_s"):
        RhythmConfig(pause_s=3.0, asystole_s=2.0)
    with pytest.raises(ValueError, match="fs is required"):
        analyze_rhythm(np.zeros(1000))
    with pytest.raises(SignalError, match="within the signal"):
        analyze_rhythm(np.zeros(1000), 250.0, peaks=np.array([5, 2000]))


def test_late_peaks_are_counted_not_used(caplog: pytest.LogCaptureFixture) -> None:
    x = _sim("sinus:40")
    an = RhythmAnalyzer(SIM_FS, detect=False)
    an.process(x[: int(30 * SIM_FS)], peaks=np.array([], dtype=np.int64))
    an.process(x[int(30 * SIM_FS) :], peaks=np.array([int(5 * SIM_FS)]))
    assert an.late_peaks == 1
    assert "arrived after its data was analysed" in caplog.text


@pytest.mark.shared_data
def test_real_record_streaming_equals_batch(data_dir: Path) -> None:
    from ecgcore.datasets import get_database

    rec = get_database("mitdb", data_dir).load_record("203").recording.slice_s(0, 150)
    x = rec.lead_mv("MLII")
    whole = analyze_rhythm(x, rec.fs)
    _assert_covering(whole)
    _assert_same(_stream(x, rec.fs, [360, 131, 999]), whole)


@pytest.mark.shared_data
def test_af_floor_on_mitdb_201(data_dir: Path) -> None:
    """AF on a record the AF model never saw (it was fitted on CinC 2017 only)."""
    from ecgcore.benchmarks.episodes import af_episodes, compare_episodes
    from ecgcore.datasets import get_database

    rd = get_database("mitdb", data_dir).load_record("201")
    r = analyze_rhythm(rd.recording)
    ref = af_episodes(rd.annotations, record_end_s=rd.recording.duration_s)
    comp = compare_episodes(ref, r.episodes_of(("AFIB",)))
    assert comp.duration_se >= 0.90
    assert comp.duration_ppv >= 0.60
