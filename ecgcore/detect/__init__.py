"""R-peak detection: batch :func:`detect_r_peaks` and streaming :class:`RPeakDetector`."""

from ecgcore.detect.rpeaks import RPeakDetector, detect_r_peaks

__all__ = ["RPeakDetector", "detect_r_peaks"]
