"""Lead algebra of electrode swaps, and reversal detection on simulated and real records.

The shipped placement classifiers were fitted on LUDB and PTB-XL, so the real
records here check the transforms and the pipeline end to end, not accuracy:
held-out figures come from ``benchmarks/grading_validation.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore.filters import filter_signal
from ecgcore.grading import apply_swap, grade_recording, median_beats, swap_finding_code
from ecgcore.grading._model import load_model
from ecgcore.grading.beats import beat_peaks
from ecgcore.grading.reversal import (
    _chest_plane_direction,
    _frontal_xy,
    continuity_gains,
    limb_features,
    neutral_swap,
    precordial_features,
    swapped_beats,
)
from ecgcore.grading.swaps import LIMB_PERMUTATIONS, PRECORDIAL_SWAPS, SWAPS, undo_swap
from tests.grading.conftest import make_recording

_PERMUTED = {  # electrode potentials each input cable reads: (RA, LA, LL) order
    "LA_RA": [1, 0, 2],
    "LA_LL": [0, 2, 1],
    "RA_LL": [2, 1, 0],
    "ROT_RA_LA_LL": [1, 2, 0],
    "ROT_RA_LL_LA": [2, 0, 1],
    # the neutral electrode sits at the potential of the legs (LL)
    "RA_RL": [2, 1, 2],
    "LA_RL": [0, 2, 2],
}


def _leads_from_electrodes(e: np.ndarray, chest: np.ndarray) -> np.ndarray:
    ra, la, ll = e[:, 0], e[:, 1], e[:, 2]
    wct = (ra + la + ll) / 3
    limb = [la - ra, ll - ra, ll - la, ra - (la + ll) / 2, la - (ra + ll) / 2, ll - (ra + la) / 2]
    return np.column_stack([*limb, *(chest - wct[:, None]).T])


@pytest.mark.parametrize("swap", sorted(_PERMUTED))
def test_limb_swaps_follow_from_the_electrode_potentials(swap: str) -> None:
    rng = np.random.default_rng(1)
    e, chest = rng.normal(size=(50, 3)), rng.normal(size=(50, 6))
    leads = _leads_from_electrodes(e, chest)
    expected = _leads_from_electrodes(e[:, _PERMUTED[swap]], chest)
    np.testing.assert_allclose(apply_swap(leads, swap), expected, atol=1e-12)


def test_documented_lead_maps() -> None:
    x = np.arange(12.0)[None, :] + 1
    i, ii, iii, avr, avl, avf = range(6)
    y = apply_swap(x, "LA_RA")[0]
    assert (y[i], y[ii], y[iii], y[avr], y[avl], y[avf]) == (-1, 3, 2, 5, 4, 6)
    y = apply_swap(x, "LA_LL")[0]
    assert (y[i], y[ii], y[iii], y[avr], y[avl], y[avf]) == (2, 1, -3, 4, 6, 5)
    y = apply_swap(x, "RA_LL")[0]
    assert (y[i], y[ii], y[iii], y[avr], y[avl], y[avf]) == (-3, -2, -1, 6, 5, 4)
    y = apply_swap(x, "V2_V5")[0]
    assert (y[7], y[10]) == (11, 8) and np.array_equal(y[:7], x[0, :7])


@pytest.mark.parametrize("swap", [*LIMB_PERMUTATIONS, *PRECORDIAL_SWAPS])
def test_undo_inverts_apply(swap: str) -> None:
    x = np.random.default_rng(2).normal(size=(20, 12))
    np.testing.assert_allclose(undo_swap(apply_swap(x, swap), swap), x)


def test_swap_codes_and_unknown_swap() -> None:
    assert swap_finding_code("LA_RA") == "LIMB_REVERSAL_LA_RA"
    assert swap_finding_code("RA_RL") == "LIMB_REVERSAL_OTHER"
    assert swap_finding_code("V1_V3") == "PRECORDIAL_SWAP"
    assert len(SWAPS) == 5 + 2 + 15
    with pytest.raises(ValueError, match="unknown swap"):
        apply_swap(np.zeros((3, 12)), "V1_V7")


def test_median_of_swapped_signals_equals_swapped_medians(real_records) -> None:
    """Lead algebra commutes with filtering and medians: training on swapped medians is exact."""
    _, x, fs = real_records[0]
    peaks = beat_peaks(filter_signal(x, fs, "monitoring"), fs)
    mb = median_beats(x, fs, peaks=peaks)
    assert mb is not None
    for swap in ("LA_RA", "ROT_RA_LA_LL", "V2_V4"):
        direct = median_beats(apply_swap(x, swap), fs, peaks=peaks)
        assert direct is not None
        via = swapped_beats(mb, swap)
        assert (direct.qrs_on, direct.qrs_off, direct.n_beats) == (
            via.qrs_on,
            via.qrs_off,
            via.n_beats,
        )
        np.testing.assert_allclose(direct.beats, via.beats, atol=1e-9)
        np.testing.assert_allclose(direct.qrs_area, via.qrs_area, atol=1e-12)


def _beats(real_records, k: int):
    _, x, fs = real_records[k]
    mb = median_beats(x, fs)
    assert mb is not None
    return mb


@pytest.mark.parametrize("k", [0, 4])
def test_chest_swaps_leave_the_limb_cues_unchanged(real_records, k: int) -> None:
    """Limb features see the chest leads only as a set: no chest swap can raise a limb finding."""
    mb = _beats(real_records, k)
    ref = limb_features(mb)
    for swap in PRECORDIAL_SWAPS:
        np.testing.assert_allclose(limb_features(swapped_beats(mb, swap)), ref, atol=1e-12)
    # the limb features do see limb reversals
    assert not np.allclose(limb_features(swapped_beats(mb, "LA_LL")), ref, atol=1e-3)


@pytest.mark.parametrize("k", [1, 5])
def test_limb_reversals_leave_the_chest_cues_unchanged(real_records, k: int) -> None:
    mb = _beats(real_records, k)
    recon = np.asarray(load_model("precordial_swap").get("recon"))
    ref = precordial_features(mb, recon)
    for swap in LIMB_PERMUTATIONS:
        np.testing.assert_allclose(precordial_features(swapped_beats(mb, swap), recon), ref)
    assert not np.allclose(precordial_features(swapped_beats(mb, "V2_V3"), recon), ref, atol=1e-3)


def test_swaps_in_one_plane_raise_no_finding_in_the_other(real_records) -> None:
    """End to end: V1/V6 and V2/V5 raise no limb finding; LA/RA and LA/LL no chest finding."""
    for _, x, fs in real_records[:4]:
        for swap in ("V1_V6", "V2_V5"):
            codes = _placement_codes(apply_swap(x, swap), fs)
            assert not {c for c in codes if c.startswith("LIMB_")}, (swap, codes)
        for swap in ("LA_RA", "LA_LL"):
            codes = _placement_codes(apply_swap(x, swap), fs)
            assert not {c for c in codes if c.startswith("PRECORDIAL_")}, (swap, codes)


def test_neutral_swap_signature(sim_signals) -> None:
    assert neutral_swap(sim_signals) is None
    assert neutral_swap(apply_swap(sim_signals, "RA_RL")) == "RA_RL"
    assert neutral_swap(apply_swap(sim_signals, "LA_RL")) == "LA_RL"
    assert neutral_swap(apply_swap(sim_signals, "LA_RA")) is None


def _placement_codes(x: np.ndarray, fs: float) -> set[str]:
    g = grade_recording(make_recording(x, fs))
    return {c for c in g.codes if c.startswith(("LIMB_", "PRECORDIAL_"))}


def test_simulated_swaps_are_found_and_clean_is_not(sim_signals) -> None:
    assert _placement_codes(sim_signals, 500.0) == set()
    assert _placement_codes(apply_swap(sim_signals, "LA_RA"), 500.0) == {"LIMB_REVERSAL_LA_RA"}
    assert _placement_codes(apply_swap(sim_signals, "RA_RL"), 500.0) == {"LIMB_REVERSAL_OTHER"}
    assert _placement_codes(apply_swap(sim_signals, "V1_V5"), 500.0) == {"PRECORDIAL_SWAP"}


def test_real_records_reversal_transforms(real_records) -> None:
    """LA/RA, RA/LL and a distant chest swap on six real records; clean ones stay clean."""
    results = {"clean": 0, "LA_RA": 0, "RA_LL": 0, "V1_V4": 0}
    expected = {"LA_RA": "LIMB_REVERSAL_LA_RA", "RA_LL": "LIMB_REVERSAL_RA_LL",
                "V1_V4": "PRECORDIAL_SWAP"}  # fmt: skip
    for _, x, fs in real_records:
        results["clean"] += not _placement_codes(x, fs)
        for swap, code in expected.items():
            results[swap] += code in _placement_codes(apply_swap(x, swap), fs)
    n = len(real_records)
    assert results["clean"] == n
    assert results["LA_RA"] == n
    assert results["RA_LL"] >= n - 1
    assert results["V1_V4"] >= n - 1


def test_swap_finding_names_the_leads(real_records) -> None:
    _, x, fs = real_records[3]
    g = grade_recording(make_recording(apply_swap(x, "V2_V5"), fs))
    swaps = [f for f in g.findings if f.code == "PRECORDIAL_SWAP"]
    assert swaps and set(swaps[0].leads) == {"V2", "V5"}
    assert "V2" in swaps[0].message and "V5" in swaps[0].message


@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
def test_median_beats_are_free_of_mains_hum(real_records, mains_hz: float) -> None:
    """0.3 mV of hum on every lead changes the median beats by less than 0.02 mV."""
    _, x, fs = real_records[0]
    peaks = beat_peaks(filter_signal(x, fs, "monitoring"), fs)
    ref = median_beats(x, fs, peaks=peaks)
    t = np.arange(x.shape[0]) / fs
    hum = 0.3 * np.sin(2 * np.pi * mains_hz * t + 0.4)[:, None]
    mb = median_beats(x + hum, fs, peaks=peaks)
    assert ref is not None and mb is not None
    assert (mb.qrs_on, mb.qrs_off, mb.p_idx) == (ref.qrs_on, ref.qrs_off, ref.p_idx)
    assert np.abs(mb.beats - ref.beats).max() < 0.02


def test_median_beats_at_low_sampling_rates(real_records) -> None:
    """Notches at or above the Nyquist frequency are left out instead of failing."""
    _, x, _ = real_records[0]
    assert median_beats(x[::5], 100.0) is not None


def test_chest_plane_direction_moves_with_the_left_arm_and_leg() -> None:
    """Chest leads spanning the lead-I direction: 0 degrees, and 60 degrees after LA/LL."""
    rng = np.random.default_rng(4)
    xs, ys, zs = (np.cumsum(rng.normal(size=(200, 3)), axis=0)).T
    limb = np.column_stack([xs, (xs + np.sqrt(3.0) * ys) / 2, np.zeros((200, 4))])
    chest = np.column_stack([xs + zs, xs - zs, zs, 2 * xs, xs + 0.5 * zs, -zs])
    w = np.column_stack([limb, chest])
    c2, s2, top, _ = _chest_plane_direction(_frontal_xy(w), w[:, 6:])
    assert c2 == pytest.approx(1.0, abs=1e-6) and s2 == pytest.approx(0.0, abs=1e-6)
    assert top == pytest.approx(1.0, abs=1e-9)
    swapped = apply_swap(w, "LA_LL")
    c2, s2, _, _ = _chest_plane_direction(_frontal_xy(swapped), swapped[:, 6:])
    assert c2 == pytest.approx(-0.5, abs=1e-6) and s2 == pytest.approx(np.sqrt(3) / 2, abs=1e-6)


def test_continuity_cues_point_at_the_interchanged_adjacent_pair(sim_signals) -> None:
    """On a simulated record in order, putting any pair back only lengthens the path
    V1-V6 (angles over QRS-T and QRS, PCA loadings) and the interpolation error; with
    one adjacent pair interchanged, that pair's swap-back gain is positive and the
    largest of the 15 in each of those cues."""
    mb = median_beats(sim_signals, 500.0)
    assert mb is not None
    cues = (0, 1, 2, 4)  # angle paths QRS-T, QRS, loadings; interpolation
    clean = np.asarray(continuity_gains(mb)).reshape(5, 15)
    assert (clean[list(cues)] < 0).all()
    for a in range(5):
        swap = f"V{a + 1}_V{a + 2}"
        gains = np.asarray(continuity_gains(swapped_beats(mb, swap))).reshape(5, 15)
        pair = PRECORDIAL_SWAPS.index(swap)
        for c in cues:
            assert int(np.argmax(gains[c])) == pair, (swap, c)
            assert gains[c, pair] > 0
