"""Whole-record analysis: filter, detect R-peaks, summarise heart rate and rhythm.

This is the batch path shared by ``ecg analyze``, ``ecg detect``, the demo and
the grading stage; it only composes the stages (filters, detect, heart_rate,
rhythm) and holds no signal processing of its own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ecgcore._validate import logger
from ecgcore.detect import detect_r_peaks
from ecgcore.errors import SignalError
from ecgcore.heart_rate import HeartRateSummary, heart_rate_summary
from ecgcore.quality.calibration import CalibrationPulse, find_calibration_pulse
from ecgcore.recording import Recording
from ecgcore.rhythm import RhythmAnalysis, analyze_rhythm
from ecgcore.rhythm.paced import recording_pacing_spikes

__all__ = [
    "RecordAnalysis",
    "analyze_recording",
    "default_analysis_lead",
    "find_record_calibration",
]

#: Leads tried, in order, when no lead is given: the classic rhythm leads.
_PREFERRED_LEADS = ("II", "MLII", "ECG", "I", "V5", "V1")
#: A calibration pulse is looked for in this many seconds at each end of the record.
CALIBRATION_SEARCH_S = 5.0
#: Samples this close to a calibration pulse are left out of the analysis (edges), s.
CALIBRATION_MARGIN_S = 0.1


def find_record_calibration(rec: Recording) -> CalibrationPulse | None:
    """The calibration pulse at the start or the end of ``rec`` (None if there is none).

    Electrocardiographs record the 1 mV pulse before or after the tracing, in
    every lead at once, so only the first and last :data:`CALIBRATION_SEARCH_S`
    seconds of records with at least two leads are searched.
    """
    if rec.n_leads < 2:
        return None
    n = round(CALIBRATION_SEARCH_S * rec.fs)
    head = find_calibration_pulse(rec.slice_idx(0, n).physical(), rec.fs)
    if head is not None or rec.n_samples <= n:
        return head
    offset = rec.n_samples - n
    tail = find_calibration_pulse(rec.slice_idx(offset).physical(), rec.fs)
    if tail is None:
        return None
    return dataclasses.replace(
        tail, start_idx=tail.start_idx + offset, stop_idx=tail.stop_idx + offset
    )


def default_analysis_lead(rec: Recording) -> int:
    """Return the index of the lead to analyse when none is given.

    Lead II (or MIT-BIH's MLII) when present, else the first lead.
    """
    upper = [name.upper() for name in rec.lead_names]
    for name in _PREFERRED_LEADS:
        if name.upper() in upper:
            return upper.index(name.upper())
    return 0


@dataclasses.dataclass(frozen=True)
class RecordAnalysis:
    """Result of :func:`analyze_recording`.

    Attributes
    ----------
    record : str
        Record name.
    lead : str
        Name of the analysed lead.
    fs : float
        Sampling rate in Hz.
    duration_s : float
        Analysed duration in seconds.
    peaks_idx : ndarray of int64
        R-peak sample indices.
    heart_rate : HeartRateSummary
        Heart-rate and RR statistics.
    missing_s : float
        Seconds of missing samples in the analysed lead.
    rhythm : object or None
        Beat and rhythm analysis (:class:`ecgcore.rhythm.RhythmAnalysis`) when run.
    calibration_span_s : tuple of float or None
        Start and end (s) of the calibration pulse left out of the analysis
        (with :data:`CALIBRATION_MARGIN_S` on each side), None without one.
    """

    record: str
    lead: str
    fs: float
    duration_s: float
    peaks_idx: np.ndarray
    heart_rate: HeartRateSummary
    missing_s: float
    rhythm: RhythmAnalysis | None = None
    calibration_span_s: tuple[float, float] | None = None

    @property
    def n_beats(self) -> int:
        """Number of detected beats."""
        return int(self.peaks_idx.size)

    def rhythm_summary(self) -> str | None:
        """One line of rhythm burden, e.g. ``"N 92.0%, AFIB 8.0%"`` (None without rhythm).

        The calibration pulse's span is no ECG and counts as no signal
        (``NOISE``); the line says so when the record has one.
        """
        if self.rhythm is None:
            return None
        burden = self.rhythm.burden()
        line = ", ".join(f"{code} {pct:.1f}%" for code, pct in burden.items())
        if self.calibration_span_s is not None and "NOISE" in burden:
            lo, hi = self.calibration_span_s
            line += f" (NOISE includes the calibration pulse at {lo:.1f}-{hi:.1f} s)"
        return line

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary (plain Python types)."""
        out: dict[str, Any] = {
            "record": self.record,
            "lead": self.lead,
            "fs": self.fs,
            "duration_s": round(self.duration_s, 6),
            "missing_s": round(self.missing_s, 6),
            "n_beats": self.n_beats,
            "heart_rate": self.heart_rate.to_json(),
            "calibration_span_s": (
                None
                if self.calibration_span_s is None
                else [round(t, 6) for t in self.calibration_span_s]
            ),
        }
        if self.rhythm is not None:
            out.update(self.rhythm.to_json())
        return out


def analyze_recording(
    rec: Recording,
    *,
    lead: int | str | None = None,
    rhythm: bool = True,
) -> RecordAnalysis:
    """Detect beats on one lead of ``rec`` and summarise heart rate (and rhythm).

    Parameters
    ----------
    rec : Recording
        The record to analyse.
    lead : int or str, optional
        Lead index or name; lead II (or MLII) by default, else lead 0.
    rhythm : bool
        Also classify beats (AAMI N/S/V/F/Q) and rhythm episodes; paced beats
        and paced rhythm come from the pacing spikes of the record's
        independent leads (:func:`ecgcore.rhythm.paced.recording_pacing_spikes`).

    Notes
    -----
    A calibration pulse at the start or the end of the record
    (:func:`find_record_calibration`) is no heart beat: its span is treated as
    "no signal" by the detector and the rhythm analysis, and reported as
    ``calibration_span_s`` (it does not count as missing).
    """
    if rec.n_samples == 0:
        raise SignalError(f"record {rec.name!r} has no samples")
    idx = default_analysis_lead(rec) if lead is None else rec.lead_index(lead)
    signal_mv = rec.lead_mv(idx)
    missing_s = float(np.count_nonzero(np.isnan(signal_mv))) / rec.fs
    pulse = find_record_calibration(rec)
    span_s = None
    if pulse is not None:
        margin = round(CALIBRATION_MARGIN_S * rec.fs)
        lo, hi = max(0, pulse.start_idx - margin), min(rec.n_samples, pulse.stop_idx + margin)
        signal_mv = signal_mv.copy()
        signal_mv[lo:hi] = np.nan
        span_s = (lo / rec.fs, hi / rec.fs)
        logger.info("%s: calibration pulse at %.2f-%.2f s left out", rec.name, *span_s)
    peaks = detect_r_peaks(signal_mv, rec.fs)
    summary = heart_rate_summary(peaks, rec.fs)
    rhythm_result = None
    if rhythm:
        pace_idx = recording_pacing_spikes(rec)  # from all independent leads
        rhythm_result = analyze_rhythm(signal_mv, rec.fs, peaks, pace_idx=pace_idx)
    logger.info("%s: %d beats on lead %s", rec.name, peaks.size, rec.lead_names[idx])
    return RecordAnalysis(
        record=rec.name,
        lead=rec.lead_names[idx],
        fs=rec.fs,
        duration_s=rec.duration_s,
        peaks_idx=peaks,
        heart_rate=summary,
        missing_s=missing_s,
        rhythm=rhythm_result,
        calibration_span_s=span_s,
    )
