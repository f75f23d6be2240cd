"""The grading report: ECG paper with the findings marked, item table, score.

:func:`write_grade_report` writes, into one folder,

* ``<record>.pdf`` - page 1 the 12-lead tracing on ECG paper at exact scale
  (A4 landscape, 25 mm/s, 10 mm/mV), page 2 the itemised score, the findings
  and the per-lead quality indices;
* ``<record>.svg`` - the tracing page alone (the HTML shows it at 297 mm);
* ``<record>.html`` - the same content for a browser.

The grading result is taken as given (any object with the attributes of
:class:`ecgcore.grading.GradeResult`); this module only presents it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from ecgcore.recording import Recording
from ecgcore.report.html import render_html
from ecgcore.report.paper import MM_PER_INCH, PaperSpec, PaperTrace, draw_ecg_paper

__all__ = ["ReportFiles", "paper_trace", "write_grade_report"]

#: Quality indices shown in the report, with their column headings.
QUALITY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("flat", "flat"),
    ("clipped", "clipped"),
    ("baseline_mv", "wander mV"),
    ("powerline_mv", "mains mV"),
    ("emg_mv", "EMG mV"),
    ("motion_bursts", "motion"),
    ("amplitude_mv", "range mV"),
    ("beat_agreement", "beats agree"),
)


@dataclasses.dataclass(frozen=True)
class ReportFiles:
    """Paths of the files written."""

    pdf: Path
    html: Path
    svg: Path


def paper_trace(result: Any, rec: Recording) -> PaperTrace:
    """The tracing page's content for a grading ``result`` of ``rec``."""
    signals = {
        name: x - np.nanmedian(x) if np.isfinite(x).any() else x
        for name, x in result.standard_signals(rec).items()
    }
    marks: dict[str, list[str]] = {}
    spans: dict[str, list[tuple[float, float]]] = {}
    framed: set[str] = set()
    for f in result.findings:
        for lead in f.leads:
            codes = marks.setdefault(lead, [])
            if f.code not in codes:
                codes.append(f.code)
            if f.spans_s and f.code not in ("WRONG_GAIN", "NO_CALIBRATION"):
                spans.setdefault(lead, []).extend(f.spans_s)
            else:
                framed.add(lead)
    verdict = "PASSED" if result.passed else "FAILED"
    usable = "diagnostically usable" if result.acceptable else "NOT diagnostically usable"
    header = [
        f"ECG practical grading - record {result.record}",
        f"Technician: {result.technician or '-'}    Rubric: {result.rubric.name} "
        f"v{result.rubric.version}    Graded: {dt.date.today().isoformat()}",
        f"Score {result.score:g}/100 - {verdict} (pass mark {result.rubric.pass_mark:g}) - "
        f"{usable}",
    ]
    engine = result.engine
    right = [
        f"{result.fs:g} Hz, {result.duration_s:.1f} s, {len(result.leads)} leads",
        f"Engine: {engine.describe()}",
        "Reading: " + ("-" if result.interpretation is None else result.interpretation.describe()),
    ]
    return PaperTrace(
        signals=signals,
        fs=rec.fs,
        marks=marks,
        spans=spans,
        framed=tuple(sorted(framed)),
        header=header,
        header_right=right,
    )


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def _summary_page(result: Any, spec: PaperSpec) -> Figure:
    """Page 2: items, point losses, findings, quality indices (A4 landscape)."""
    fig = plt.figure(figsize=(spec.width_mm / MM_PER_INCH, spec.height_mm / MM_PER_INCH))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, spec.width_mm)
    ax.set_ylim(0, spec.height_mm)
    ax.axis("off")
    y = spec.height_mm - 12.0
    x = 15.0

    def line(text: str, *, size: float = 7.5, bold: bool = False, dx: float = 0.0,
             color: str = "black") -> None:  # fmt: skip
        nonlocal y
        ax.text(x + dx, y, text, fontsize=size, weight="bold" if bold else "normal",
                family="monospace", va="top", color=color)  # fmt: skip
        y -= size * 0.48

    verdict = "passed" if result.passed else "failed"
    usable = "acceptable" if result.acceptable else "not acceptable"
    line(f"Record {result.record}: score {result.score:g}/100, {verdict}, {usable}", size=10,
         bold=True)  # fmt: skip
    for reason in result.fail_reasons:
        line(f"  failed: {reason}", color="#b00000")
    y -= 2
    line(f"{'item':<58}{'points':>8}{'lost':>8}{'kept':>8}", bold=True)
    for item in result.items:
        line(f"{item.title[:57]:<58}{item.points:>8g}{item.lost:>8g}{item.kept:>8g}")
        for loss in item.losses:
            leads = f" ({', '.join(loss.leads)})" if loss.leads else ""
            line(f"    -{loss.points:g}  {loss.code}{leads}", color="#b00000")
    y -= 2
    line("Findings", bold=True)
    for f in result.findings:
        leads = f" [{', '.join(f.leads)}]" if f.leads else ""
        first = True
        for part in _wrap(f"{f.severity.upper():<9}{f.code}{leads}: {f.message}", 150):
            line(part if first else f"{'':9}{part}", size=6.5)
            first = False
        if y < 60:
            line("... (more findings in the HTML report)", size=6.5)
            break
    if result.quality is not None and result.quality.indices:
        y -= 2
        line("Per-lead signal-quality indices", bold=True)
        head = f"{'lead':<6}" + "".join(f"{h:>12}" for _, h in QUALITY_COLUMNS)
        line(head, size=6.5, bold=True)
        for lead, values in result.quality.indices.items():
            cells = "".join(f"{_num(values.get(k)):>12}" for k, _ in QUALITY_COLUMNS)
            line(f"{lead:<6}{cells}", size=6.5)
    return fig


def _num(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.3g}"


def write_grade_report(
    result: Any, rec: Recording, directory: str | Path, *, spec: PaperSpec | None = None
) -> ReportFiles:
    """Write the PDF, SVG and HTML report of a grading into ``directory``.

    Parameters
    ----------
    result : GradeResult
        The grading (:func:`ecgcore.grading.grade_recording`).
    rec : Recording
        The graded recording (for the tracing).
    directory : path
        Output folder (created if needed).
    spec : PaperSpec, optional
        Paper geometry.
    """
    spec = spec or PaperSpec()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    stem = _safe(result.record)
    pdf_path, svg_path, html_path = (out / f"{stem}{ext}" for ext in (".pdf", ".svg", ".html"))
    trace = paper_trace(result, rec)
    paper = draw_ecg_paper(trace, spec)
    summary = _summary_page(result, spec)
    try:
        paper.savefig(svg_path, format="svg")
        with PdfPages(pdf_path, metadata={"Title": f"ECG grading {result.record}"}) as pdf:
            pdf.savefig(paper)
            pdf.savefig(summary)
    finally:
        plt.close(paper)
        plt.close(summary)
    html_path.write_text(render_html(result, svg_path.name, spec, QUALITY_COLUMNS), "utf-8")
    return ReportFiles(pdf_path, html_path, svg_path)


def _safe(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name))
    return keep.strip(".") or "record"
