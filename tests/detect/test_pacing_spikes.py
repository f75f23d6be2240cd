"""Pacing-spike detection: synthetic pulses, glitches that are not pulses, real paced records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgcore.detect import detect_pacing_spikes, detect_r_peaks, paced_beats, paced_rhythm
from ecgcore.errors import SignalError

FS = 500.0
N_LEADS = 8


def _smooth_ecg(
    n_s: float = 10.0, rate_bpm: float = 70.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Eight leads of Gaussian QRS/T waves (no pulse anywhere) and the R-peak samples."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(n_s * FS)) / FS
    r_s = np.arange(0.5, n_s - 0.5, 60.0 / rate_bpm)
    gains = rng.uniform(0.4, 1.5, N_LEADS) * rng.choice([-1.0, 1.0], N_LEADS)
    wave = np.zeros(t.size)
    for r in r_s:
        wave += np.exp(-0.5 * ((t - r) / 0.012) ** 2) + 0.25 * np.exp(
            -0.5 * ((t - r - 0.3) / 0.05) ** 2
        )
    x = wave[:, None] * gains[None, :] + rng.normal(0.0, 0.005, (t.size, N_LEADS))
    return x, np.round(r_s * FS).astype(np.int64)


def _add_pulses(
    x: np.ndarray, at_idx: np.ndarray, leads: list[int], mv: float = 0.5
) -> np.ndarray:
    y = x.copy()
    for i in at_idx:
        y[i, leads] += mv  # one sample wide, as a 0.5-2 ms stimulus at 500 Hz
        y[i + 1, leads] -= 0.3 * mv  # the recharge after it
    return y


def test_pulses_in_every_lead_are_found_at_their_sample():
    x, r_idx = _smooth_ecg()
    pulse_idx = r_idx - round(0.04 * FS)  # ventricular pacing: 40 ms before the R peak
    found = detect_pacing_spikes(_add_pulses(x, pulse_idx, list(range(N_LEADS))), FS)
    np.testing.assert_array_equal(found.spike_idx, pulse_idx)
    assert np.all(found.n_leads == N_LEADS)
    assert paced_beats(found.spike_idx, r_idx, FS).all()
    assert paced_rhythm(found.spike_idx, r_idx, FS)


def test_a_clean_unpaced_signal_has_no_spikes():
    x, r_idx = _smooth_ecg(seed=3)
    found = detect_pacing_spikes(x, FS)
    assert found.spike_idx.size == 0
    assert not paced_rhythm(found.spike_idx, r_idx, FS)


def test_pulses_in_too_few_leads_do_not_count_unless_asked():
    x, r_idx = _smooth_ecg(seed=1)
    pulse_idx = r_idx[::2] - 20
    y = _add_pulses(x, pulse_idx, [0, 1, 2])  # one electrode's glitch seen in three leads
    assert detect_pacing_spikes(y, FS).spike_idx.size == 0  # default: 5 of 8 leads
    np.testing.assert_array_equal(detect_pacing_spikes(y, FS, min_leads=3).spike_idx, pulse_idx)


def test_a_step_is_not_a_pulse():
    x, _ = _smooth_ecg(seed=2)
    y = x.copy()
    y[2000:] += 0.5  # a recorder glitch: the level jumps and stays
    y[3000:] -= 0.5
    assert detect_pacing_spikes(y, FS).spike_idx.size == 0


def test_a_notched_qrs_is_not_a_pulse():
    x, r_idx = _smooth_ecg(seed=4)
    y = x.copy()
    for r in r_idx:  # a sharp notch on the QRS upstroke, with curvature around it
        y[r - 6 : r - 2, :] += np.array([0.1, -0.15, 0.12, -0.1])[:, None]
    assert detect_pacing_spikes(y, FS).spike_idx.size == 0


def test_missing_samples_make_no_spikes():
    x, r_idx = _smooth_ecg(seed=5)
    y = x.copy()
    y[1200:1260, :] = np.nan
    y[2500, :] = np.nan
    assert detect_pacing_spikes(y, FS).spike_idx.size == 0
    pulse_idx = r_idx[4:6] - 20
    np.testing.assert_array_equal(
        detect_pacing_spikes(_add_pulses(y, pulse_idx, list(range(N_LEADS))), FS).spike_idx,
        pulse_idx,
    )


def test_one_lead_input_is_accepted():
    x, r_idx = _smooth_ecg(seed=6)
    pulse_idx = r_idx - 20
    # one lead has no coincidence to reject noise: a higher floor does it
    found = detect_pacing_spikes(_add_pulses(x, pulse_idx, [0])[:, 0], FS, min_spike_mv=0.1)
    np.testing.assert_array_equal(found.spike_idx, pulse_idx)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"signal": np.zeros((1000, 2)), "fs": 200.0}, "fast recorder"),
        ({"signal": np.zeros((10, 2, 2)), "fs": 500.0}, "shape"),
        ({"signal": np.zeros((0, 3)), "fs": 500.0}, "empty"),
        ({"signal": np.array(["a", "b"]), "fs": 500.0}, "dtype"),
        ({"signal": np.zeros((1000, 3)), "fs": 500.0, "min_leads": 4}, "min_leads"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(kwargs, message):
    with pytest.raises((SignalError, ValueError), match=message):
        detect_pacing_spikes(**kwargs)


def _independent_leads(path: Path) -> tuple[np.ndarray, float]:
    rec = wfdb.rdrecord(str(path))
    names = [n.upper() for n in rec.sig_name]
    cols = [names.index(n) for n in ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")]
    return rec.p_signal[:, cols], float(rec.fs)


@pytest.mark.parametrize(
    ("record", "paced"),
    [("104", True), ("34", True), ("74", True), ("1", False), ("2", False), ("3", False)],
)
def test_ludb_records_labelled_paced_are_found(data_dir, record, paced):
    """LUDB's "Cardiac pacing" column: records 104, 34 and 74 are ventricular-paced."""
    x, fs = _independent_leads(data_dir / "ludb" / "data" / record)
    spikes = detect_pacing_spikes(x, fs)
    peaks = detect_r_peaks(x[:, 1], fs)
    assert paced_rhythm(spikes.spike_idx, peaks, fs) is paced


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chunked_streaming_equals_whole_signal(seed):
    from ecgcore.detect import PacingSpikeDetector

    x, r_idx = _smooth_ecg(seed=seed)
    rng = np.random.default_rng(seed)
    y = _add_pulses(x, r_idx - 20, list(range(N_LEADS)))
    y = _add_pulses(y, r_idx[::3] + 150, [0, 1, 2, 3, 4])  # seen in five leads only
    whole = detect_pacing_spikes(y, FS)
    assert whole.spike_idx.size > r_idx.size
    det = PacingSpikeDetector(FS, N_LEADS)
    parts = []
    cuts = np.sort(rng.choice(np.arange(1, y.shape[0]), 40, replace=False))
    for chunk in np.split(y, cuts):  # chunks of 1 sample up to seconds
        parts.append(det.process(chunk))
    parts.append(det.finish())
    np.testing.assert_array_equal(np.concatenate([p.spike_idx for p in parts]), whole.spike_idx)
    np.testing.assert_array_equal(np.concatenate([p.n_leads for p in parts]), whole.n_leads)
    det.reset()
    again = det.process(y)
    tail = det.finish()
    np.testing.assert_array_equal(
        np.concatenate((again.spike_idx, tail.spike_idx)), whole.spike_idx
    )


def test_streaming_refuses_a_chunk_with_other_leads():
    from ecgcore.detect import PacingSpikeDetector

    det = PacingSpikeDetector(FS, 3)
    with pytest.raises(SignalError, match="3"):
        det.process(np.zeros((10, 2)))


def test_a_pulse_beside_a_gap_is_not_taken():
    x, r_idx = _smooth_ecg(seed=7)
    at = r_idx[3] - 20
    y = _add_pulses(x, np.array([at]), list(range(N_LEADS)))
    assert detect_pacing_spikes(y, FS).spike_idx.tolist() == [at]
    y[at + 2 :, :] = np.nan  # the leads come off right after it: its return is not seen
    assert detect_pacing_spikes(y, FS).spike_idx.size == 0
