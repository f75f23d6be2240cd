"""Atrial flutter (AFL): the flutter score, the rhythm it paints, batch and live."""

from __future__ import annotations

import numpy as np
import pytest
from _rhythm_synth import FS, beat_train, regular_times, stream
from scipy import signal as sps

from ecgcore.drivers import ChannelInfo, DeviceInfo, SampleBlock
from ecgcore.drivers.sim import simulate_ecg
from ecgcore.rhythm import RhythmConfig, analyze_rhythm
from ecgcore.rhythm._preprocess import CausalBandpass
from ecgcore.rhythm.flutter import (
    AFL_OVERRIDES,
    FLUTTER_LOCK_TOLERANCE,
    FLUTTER_LOCKED_THRESHOLD,
    FLUTTER_RR_CV,
    FLUTTER_THRESHOLD,
    FlutterEvidence,
    flutter_evidence,
    is_flutter,
)
from ecgcore.rhythm.stage import RhythmEpisodeEvent, RhythmStage
from ecgcore.stream import LivePipeline

ON = RhythmConfig(flutter=True)  # the default, said where it matters


def _sawtooth(n: int, fs: float, rate_hz: float, amp_mv: float, phase: float = 0.0) -> np.ndarray:
    """Flutter waves: a slow fall and a quick rise, ``rate_hz`` per second."""
    frac = (np.arange(n) / fs * rate_hz + phase) % 1.0
    return amp_mv * np.where(frac < 0.75, 0.5 - frac / 0.75, -0.5 + (frac - 0.75) / 0.25)


def _beats_without_p(times: np.ndarray, duration_s: float, fs: float = FS) -> np.ndarray:
    """QRS and T waves (mV) at ``times``, no P wave (the atria do something else)."""
    t = np.arange(round(duration_s * fs)) / fs
    x = np.zeros_like(t)
    for c in times:
        for dt, width, amp in ((-0.02, 0.008, -0.10), (0.0, 0.010, 1.0), (0.025, 0.010, -0.25),
                               (0.26, 0.045, 0.30)):  # fmt: skip
            x += amp * np.exp(-0.5 * ((t - c - dt) / width) ** 2)
    return x


def _flutter_2to1(duration_s: float = 30.0, fs: float = FS) -> tuple[np.ndarray, np.ndarray]:
    """Flutter waves of 0.5 mV at 300 /min conducted 2:1, every fourth beat 3:1.

    (The score needs flutter waves that are not dwarfed by the T wave: with waves
    of 0.25 mV beside these 0.3 mV T waves it is about 0.26.)
    """
    rr = np.tile([0.4, 0.4, 0.4, 0.6], int(duration_s))
    times = 0.5 + np.concatenate([[0.0], np.cumsum(rr)])
    times = times[times < duration_s - 1.0]
    x = _beats_without_p(times, duration_s, fs)
    x += np.random.default_rng(1).normal(0.0, 0.01, x.size)
    return x + _sawtooth(x.size, fs, 5.0, 0.5), np.round(times * fs).astype(np.int64)


def _flutter_locked(duration_s: float = 30.0, fs: float = FS) -> tuple[np.ndarray, np.ndarray]:
    """The same waves with a fixed 2:1 conduction (every beat two waves after the last)."""
    times = regular_times(int((duration_s - 1.0) / 0.4), 0.4)
    x = _beats_without_p(times, duration_s, fs)
    x += np.random.default_rng(1).normal(0.0, 0.01, x.size)
    return x + _sawtooth(x.size, fs, 5.0, 0.5), np.round(times * fs).astype(np.int64)


def _scores(x: np.ndarray, peaks: np.ndarray, fs: float = FS) -> np.ndarray:
    """Flutter score around each beat; -1 where there is none (no peak in the cycle range)."""
    y = CausalBandpass(fs).process(x)
    s = np.array(
        [
            flutter_evidence(y, 0, fs, center_idx=int(t), beats_idx=peaks, n_samples=x.size).score
            for t in peaks
        ]
    )
    return np.nan_to_num(s, nan=-1.0)


def test_flutter_waves_repeat_after_one_atrial_cycle():
    x, peaks = _flutter_2to1()
    s = _scores(x, peaks)
    assert np.median(s) > FLUTTER_THRESHOLD + 0.05
    e = flutter_evidence(
        CausalBandpass(FS).process(x), 0, FS, center_idx=int(peaks[30]), beats_idx=peaks,
        n_samples=x.size,
    )  # fmt: skip
    assert e.cycle_s == pytest.approx(0.2, abs=0.011)
    assert e.rr_cv > FLUTTER_RR_CV  # a variable conduction
    assert is_flutter(e)


def test_a_cycle_locked_to_regular_beats_needs_more():
    x, peaks = _flutter_locked()
    e = flutter_evidence(
        CausalBandpass(FS).process(x), 0, FS, center_idx=int(peaks[30]), beats_idx=peaks,
        n_samples=x.size,
    )  # fmt: skip
    assert e.rr_cv < FLUTTER_RR_CV and e.lock < FLUTTER_LOCK_TOLERANCE  # 2:1, locked
    assert is_flutter(e) == (e.score >= FLUTTER_LOCKED_THRESHOLD)
    assert not is_flutter(FlutterEvidence(0.7, 0.2, 0.01, 0.02))
    assert is_flutter(FlutterEvidence(0.85, 0.2, 0.01, 0.02))
    assert is_flutter(FlutterEvidence(0.6, 0.2, 0.2, 0.02))  # variable conduction
    assert is_flutter(FlutterEvidence(0.6, 0.2, 0.01, 0.3))  # waves running on
    assert not is_flutter(FlutterEvidence(0.5, 0.2, 0.2, 0.3))
    assert not is_flutter(FlutterEvidence(float("nan"), float("nan"), 0.2, 0.3))


def test_sinus_rhythm_and_fibrillation_do_not():
    rng = np.random.default_rng(3)
    # sinus at 75 and at 140 bpm: one P and one T wave per beat
    for rr in (0.8, 0.43):
        x, peaks = beat_train(regular_times(int(29 / rr), rr), duration_s=30.0, noise_mv=0.01)
        assert np.median(_scores(x, peaks)) < FLUTTER_THRESHOLD
    # fibrillation: irregular beats without P, disorganised waves (band-limited noise, 4-9 Hz)
    times = 0.5 + np.cumsum(rng.uniform(0.45, 1.0, 40))
    times = times[times < 29.0]
    x = _beats_without_p(times, 30.0) + rng.normal(0.0, 0.01, round(30.0 * FS))
    peaks = np.round(times * FS).astype(np.int64)
    sos = sps.butter(2, (4.0, 9.0), btype="bandpass", fs=FS, output="sos")
    f = sps.sosfilt(sos, rng.normal(0.0, 1.0, x.size))
    x += 0.1 * f / f.std()
    assert np.median(_scores(x, peaks)) < FLUTTER_THRESHOLD


def test_flutter_is_painted_and_a_stream_paints_it_alike():
    flutter, _ = _flutter_2to1(30.0)
    sinus, _ = beat_train(regular_times(25, 0.8), duration_s=20.5, noise_mv=0.01)
    x = np.concatenate([flutter, sinus])
    whole = analyze_rhythm(x, FS, config=ON)
    afl = [e for e in whole.episodes if e.rhythm == "AFL"]
    assert len(afl) == 1
    # from the first beats to within the half window (4 s) of the end of the flutter waves
    assert afl[0].start_idx / FS < 1.0
    assert 26.0 < afl[0].end_idx / FS <= 34.0
    assert "AFIB" not in {e.rhythm for e in whole.episodes}
    assert sum(e.end_idx - e.start_idx for e in whole.episodes if e.rhythm == "N") > 15.0 * FS
    chunked = stream(x, FS, [1, 97, 500, 33, 4000], config=ON)
    assert [tuple(e) for e in chunked.episodes] == [tuple(e) for e in whole.episodes]
    assert chunked.beats_idx.tolist() == whole.beats_idx.tolist()


def test_flutter_can_be_switched_off():
    flutter, _ = _flutter_2to1(20.0)
    assert "AFL" in {e.rhythm for e in analyze_rhythm(flutter, FS).episodes}
    off = RhythmConfig(flutter=False)
    assert "AFL" not in {e.rhythm for e in analyze_rhythm(flutter, FS, config=off).episodes}


def test_flutter_does_not_override_ventricular_pauses_or_pacing():
    assert {"VT", "IVR", "B", "T", "PAUSE", "ASYS", "P", "NOISE", "VF", "VFL"}.isdisjoint(
        AFL_OVERRIDES
    )
    assert {"N", "AFIB", "STACH"} <= AFL_OVERRIDES


def test_window_outside_the_buffer_is_refused():
    x, peaks = _flutter_2to1(20.0)
    with pytest.raises(ValueError, match="flutter window"):
        flutter_evidence(
            x[int(5 * FS) :],
            int(5 * FS),
            FS,
            center_idx=int(6 * FS),
            beats_idx=peaks,
            n_samples=x.size,
        )


def test_too_little_signal_gives_nan():
    x, peaks = beat_train([0.3], duration_s=0.5)
    assert np.isnan(
        flutter_evidence(
            x, 0, FS, center_idx=int(peaks[0]), beats_idx=peaks, n_samples=x.size
        ).score
    )


# ----------------------------------------------------------------- simulator
SIM_FS = 500.0
SIM_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")


@pytest.fixture(scope="module")
def flutter_sim():
    schedule = "sinus:10,aflutter@100:20,sinus"  # 3:1, one beat in four 4:1
    return simulate_ecg(60, SIM_FS, leads=SIM_LEADS, schedule=schedule, seed=0)


def test_simulated_flutter_is_atrial_flutter(flutter_sim):
    assert [e.code for e in flutter_sim.truth.episodes] == ["N", "AFL", "N"]
    r = analyze_rhythm(flutter_sim.recording, config=ON)
    afl = [e for e in r.episodes if e.rhythm == "AFL"]
    assert len(afl) == 1
    # within 5 s of the flutter's start and end (the window reaches 4 s either side)
    assert 5.0 <= afl[0].start_idx / SIM_FS < 15.0
    assert 25.0 < afl[0].end_idx / SIM_FS <= 35.0
    assert "AFIB" not in {e.rhythm for e in r.episodes}


def test_live_stage_gives_the_batch_flutter_episodes(flutter_sim):
    rec = flutter_sim.recording
    mv = rec.physical("mV")
    info = DeviceInfo(
        "sim", "", "", tuple(ChannelInfo(n, "mV", 2000.0) for n in SIM_LEADS), SIM_FS
    )
    stage = RhythmStage(config=ON)
    pipe = LivePipeline(info, stages=(stage,))
    origin, chunk = 321, 211
    events = []
    for i in range(0, mv.shape[0], chunk):
        n = min(chunk, mv.shape[0] - i)
        block = SampleBlock(origin + i, mv[i : i + n], 10.0 + np.arange(n) / SIM_FS, info.units)
        events += pipe.process(block, now=0.0).events
    events += pipe.finish(now=0.0)
    whole = analyze_rhythm(rec, lead=stage.lead_name, config=ON)
    episodes = [e for e in events if isinstance(e, RhythmEpisodeEvent)]
    assert [(e.rhythm, e.sample - origin, e.end_sample - origin) for e in episodes] == [
        tuple(ep) for ep in whole.episodes
    ]
    assert "AFL" in {e.rhythm for e in episodes}


# ----------------------------------------------------------------- real data
def test_ptbxl_flutter_and_fibrillation_floor(data_dir):
    """Held-out PTB-XL (the constants were chosen on LUDB): flutter found, AF left AF.

    Measured by ``python -m ecgcore.benchmarks.flutter``: 6 of the 7 ``AFLT``
    records called flutter, none of the 8 ``AFIB`` records touched by AFL.
    """
    from ecgcore.benchmarks.flutter import RECORD_SHARE, ptbxl_rhythm
    from ecgcore.datasets import get_database

    if not (data_dir / "ptbxl").is_dir():
        pytest.skip("PTB-XL not in the shared data")
    db = get_database("ptb-xl", str(data_dir))
    labels = ptbxl_rhythm(db.path)
    present = set(db.records())
    found = {"AFL": 0, "AF": 0}
    counted = {"AFL": 0, "AF": 0}
    for record, label in labels.items():
        if label not in found or record not in present:
            continue
        rec, _ = db.load(record)
        share = analyze_rhythm(rec, config=ON).burden().get("AFL", 0.0) / 100.0
        counted[label] += 1
        found[label] += share >= RECORD_SHARE
    assert counted["AFL"] >= 5
    assert found["AFL"] >= counted["AFL"] - 2
    assert found["AF"] == 0
