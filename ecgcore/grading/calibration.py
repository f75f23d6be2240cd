"""The calibration pulse: find it, measure it, and check the gain with it.

Electrocardiographs record a 1 mV rectangular pulse (usually 200 ms) so the
reader can check on paper that 1 mV is 10 mm. In the stored signal it is a
step up and a step down, at the same instants in every lead, with a flat
plateau between. :func:`find_calibration_pulse` (from
:mod:`ecgcore.quality.calibration`, re-exported here) looks for that pattern;
its height in mV (at the gain the recording declares) must be 1 mV, else the
amplitudes of the whole tracing are wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ecgcore.grading.findings import Finding, make_finding
from ecgcore.quality.calibration import CalibrationPulse, find_calibration_pulse

__all__ = [
    "CALIBRATION_MV",
    "GAIN_TOLERANCE",
    "CalibrationPulse",
    "check_calibration",
    "find_calibration_pulse",
]

#: Height of the standard calibration pulse, mV.
CALIBRATION_MV = 1.0
#: Relative error of the pulse height reported as a wrong gain.
GAIN_TOLERANCE = 0.10
#: Standard paper gain, mm/mV.
STANDARD_MM_PER_MV = 10.0


def check_calibration(
    signals_mv: np.ndarray, fs: float, metadata: Mapping[str, Any] | None = None
) -> tuple[list[Finding], CalibrationPulse | None]:
    """``NO_CALIBRATION`` and ``WRONG_GAIN`` findings.

    Parameters
    ----------
    signals_mv : ndarray, shape (n_samples, n_leads)
        Leads in mV.
    fs : float
        Sampling rate in Hz.
    metadata : mapping, optional
        Recording metadata; ``paper_mm_per_mv`` (the gain the recorder was set
        to print at), when present, must be 10.
    """
    findings: list[Finding] = []
    pulse = find_calibration_pulse(signals_mv, fs)
    if pulse is None:
        findings.append(
            make_finding(
                "NO_CALIBRATION",
                (),
                "No 1 mV calibration pulse was found in the recording. Record the calibration "
                "pulse so the reader can check that 1 mV = 10 mm.",
            )
        )
    elif abs(pulse.height_mv - CALIBRATION_MV) > GAIN_TOLERANCE * CALIBRATION_MV:
        mm = pulse.height_mv * STANDARD_MM_PER_MV
        findings.append(
            make_finding(
                "WRONG_GAIN",
                (),
                f"The calibration pulse reads {pulse.height_mv:.2f} mV ({mm:.0f} mm at "
                "10 mm/mV) instead of 1 mV (10 mm): every amplitude in the tracing is off by "
                f"the same factor. Set the standard gain, 10 mm/mV.",
                details={"pulse_mv": pulse.height_mv},
                spans_s=[(pulse.start_idx / fs, pulse.stop_idx / fs)],
            )
        )
    paper = (metadata or {}).get("paper_mm_per_mv")
    if paper is not None and abs(float(paper) - STANDARD_MM_PER_MV) > 1e-6:
        findings.append(
            make_finding(
                "WRONG_GAIN",
                (),
                f"The recorder was set to {float(paper):g} mm/mV; the standard gain is "
                "10 mm/mV. Use 10 mm/mV unless the complexes overlap, and mark any change.",
                details={"paper_mm_per_mv": float(paper)},
            )
        )
    return findings, pulse
