"""The live pipeline: device blocks -> display filter, R-peak detection, heart rate, quality.

:class:`LivePipeline` turns each :class:`~ecgcore.drivers.SampleBlock` into a
:class:`StreamUpdate`: the block's samples filtered for display (one
:class:`~ecgcore.filters.StreamingFilter` over every lead) and the events the
block completed (R-peaks with their latency, heart rate, lead-off changes,
quality reports, device notices). All state is explicit and owned by the
pipeline; feeding the same samples in any chunking gives the same display
samples and the same events (apart from wall-clock fields).

Further stages (e.g. rhythm analysis) plug in through ``stages``: objects with
``process(data: StageInput) -> Sequence[event]`` and ``finish() -> Sequence[event]``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from ecgcore._ring import ring_write
from ecgcore.detect import RPeakDetector
from ecgcore.drivers import DeviceInfo, SampleBlock
from ecgcore.errors import DeviceError, SignalError
from ecgcore.filters import FilterSpec, StreamingFilter, get_preset
from ecgcore.heart_rate import heart_rate_average
from ecgcore.quality import QualityMonitor, QualityReport
from ecgcore.recording import UNIT_SCALE_TO_MV
from ecgcore.stream.events import (
    DeviceNotice,
    EndEvent,
    HeartRateEvent,
    LeadStatusEvent,
    QualityEvent,
    RPeakEvent,
    StreamEvent,
)

__all__ = [
    "DETECTION_LEAD_PREFERENCE",
    "LivePipeline",
    "MonitorState",
    "PipelineConfig",
    "PipelineStage",
    "StageInput",
    "StreamUpdate",
]

#: Leads tried, in order, when no detection lead is configured.
DETECTION_LEAD_PREFERENCE = ("II", "MLII", "V5", "I", "V2", "aVF", "III", "V1")

#: Seconds of host times kept to compute the latency of late-confirmed peaks.
_HOST_TIME_S = 12.0


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """Settings of the live pipeline.

    Parameters
    ----------
    display_filter : str or FilterSpec
        Filter of the displayed samples (``"monitoring"``: 0.5-40 Hz). Display
        only: recordings keep the device's samples.
    notch_hz : float or None
        Mains notch (50/60 Hz) added to ``display_filter``.
    detection_leads : str, sequence of str or None
        Lead fed to the R-peak detector; several leads are combined as the
        spatial magnitude ``sqrt(sum(x_i**2))`` of their 0.5-40 Hz signals
        (leads flagged off left out). None: the first of
        :data:`DETECTION_LEAD_PREFERENCE` present, else the first channel.
    quality_window_s, quality_every_s : float
        Window and interval of the quality reports, seconds.
    hr_timeout_s : float
        Without a beat for this long the heart rate becomes unknown, seconds.
    """

    display_filter: str | FilterSpec = "monitoring"
    notch_hz: float | None = None
    detection_leads: str | tuple[str, ...] | None = None
    quality_window_s: float = 5.0
    quality_every_s: float = 2.0
    hr_timeout_s: float = 5.0

    def display_spec(self) -> FilterSpec:
        """The display filter as a :class:`FilterSpec` (notch applied)."""
        spec = (
            get_preset(self.display_filter)
            if isinstance(self.display_filter, str)
            else self.display_filter
        )
        if self.notch_hz is not None:
            spec = dataclasses.replace(spec, notch_hz=float(self.notch_hz))
        return spec

    def describe(self) -> dict[str, Any]:
        """Settings as plain data (for headers and logs)."""
        spec = self.display_spec()
        return {
            "display_filter": {
                "name": getattr(spec, "name", None),
                "highpass_hz": spec.highpass_hz,
                "lowpass_hz": spec.lowpass_hz,
                "notch_hz": spec.notch_hz,
            },
            "detection_leads": self.detection_leads,
            "quality_window_s": self.quality_window_s,
            "quality_every_s": self.quality_every_s,
        }


@dataclasses.dataclass(frozen=True, eq=False)
class StageInput:
    """What a plug-in stage sees of one block.

    Attributes
    ----------
    first_sample : int
        Index of the first row.
    mv : ndarray, shape (n, ch)
        Unfiltered samples in mV (NaN = missing).
    display : ndarray, shape (n, ch)
        Display-filtered samples in mV.
    lead_off : ndarray of bool, shape (n, ch)
        Lead-off flags (all False if the device reports none).
    peaks : tuple of int
        R-peaks confirmed by this block (sample indices).
    fs : float
        Sampling rate, Hz.
    lead_names : tuple of str
        Channel names.
    detection_lead : str or None
        Lead the R-peaks were detected on (``"combined"`` for several leads;
        None if unknown).

    Notes
    -----
    At the end of the stream the pipeline hands its stages one more input
    without samples, carrying the R-peaks its detector confirmed last, before
    calling their ``finish()``.
    """

    first_sample: int
    mv: np.ndarray
    display: np.ndarray
    lead_off: np.ndarray
    peaks: tuple[int, ...]
    fs: float
    lead_names: tuple[str, ...]
    detection_lead: str | None = None


class PipelineStage(Protocol):
    """A plug-in stage of the live pipeline (e.g. rhythm analysis)."""

    def process(self, data: StageInput) -> Sequence[Any]:
        """Consume one block; return the events it completes."""

    def finish(self) -> Sequence[Any]:
        """End of stream; return the remaining events."""


@dataclasses.dataclass(frozen=True, eq=False)
class StreamUpdate:
    """The pipeline's output for one block.

    Attributes
    ----------
    first_sample : int
        Index of the first row.
    display : ndarray, shape (n, ch)
        Samples filtered for display, mV (NaN where missing).
    lead_off : ndarray of bool, shape (n, ch) or None
        Device lead-off flags.
    events : tuple
        Events completed by this block, in sample order per kind.
    block : SampleBlock or None
        The device block as received (samples exactly as the device sent them).
    """

    first_sample: int
    display: np.ndarray
    lead_off: np.ndarray | None
    events: tuple[StreamEvent, ...]
    block: SampleBlock | None = None

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return int(self.display.shape[0])


@dataclasses.dataclass(frozen=True)
class MonitorState:
    """A snapshot for displays: what a bedside monitor shows now."""

    sample: int
    hr_bpm: float | None
    n_beats: int
    last_peak: int | None
    lead_off: tuple[bool, ...]
    quality: QualityReport | None


def _detection_columns(info: DeviceInfo, leads: str | tuple[str, ...] | None) -> list[int]:
    names = list(info.lead_names)
    if leads is None:
        for name in DETECTION_LEAD_PREFERENCE:
            if name in names:
                return [names.index(name)]
        return [0]
    wanted = (leads,) if isinstance(leads, str) else tuple(leads)
    missing = [w for w in wanted if w not in names]
    if missing or not wanted:
        raise SignalError(
            f"detection lead(s) {missing or wanted} not among the device's leads {names}"
        )
    return [names.index(w) for w in wanted]


class LivePipeline:
    """Device blocks in, display samples and events out.

    Parameters
    ----------
    info : DeviceInfo
        The device (channels, units, fs).
    config : PipelineConfig, optional
        Settings.
    stages : sequence of PipelineStage
        Extra stages run on every block after detection.
    """

    def __init__(
        self,
        info: DeviceInfo,
        config: PipelineConfig | None = None,
        *,
        stages: Sequence[PipelineStage] = (),
    ) -> None:
        self.info = info
        self.config = config or PipelineConfig()
        self.fs = float(info.fs)
        self.lead_names = info.lead_names
        try:
            self._scale = np.array([UNIT_SCALE_TO_MV[u] for u in info.units])
        except KeyError as exc:
            raise DeviceError(
                f"{info.model}: channel unit {exc.args[0]!r} is not a voltage; the live "
                f"pipeline needs ECG channels in V, mV or uV"
            ) from None
        ch = info.n_channels
        self._display = StreamingFilter(self.config.display_spec(), self.fs, ch)
        self._det_cols = _detection_columns(info, self.config.detection_leads)
        self.detection_lead = (
            self.lead_names[self._det_cols[0]] if len(self._det_cols) == 1 else "combined"
        )
        self._combine = (
            StreamingFilter("monitoring", self.fs, len(self._det_cols))
            if len(self._det_cols) > 1
            else None
        )
        self._detector = RPeakDetector(self.fs)
        self._quality = QualityMonitor(
            self.fs,
            self.lead_names,
            window_s=self.config.quality_window_s,
            every_s=self.config.quality_every_s,
        )
        self.stages = tuple(stages)
        n_host = max(64, round(_HOST_TIME_S * self.fs))
        self._host = np.full(n_host, np.nan)
        self._warm_up()
        self.reset()

    def _warm_up(self) -> None:
        """Run the compiled kernels once on a short dummy signal.

        The first call of a numba kernel in a process compiles it or loads it
        from the disk cache, which can take seconds; done here, before the
        device starts, it cannot delay the first blocks.
        """
        n = max(16, round(0.5 * self.fs))
        dummy = np.zeros((n, self.info.n_channels))
        self._display.process(dummy)
        self._detector.process(dummy[:, 0])
        if self._combine is not None:
            self._combine.process(dummy[:, : len(self._det_cols)])

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget the stream (the next block starts a new one at its ``first_sample``)."""
        self._display.reset()
        if self._combine is not None:
            self._combine.reset()
        self._detector.reset()
        self._quality.reset()
        self._host[:] = np.nan
        self.next_sample: int | None = None
        self._origin = 0
        self._peaks: list[int] = []
        self.n_beats = 0
        self.hr_bpm: float | None = None
        self._lead_off = np.zeros(self.info.n_channels, dtype=bool)
        self._finished = False

    def state(self) -> MonitorState:
        """What a monitor shows now."""
        return MonitorState(
            sample=self.next_sample or 0,
            hr_bpm=self.hr_bpm,
            n_beats=self.n_beats,
            last_peak=self._peaks[-1] if self._peaks else None,
            lead_off=tuple(bool(v) for v in self._lead_off),
            quality=self._quality.latest,
        )

    # -------------------------------------------------------------- process
    def _detection_input(self, mv: np.ndarray, lead_off: np.ndarray) -> np.ndarray:
        cols = self._det_cols
        if self._combine is None and not lead_off[:, cols[0]].any():
            return mv[:, cols[0]]  # one lead, attached throughout
        x = mv[:, cols].copy()
        x[lead_off[:, cols]] = np.nan  # a detached electrode is no signal
        if self._combine is None:
            return x[:, 0]
        y = self._combine.process(x)
        y = np.where(np.isnan(y), 0.0, y)
        usable = ~np.isnan(x)
        out = np.sqrt(np.sum(y * y, axis=1))
        out[~usable.any(axis=1)] = np.nan
        return out

    def _heart_rate_events(self, peaks: np.ndarray, end: int) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for p in peaks:
            self._peaks.append(int(p))
            self.n_beats += 1
            recent = self._peaks[-13:]
            if len(recent) >= 2:
                self.hr_bpm = float(heart_rate_average(np.asarray(recent), self.fs)[-1])
                events.append(HeartRateEvent(int(p), self.hr_bpm, self.n_beats))
        del self._peaks[:-13]
        last = self._peaks[-1] if self._peaks else self._origin
        timeout = round(self.config.hr_timeout_s * self.fs)
        if self.hr_bpm is not None and end - last > timeout:
            self.hr_bpm = None
            events.append(HeartRateEvent(last + timeout, None, self.n_beats))
        return events

    def _lead_events(self, first: int, lead_off: np.ndarray) -> list[StreamEvent]:
        if not (self._lead_off.any() or lead_off.any()):  # all attached, before and now
            return []
        stacked = np.vstack([self._lead_off[None, :], lead_off])
        rows, cols = np.nonzero(stacked[1:] != stacked[:-1])
        self._lead_off = stacked[-1].copy()
        return [
            LeadStatusEvent(first + int(r), self.lead_names[c], bool(stacked[r + 1, c]))
            for r, c in zip(rows, cols, strict=True)
        ]

    def process(self, block: SampleBlock, *, now: float | None = None) -> StreamUpdate:
        """Run one block through the pipeline.

        Parameters
        ----------
        block : SampleBlock
            The next block (its ``first_sample`` must follow the previous block's).
        now : float, optional
            Host time of processing (``time.time()`` by default); R-peak latency is
            measured against it.
        """
        if self._finished:
            raise SignalError("LivePipeline.process() after finish(); call reset() first")
        n = block.n_samples
        if self.next_sample is None:
            self.next_sample = self._origin = block.first_sample
        elif n and block.first_sample < self.next_sample:
            raise SignalError(
                f"block starts at sample {block.first_sample}, before the expected "
                f"{self.next_sample} (samples must not repeat)"
            )
        elif n and block.first_sample > self.next_sample:
            # Samples lost before they reached us (e.g. ring-buffer overflow): they
            # are missing, so they go through as NaN and every index stays true.
            gap = block.first_sample - self.next_sample
            hole = SampleBlock(
                self.next_sample,
                np.full((gap, self.info.n_channels), np.nan),
                np.full(gap, np.nan),
                block.units,
                None if block.lead_off is None else np.zeros((gap, self.info.n_channels), bool),
            )
            before = self.process(hole, now=now)
            after = self.process(block, now=now)
            return StreamUpdate(
                before.first_sample,
                np.vstack([before.display, after.display]),
                None if block.lead_off is None else np.vstack([hole.lead_off, block.lead_off]),
                before.events + after.events,
                block,
            )
        ch = self.info.n_channels
        if n and block.data.shape[1] != ch:
            raise SignalError(f"block has {block.data.shape[1]} channels, expected {ch}")
        first = block.first_sample if n else self.next_sample
        events: list[StreamEvent] = [
            DeviceNotice(ev.sample, ev) for ev in block.events if ev.kind != "lead_off"
        ]
        mv = block.data * self._scale if n else np.zeros((0, ch))
        lead_off = block.lead_off if block.lead_off is not None else np.zeros((n, ch), bool)
        display = self._display.process(mv) if n else np.zeros((0, ch))
        peaks = np.empty(0, dtype=np.int64)
        if n:
            ring_write(self._host, first, block.host_time_s)
            events += self._lead_events(first, lead_off)
            peaks = self._detector.process(self._detection_input(mv, lead_off)) + self._origin
            for report in self._quality.process(mv, lead_off):
                events.append(QualityEvent(report.stop_idx + self._origin, report))
            self.next_sample = first + n
        stamp = time.time() if now is None else now
        events += self._peak_events(peaks, stamp)
        events += self._heart_rate_events(peaks, self.next_sample)
        if self.stages:
            data = StageInput(
                first, mv, display, lead_off, tuple(int(p) for p in peaks), self.fs,
                self.lead_names, self.detection_lead,
            )  # fmt: skip
            for stage in self.stages:
                events.extend(stage.process(data))
        return StreamUpdate(first, display, block.lead_off, tuple(events), block)

    def _peak_events(self, peaks: np.ndarray, stamp: float) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        prev = self._peaks[-1] if self._peaks else None
        for peak in peaks:
            p = int(peak)
            recent = self.next_sample is not None and self.next_sample - p < self._host.size
            host = float(self._host[p % self._host.size]) if recent else math.nan
            rr = None if prev is None else (p - prev) / self.fs
            out.append(
                RPeakEvent(p, (p - self._origin) / self.fs, rr, self.detection_lead, host, stamp)
            )
            prev = p
        return out

    def finish(self, reason: str = "end of stream", *, now: float | None = None) -> list[Any]:
        """End of stream: the peaks still pending, stage leftovers and an :class:`EndEvent`."""
        if self._finished:
            return []
        self._finished = True
        stamp = time.time() if now is None else now
        peaks = self._detector.finish() + self._origin
        events: list[Any] = self._peak_events(peaks, stamp)
        end = self.next_sample if self.next_sample is not None else 0
        events += self._heart_rate_events(peaks, end)
        if self.stages and peaks.size:
            ch = self.info.n_channels
            empty = np.zeros((0, ch))
            last = StageInput(
                end, empty, empty, np.zeros((0, ch), bool), tuple(int(p) for p in peaks),
                self.fs, self.lead_names, self.detection_lead,
            )  # fmt: skip
            for stage in self.stages:
                events.extend(stage.process(last))
        for stage in self.stages:
            events.extend(stage.finish())
        events.append(EndEvent(end, reason))
        return events
