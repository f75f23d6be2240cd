"""From the live pipeline (:mod:`ecgcore.stream`) to monitor frames, and recording.

The station runs exactly the pipeline of ``ecg monitor``/``ecg record``
(:class:`ecgcore.stream.LivePipeline`: display filter, R-peak detector, heart
rate, lead-off, quality, plus the rhythm stage when available) and only
translates its events into the JSON part of each frame:

* ``peaks`` - R-peak sample indices confirmed in the batch;
* ``hr_bpm`` - the pipeline's current averaged heart rate (None = unknown, and while a
  VF/VFL or asystole alarm is active: no organised QRS to count);
* ``lead_off`` - per lead, whether the electrode is off now;
* ``quality`` - per lead ``{"level", "ok", "label"}`` from the last quality report
  (``ok`` only for ``good``; the label names the issues, e.g. mains interference);
* ``rhythm`` and ``alarms`` - from the rhythm stage's events;
* ``events`` - notable events as text (gaps, lead changes, alarms).

The rhythm stage is :class:`ecgcore.rhythm.stage.RhythmStage`, the one
``ecg monitor`` runs; its events are read through
:class:`ecgcore.rhythm.stage.RhythmStatus`, which also reads other stages'
events by their fields: an event with ``rhythm`` (str) sets the rhythm label;
one with ``alarm`` (str, e.g. ``"VF"``), ``active`` (bool) and ``message``
(str) raises or clears that alarm; both carry ``sample``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ecgcore.drivers import DeviceInfo, SampleBlock
from ecgcore.rhythm.stage import (
    RhythmLabelEvent,
    RhythmStatus,
    live_rhythm_stages,
)
from ecgcore.stream import DeviceNotice, HeartRateEvent, LeadStatusEvent, QualityEvent, RPeakEvent
from ecgcore.stream import LivePipeline as StreamPipeline

__all__ = ["LivePipeline", "LiveUpdate"]


@dataclasses.dataclass(frozen=True, eq=False)
class LiveUpdate:
    """One batch: display samples (n, ch) in mV, the frame's JSON part, the pipeline events."""

    first_sample: int
    data: np.ndarray
    meta: dict[str, Any]
    events: tuple[Any, ...] = ()

    @property
    def n_samples(self) -> int:
        """Rows of ``data``."""
        return int(self.data.shape[0])


class LivePipeline:
    """The monitor's view of :class:`ecgcore.stream.LivePipeline` for one device.

    Parameters
    ----------
    info : DeviceInfo
        The connected device.
    stages : sequence, optional
        Extra pipeline stages (default: the rhythm stage, when available).
    """

    def __init__(self, info: DeviceInfo, *, stages: Sequence[Any] | None = None) -> None:
        self.info = info
        if stages is None:
            stages = live_rhythm_stages(info.fs)
        self._pipe = StreamPipeline(info, stages=stages)
        self.display_filter = self._pipe.config.describe()["display_filter"]
        self.peak_lead = self._pipe.detection_lead
        self.next_sample = 0
        self._quality: list[dict[str, Any] | None] = [None] * info.n_channels
        self._rhythm = RhythmStatus()

    def process(self, block: SampleBlock) -> LiveUpdate:
        """Run one device block through the pipeline; return the monitor batch."""
        update = self._pipe.process(block)
        peaks: list[int] = []
        notes: list[dict[str, Any]] = []
        for ev in update.events:
            if isinstance(ev, RPeakEvent):
                peaks.append(int(ev.sample))
            elif isinstance(ev, QualityEvent):
                self._quality = [_lead_quality(q) for q in ev.report.leads]
            elif isinstance(ev, LeadStatusEvent):
                state = "off" if ev.off else "back on"
                notes.append(
                    {"kind": "lead", "sample": ev.sample, "message": f"{ev.lead} {state}"}
                )
            elif isinstance(ev, DeviceNotice):
                notes.append({"kind": ev.kind, "sample": ev.sample, "message": ev.event.message})
            elif isinstance(ev, HeartRateEvent):
                continue
            elif self._rhythm.feed(ev):
                notes.extend(_rhythm_notes(ev))
        now = self._pipe.state()
        if update.n_samples:
            self.next_sample = update.first_sample + update.n_samples
        meta = {
            "peaks": peaks,
            "hr_bpm": self._shown_rate(now.hr_bpm),
            "rhythm": self.shown_rhythm(),
            "alarms": self._alarm_list(),
            "lead_off": [bool(v) for v in now.lead_off],
            "quality": self._quality,
            "events": notes,
        }
        return LiveUpdate(update.first_sample, update.display, meta, update.events)

    def _shown_rate(self, hr_bpm: float | None) -> float | None:
        """The heart rate shown: None when unknown or while VF/asystole alarms."""
        if hr_bpm is None or self._rhythm.rate_blanked():
            return None
        return round(float(hr_bpm), 1)

    def _alarm_list(self) -> list[dict[str, Any]]:
        out = []
        for kind, ev in self._rhythm.alarms.items():
            message = str(getattr(ev, "message", "") or kind)
            out.append({"kind": kind, "message": message, "sample": int(ev.sample)})
        return out

    def active_alarms(self) -> list[str]:
        """Kinds of the alarms active now, gravest first."""
        return self._rhythm.active_alarms()

    def shown_rhythm(self) -> str | None:
        """The rhythm to show: the gravest active alarm's, else the latest episode label."""
        return self._rhythm.shown_rhythm()


def _rhythm_notes(ev: Any) -> list[dict[str, Any]]:
    """Event-list entries of a rhythm label change or an alarm raised/cleared."""
    sample = int(ev.sample)
    if isinstance(ev, RhythmLabelEvent):
        return [{"kind": "rhythm", "sample": sample, "message": ev.label}]
    out = []
    label = getattr(ev, "rhythm", None)
    if isinstance(label, str):
        out.append({"kind": "rhythm", "sample": sample, "message": label})
    alarm = getattr(ev, "alarm", None)
    if isinstance(alarm, str):
        message = str(getattr(ev, "message", "") or alarm)
        out.append({"kind": "alarm", "sample": sample, "message": message})
    return out


def _lead_quality(q: Any) -> dict[str, Any]:
    return {
        "level": q.level,
        "ok": q.level == "good",
        "label": ", ".join(q.issues) if q.issues else q.level,
    }
