"""Heart rate, RR cleaning and HRV on synthetic beat trains with known answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ecgcore.errors import SignalError
from ecgcore.heart_rate import (
    clean_rr,
    heart_rate_average,
    heart_rate_instantaneous,
    heart_rate_summary,
    hrv,
    rr_intervals,
)


def _peaks(rr_s, fs: float, first: int = 100) -> np.ndarray:
    """Peak indices of a beat train with the given RR intervals (exact multiples of 1/fs)."""
    steps = np.round(np.asarray(rr_s, dtype=float) * fs).astype(np.int64)
    return np.concatenate([[first], first + np.cumsum(steps)])


# --- RR and instantaneous rate -----------------------------------------------


def test_rr_and_instantaneous_rate() -> None:
    peaks = np.array([100, 460, 748, 1108])  # at 360 Hz: 1.0 s, 0.8 s, 1.0 s
    np.testing.assert_allclose(rr_intervals(peaks, 360.0), [1.0, 0.8, 1.0])
    np.testing.assert_allclose(heart_rate_instantaneous(peaks, 360.0), [60.0, 75.0, 60.0])
    assert rr_intervals([5], 360.0).shape == (0,)
    assert rr_intervals([], 360.0).shape == (0,)
    assert rr_intervals(np.array([0, 250], dtype=np.uint32), 250.0).tolist() == [1.0]


@pytest.mark.parametrize(
    ("peaks", "message"),
    [
        ([100, 460, 460], r"strictly increasing: position 2 \(460\) follows 460"),
        ([100, 50], r"strictly increasing: position 1 \(50\) follows 100"),
        ([-3, 100], "non-negative"),
        ([1.5, 2.5], "integer sample indices, got dtype float64"),
        ([True, False], "integer sample indices, got dtype bool"),
        ([[1, 2], [3, 4]], r"1-D \(n_beats,\), got shape \(2, 2\)"),
    ],
)
def test_bad_peaks(peaks, message) -> None:
    with pytest.raises(SignalError, match=message):
        rr_intervals(peaks, 360.0)


def test_bad_fs() -> None:
    with pytest.raises(SignalError, match="fs"):
        rr_intervals([1, 2, 3], 0.0)


# --- EC13-style averaged rate -----------------------------------------------


def test_average_of_steady_rhythm() -> None:
    np.testing.assert_allclose(heart_rate_average(_peaks([0.8] * 30, 500.0), 500.0), 75.0)


@pytest.mark.parametrize(
    ("pattern", "bpm"),
    [
        ((0.5, 1.0), 80.0),  # ventricular bigeminy at 80 bpm
        ((0.5, 1.5), 60.0),  # slow alternating bigeminy, 60 bpm
        ((0.25, 0.75), 120.0),  # rapid alternating bigeminy, 120 bpm
    ],
)
def test_average_shows_true_rate_of_bigeminy(pattern, bpm) -> None:
    """Averaging intervals (not rates) gives the beat rate of EC13's bigeminy rhythms."""
    rr = list(pattern) * 20
    avg = heart_rate_average(_peaks(rr, 1000.0), 1000.0)
    np.testing.assert_allclose(avg[12:], bpm, rtol=1e-12)
    # The beat-to-beat rate jumps between the two values; the average does not.
    inst = heart_rate_instantaneous(_peaks(rr, 1000.0), 1000.0)
    assert inst.max() - inst.min() > 40.0


def test_average_ignores_one_premature_beat() -> None:
    rr = [1.0] * 15 + [0.6, 1.4] + [1.0] * 15  # PVC with full compensatory pause
    avg = heart_rate_average(_peaks(rr, 500.0), 500.0)
    np.testing.assert_allclose(avg, 60.0)
    untrimmed = heart_rate_average(_peaks(rr, 500.0), 500.0, trim_extremes=False)
    assert abs(untrimmed[15] - 60.0) > 1.0  # without trimming the PVC shows


def test_average_follows_rate_step_up_within_window() -> None:
    rr = [0.75] * 20 + [0.5] * 20  # 80 -> 120 bpm
    avg = heart_rate_average(_peaks(rr, 1000.0), 1000.0)
    assert avg[19] == pytest.approx(80.0)
    assert 80.0 < avg[25] < 120.0
    # After 11 new intervals the window (12, trimmed of its longest) is all new.
    np.testing.assert_allclose(avg[19 + 11 :], 120.0)


def test_average_switches_to_short_window_on_slow_rates() -> None:
    rr = [0.75] * 20 + [1.5] * 10  # 80 -> 40 bpm
    avg = heart_rate_average(_peaks(rr, 1000.0), 1000.0)
    # Three intervals > 1.2 s switch to the mean of the last four ...
    assert avg[22] == pytest.approx(60.0 / np.mean([0.75, 1.5, 1.5, 1.5]))
    # ... so the display reaches 40 bpm at the fourth slow interval.
    np.testing.assert_allclose(avg[23:], 40.0)
    slow = heart_rate_average(_peaks(rr, 1000.0), 1000.0, slow_rr_s=None)
    assert slow[23] > 45.0  # without the rule the 12-interval window lags


def test_average_warm_up_and_options() -> None:
    avg = heart_rate_average(_peaks([1.0, 0.5, 1.0], 100.0), 100.0)
    # 1 interval, 2 intervals (no trimming), 3 intervals trimmed to the median.
    np.testing.assert_allclose(avg, [60.0, 80.0, 60.0])
    assert heart_rate_average([10], 100.0).shape == (0,)
    with pytest.raises(ValueError, match="n_intervals must be a positive integer"):
        heart_rate_average([1, 2, 3], 100.0, n_intervals=0)
    with pytest.raises(ValueError, match="slow_rr_s must be a positive number"):
        heart_rate_average([1, 2, 3], 100.0, slow_rr_s=-1.0)


# --- ectopy-aware cleaning ------------------------------------------------------


def _sinus_with_events(seed: int = 0) -> tuple[np.ndarray, set[int]]:
    """RR around 0.8 s (+-2 %), a PVC pair at 30/31 and a missed beat at 60."""
    rng = np.random.default_rng(seed)
    rr = 0.8 * (1 + 0.02 * rng.uniform(-1, 1, size=100))
    rr[30], rr[31] = 0.5, 1.1
    rr[60] = 1.6
    return rr, {30, 31, 60}


def test_clean_rr_flags_ectopy_and_missed_beats_only() -> None:
    rr, expected = _sinus_with_events()
    fs = 1000.0
    result = clean_rr(_peaks(rr, fs), fs)
    assert set(np.flatnonzero(result.flagged)) == expected
    assert result.n_flagged == 3
    # Nothing is dropped or changed: the full series is returned next to the mask.
    np.testing.assert_allclose(result.rr_s, np.round(rr * fs) / fs)
    assert result.nn_s.size == rr.size - 3
    np.testing.assert_allclose(np.median(result.reference_s), 0.8, rtol=0.02)
    with pytest.raises(ValueError, match="read-only"):
        result.flagged[0] = True


def test_clean_rr_threshold() -> None:
    rr = [1.0] * 10 + [0.85] + [1.0] * 10  # 15 % short
    peaks = _peaks(rr, 500.0)
    assert clean_rr(peaks, 500.0, threshold=0.2).n_flagged == 0
    assert np.flatnonzero(clean_rr(peaks, 500.0, threshold=0.1).flagged).tolist() == [10]


def test_clean_rr_short_and_empty_series() -> None:
    result = clean_rr(_peaks([0.8, 0.8, 1.6], 250.0), 250.0)
    assert result.flagged.tolist() == [False, False, True]
    empty = clean_rr([7], 250.0)
    assert empty.rr_s.size == 0 and empty.flagged.size == 0
    with pytest.raises(ValueError, match="window must be a positive odd"):
        clean_rr([1, 2, 3], 250.0, window=4)
    with pytest.raises(ValueError, match="threshold must be a fraction"):
        clean_rr([1, 2, 3], 250.0, threshold=20)


# --- summary -------------------------------------------------------------------


def test_summary_known_values() -> None:
    rr = [0.8, 0.9] * 50  # 100 intervals, none deviating by more than 20 %
    summary = heart_rate_summary(_peaks(rr, 1000.0), 1000.0)
    assert summary.n_beats == 101 and summary.n_intervals == 100 and summary.n_flagged == 0
    assert summary.mean_bpm == pytest.approx(60.0 / 0.85)
    assert summary.rr_mean_ms == pytest.approx(850.0)
    assert summary.sdnn_ms == pytest.approx(50.0 * math.sqrt(100 / 99))
    assert summary.rmssd_ms == pytest.approx(100.0)
    assert summary.max_bpm == pytest.approx(75.0)  # first beat, one 0.8 s interval
    assert summary.min_bpm == pytest.approx(60.0 / 0.85)


def test_summary_excludes_flagged_from_variability_only() -> None:
    rr, _ = _sinus_with_events(1)
    peaks = _peaks(rr, 1000.0)
    summary = heart_rate_summary(peaks, 1000.0)
    rr_s = np.diff(peaks) / 1000.0
    keep = np.ones(rr_s.size, dtype=bool)
    keep[[30, 31, 60]] = False
    assert summary.n_flagged == 3
    assert summary.mean_bpm == pytest.approx(60.0 / rr_s.mean())
    assert summary.sdnn_ms == pytest.approx(rr_s[keep].std(ddof=1) * 1e3)
    pairs = keep[1:] & keep[:-1]
    assert summary.rmssd_ms == pytest.approx(np.sqrt(np.mean(np.diff(rr_s)[pairs] ** 2)) * 1e3)
    text = summary.describe()
    assert "3 of 100" in text and "SDNN" in text


@pytest.mark.parametrize("peaks", [[], [42]])
def test_summary_without_intervals(peaks) -> None:
    summary = heart_rate_summary(peaks, 360.0)
    assert summary.n_intervals == 0 and math.isnan(summary.mean_bpm)
    data = json.loads(json.dumps(summary.to_json()))
    assert data["mean_bpm"] is None and data["n_beats"] == len(peaks)
    assert "not available" in summary.describe()


def test_summary_json_is_plain() -> None:
    data = heart_rate_summary(_peaks([0.8] * 20, 360.0), 360.0).to_json()
    assert json.loads(json.dumps(data))["mean_bpm"] == pytest.approx(75.0, abs=0.1)


# --- HRV via neurokit2 -----------------------------------------------------------


def _modulated_rr(n: int, hf_amp_s: float, lf_amp_s: float) -> np.ndarray:
    t = np.arange(n) * 0.8
    return (
        0.8
        + hf_amp_s * np.sin(2 * np.pi * 0.25 * t)  # respiratory (HF band)
        + lf_amp_s * np.sin(2 * np.pi * 0.1 * t)  # Mayer waves (LF band)
    )


def test_hrv_time_and_frequency_known_powers() -> None:
    fs = 1000.0
    peaks = _peaks(_modulated_rr(300, 0.05, 0.03), fs)
    result = hrv(peaks, fs)
    rr_ms = np.diff(peaks).astype(float)
    assert result.n_beats == 301 and result.n_excluded == 0
    assert result.sdnn_ms == pytest.approx(rr_ms.std(ddof=1), rel=1e-6)
    assert result.rmssd_ms == pytest.approx(np.sqrt(np.mean(np.diff(rr_ms) ** 2)), rel=1e-6)
    # A sine of amplitude A has power A^2 / 2: 1250 ms^2 (HF) and 450 ms^2 (LF).
    assert result.frequency is not None
    assert result.frequency["HF"] == pytest.approx(1250.0, rel=0.1)
    assert result.frequency["LF"] == pytest.approx(450.0, rel=0.1)
    assert result.frequency["LFHF"] == pytest.approx(450.0 / 1250.0, rel=0.15)
    json.dumps(result.to_json())


def test_hrv_excludes_flagged_intervals() -> None:
    fs = 1000.0
    rr = _modulated_rr(200, 0.01, 0.0)
    clean = hrv(_peaks(rr, fs), fs, frequency=False)
    rr[100], rr[101] = 0.45, 1.15  # a PVC
    with_pvc = _peaks(rr, fs)
    cleaned = hrv(with_pvc, fs, frequency=False)
    raw = hrv(with_pvc, fs, frequency=False, exclude_flagged=False)
    assert cleaned.n_excluded == 2 and raw.n_excluded == 0
    assert cleaned.rmssd_ms == pytest.approx(clean.rmssd_ms, rel=0.05)
    assert raw.rmssd_ms > 3 * clean.rmssd_ms


def test_hrv_errors() -> None:
    with pytest.raises(SignalError, match="at least 3 beats, got 2"):
        hrv([100, 900], 1000.0)
    short = _peaks([0.8] * 50, 1000.0)  # 40 s
    with pytest.raises(SignalError, match=r"spanning at least 120 s, got 40.0 s.*frequency=False"):
        hrv(short, 1000.0)
    paced = hrv(short, 1000.0, frequency=False)  # perfectly regular: 0/0 ratios are NaN
    assert paced.frequency is None and paced.sdnn_ms == 0.0
    assert math.isnan(paced.time["SDRMSSD"])
    with pytest.raises(SignalError, match="at least 2 consecutive usable RR intervals"):
        hrv(_peaks([0.8, 2.0, 0.8], 1000.0), 1000.0, frequency=False, threshold=0.1)
