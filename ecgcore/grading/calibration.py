"""The calibration pulse: find it, measure it, and check the gain with it.

Electrocardiographs record a 1 mV rectangular pulse (usually 200 ms) so the
reader can check on paper that 1 mV is 10 mm. In the stored signal it is a
step up and a step down, at the same instants in every lead, with a flat
plateau between. :func:`find_calibration_pulse` looks for that pattern; its
height in mV (at the gain the recording declares) must be 1 mV, else the
amplitudes of the whole tracing are wrong.

No maintained library detects calibration pulses in digital ECGs; the
detector below is written for this purpose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from ecgcore.grading.findings import Finding, make_finding

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

_EDGE_S = 0.006  # half-width of the edge detector, s
_MIN_STEP_MV = 0.25  # smallest pulse considered (a quarter of the standard)
_MIN_WIDTH_S, _MAX_WIDTH_S = 0.06, 0.6


@dataclasses.dataclass(frozen=True)
class CalibrationPulse:
    """A calibration pulse found in the recording.

    Attributes
    ----------
    start_idx, stop_idx : int
        Rising and falling edge, sample indices.
    height_mv : float
        Median height over the leads that show it, mV.
    leads : tuple of int
        Columns where the pulse was found.
    fs : float
        Sampling rate in Hz.
    """

    start_idx: int
    stop_idx: int
    height_mv: float
    leads: tuple[int, ...]
    fs: float

    @property
    def width_s(self) -> float:
        """Pulse duration in s."""
        return (self.stop_idx - self.start_idx) / self.fs

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "start_s": round(self.start_idx / self.fs, 4),
            "width_s": round(self.width_s, 4),
            "height_mv": round(self.height_mv, 4),
            "n_leads": len(self.leads),
        }


def _pulses_in_lead(x: np.ndarray, fs: float) -> list[tuple[int, int, float]]:
    """Candidate (rise, fall, height) pulses in one lead."""
    k = max(1, round(_EDGE_S * fs))
    if x.size < 4 * k or not np.isfinite(x).all():
        return []
    edge = np.zeros_like(x)
    edge[k:-k] = x[2 * k :] - x[: -2 * k]
    rises = _local_extrema(edge, _MIN_STEP_MV, k)
    falls = _local_extrema(-edge, _MIN_STEP_MV, k)
    out = []
    lo, hi = round(_MIN_WIDTH_S * fs), round(_MAX_WIDTH_S * fs)
    for r in rises:
        for f in falls[(falls >= r + lo) & (falls <= r + hi)]:
            up, down = edge[r], -edge[f]
            if abs(up - down) > 0.25 * max(up, down):
                continue
            plateau = x[r + k : f - k + 1]
            before = x[max(0, r - 3 * k) : max(1, r - k)]
            after = x[f + k : f + 3 * k]
            if plateau.size < 3 or before.size == 0 or after.size == 0:
                continue
            height = float(np.median(plateau) - np.median(np.concatenate([before, after])))
            ramp = np.polyval(
                np.polyfit(np.arange(plateau.size), plateau, 1), np.arange(plateau.size)
            )
            spread = float(np.std(plateau - ramp))
            if height < _MIN_STEP_MV or spread > 0.12 * height:
                continue
            out.append((int(r), int(f), height))
            break
    return out


def _local_extrema(e: np.ndarray, minimum: float, k: int) -> np.ndarray:
    """Indices of local maxima of ``e`` above ``minimum``, at least ``2k`` apart."""
    cand = np.flatnonzero((e[1:-1] >= minimum) & (e[1:-1] >= e[:-2]) & (e[1:-1] > e[2:])) + 1
    keep: list[int] = []
    for i in cand:
        if keep and i - keep[-1] < 2 * k:
            if e[i] > e[keep[-1]]:
                keep[-1] = int(i)
            continue
        keep.append(int(i))
    return np.asarray(keep, dtype=np.int64)


def find_calibration_pulse(signals_mv: np.ndarray, fs: float) -> CalibrationPulse | None:
    """Find a calibration pulse present at the same time in most leads.

    Parameters
    ----------
    signals_mv : ndarray, shape (n_samples, n_leads)
        Unfiltered leads in mV (NaN columns ignored).
    fs : float
        Sampling rate in Hz.

    Returns
    -------
    CalibrationPulse or None
        The pulse seen in at least half of the leads with signal (and at least
        two), rising and falling within 10 ms of each other across leads.
    """
    x = np.asarray(signals_mv, dtype=np.float64)
    leads = [j for j in range(x.shape[1]) if np.isfinite(x[:, j]).all()]
    found = {j: _pulses_in_lead(x[:, j], fs) for j in leads}
    tol = max(1, round(0.01 * fs))
    best: CalibrationPulse | None = None
    for pulses in found.values():
        for r, f, _ in pulses:
            members, heights = [], []
            for j, cand in found.items():
                match = [h for rr, ff, h in cand if abs(rr - r) <= tol and abs(ff - f) <= tol]
                if match:
                    members.append(j)
                    heights.append(match[0])
            # a pulse is injected with the same height into every lead
            h = np.asarray(heights)
            same = np.abs(h - np.median(h)) <= 0.05 * np.median(h)
            members = [j for j, s in zip(members, same, strict=True) if s]
            if len(members) >= max(2, (len(leads) + 1) // 2) and (
                best is None or len(members) > len(best.leads)
            ):
                best = CalibrationPulse(r, f, float(np.median(h[same])), tuple(members), fs)
    return best


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
