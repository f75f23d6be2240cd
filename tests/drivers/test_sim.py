"""The simulated patient: lead algebra, morphology, rhythms, noise, lead-off, determinism."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import signal as sps

from ecgcore.drivers._patient import GAIN, RAIL_COUNTS, PatientModel, PatientParams
from ecgcore.drivers.sim import simulate_ecg
from ecgcore.errors import SignalError

FS = 500.0


def _lead(sim, name):
    rec = sim.recording
    return rec.adc[:, rec.lead_index(name)].astype(np.int64)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rhythm": "sinus"},
        {"rhythm": "afib", "emg": 0.05, "mains": 0.1, "wander": 0.5},
        {"rhythm": "vf", "motion": 30.0},
        {"schedule": "pvc:4,vt:3,asystole", "noise": 0.05},
    ],
)
def test_einthoven_and_goldberger_hold_exactly_in_counts(kwargs):
    sim = simulate_ecg(10, FS, seed=3, **kwargs)
    i, ii, iii = _lead(sim, "I"), _lead(sim, "II"), _lead(sim, "III")
    avr, avl, avf = _lead(sim, "aVR"), _lead(sim, "aVL"), _lead(sim, "aVF")
    assert np.array_equal(iii, ii - i)
    assert np.array_equal(2 * avr, -(i + ii))
    assert np.array_equal(2 * avl, i - iii)
    assert np.array_equal(2 * avf, ii + iii)
    assert np.array_equal(avr + avl + avf, np.zeros_like(i))


def test_relations_break_only_inside_the_calibration_pulse():
    sim = simulate_ecg(2, FS, calibration=True, seed=1)
    i, ii, iii = _lead(sim, "I"), _lead(sim, "II"), _lead(sim, "III")
    c0, c1 = sim.truth.calibration_idx
    assert (c0, c1) == (50, 150)
    bad = np.nonzero(iii != ii - i)[0]
    assert bad.size and bad.min() >= c0 and bad.max() < c1
    # The pulse is 1 mV on every lead relative to the baseline just before it.
    pulse = sim.recording.adc[c0 + 10 : c1 - 10].astype(float) / GAIN
    before = sim.recording.adc[c0 - 20 : c0].astype(float).mean(axis=0) / GAIN
    assert np.allclose(pulse.mean(axis=0) - before, 1.0, atol=0.06)


def _qrs_amplitudes(sim, name):
    x = sim.recording.lead_mv(name)
    out = []
    for r in sim.truth.r_peak_idx:
        if r < 100 or r + 50 >= x.size:
            continue
        base = np.median(x[r - 80 : r - 40])  # PR segment
        seg = x[r - 30 : r + 30] - base
        out.append((seg.max(), seg.min()))
    return np.median(np.array(out), axis=0)


def test_normal_morphology_amplitudes_and_r_wave_progression():
    sim = simulate_ecg(20, FS, noise=0.0, wander=0.0, seed=2)
    r_ii, _ = _qrs_amplitudes(sim, "II")
    assert 1.0 <= r_ii <= 1.5
    r = {v: _qrs_amplitudes(sim, v)[0] for v in ("V1", "V2", "V3", "V4", "V5", "V6")}
    s = {v: -_qrs_amplitudes(sim, v)[1] for v in ("V1", "V2", "V3", "V4", "V5", "V6")}
    assert r["V1"] < r["V2"] < r["V3"] < r["V4"]  # R grows across the precordium
    assert s["V1"] > r["V1"] and s["V2"] > r["V2"]  # rS in V1, V2
    assert r["V5"] > s["V5"] and r["V6"] > s["V6"]  # qR in V5, V6
    assert _qrs_amplitudes(sim, "aVR")[1] < -0.5  # aVR negative
    # P wave before each QRS in II: positive bump 0.1-0.25 mV about 150 ms before R.
    x = sim.recording.lead_mv("II")
    p = [x[r - 100 : r - 40].max() - x[r - 140 : r - 120].mean() for r in sim.truth.r_peak_idx[1:]]
    assert 0.08 < np.median(p) < 0.25


def test_same_seed_same_record_other_seed_differs():
    a = simulate_ecg(5, FS, rhythm="afib", emg=0.02, seed=7)
    b = simulate_ecg(5, FS, rhythm="afib", emg=0.02, seed=7)
    c = simulate_ecg(5, FS, rhythm="afib", emg=0.02, seed=8)
    assert np.array_equal(a.recording.adc, b.recording.adc)
    assert np.array_equal(a.truth.r_peak_idx, b.truth.r_peak_idx)
    assert not np.array_equal(a.recording.adc, c.recording.adc)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rhythm": "pvc", "emg": 0.05, "motion": 20.0, "mains": 0.05, "lead_off": "LA:1-3"},
        {"schedule": "afib:3,vf:2,sinus", "calibration": True},
    ],
)
def test_chunked_generation_equals_whole(kwargs):
    whole = simulate_ecg(8, FS, seed=11, **kwargs)
    model = PatientModel(PatientParams(fs=FS, seed=11, **kwargs))
    rng = np.random.default_rng(0)
    pos, parts, offs = 0, [], []
    n = whole.recording.n_samples
    while pos < n:
        k = int(min(rng.integers(1, 700), n - pos))
        counts, off = model.generate(pos, k)
        parts.append(counts)
        offs.append(off)
        pos += k
    assert np.array_equal(np.vstack(parts), whole.recording.adc)
    assert np.array_equal(np.vstack(offs), whole.truth.lead_off)


def _rr(sim):
    return np.diff(sim.truth.r_peak_idx) / sim.recording.fs


@pytest.mark.parametrize(("hr", "code"), [(45, "SBR"), (72, "N"), (130, "STACH")])
def test_sinus_rate_and_rhythm_code(hr, code):
    sim = simulate_ecg(30, FS, hr=hr, seed=4)
    assert abs(60.0 / _rr(sim).mean() - hr) < 0.05 * hr
    assert [e.code for e in sim.truth.episodes] == [code]
    assert set(sim.truth.beat_symbols) == {"N"}
    cv = _rr(sim).std() / _rr(sim).mean()
    assert 0.005 < cv < 0.06  # sinus arrhythmia, not AF


def test_atrial_fibrillation_is_irregular_without_p_waves():
    af = simulate_ecg(60, FS, rhythm="afib", hr=50, noise=0.0, wander=0.0, seed=5)
    sinus = simulate_ecg(60, FS, hr=50, noise=0.0, wander=0.0, seed=5)
    rr = _rr(af)
    assert rr.std() / rr.mean() > 0.15
    assert [e.code for e in af.truth.episodes] == ["AFIB"]

    def between_beats_std(sim):  # T end to before the next P: f-waves or a flat line
        x = sim.recording.lead_mv("V1")
        r = sim.truth.r_peak_idx
        segs = [x[a + 225 : b - 150] for a, b in itertools.pairwise(r) if b - a > 450]
        return np.median([s.std() for s in segs])

    assert between_beats_std(af) > 0.03
    assert between_beats_std(sinus) < 0.005

    def mean_p_wave(sim):  # beat-averaged II in the PR interval
        x = sim.recording.lead_mv("II")
        r = sim.truth.r_peak_idx[1:]
        avg = np.mean([x[i - 120 : i - 30] - x[i - 120] for i in r], axis=0)
        return np.abs(avg).max()

    assert mean_p_wave(sinus) > 0.08
    assert mean_p_wave(af) < 0.05


def test_pvcs_are_wide_premature_with_compensatory_pause():
    sim = simulate_ecg(120, FS, rhythm="pvc", pvc_rate=0.2, noise=0.0, wander=0.0, seed=6)
    sym = np.array(sim.truth.beat_symbols)
    r = sim.truth.r_peak_idx
    assert 0.1 < (sym == "V").mean() < 0.3
    n_rr = np.median(np.diff(r)[(sym[:-1] == "N") & (sym[1:] == "N")])
    checked = 0
    for k in np.nonzero(sym == "V")[0]:
        if 0 < k < len(r) - 1 and sym[k - 1] == "N" and sym[k + 1] == "N":
            pre, post = r[k] - r[k - 1], r[k + 1] - r[k]
            assert pre < 0.75 * n_rr  # premature
            assert abs((pre + post) - 2 * n_rr) < 0.15 * n_rr  # fully compensatory
            checked += 1
    assert checked >= 10
    # QRS width in V6 (samples above 15% of the peak): PVC at least 1.8 x the normal beat.
    x = sim.recording.lead_mv("V6")

    def width(idx):
        seg = np.abs(x[idx - 60 : idx + 60] - np.median(x[idx - 100 : idx - 70]))
        return (seg > 0.3 * seg.max()).sum()

    w_n = np.median([width(i) for i, s in zip(r[2:-2], sym[2:-2], strict=True) if s == "N"])
    w_v = np.median([width(i) for i, s in zip(r[2:-2], sym[2:-2], strict=True) if s == "V"])
    assert w_v > 1.8 * w_n


def test_vt_vf_asystole_schedule():
    sim = simulate_ecg(40, FS, schedule="sinus:10,vt:10,vf:10,asystole", seed=8)
    eps = [(e.code, e.start_s, e.end_s) for e in sim.truth.episodes]
    assert eps == [("N", 0, 10), ("VT", 10, 20), ("VF", 20, 30), ("ASYS", 30, 40)]
    t = sim.truth.r_peak_idx / FS
    sym = np.array(sim.truth.beat_symbols)
    vt = (t >= 10) & (t < 20)
    assert set(sym[vt]) == {"V"}
    assert 150 <= 60.0 / np.diff(t[vt]).mean() <= 200
    assert not np.any(t >= 20)  # no QRS in VF or asystole
    x = sim.recording.lead_mv("II")
    f, p = sps.welch(x[int(21 * FS) : int(30 * FS)], FS, nperseg=1024)
    peak = f[np.argmax(p)]
    assert 4.0 <= peak <= 8.0
    band = p[(f >= 3) & (f <= 9)].sum() / p[(f > 0.5) & (f < 40)].sum()
    assert band > 0.7
    asys = x[int(31 * FS) :]
    assert np.std(asys) < 0.06


def test_pause_rhythm_has_pauses():
    sim = simulate_ecg(30, FS, rhythm="pause", pause_s=3.0, seed=9)
    assert "PAUSE" in [e.code for e in sim.truth.episodes]
    assert _rr(sim).max() > 3.0


@pytest.mark.parametrize(
    ("electrode", "flagged"),
    [
        ("LA", {"I", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"}),
        ("RA", {"I", "II", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"}),
        ("V3", {"V3"}),
    ],
)
def test_lead_off_affects_the_leads_using_the_electrode(electrode, flagged):
    sim = simulate_ecg(6, FS, lead_off=f"{electrode}:2-4", seed=10)
    names = sim.recording.lead_names
    off = sim.truth.lead_off
    inside = slice(int(2 * FS), int(4 * FS))
    assert {names[j] for j in range(12) if off[inside, j].all()} == flagged
    assert not off[: int(2 * FS)].any() and not off[int(4 * FS) :].any()
    for j, name in enumerate(names):
        values = sim.recording.adc[inside, j]
        if name in flagged:
            assert np.all(np.abs(values) == RAIL_COUNTS)  # saturated
        else:
            assert np.abs(values).max() < RAIL_COUNTS


def test_mains_and_emg_show_in_the_spectrum():
    clean = simulate_ecg(20, FS, seed=12)
    noisy = simulate_ecg(20, FS, seed=12, mains=0.2, mains_hz=60, emg=0.1)

    def power(sim, lo, hi):
        f, p = sps.welch(sim.recording.lead_mv("I"), FS, nperseg=1024)
        return p[(f >= lo) & (f <= hi)].sum()

    assert power(noisy, 59, 61) > 100 * power(clean, 59, 61)
    assert power(noisy, 70, 140) > 20 * power(clean, 70, 140)


def test_lead_subsets_and_bad_arguments():
    assert simulate_ecg(1, FS, leads=1).recording.lead_names == ("II",)
    assert simulate_ecg(1, FS, leads=["V2", "I"]).recording.lead_names == ("V2", "I")
    for bad in (
        {"leads": 5},
        {"leads": ["X1"]},
        {"rhythm": "torsades"},
        {"lead_off": "LX"},
        {"schedule": "sinus,vf:3"},
        {"hr": 500},
        {"noise": -1},
        {"mains_hz": 55},
        {"fs": 20},
    ):
        with pytest.raises(SignalError, match=r"\w"):
            simulate_ecg(1, **({"fs": FS} | bad))
