"""Rendering: tracings with detected beats, ECG paper, HTML/PDF reports."""

from ecgcore.report.tracing import plot_beats

__all__ = ["plot_beats"]
