"""Ventricular pacing: the limb-reversal classifier is reported as not assessable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecgcore.grading import apply_swap, grade_recording, median_beats
from ecgcore.grading.pacing import assess_pacing
from tests.grading.conftest import make_recording

FS = 500.0
#: How one pacing pulse projects onto the 12 leads (mV): I, II and V1-V6 chosen, III and
#: the augmented leads derived from I and II as a recorder computes them.
_I, _II = 1.5, 2.0
_PULSE = np.array(
    [_I, _II, _II - _I, -(_I + _II) / 2, _I - _II / 2, _II - _I / 2, 2.0, 2.5, 2.0, 1.5, 1.2, 1.0]
)


def _with_spikes(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``x`` with a 2-sample pacing pulse (4 ms at 500 Hz) at each index."""
    y = x.copy()
    for i in idx:
        y[i : i + 2] += _PULSE
    return y


def _qrs_onsets(x: np.ndarray) -> np.ndarray:
    mb = median_beats(x, FS)
    assert mb is not None and mb.peaks_idx is not None
    return mb.peaks_idx - (mb.r_idx - mb.qrs_on)


def test_ventricular_spikes_make_placement_not_assessable(sim_signals) -> None:
    paced = _with_spikes(sim_signals, _qrs_onsets(sim_signals) - round(0.01 * FS))
    g = grade_recording(make_recording(paced, FS))
    assert "PLACEMENT_NOT_ASSESSABLE" in g.codes
    finding = next(f for f in g.findings if f.code == "PLACEMENT_NOT_ASSESSABLE")
    assert finding.severity == "info" and "paced" in finding.message
    assert g.pacing is not None and g.pacing.ventricular_paced
    assert g.placement is not None and "limb" in g.placement.not_assessed
    assert g.placement.limb is None and g.placement.precordial == "none"
    # information only: it costs nothing
    assert all(loss.code != "PLACEMENT_NOT_ASSESSABLE" for i in g.items for loss in i.losses)
    assert g.to_json()["pacing"]["ventricular_paced"] is True
    # a limb reversal is not judged from the paced waveforms ...
    swapped = grade_recording(make_recording(apply_swap(paced, "LA_RA"), FS))
    assert "PLACEMENT_NOT_ASSESSABLE" in swapped.codes
    assert not any(c.startswith(("LIMB_", "PRECORDIAL_")) for c in swapped.codes)
    # ... but the neutral electrode's exact lead-algebra signature still is, and the
    # chest leads are still compared with their neighbours
    neutral = grade_recording(make_recording(apply_swap(paced, "RA_RL"), FS))
    assert "LIMB_REVERSAL_OTHER" in neutral.codes
    chest = grade_recording(make_recording(apply_swap(paced, "V1_V5"), FS))
    assert {"PRECORDIAL_SWAP", "PLACEMENT_NOT_ASSESSABLE"} <= set(chest.codes)


def test_atrial_spikes_leave_the_checks_on(sim_signals) -> None:
    """A spike one AV delay (160 ms) before the QRS is atrial: the QRS is conducted."""
    atrial = _with_spikes(sim_signals, _qrs_onsets(sim_signals) - round(0.16 * FS))
    mb = median_beats(atrial, FS)
    assert mb is not None
    result = assess_pacing(atrial, FS, mb)
    assert result is not None and result.spike_idx.size >= 2
    assert result.n_ventricular == 0 and not result.ventricular_paced
    g = grade_recording(make_recording(atrial, FS))
    assert "PLACEMENT_NOT_ASSESSABLE" not in g.codes
    assert g.placement is not None and not g.placement.not_assessed
    swapped = grade_recording(make_recording(apply_swap(atrial, "LA_RA"), FS))
    assert "LIMB_REVERSAL_LA_RA" in swapped.codes


def test_no_spikes_and_slow_recorders(sim_signals) -> None:
    mb = median_beats(sim_signals, FS)
    assert mb is not None
    result = assess_pacing(sim_signals, FS, mb)
    assert result is not None and result.spike_idx.size == 0 and not result.ventricular_paced
    slow = sim_signals[::3]
    mb_slow = median_beats(slow, FS / 3)
    assert mb_slow is not None and assess_pacing(slow, FS / 3, mb_slow) is None


def test_paced_ludb_record(data_dir: Path) -> None:
    """LUDB 90 (complete AV block, bipolar ventricular pacing) against an unpaced record."""
    if not (data_dir / "ludb").is_dir():
        pytest.skip("LUDB not present")
    from ecgcore.datasets import get_database

    db = get_database("ludb", data_dir)
    rec, _ = db.load("90")
    g = grade_recording(rec)
    assert "PLACEMENT_NOT_ASSESSABLE" in g.codes
    assert not any(c.startswith("LIMB_") for c in g.codes)
    rec, _ = db.load("20")
    g = grade_recording(rec)
    assert g.pacing is not None and not g.pacing.ventricular_paced
    assert "PLACEMENT_NOT_ASSESSABLE" not in g.codes
