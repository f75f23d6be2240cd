"""12-lead ECG on paper: standard 3 x 4 layout plus a lead II rhythm strip.

The page is drawn in millimetres on a figure of the page's physical size, so
a PDF (or SVG) of it prints at scale: 25 mm/s, 10 mm/mV, 1 mm minor and 5 mm
major grid lines, a 1 mV / 0.2 s calibration pulse (10 mm x 5 mm) at the start
of every row. Findings are marked on the leads they concern: the lead's
label turns red with the finding codes next to it, spans in time are shaded,
and a lead judged as a whole is framed.

Layout (A4 landscape, 297 x 210 mm): a header with the record, score and
settings; four rows of 40 mm (I/aVR/V1/V4, II/aVL/V2/V5, III/aVF/V3/V6, II
rhythm strip), each 2.5 s column 62.5 mm wide, the whole 10 s 250 mm.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

__all__ = [
    "LAYOUT_3X4",
    "MM_PER_INCH",
    "PaperSpec",
    "PaperTrace",
    "draw_ecg_paper",
]

MM_PER_INCH = 25.4

#: Rows of the standard layout: (lead per 2.5 s column, ...).
LAYOUT_3X4: tuple[tuple[str, ...], ...] = (
    ("I", "aVR", "V1", "V4"),
    ("II", "aVL", "V2", "V5"),
    ("III", "aVF", "V3", "V6"),
)

_GRID_MINOR = "#f6c6c6"
_GRID_MAJOR = "#e58a8a"
_MARK = "#d62020"


@dataclasses.dataclass(frozen=True)
class PaperSpec:
    """Paper geometry, all lengths in mm.

    Attributes
    ----------
    width_mm, height_mm : float
        Page size (A4 landscape by default).
    speed_mm_s : float
        Paper speed, mm/s (25).
    gain_mm_mv : float
        Gain, mm/mV (10).
    grid_left_mm, grid_bottom_mm : float
        Lower-left corner of the grid.
    row_height_mm : float
        Height of each of the four rows.
    cal_width_mm : float
        Space at the start of each row for the calibration pulse.
    seconds : float
        Duration shown (10 s: 2.5 s per column).
    """

    width_mm: float = 297.0
    height_mm: float = 210.0
    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0
    grid_left_mm: float = 15.0
    grid_bottom_mm: float = 12.0
    row_height_mm: float = 40.0
    cal_width_mm: float = 10.0
    seconds: float = 10.0

    @property
    def grid_width_mm(self) -> float:
        """Calibration area plus the tracing."""
        return self.cal_width_mm + self.seconds * self.speed_mm_s

    @property
    def grid_height_mm(self) -> float:
        """Four rows."""
        return 4 * self.row_height_mm

    @property
    def trace_left_mm(self) -> float:
        """x of time 0."""
        return self.grid_left_mm + self.cal_width_mm

    def row_baseline_mm(self, row: int) -> float:
        """y of 0 mV in row ``row`` (0 = top), a little below the row's middle."""
        top = self.grid_bottom_mm + self.grid_height_mm
        return top - (row + 0.5) * self.row_height_mm - 3.0


@dataclasses.dataclass(frozen=True)
class PaperTrace:
    """What to draw: leads in mV from the analysed start, and their marks.

    Attributes
    ----------
    signals : mapping
        Standard lead name -> 1-D array in mV (NaN where missing).
    fs : float
        Sampling rate, Hz.
    marks : mapping
        Lead name -> finding codes to show next to its label.
    spans : mapping
        Lead name -> time spans (s, relative to the start of ``signals``) to shade.
    framed : sequence of str
        Leads to frame (a finding about the whole lead).
    header : sequence of str
        Header lines (left block).
    header_right : sequence of str
        Header lines (right block).
    """

    signals: Mapping[str, np.ndarray]
    fs: float
    marks: Mapping[str, Sequence[str]] = dataclasses.field(default_factory=dict)
    spans: Mapping[str, Sequence[tuple[float, float]]] = dataclasses.field(default_factory=dict)
    framed: Sequence[str] = ()
    header: Sequence[str] = ()
    header_right: Sequence[str] = ()


def _grid(ax: plt.Axes, spec: PaperSpec) -> None:
    x0, y0 = spec.grid_left_mm, spec.grid_bottom_mm
    w, h = spec.grid_width_mm, spec.grid_height_mm
    for step, color, lw, gid in ((1.0, _GRID_MINOR, 0.25, "grid-minor"),
                                 (5.0, _GRID_MAJOR, 0.6, "grid-major")):  # fmt: skip
        xs = x0 + np.arange(0.0, w + 1e-9, step)
        ys = y0 + np.arange(0.0, h + 1e-9, step)
        if step == 1.0:  # minor lines only where no major line is drawn
            xs = xs[np.round((xs - x0) % 5.0, 6) != 0]
            ys = ys[np.round((ys - y0) % 5.0, 6) != 0]
        segs = [((x, y0), (x, y0 + h)) for x in xs] + [((x0, y), (x0 + w, y)) for y in ys]
        lc = LineCollection(segs, colors=color, linewidths=lw, zorder=1)
        lc.set_gid(gid)
        ax.add_collection(lc)


def _calibration(ax: plt.Axes, spec: PaperSpec, row: int) -> None:
    """The 1 mV x 0.2 s pulse at the start of ``row``."""
    y = spec.row_baseline_mm(row)
    x = spec.grid_left_mm + 1.0
    width = 0.2 * spec.speed_mm_s
    height = 1.0 * spec.gain_mm_mv
    xs = [x, x + 2.0, x + 2.0, x + 2.0 + width, x + 2.0 + width, spec.trace_left_mm - 0.5]
    ys = [y, y, y + height, y + height, y, y]
    (line,) = ax.plot(xs, ys, color="black", lw=0.7, zorder=3, solid_joinstyle="miter")
    line.set_gid(f"calibration-{row}")


def _segment(
    ax: plt.Axes, spec: PaperSpec, trace: PaperTrace, lead: str, *, row: int, t0: float, t1: float
) -> None:
    y0 = spec.row_baseline_mm(row)
    x_at = lambda t: spec.trace_left_mm + t * spec.speed_mm_s  # noqa: E731
    label_color = "black"
    codes = list(trace.marks.get(lead, ()))
    signal = trace.signals.get(lead)
    if signal is not None:
        a = max(0, round(t0 * trace.fs))
        b = min(signal.size, round(t1 * trace.fs) + 1)
        if b > a:
            t = np.arange(a, b) / trace.fs
            (line,) = ax.plot(
                x_at(t), y0 + signal[a:b] * spec.gain_mm_mv, color="black", lw=0.55, zorder=4
            )
            line.set_gid(f"trace-{lead}-{row}")
    else:
        ax.text(x_at((t0 + t1) / 2), y0, "not recorded", ha="center", va="center",
                fontsize=7, color=_MARK, zorder=5)  # fmt: skip
        codes = codes or ["MISSING"]
    for s0, s1 in trace.spans.get(lead, ()):
        lo, hi = max(s0, t0), min(s1, t1)
        if hi > lo:
            ax.add_patch(
                Rectangle(
                    (x_at(lo), y0 - 0.4 * spec.row_height_mm),
                    x_at(hi) - x_at(lo),
                    0.8 * spec.row_height_mm,
                    facecolor=_MARK,
                    alpha=0.12,
                    edgecolor="none",
                    zorder=2,
                )
            )
    if lead in trace.framed:
        ax.add_patch(
            Rectangle(
                (x_at(t0) + 0.3, y0 - 0.42 * spec.row_height_mm),
                x_at(t1) - x_at(t0) - 0.6,
                0.84 * spec.row_height_mm,
                facecolor="none",
                edgecolor=_MARK,
                lw=0.9,
                zorder=5,
            )
        )
    if codes:
        label_color = _MARK
    top = y0 + 0.5 * spec.row_height_mm - 0.5
    ax.text(x_at(t0) + 1.0, top, lead, ha="left", va="top", fontsize=8, weight="bold",
            color=label_color, zorder=6)  # fmt: skip
    if codes:
        ax.text(x_at(t0) + 7.5, top, " ".join(codes), ha="left", va="top", fontsize=5.5,
                color=_MARK, zorder=6)  # fmt: skip
    if t0 > 0:  # separator between columns
        ax.plot([x_at(t0)] * 2, [y0 - 4, y0 + 4], color="black", lw=0.7, zorder=4)


def draw_ecg_paper(trace: PaperTrace, spec: PaperSpec | None = None) -> Figure:
    """Draw the 12-lead page and return the figure (physical size ``spec``).

    Parameters
    ----------
    trace : PaperTrace
        Signals and marks.
    spec : PaperSpec, optional
        Geometry (A4 landscape, 25 mm/s, 10 mm/mV by default).
    """
    spec = spec or PaperSpec()
    fig = plt.figure(figsize=(spec.width_mm / MM_PER_INCH, spec.height_mm / MM_PER_INCH))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0.0, spec.width_mm)
    ax.set_ylim(0.0, spec.height_mm)
    ax.set_aspect("equal")
    ax.axis("off")
    _grid(ax, spec)
    clip = Rectangle((spec.grid_left_mm, spec.grid_bottom_mm), spec.grid_width_mm,
                     spec.grid_height_mm, transform=ax.transData)  # fmt: skip
    column_s = spec.seconds / 4
    for row, leads in enumerate(LAYOUT_3X4):
        _calibration(ax, spec, row)
        for col, lead in enumerate(leads):
            _segment(ax, spec, trace, lead, row=row, t0=col * column_s, t1=(col + 1) * column_s)
    _calibration(ax, spec, 3)
    _segment(ax, spec, trace, "II", row=3, t0=0.0, t1=spec.seconds)
    for artist in ax.lines:
        artist.set_clip_path(clip)
    top = spec.grid_bottom_mm + spec.grid_height_mm
    for k, line in enumerate(trace.header):
        ax.text(spec.grid_left_mm, spec.height_mm - 8.0 - 5.0 * k, line, fontsize=9 if k else 11,
                weight="bold" if k == 0 else "normal", va="top")  # fmt: skip
    for k, line in enumerate(trace.header_right):
        ax.text(spec.grid_left_mm + spec.grid_width_mm, spec.height_mm - 8.0 - 5.0 * k, line,
                fontsize=9, ha="right", va="top")  # fmt: skip
    ax.text(spec.grid_left_mm, spec.grid_bottom_mm - 3.0,
            f"{spec.speed_mm_s:g} mm/s   {spec.gain_mm_mv:g} mm/mV   grid 1 mm / 5 mm   "
            f"rhythm strip: II", fontsize=7, va="top")  # fmt: skip
    del top
    return fig
