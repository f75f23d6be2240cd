"""Whole-record analysis leaves the calibration pulse out (it is no heart beat)."""

from __future__ import annotations

import numpy as np

from ecgcore import analyze_recording, detect_r_peaks
from ecgcore.analysis import find_record_calibration
from ecgcore.drivers.sim import simulate_ecg
from ecgcore.recording import Recording


def _matched(found: np.ndarray, truth: np.ndarray, tol: int) -> int:
    return sum(bool(np.any(np.abs(found - t) <= tol)) for t in truth)


def test_pulse_at_the_start_is_no_beat() -> None:
    sim = simulate_ecg(12.0, 500.0, hr=72, calibration=True, seed=1)
    rec, truth = sim.recording, sim.truth
    c0, c1 = truth.calibration_idx
    # the bare detector takes the pulse's edge for a QRS ...
    raw = detect_r_peaks(rec.lead_mv("II"), rec.fs)
    assert np.any((raw >= c0) & (raw <= c1 + 50))
    # ... the analysis does not, and keeps every true beat
    result = analyze_recording(rec, rhythm=False)
    assert result.calibration_span_s is not None
    lo, hi = result.calibration_span_s
    assert lo <= c0 / rec.fs and hi >= c1 / rec.fs and hi - lo < 0.6
    assert not np.any((result.peaks_idx >= c0) & (result.peaks_idx <= c1 + 50))
    later = truth.r_peak_idx[truth.r_peak_idx > hi * rec.fs]
    assert _matched(result.peaks_idx, later, tol=25) == later.size
    assert result.to_json()["calibration_span_s"] == [round(lo, 6), round(hi, 6)]
    assert result.missing_s == 0.0


def test_rhythm_line_says_the_calibration_span_is_no_signal() -> None:
    sim = simulate_ecg(12.0, 500.0, hr=72, calibration=True, seed=1)
    result = analyze_recording(sim.recording)
    line = result.rhythm_summary()
    assert line is not None and line.startswith("N ")
    assert "NOISE includes the calibration pulse at 0.0-0.4 s" in line
    clean = analyze_recording(simulate_ecg(12.0, 500.0, hr=72, seed=1).recording)
    assert clean.rhythm_summary() == "N 100.0%"


def test_pulse_at_the_end_is_found_and_single_leads_are_not_searched() -> None:
    sim = simulate_ecg(12.0, 500.0, hr=72, calibration=True, seed=2)
    rec = sim.recording
    # the same record played backwards: the pulse is now at the end
    flipped = Recording.from_physical(
        rec.physical()[::-1].copy(), rec.fs, lead_names=rec.lead_names, name="flipped"
    )
    pulse = find_record_calibration(flipped)
    assert pulse is not None
    c0, c1 = sim.truth.calibration_idx
    n = rec.n_samples
    assert abs(pulse.start_idx - (n - c1)) <= 3 and abs(pulse.stop_idx - (n - c0)) <= 3
    assert find_record_calibration(rec.pick(["II"])) is None
    clean = simulate_ecg(12.0, 500.0, hr=72, seed=3).recording
    assert analyze_recording(clean, rhythm=False).calibration_span_s is None
