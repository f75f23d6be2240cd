"""R-peak detection (batch :func:`detect_r_peaks`, streaming :class:`RPeakDetector`)
and pacemaker spike detection (:func:`detect_pacing_spikes`)."""

from ecgcore.detect.pacing import (
    PacingSpikeDetector,
    PacingSpikes,
    detect_pacing_spikes,
    paced_beats,
    paced_rhythm,
)
from ecgcore.detect.rpeaks import RPeakDetector, detect_r_peaks

__all__ = [
    "PacingSpikeDetector",
    "PacingSpikes",
    "RPeakDetector",
    "detect_pacing_spikes",
    "detect_r_peaks",
    "paced_beats",
    "paced_rhythm",
]
