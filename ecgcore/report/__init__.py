"""Rendering: tracings with detected beats, ECG paper, HTML/PDF reports."""

from ecgcore.report.grade_report import ReportFiles, paper_trace, write_grade_report
from ecgcore.report.paper import LAYOUT_3X4, PaperSpec, PaperTrace, draw_ecg_paper
from ecgcore.report.tracing import plot_beats

__all__ = [
    "LAYOUT_3X4",
    "PaperSpec",
    "PaperTrace",
    "ReportFiles",
    "draw_ecg_paper",
    "paper_trace",
    "plot_beats",
    "write_grade_report",
]
