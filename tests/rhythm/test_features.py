"""Beat features on synthetic beat trains: RR context, morphology, chunking."""

from __future__ import annotations

import numpy as np
import pytest
from _rhythm_synth import FS, beat_train, regular_times

from ecgcore.rhythm._preprocess import GRID_N, GRID_R, CausalBandpass, beat_windows
from ecgcore.rhythm._rhythm_numba import dominant_rr_dispersion
from ecgcore.rhythm.features import (
    FEATURE_NAMES,
    STEADY_DISPERSION,
    BeatFeatureExtractor,
    beat_features,
    rr_post_intervals,
)

F = {name: i for i, name in enumerate(FEATURE_NAMES)}


def test_regular_train_rr_features() -> None:
    x, peaks = beat_train(regular_times(40, 0.8))
    feats = beat_features(x, FS, peaks)
    late = feats[15:-1]
    np.testing.assert_allclose(late[:, F["rr_pre_s"]], 0.8, atol=1.5 / FS)
    np.testing.assert_allclose(late[:, F["rr_post_s"]], 0.8, atol=1.5 / FS)
    np.testing.assert_allclose(late[:, F["rr_local_s"]], 0.8, atol=1.5 / FS)
    np.testing.assert_allclose(late[:, F["pre_over_local"]], 1.0, atol=0.01)
    np.testing.assert_allclose(late[:, F["rr_irregularity"]], 0.0, atol=0.01)
    assert np.isnan(feats[0, F["rr_pre_s"]])  # nothing before the first beat


def test_premature_beat_ratios() -> None:
    times = list(regular_times(20, 0.8))
    t_pvc = times[-1] + 0.48
    times += [t_pvc, t_pvc + 1.12, t_pvc + 1.92, t_pvc + 2.72]
    x, peaks = beat_train(times, "N" * 20 + "VNNN")
    feats = beat_features(x, FS, peaks)
    pvc = feats[20]
    assert pvc[F["pre_over_local"]] == pytest.approx(0.48 / 0.8, abs=0.01)
    assert pvc[F["post_over_pre"]] == pytest.approx(1.12 / 0.48, abs=0.02)
    assert pvc[F["prev_pre_over_local"]] == pytest.approx(1.0, abs=0.01)
    after = feats[21]
    assert after[F["prev_pre_over_local"]] == pytest.approx(0.6, abs=0.01)


def test_wide_beat_morphology_against_template() -> None:
    kinds = "N" * 30 + "V" + "N" * 10
    times = regular_times(len(kinds), 0.8)
    x, peaks = beat_train(times, kinds, noise_mv=0.005)
    feats = beat_features(x, FS, peaks)
    normal, pvc = feats[25], feats[30]
    assert normal[F["in_dominant"]] == 1.0
    assert normal[F["corr_qrs"]] > 0.98
    assert pvc[F["in_dominant"]] == 0.0
    assert pvc[F["corr_qrs"]] < 0.9
    assert pvc[F["qrs_width_s"]] > normal[F["qrs_width_s"]] + 0.03
    assert pvc[F["width_diff_s"]] > 0.03
    # the wide beat does not become the reference: the next normal beat matches it
    assert feats[31, F["in_dominant"]] == 1.0


def test_rr_post_capped_and_unknown_at_the_end() -> None:
    peaks = np.array([100, 460, 460 + 5 * 360])
    out = rr_post_intervals(peaks, FS, end_idx=peaks[-1] + 100, rr_cap_s=3.0)
    assert out[0] == pytest.approx(1.0)
    assert out[1] == 3.0  # capped
    assert np.isnan(out[2])  # less than the cap left after the last beat
    out = rr_post_intervals(peaks, FS, end_idx=peaks[-1] + 4 * 360, rr_cap_s=3.0)
    assert out[2] == 3.0


def test_beat_windows_do_not_depend_on_buffer_start() -> None:
    x, peaks = beat_train(regular_times(10, 0.9))
    y = CausalBandpass(FS).process(x)
    whole = beat_windows(y, 0, peaks[2:5], FS)
    cut = 517
    part = beat_windows(y[cut:], cut, peaks[2:5], FS)
    assert whole.shape == (3, GRID_N)
    np.testing.assert_array_equal(whole, part)
    # the R wave is at the fiducial point, delayed by the causal filter (< 20 ms)
    assert GRID_R <= np.argmax(whole[0]) <= GRID_R + 5
    # a window that leaves the buffer is NaN where it does
    first = beat_windows(y[200:], 200, peaks[:1], FS)
    assert np.isnan(first).any()


def test_extractor_in_pieces_equals_whole() -> None:
    times = regular_times(60, 0.75) + np.random.default_rng(1).normal(0, 0.03, 60)
    kinds = "".join("V" if k % 7 == 3 else "N" for k in range(60))
    x, peaks = beat_train(times, kinds, noise_mv=0.01)
    whole = beat_features(x, FS, peaks)
    y = CausalBandpass(FS).process(x)
    rr_post = rr_post_intervals(peaks, FS, x.size, 3.0)
    fx = BeatFeatureExtractor(FS)
    parts = [fx.compute(peaks[a:b], rr_post[a:b], y, 0) for a, b in ((0, 7), (7, 8), (8, 60))]
    np.testing.assert_array_equal(np.vstack(parts), whole)


def test_extractor_rejects_beats_out_of_order() -> None:
    x, peaks = beat_train(regular_times(5, 0.8))
    y = CausalBandpass(FS).process(x)
    fx = BeatFeatureExtractor(FS)
    fx.compute(peaks[2:], np.full(3, 0.8), y, 0)
    with pytest.raises(ValueError, match="not after the previous beat"):
        fx.compute(peaks[:1], np.full(1, 0.8), y, 0)


def test_patient_relative_morphology() -> None:
    kinds = "N" * 30 + "V" + "N" * 10
    x, peaks = beat_train(regular_times(len(kinds), 0.8), kinds, noise_mv=0.005)
    feats = beat_features(x, FS, peaks)
    assert np.isnan(feats[3, F["width_over_typical"]])  # too few beats before it
    normal, pvc, after = feats[25], feats[30], feats[31]
    assert normal[F["width_over_typical"]] == pytest.approx(1.0, abs=0.15)
    assert abs(normal[F["corr_loss_over_typical"]]) < 1.0
    assert pvc[F["width_over_typical"]] > 1.3
    assert pvc[F["corr_loss_over_typical"]] > 1.5
    assert pvc[F["log_energy_over_typical"]] > 2.0
    # the next beat carries the abnormality of the one before it
    assert after[F["prev_corr_loss_over_typical"]] == pvc[F["corr_loss_over_typical"]]


def test_compensation_and_prematurity_in_irregularity_units() -> None:
    times = list(regular_times(20, 0.8))
    t_pvc = times[-1] + 0.48
    times += [t_pvc, t_pvc + 1.12, t_pvc + 1.92]
    x, peaks = beat_train(times, "N" * 20 + "VNN")
    pvc = beat_features(x, FS, peaks)[20]
    # full compensatory pause: RR before + after = two local RR
    assert pvc[F["compensation"]] == pytest.approx(1.0, abs=0.02)
    # steady rhythm: the irregularity is floored at 0.02
    assert pvc[F["prematurity_z"]] < -15.0


def _bigeminy_features() -> tuple[str, np.ndarray]:
    """Beat kinds and features of 20 sinus beats, then bigeminy with full compensatory pauses."""
    times, kinds, t = [], "", 0.5
    for k in range(60):
        v = k >= 20 and k % 2 == 1
        t += 0.5 if v else (1.1 if k >= 20 and k % 2 == 0 else 0.8)
        times.append(t)
        kinds += "V" if v else "N"
    x, peaks = beat_train(times, kinds, noise_mv=0.005)
    return kinds, beat_features(x, FS, peaks)


def test_cluster_of_premature_beats() -> None:
    # bigeminy: every second beat is an early wide beat
    kinds, feats = _bigeminy_features()
    v_rows = feats[[k for k in range(40, 60) if kinds[k] == "V"]]
    n_rows = feats[[k for k in range(40, 60) if kinds[k] == "N"]]
    # the wide beats' cluster is made of premature beats; it holds a minor share of the score
    assert np.all(v_rows[:, F["cluster_prematurity"]] < 0.85)
    assert np.all(v_rows[:, F["cluster_share"]] < 0.5)
    assert np.all(n_rows[:, F["cluster_prematurity"]] > 1.0)
    assert np.all(n_rows[:, F["cluster_share"]] > 0.5)
    # a beat that starts a new cluster has no cluster history
    first_v = feats[21]
    assert np.isnan(first_v[F["cluster_prematurity"]]) and first_v[F["cluster_share"]] == 0.0


def test_dominant_rr_dispersion_counts_only_dominant_pairs() -> None:
    rr = np.array([np.nan, 0.8, 0.8, 0.5, 1.1, 0.8, 0.9, 0.7, 0.8, 0.8])
    dom = np.array([1.0, 1, 1, 0, 1, 1, 1, 1, np.nan, 1])
    ring, state, out = np.zeros(4), np.zeros(2, dtype=np.int64), np.empty(rr.size)
    dominant_rr_dispersion(rr, dom, ring, state, 3, out)
    # joined: 0.8 (k=1, 2, 5), 0.9 (k=6), 0.7 (k=7); beats 3, 4, 8, 9 are or follow non-dominant
    expected = [np.nan] * 5 + [0.0, 0.0, 0.1 / 0.8, 0.1 / 0.8, 0.1 / 0.8]
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_allclose(ring, [0.8, 0.8, 0.9, 0.7])  # the last four, oldest first
    # in pieces: the state carries over
    ring2, state2, out2 = np.zeros(4), np.zeros(2, dtype=np.int64), np.empty(rr.size)
    for a, b in ((0, 4), (4, 5), (5, 10)):
        dominant_rr_dispersion(rr[a:b], dom[a:b], ring2, state2, 3, out2[a:b])
    np.testing.assert_array_equal(out2, out)


def test_steady_timing_in_bigeminy_and_in_an_irregular_rhythm() -> None:
    # bigeminy in a steady rhythm: the normal-to-normal intervals do not vary
    _, feats = _bigeminy_features()
    late = feats[40:]
    assert np.all(late[:, F["dominant_rr_dispersion"]] <= STEADY_DISPERSION)
    for name in ("pre_over_local", "post_over_pre", "compensation", "cluster_prematurity"):
        np.testing.assert_allclose(late[:, F[f"{name}_steady"]], late[:, F[name]], rtol=1e-12)
    # an irregular rhythm of normal beats: the same early beat weighs less
    rr = np.random.default_rng(3).uniform(0.5, 1.1, 60)
    x, peaks = beat_train(np.cumsum(rr), "N" * 60, noise_mv=0.005)
    feats = beat_features(x, FS, peaks)
    late = feats[30:]
    disp = late[:, F["dominant_rr_dispersion"]]
    assert np.all(disp > 2 * STEADY_DISPERSION)
    raw = np.abs(np.log(late[:, F["pre_over_local"]]))
    steady = np.abs(np.log(late[:, F["pre_over_local_steady"]]))
    np.testing.assert_allclose(steady, raw * STEADY_DISPERSION / disp, rtol=1e-9)
    z, z_steady = late[:, F["prematurity_z"]], late[:, F["prematurity_z_steady"]]
    np.testing.assert_allclose(z_steady, z * STEADY_DISPERSION / disp, rtol=1e-9)
