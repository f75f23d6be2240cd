"""Signal-quality indices against known added disturbances, verdicts, streaming == whole."""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore.drivers.sim import simulate_ecg
from ecgcore.errors import SignalError
from ecgcore.quality import QualityMonitor, assess_quality, assess_recording, compute_indices

FS = 500.0


def _pair(seconds=10.0, seed=3, **noise):
    """A clean record and the same record with a disturbance: (clean mV, noisy mV, sim)."""
    clean = simulate_ecg(seconds, FS, seed=seed)
    noisy = simulate_ecg(seconds, FS, seed=seed, **noise)
    return clean.recording.physical(), noisy.recording.physical(), noisy


def test_clean_record_is_good_on_every_lead():
    sim = simulate_ecg(10, FS, seed=1)
    report = assess_quality(sim.recording.physical(), FS, lead_names=sim.recording.lead_names)
    assert report.level == report.worst_level == "good"
    assert report.issues() == {}
    ii = report.lead("II").indices
    assert 1.0 < ii["amplitude_mv"] < 2.0 and ii["kurtosis"] > 5


def test_powerline_amplitude_matches_the_added_interference():
    clean, noisy, _ = _pair(mains=0.15, mains_hz=60)
    added = noisy - clean
    t = np.arange(added.shape[0]) / FS
    basis = np.column_stack([np.sin(2 * np.pi * 60 * t), np.cos(2 * np.pi * 60 * t)])
    coef, *_ = np.linalg.lstsq(basis, added, rcond=None)
    true_amp = np.hypot(coef[0], coef[1])
    got = compute_indices(noisy, FS)["powerline_mv"]
    assert np.allclose(got, true_amp, rtol=0.15, atol=0.005)
    assert compute_indices(clean, FS)["powerline_mv"].max() < 0.01


def test_emg_index_matches_the_rms_of_the_added_muscle_noise_above_40_hz():
    clean, noisy, _ = _pair(emg=0.06, mains=0.1)
    added = noisy - clean
    spec = np.fft.rfft(added - added.mean(axis=0), axis=0)
    f = np.fft.rfftfreq(added.shape[0], 1 / FS)
    keep = (f > 40) & (f < 150) & (np.abs(f - 50) > 1) & (np.abs(f - 100) > 1)
    hf = np.fft.irfft(np.where(keep[:, None], spec, 0), n=added.shape[0], axis=0)
    true_rms = hf.std(axis=0)
    got = compute_indices(noisy, FS)["emg_mv"]
    assert np.allclose(got, true_rms, rtol=0.25)
    assert compute_indices(clean, FS)["emg_mv"].max() < 0.01


def test_baseline_wander_index_follows_the_added_wander():
    clean = simulate_ecg(10, FS, seed=3, wander=0.0).recording.physical()
    noisy = simulate_ecg(10, FS, seed=3, wander=2.0).recording.physical()
    added = noisy - clean
    got = compute_indices(noisy, FS)["baseline_mv"]
    assert np.allclose(got, np.ptp(added, axis=0), rtol=0.3)
    report = assess_quality(noisy, FS)
    assert "baseline wander" in report.leads[1].issues


def test_lead_off_flags_and_flat_line():
    sim = simulate_ecg(6, FS, lead_off="LA", seed=4)
    rec = sim.recording
    report = assess_quality(
        rec.physical(), FS, lead_names=rec.lead_names, lead_off=sim.truth.lead_off,
        rail_mv=(-15.0, 15.0),
    )  # fmt: skip
    assert report.lead("II").level == "good"
    for name in ("I", "III", "aVL", "V4"):
        q = report.lead(name)
        assert q.level == "off" and q.issues[0] == "lead off"
        assert q.indices["clipped"] == 1.0 and q.indices["flat"] == 1.0
    # Without device flags a flat line alone is recognised.
    flat = np.zeros((3000, 1))
    q = assess_quality(flat, FS).leads[0]
    assert q.level == "off" and "flat line" in q.issues and q.indices["lead_off"] == 0.0


def test_clipping_and_low_amplitude():
    x = simulate_ecg(8, FS, seed=5).recording.lead_mv("II")
    clipped = np.clip(x, -0.5, 0.7)
    q = assess_quality(clipped, FS).leads[0]
    assert q.indices["clipped"] > 0.01 and "clipping" in q.issues
    assert assess_quality(x, FS).leads[0].indices["clipped"] == 0.0
    q = assess_quality(0.03 * x, FS).leads[0]
    assert "low amplitude" in q.issues


def test_motion_bursts_counted_where_the_artifact_is_large():
    clean, noisy, _ = _pair(seconds=20.0, seed=6, motion=20.0)
    added = noisy - clean
    got = compute_indices(noisy, FS)["motion_bursts"]
    assert compute_indices(clean, FS)["motion_bursts"].max() == 0
    big = np.ptp(added, axis=0) > 3.0
    small = np.ptp(added, axis=0) < 0.3
    assert big.any() and np.all(got[big] >= 1)
    assert np.all(got[small] == 0)


def test_missing_samples_are_counted_not_filled():
    x = simulate_ecg(8, FS, seed=7).recording.physical()
    x[1000:1300] = np.nan
    values = compute_indices(x, FS)
    assert np.allclose(values["missing"], 300 / x.shape[0])
    assert np.all(np.isfinite(values["powerline_mv"]))  # longest gap-free run used
    q = assess_quality(x, FS).leads[0]
    assert q.level == "fair" and "missing samples" in q.issues
    short = np.full((2000, 2), np.nan)
    short[::3] = 0.1  # never 1 s without a gap
    v = compute_indices(short, FS)
    assert np.isnan(v["emg_mv"]).all() and np.isnan(v["baseline_mv"]).all()


def test_streaming_monitor_equals_whole_array_reports():
    sim = simulate_ecg(12, FS, seed=8, lead_off="V2:3-5", emg=0.03)
    x, off = sim.recording.physical(), sim.truth.lead_off
    whole = QualityMonitor(FS, sim.recording.lead_names, window_s=4.0, every_s=1.5)
    ref = whole.process(x, off)
    chunked = QualityMonitor(FS, sim.recording.lead_names, window_s=4.0, every_s=1.5)
    got, pos, rng = [], 0, np.random.default_rng(1)
    while pos < x.shape[0]:
        k = int(rng.integers(1, 400))
        got += chunked.process(x[pos : pos + k], off[pos : pos + k])
        pos += k
    assert len(ref) == len(got) == 8
    assert [r.as_dict() for r in got] == [r.as_dict() for r in ref]
    assert (ref[2].start_idx, ref[2].stop_idx) == (250, 2250)
    # A report equals assessing its window directly.
    direct = assess_quality(x[250:2250], FS, lead_names=sim.recording.lead_names,
                            lead_off=off[250:2250], start_idx=250)  # fmt: skip
    assert direct.as_dict() == ref[2].as_dict()
    assert ref[3].lead("V2").level == "off"


def test_assess_recording_windows_and_bad_input():
    sim = simulate_ecg(25, FS, seed=9)
    reports = assess_recording(sim.recording, window_s=10.0)
    assert [(r.start_idx, r.stop_idx) for r in reports] == [
        (0, 5000),
        (5000, 10000),
        (10000, 12500),
    ]
    with pytest.raises(SignalError, match="lead_names"):
        assess_quality(np.zeros((1000, 2)), FS, lead_names=["I"])
    with pytest.raises(SignalError, match="infinite"):
        assess_quality(np.full(1000, np.inf), FS)
    with pytest.raises(SignalError, match="window_s"):
        QualityMonitor(FS, ["I"], window_s=0.5)


def test_ectopic_beats_are_not_motion_artifacts():
    sim = simulate_ecg(30, FS, rhythm="pvc", pvc_rate=0.3, seed=11)
    assert compute_indices(sim.recording.physical(), FS)["motion_bursts"].max() == 0


def test_kurtosis_and_band_filters_match_scipy():
    import scipy.signal
    import scipy.stats

    from ecgcore.quality.indices import Window

    x = _pair(6.0, seed=5, emg=0.02)[1]
    fs = FS
    w = Window(x, fs)
    rows = x.T - x.T.mean(axis=1, keepdims=True)
    sos = scipy.signal.butter(2, [0.5, 40.0], btype="bandpass", fs=fs, output="sos")
    expected = scipy.signal.sosfiltfilt(sos, rows, axis=1, padlen=3 * int(fs))
    np.testing.assert_allclose(w.band(0.5, 40.0), expected, rtol=0, atol=1e-12)
    kurt = scipy.stats.kurtosis(expected, axis=1, fisher=False)
    np.testing.assert_allclose(compute_indices(x, fs)["kurtosis"], kurt, rtol=1e-12)


@pytest.mark.parametrize(
    ("mask", "runs", "longest"),
    [
        ([], ([], []), (0, 0)),
        ([0, 0], ([], []), (0, 0)),
        ([1, 1, 1], ([0], [3]), (0, 3)),
        ([1, 0, 1, 1, 0, 1, 1], ([0, 2, 5], [1, 4, 7]), (2, 4)),  # first of equal runs
        ([0, 1, 1, 1, 0, 1], ([1, 5], [4, 6]), (1, 4)),
    ],
)
def test_true_runs_and_the_longest(
    mask: list[int], runs: tuple[list[int], list[int]], longest: tuple[int, int]
) -> None:
    from ecgcore.quality.indices import longest_true_run, true_runs

    m = np.asarray(mask, dtype=bool)
    starts, stops = true_runs(m)
    assert starts.tolist() == runs[0]
    assert stops.tolist() == runs[1]
    assert longest_true_run(m) == slice(*longest)
