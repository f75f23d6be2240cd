"""VF/VFL waveform detector: features and the shipped model on synthetic and real windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _rhythm_synth import beat_train, regular_times

from ecgcore.rhythm._preprocess import CausalBandpass
from ecgcore.rhythm.vf import (
    VF_FEATURE_NAMES,
    VF_SHORT_FEATURE_NAMES,
    VF_SHORT_S,
    VF_WINDOW_S,
    default_vf_model,
    vf_short_features,
    vf_window_features,
)

FS = 250.0
F = {name: i for i, name in enumerate(VF_FEATURE_NAMES)}


def _vf_like(seconds: float, seed: int = 0) -> np.ndarray:
    """Coarse-VF-like signal: 4-6 Hz oscillation with drifting frequency and amplitude."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FS)) / FS
    f = 5.0 + 0.8 * np.sin(2 * np.pi * 0.3 * t + rng.uniform(0, 6))
    phase = 2 * np.pi * np.cumsum(f) / FS
    amp = 0.6 + 0.3 * np.sin(2 * np.pi * 0.2 * t + rng.uniform(0, 6))
    return amp * np.sin(phase) + rng.normal(0, 0.02, t.size)


def _probability(x: np.ndarray) -> float:
    y = CausalBandpass(FS).process(x)
    n = int(VF_WINDOW_S * FS)
    f = vf_window_features(y[-n:], FS)
    return float(default_vf_model().predict_proba(f[None, :])[0, 1])


def test_features_separate_vf_from_sinus() -> None:
    n = int(VF_WINDOW_S * FS)
    vf = vf_window_features(CausalBandpass(FS).process(_vf_like(12))[-n:], FS)
    sinus_x, _ = beat_train(regular_times(15, 0.8), fs=FS, duration_s=12.0, noise_mv=0.01)
    sinus = vf_window_features(CausalBandpass(FS).process(sinus_x)[-n:], FS)
    assert 4.0 <= vf[F["dominant_hz"]] <= 6.5
    assert vf[F["band_2_10"]] > 0.8 > sinus[F["band_2_10"]]
    assert vf[F["kurtosis"]] < 3.0
    assert sinus[F["kurtosis"]] > 5.0
    assert vf[F["tcsc"]] > sinus[F["tcsc"]]


def test_shipped_model_on_synthetic_windows() -> None:
    assert _probability(_vf_like(12, seed=1)) > 0.5
    sinus_x, _ = beat_train(regular_times(15, 0.8), fs=FS, duration_s=12.0, noise_mv=0.01)
    assert _probability(sinus_x) < 0.5


def _short_probability(x: np.ndarray, centre_s: float | None = None) -> float:
    y = CausalBandpass(FS).process(x)
    n = int(VF_WINDOW_S * FS)
    c = None if centre_s is None else int(centre_s * FS)
    f = vf_short_features(y[-n:], FS, c)
    return float(default_vf_model().short_proba(f[None, :])[0, 1])


def test_short_window_features_and_model() -> None:
    s = {name: i for i, name in enumerate(VF_SHORT_FEATURE_NAMES)}
    n = int(VF_WINDOW_S * FS)
    vf = vf_short_features(CausalBandpass(FS).process(_vf_like(12))[-n:], FS)
    sinus_x, _ = beat_train(regular_times(15, 0.8), fs=FS, duration_s=12.0, noise_mv=0.01)
    sinus = vf_short_features(CausalBandpass(FS).process(sinus_x)[-n:], FS)
    assert vf.shape == (len(VF_SHORT_FEATURE_NAMES),)
    assert "sample_entropy" not in s and "regularity" not in s
    assert 4.0 <= vf[s["dominant_hz"]] <= 6.5
    assert vf[s["psr"]] > sinus[s["psr"]]  # VF fills the phase space, sinus beats do not
    assert vf[s["count2"]] > sinus[s["count2"]]
    assert 8.0 <= vf[s["tci_hz"]] <= 13.0  # two pulses (both polarities) per 4-6 Hz cycle
    assert _short_probability(_vf_like(12, seed=1)) > 0.5
    assert _short_probability(sinus_x) < 0.5


def test_short_window_placement() -> None:
    """The short window follows ``centre_idx``: VF in the first half, sinus in the second."""
    n = int(VF_WINDOW_S * FS)
    sinus_x, _ = beat_train(regular_times(15, 0.8), fs=FS, duration_s=12.0, noise_mv=0.01)
    x = np.concatenate([_vf_like(8, seed=2), sinus_x[: int(4 * FS)]])[-n:]
    first = VF_SHORT_S / 2
    assert _short_probability(x, centre_s=first) > 0.5
    assert _short_probability(x, centre_s=VF_WINDOW_S - first) < 0.5
    # a centre too close to an end moves the window inside the signal
    y = CausalBandpass(FS).process(x)
    np.testing.assert_array_equal(vf_short_features(y, FS, 0), vf_short_features(y, FS, 10))


def test_missing_or_short_windows_give_nan() -> None:
    y = CausalBandpass(FS).process(_vf_like(10))
    y[100] = np.nan
    assert np.isnan(vf_window_features(y, FS)).all()
    assert np.isnan(vf_window_features(np.zeros(int(8 * FS)), FS)).all()  # flat
    assert np.isnan(vf_window_features(np.ones(int(FS)), FS)).all()  # < 2 s
    assert np.isnan(vf_short_features(y, FS)).all()
    assert np.isnan(vf_short_features(np.ones(int(FS)), FS)).all()


@pytest.mark.shared_data
def test_vfdb_flutter_segment(data_dir: Path) -> None:
    """Wiring check on real data: vfdb 418 is among the VF model's training records
    (the benchmark scores vfdb leave-one-record-out), so this is not an accuracy figure."""
    from ecgcore.datasets import get_database

    rd = get_database("vfdb", data_dir).load_record("418")
    x = rd.recording.lead_mv(0)
    changes = rd.rhythm_changes
    spans = {
        code: [(s, changes[i + 1][0]) for i, (s, c) in enumerate(changes[:-1]) if c == code]
        for code in ("VFL", "N")
    }
    start, stop = max(spans["VFL"], key=lambda se: se[1] - se[0])
    assert (stop - start) / FS >= 8.0
    mid = (start + stop) // 2
    seg = x[mid - int(30 * FS) : mid + int(4 * FS)]  # ends 4 s after the episode's middle
    assert _probability(seg) > 0.5
    start, stop = max(spans["N"], key=lambda se: se[1] - se[0])
    assert (stop - start) / FS >= 20.0
    mid = (start + stop) // 2
    seg = x[mid - int(20 * FS) : mid + int(4 * FS)]
    assert _probability(seg) < 0.5
