"""What real recordings contain: polarity, tall T-waves, wander, clipping, gaps, noise."""

from __future__ import annotations

import numpy as np
import pytest
from _detect_synth import TALL_T, WIDE, Beat, match_count, split_after, synth_ecg

from ecgcore.detect import RPeakDetector, detect_r_peaks


def _tol(fs: float, seconds: float) -> int:
    return max(1, round(seconds * fs))


@pytest.mark.parametrize("fs", [100.0, 128.0, 250.0, 360.0, 500.0, 1000.0, 2000.0])
def test_every_beat_on_its_r_wave(fs: float) -> None:
    x, r_idx = synth_ecg(60.0, fs, hr_bpm=75.0, seed=int(fs))
    peaks = detect_r_peaks(x, fs)
    _, missed, extra = match_count(r_idx, peaks, _tol(fs, 0.005))
    assert (missed, extra) == (0, 0)


# at high rates the T-wave reaches the next beat: shorter QT, smaller T
FAST = Beat(p=(0.05, -0.10, 0.015), t=(0.15, 0.16, 0.03))


@pytest.mark.parametrize("hr_bpm", [35.0, 60.0, 120.0, 180.0, 220.0])
def test_heart_rates(hr_bpm: float) -> None:
    beat = FAST if hr_bpm > 150 else Beat()
    x, r_idx = synth_ecg(60.0, 250.0, hr_bpm=hr_bpm, beat=beat, seed=7)
    peaks = detect_r_peaks(x, 250.0)
    _, missed, extra = match_count(r_idx, peaks, _tol(250.0, 0.005))
    assert (missed, extra) == (0, 0)


def test_inverted_polarity_gives_the_same_peaks() -> None:
    x, r_idx = synth_ecg(60.0, 360.0, seed=1)
    up = detect_r_peaks(x, 360.0)
    down = detect_r_peaks(-x, 360.0)
    assert np.array_equal(up, down)
    _, missed, extra = match_count(r_idx, down, _tol(360.0, 0.005))
    assert (missed, extra) == (0, 0)


def test_tall_t_waves_are_not_beats() -> None:
    x, r_idx = synth_ecg(60.0, 500.0, beat=TALL_T, seed=2)
    assert np.max(x) > 1.3  # the T-wave is taller than the R-wave
    peaks = detect_r_peaks(x, 500.0)
    _, missed, extra = match_count(r_idx, peaks, _tol(500.0, 0.005))
    assert (missed, extra) == (0, 0)


def test_wide_qrs_beats() -> None:
    x, r_idx = synth_ecg(60.0, 360.0, hr_bpm=60.0, beat=WIDE, seed=4)
    peaks = detect_r_peaks(x, 360.0)
    _, missed, extra = match_count(r_idx, peaks, _tol(360.0, 0.010))
    assert (missed, extra) == (0, 0)


def test_baseline_wander_and_offset() -> None:
    fs = 250.0
    x, r_idx = synth_ecg(120.0, fs, seed=5)
    t = np.arange(x.size) / fs
    wander = 10.0 + 1.5 * np.sin(2 * np.pi * 0.3 * t) + 1.0 * np.sin(2 * np.pi * 0.05 * t + 1.0)
    peaks = detect_r_peaks(x + wander, fs)
    _, missed, extra = match_count(r_idx, peaks, _tol(fs, 0.005))
    assert (missed, extra) == (0, 0)


def test_clipped_r_waves() -> None:
    fs = 360.0
    x, r_idx = synth_ecg(60.0, fs, seed=6)
    clipped = np.clip(x, -0.6, 0.6)  # the amplifier saturates at 60 % of the R-wave
    peaks = detect_r_peaks(clipped, fs)
    # a clipped R is a plateau about +/-10 ms wide; the peak lies on it
    _, missed, extra = match_count(r_idx, peaks, _tol(fs, 0.015))
    assert (missed, extra) == (0, 0)


@pytest.mark.parametrize("scale", [0.1, 0.3, 3.0, 10.0])
def test_amplitude_scale(scale: float) -> None:
    x, r_idx = synth_ecg(60.0, 250.0, seed=8)
    peaks = detect_r_peaks(scale * x, 250.0)
    _, missed, extra = match_count(r_idx, peaks, _tol(250.0, 0.005))
    assert (missed, extra) == (0, 0)


def test_nan_gaps_are_no_signal() -> None:
    fs = 250.0
    x, r_idx = synth_ecg(120.0, fs, seed=9)
    gaps = [(10.0, 10.05), (30.3, 32.3), (60.0, 70.0), (90.77, 90.78)]
    for a, b in gaps:
        x[round(a * fs) : round(b * fs)] = np.nan
    x[round(100.0 * fs) : round(101.0 * fs)] = np.inf  # inf counts as missing too
    gaps.append((100.0, 101.0))
    peaks = detect_r_peaks(x, fs)
    assert np.all(np.isfinite(x[peaks]))
    near_gap = np.zeros(x.size, dtype=bool)
    for a, b in gaps:
        near_gap[max(0, round((a - 0.3) * fs)) : round((b + 0.3) * fs)] = True
    away = r_idx[~near_gap[r_idx]]
    matched, missed, extra = match_count(away, peaks[~near_gap[peaks]], _tol(fs, 0.005))
    assert (missed, extra) == (0, 0)
    assert matched > 100


def test_gap_does_not_break_state() -> None:
    """Beats after a long gap are found as before it; the level is kept."""
    fs = 360.0
    x, r_idx = synth_ecg(60.0, fs, seed=10)
    x[round(20 * fs) : round(40 * fs)] = np.nan
    peaks = detect_r_peaks(x, fs)
    after = r_idx[r_idx > round(40.5 * fs)]
    _, missed, _ = match_count(after, peaks[peaks > round(40 * fs)], _tol(fs, 0.005))
    assert missed == 0


@pytest.mark.parametrize(
    "signal",
    [
        np.zeros(round(600 * 500.0)),
        np.full(round(60 * 500.0), -4.2),
        np.full(round(10 * 500.0), np.nan),
        np.full(round(10 * 500.0), np.inf),
        1e-4 * np.random.default_rng(0).standard_normal(round(60 * 500.0)),
    ],
    ids=["zeros-10min", "constant", "all-nan", "all-inf", "sub-uV-noise"],
)
def test_no_signal_no_beats(signal: np.ndarray) -> None:
    assert detect_r_peaks(signal, 500.0).size == 0


@pytest.mark.parametrize("fs", [100.0, 1000.0])
def test_minutes_of_white_noise(fs: float) -> None:
    """Never hangs or crashes on noise; whatever it reports is well formed."""
    x = np.random.default_rng(int(fs)).standard_normal(round(300 * fs))
    peaks = detect_r_peaks(x, fs)
    assert peaks.dtype == np.int64
    assert np.all(np.diff(peaks) >= round(0.1 * fs))
    assert peaks.size < 300 * 5  # never more than 300 beats per minute


def test_recovers_after_noise_burst() -> None:
    fs = 250.0
    x, r_idx = synth_ecg(120.0, fs, seed=11)
    burst = slice(round(20 * fs), round(40 * fs))
    x[burst] += 3.0 * np.random.default_rng(1).standard_normal(burst.stop - burst.start)
    peaks = detect_r_peaks(x, fs)
    late, found = split_after(r_idx, peaks, round(45 * fs))
    _, missed, extra = match_count(late, found, _tol(fs, 0.005))
    assert (missed, extra) == (0, 0)


def test_recovers_after_large_artifact_at_start() -> None:
    fs = 360.0
    x, r_idx = synth_ecg(60.0, fs, seed=12)
    x[round(0.2 * fs) : round(0.25 * fs)] += 40.0  # electrode pop, 40x the R-wave
    peaks = detect_r_peaks(x, fs)
    late, found = split_after(r_idx, peaks, round(1.0 * fs))
    _, missed, extra = match_count(late, found, _tol(fs, 0.005))
    assert (missed, extra) == (0, 0)


@pytest.mark.parametrize("n_beats", [1, 2, 3])
def test_fewer_than_four_beats(n_beats: int) -> None:
    fs = 500.0
    duration = 0.5 + 0.85 * n_beats
    x, r_idx = synth_ecg(duration, fs, hr_bpm=70.0, rr_jitter=0.0, seed=13)
    assert r_idx.size == n_beats
    peaks = detect_r_peaks(x, fs)
    _, missed, extra = match_count(r_idx, peaks, _tol(fs, 0.005))
    assert (missed, extra) == (0, 0)


def test_starts_and_ends_mid_beat() -> None:
    fs = 360.0
    x, r_idx = synth_ecg(30.0, fs, seed=14)
    start = r_idx[0] - round(0.01 * fs)  # inside the first QRS
    stop = r_idx[-1] + round(0.005 * fs)  # inside the last QRS
    cut = x[start:stop]
    peaks = detect_r_peaks(cut, fs)
    assert peaks.size == 0 or (peaks.min() >= 0 and peaks.max() < cut.size)
    inner = r_idx[1:-1] - start
    _, missed, extra = match_count(inner, peaks, _tol(fs, 0.005))
    assert missed == 0
    assert extra <= 2  # at most the two cut complexes themselves


def test_stream_of_constant_then_signal() -> None:
    """A flat lead-off period, then the patient: beats are found from the start."""
    fs = 250.0
    x, r_idx = synth_ecg(40.0, fs, seed=15)
    k = int(np.searchsorted(r_idx, round(15 * fs)))
    onset = (r_idx[k - 1] + r_idx[k]) // 2 + round(0.15 * fs)  # after the T-wave, before P
    x[:onset] = 0.0
    det = RPeakDetector(fs)
    peaks = np.concatenate([det.process(x), det.finish()])
    _, missed, extra = match_count(r_idx[r_idx > onset], peaks, _tol(fs, 0.005))
    assert (missed, extra) == (0, 0)


def test_asystole_with_amplifier_noise() -> None:
    """A flat line with 10 uV of noise between beats is not a beat; beats resume."""
    fs = 500.0
    x, r_idx = synth_ecg(60.0, fs, seed=16)
    pause = (r_idx[20] + round(0.6 * fs), r_idx[20] + round(20.6 * fs))
    keep = (r_idx < pause[0]) | (r_idx > pause[1])
    x[pause[0] : pause[1]] = 0.01 * np.random.default_rng(2).standard_normal(pause[1] - pause[0])
    peaks = detect_r_peaks(x, fs)
    assert not np.any((peaks > pause[0]) & (peaks < pause[1]))
    _, missed, extra = match_count(r_idx[keep], peaks, _tol(fs, 0.005))
    assert (missed, extra) == (0, 0)
