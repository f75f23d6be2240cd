"""``ecg monitor URL``: the leads scrolling like a bedside monitor, in the terminal.

On a terminal the view is a ``rich`` live display: one braille trace per lead
(newest samples at the right), R-peak marks under the detection lead, the heart
rate, the rhythm, alarms, lead-off and quality warnings, and the device's
dropped/corrupt counters. Without a terminal (pipes, logs, CI) it prints a
summary line every ``--summary-every`` seconds instead, and one line per rhythm
change and per alarm raised or cleared. ``--duration`` ends it (exit 0); so
does Ctrl-C.

Rhythm and alarms come from the live rhythm stage
(:class:`ecgcore.rhythm.stage.RhythmStage`, as in the web station): VF/VFL,
VT, asystole and pause alarms with their onset, latched until the rhythm ends,
and logged on the ``ecgcore`` logger. ``--no-rhythm`` leaves the stage out.

The braille plotting is written here because no maintained library draws
min/max-decimated traces into ``rich`` renderables.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np

from ecgcore.cli.record import parse_duration, stop_on_signals
from ecgcore.rhythm.stage import RhythmAlarmEvent, RhythmLabelEvent, RhythmStatus

__all__ = ["MonitorView", "braille_trace", "register"]

#: Recent blocks whose host times are kept for the clock time of alarm onsets.
_CLOCK_BLOCKS = 10_000

# Braille dot bits by (column, row) inside a 2x4 cell (Unicode U+2800 block).
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def braille_trace(
    lo: np.ndarray, hi: np.ndarray, rows: int, y_min: float, y_max: float
) -> list[str]:
    """Draw a trace as ``rows`` lines of braille characters.

    Parameters
    ----------
    lo, hi : ndarray, shape (2 * width,)
        Lowest and highest value of each pixel column (NaN = no data).
    rows : int
        Height in characters (4 dots each).
    y_min, y_max : float
        Values at the bottom and top edge.
    """
    n_cols = lo.shape[0]
    width = (n_cols + 1) // 2
    dots_h = 4 * rows
    cells = np.zeros((rows, width), dtype=np.int64)
    scale = (dots_h - 1) / (y_max - y_min) if y_max > y_min else 0.0
    prev: int | None = None
    for x in range(n_cols):
        if not (np.isfinite(lo[x]) and np.isfinite(hi[x])):
            prev = None
            continue
        top = round((y_max - hi[x]) * scale)
        bottom = round((y_max - lo[x]) * scale)
        if prev is not None:  # join to the previous column so steep slopes stay connected
            top, bottom = min(top, prev), max(bottom, prev)
        prev = round((y_max - 0.5 * (lo[x] + hi[x])) * scale)
        top, bottom = max(top, 0), min(bottom, dots_h - 1)
        for y in range(top, bottom + 1):
            cells[y // 4, x // 2] |= _DOTS[x % 2][y % 4]
    return ["".join(chr(0x2800 + int(c)) for c in row) for row in cells]


class MonitorView:
    """State of the monitor display, fed with stream updates.

    Parameters
    ----------
    info : DeviceInfo
        The device.
    leads : sequence of str
        Leads to show.
    window_s : float
        Seconds of signal on screen.
    """

    def __init__(
        self, info: Any, leads: list[str], window_s: float, detection_lead: str, rows: int = 3
    ) -> None:
        self.info = info
        self.fs = float(info.fs)
        self.leads = leads
        self.cols = [info.lead_names.index(name) for name in leads]
        self.n = max(10, round(window_s * self.fs))
        self.buf = np.full((self.n, len(self.cols)), np.nan)
        self.end = 0  # sample index one past the newest sample in buf
        self.peaks: deque[int] = deque(maxlen=64)
        self.hr: float | None = None
        self.n_beats = 0
        self.lead_off = dict.fromkeys(info.lead_names, False)
        self.quality: Any = None
        self.counters: dict[str, int] = {}
        self.notices: deque[str] = deque(maxlen=4)
        self.detection_lead = detection_lead
        self.started = time.monotonic()
        self.ended = ""
        self.latencies: deque[float] = deque(maxlen=200)
        self.rows = int(rows)
        self.rhythm = RhythmStatus()
        self.rhythm_on = True
        # (first sample, host time) of recent blocks, to give alarm onsets a clock time
        self._clock: deque[tuple[int, float]] = deque(maxlen=_CLOCK_BLOCKS)

    def onset_clock(self, sample: int) -> str:
        """Host clock time (HH:MM:SS) of a recent ``sample``, or ``""`` if unknown."""
        for first, host in reversed(self._clock):
            if first <= sample:
                stamp = host + (sample - first) / self.fs
                return time.strftime("%H:%M:%S", time.localtime(stamp))
        return ""

    def alarm_lines(self) -> list[str]:
        """One line per active alarm, gravest first."""
        out = []
        for kind in self.rhythm.active_alarms():
            ev = self.rhythm.alarms[kind]
            onset = getattr(ev, "onset_sample", ev.sample)
            clock = self.onset_clock(onset)
            when = (
                f"{clock} (t={onset / self.fs:.1f} s)" if clock else f"t={onset / self.fs:.1f} s"
            )
            out.append(f"ALARM {kind}: {getattr(ev, 'message', '')} - onset {when}")
        return out

    def rhythm_text(self) -> str:
        """The rhythm shown (``---`` when not known yet, ``off`` without the stage)."""
        if not self.rhythm_on:
            return "off"
        return self.rhythm.shown_rhythm() or "---"

    def feed(self, update: Any) -> None:
        """Take one :class:`~ecgcore.stream.StreamUpdate`."""
        from ecgcore.stream import (  # noqa: PLC0415
            CountersEvent,
            DeviceNotice,
            EndEvent,
            HeartRateEvent,
            LeadStatusEvent,
            QualityEvent,
            RPeakEvent,
        )

        if update.n_samples:
            x = update.display[:, self.cols].copy()
            if update.lead_off is not None:  # a detached lead shows no trace, only OFF
                x[update.lead_off[:, self.cols]] = np.nan
            k = x.shape[0]
            if k >= self.n:
                self.buf[:] = x[-self.n :]
            else:
                self.buf = np.roll(self.buf, -k, axis=0)
                self.buf[-k:] = x
            self.end = update.first_sample + k
            if update.block is not None and update.block.n_samples:
                self._clock.append((update.first_sample, float(update.block.host_time_s[0])))
        for ev in update.events:
            if self.rhythm.feed(ev):
                continue
            if isinstance(ev, RPeakEvent):
                self.peaks.append(ev.sample)
                if math.isfinite(ev.latency_s):
                    self.latencies.append(ev.latency_s)
            elif isinstance(ev, HeartRateEvent):
                self.hr, self.n_beats = ev.hr_bpm, ev.n_beats
            elif isinstance(ev, LeadStatusEvent):
                self.lead_off[ev.lead] = ev.off
            elif isinstance(ev, QualityEvent):
                self.quality = ev.report
            elif isinstance(ev, CountersEvent):
                self.counters = {k: v for k, v in ev.as_dict().items() if isinstance(v, int)}
            elif isinstance(ev, DeviceNotice):
                self.notices.append(f"{ev.sample / self.fs:7.1f} s {ev.kind}: {ev.event.message}")
            elif isinstance(ev, EndEvent):
                self.ended = ev.reason

    # ------------------------------------------------------------- summaries
    def warnings(self) -> list[str]:
        """Lead-off and quality warnings, one string each."""
        out = []
        off = [name for name, v in self.lead_off.items() if v]
        if off:
            out.append("LEAD OFF: " + ", ".join(off))
        if self.quality is not None:
            for lead, issues in self.quality.issues().items():
                shown = [i for i in issues if i != "lead off"]
                if shown and not self.lead_off.get(lead):
                    out.append(f"{lead}: {', '.join(shown)}")
        return out

    def counter_text(self) -> str:
        """Dropped/corrupt/missing counters."""
        c = self.counters
        return (
            f"dropped {c.get('dropped_frames', 0)}  corrupt {c.get('corrupt_frames', 0)} frames"
            f"/{c.get('corrupt_bytes', 0)} bytes  missing {c.get('missing_samples', 0)}  "
            f"overflow {c.get('overflow_samples', 0)}  reconnects {c.get('reconnects', 0)}"
        )

    def hr_text(self) -> str:
        """Heart rate as shown.

        ``---`` when unknown, and while a VF/VFL or asystole alarm is active
        (:meth:`~ecgcore.rhythm.stage.RhythmStatus.rate_blanked`).
        """
        if self.hr is None or self.rhythm.rate_blanked():
            return "---"
        return f"{self.hr:.0f}"

    def summary_line(self) -> str:
        """One line for non-terminal output."""
        t = self.end / self.fs
        lat = ""
        if self.latencies:
            lat = f" latency p50 {1e3 * float(np.median(self.latencies)):.0f} ms"
        warn = "; ".join(self.warnings()) or "no warnings"
        alarms = ",".join(self.rhythm.active_alarms())
        rhythm = f"rhythm {self.rhythm_text()}" + (f"  ALARMS {alarms}" if alarms else "")
        return (
            f"t={t:7.1f} s  HR {self.hr_text()} bpm  {rhythm}  beats {self.n_beats}{lat}  "
            f"{warn}  [{self.counter_text()}]"
        )

    # ---------------------------------------------------------------- render
    def render(self, width: int) -> Any:
        """A ``rich`` renderable of the whole monitor for a terminal ``width`` wide."""
        from rich.console import Group  # noqa: PLC0415
        from rich.text import Text  # noqa: PLC0415

        label_w = 8
        trace_w = max(10, width - label_w - 1)
        cols = 2 * trace_w
        edges = np.linspace(0, self.n, cols + 1).astype(int)
        lines: list[Any] = []
        head = Text()
        head.append(f" HR {self.hr_text():>3} bpm ", style="bold white on dark_green")
        head.append(f"  {self.info.model} {self.info.serial_number}  {self.fs:g} Hz  ")
        head.append(f"t={self.end / self.fs:.1f} s  beats {self.n_beats}  ")
        alarming = bool(self.rhythm.alarms)
        head.append(
            f" {self.rhythm_text()} ", style="bold white on red" if alarming else "bold cyan"
        )
        lines.append(head)
        for text in self.alarm_lines():
            lines.append(Text(f" {text} ", style="bold white on red"))
        first = self.end - self.n
        for j, name in enumerate(self.leads):
            x = self.buf[:, j]
            lo = np.full(cols, np.nan)
            hi = np.full(cols, np.nan)
            for c in range(cols):
                seg = x[edges[c] : max(edges[c + 1], edges[c] + 1)]
                if np.isfinite(seg).any():
                    lo[c], hi[c] = np.nanmin(seg), np.nanmax(seg)
            finite = x[np.isfinite(x)]
            span = max(1.0, float(np.percentile(np.abs(finite), 99.5))) if finite.size else 1.0
            traces = braille_trace(lo, hi, self.rows, -span, span)
            off = self.lead_off.get(name, False)
            for r, row in enumerate(traces):
                label = (f"{name} OFF" if off else name) if r == 0 else ""
                line = Text(f"{label:<{label_w}}", style="bold red" if off else "bold")
                line.append(row, style="red" if off else "green")
                lines.append(line)
            if name == self.detection_lead:
                marks = [" "] * trace_w
                for p in self.peaks:
                    if first <= p < self.end:
                        c = int((p - first) * cols / self.n) // 2
                        marks[min(c, trace_w - 1)] = "▲"
                lines.append(Text(" " * label_w + "".join(marks), style="yellow"))
        for w in self.warnings():
            lines.append(Text(f"! {w}", style="bold yellow"))
        lines.append(Text(self.counter_text(), style="dim"))
        lines += [Text(n, style="dim") for n in self.notices]
        return Group(*lines)


def _monitor(args: argparse.Namespace) -> int:
    from ecgcore.drivers import open_device  # noqa: PLC0415
    from ecgcore.rhythm.stage import live_rhythm_stages  # noqa: PLC0415
    from ecgcore.stream import LivePipeline, PipelineConfig, stream_device  # noqa: PLC0415

    config = PipelineConfig(
        display_filter=args.filter, notch_hz=args.notch, detection_leads=args.lead
    )
    stop = threading.Event()
    plain = args.plain or not sys.stdout.isatty()
    with open_device(args.url) as dev:
        info = dev.info
        stages = () if args.no_rhythm else live_rhythm_stages(info.fs)
        pipe = LivePipeline(info, config, stages=stages)
        leads = args.leads.split(",") if args.leads else list(info.lead_names)
        unknown = [name for name in leads if name not in info.lead_names]
        if unknown:
            have = list(info.lead_names)
            print(
                f"ecg monitor: error: no lead(s) {unknown}; the device has {have}", file=sys.stderr
            )
            return 2
        view = MonitorView(info, leads, args.window, pipe.detection_lead, rows=args.rows)
        view.rhythm_on = bool(stages)
        updates = stream_device(dev, pipeline=pipe, duration_s=args.duration, stop=stop)
        with stop_on_signals(stop):
            if plain:
                _run_plain(view, updates, args.summary_every)
            else:
                _run_live(view, updates, args.refresh)
    print(f"ended: {view.ended or 'stopped'}; {view.summary_line()}", flush=True)
    return 0


def _run_plain(view: MonitorView, updates: Any, every_s: float) -> None:
    rhythm = "; rhythm and alarms on" if view.rhythm_on else "; no rhythm analysis"
    print(
        f"monitoring {view.info.model} ({len(view.leads)} leads at {view.fs:g} Hz); "
        f"R-peaks on {view.detection_lead}{rhythm}",
        flush=True,
    )
    next_at = time.monotonic() + every_s
    for update in updates:
        view.feed(update)
        for ev in update.events:
            if type(ev).__name__ == "LeadStatusEvent":
                print(f"lead {ev.lead} {'OFF' if ev.off else 'on'} at {ev.sample / view.fs:.1f} s")
            elif type(ev).__name__ == "DeviceNotice":
                print(f"device: {ev.kind}: {ev.event.message}", flush=True)
            elif isinstance(ev, RhythmLabelEvent):
                print(f"rhythm: {ev.label} from {ev.sample / view.fs:.1f} s", flush=True)
            elif isinstance(ev, RhythmAlarmEvent):
                print(_alarm_line(view, ev), flush=True)
        if time.monotonic() >= next_at:
            print(view.summary_line(), flush=True)
            next_at += every_s


def _alarm_line(view: MonitorView, ev: RhythmAlarmEvent) -> str:
    """The plain-output line of an alarm raised or cleared."""
    clock = view.onset_clock(ev.onset_sample)
    onset = f"onset {ev.onset_sample / view.fs:.1f} s" + (f" ({clock})" if clock else "")
    if ev.active:
        return (
            f"ALARM {ev.alarm} raised: {ev.message}; {onset}, raised at "
            f"{ev.decided_sample / view.fs:.1f} s (after {ev.delay_s:.1f} s)"
        )
    return (
        f"ALARM {ev.alarm} cleared: {ev.message} at {ev.sample / view.fs:.1f} s; {onset}, "
        f"cleared at {ev.decided_sample / view.fs:.1f} s"
    )


@contextlib.contextmanager
def _logs_through_live() -> Iterator[None]:
    """Send log lines written to stderr through the live display's redirected stderr.

    ``rich.live.Live`` redirects ``sys.stderr`` so text printed meanwhile appears
    above the display; logging handlers keep the stream they were created with,
    and would draw over it.
    """
    moved = []
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.__stderr__:
            moved.append((handler, handler.setStream(sys.stderr)))
    try:
        yield
    finally:
        for handler, stream in moved:
            handler.setStream(stream)


def _run_live(view: MonitorView, updates: Any, refresh_hz: float) -> None:
    from rich.console import Console  # noqa: PLC0415
    from rich.live import Live  # noqa: PLC0415

    console = Console()
    period = 1.0 / refresh_hz
    next_at = 0.0
    with (
        Live(console=console, auto_refresh=False, transient=False) as live,
        _logs_through_live(),
    ):
        for update in updates:
            view.feed(update)
            now = time.monotonic()
            if now >= next_at:
                live.update(view.render(console.size.width), refresh=True)
                next_at = now + period
        live.update(view.render(console.size.width), refresh=True)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ecg monitor``."""
    parser = subparsers.add_parser(
        "monitor",
        help="live view of a device: traces, R-peaks, heart rate, rhythm, alarms, lead-off",
        description="Show a device's leads scrolling like a monitor with R-peak marks, heart "
        "rate, the rhythm, VF/VFL, VT, asystole and pause alarms (with their onset, until the "
        "rhythm ends), lead-off and signal-quality warnings and the dropped/corrupt counters. "
        "Without a terminal, print a summary line every --summary-every seconds and a line per "
        "rhythm change and alarm.",
    )
    parser.add_argument("url", help="device URL, e.g. sim://ecg?leads=12&fs=500")
    parser.add_argument(
        "--duration", type=parse_duration, default=None, metavar="D", help="exit after D (10s, 2m)"
    )
    parser.add_argument("--leads", default=None, help="leads to show, e.g. I,II,V2 (default all)")
    parser.add_argument("--lead", default=None, help="R-peak detection lead (default II or first)")
    parser.add_argument("--window", type=parse_duration, default=6.0, help="seconds on screen")
    parser.add_argument("--filter", default="monitoring", help="display filter preset")
    parser.add_argument(
        "--notch", type=float, choices=(50.0, 60.0), default=None, help="mains notch, Hz"
    )
    parser.add_argument("--rows", type=int, default=3, help="text rows per lead (4 dots each)")
    parser.add_argument("--refresh", type=float, default=8.0, help="screen updates per second")
    parser.add_argument(
        "--summary-every", type=parse_duration, default=1.0, metavar="D",
        help="interval of the summary lines without a terminal (default 1s)",
    )  # fmt: skip
    parser.add_argument("--plain", action="store_true", help="summary lines even on a terminal")
    parser.add_argument(
        "--no-rhythm", action="store_true",
        help="no rhythm analysis (no rhythm label, no VF/VT/asystole/pause alarms)",
    )  # fmt: skip
    parser.set_defaults(func=_monitor)
