"""From the live pipeline (:mod:`ecgcore.stream`) to monitor frames, and recording.

The station runs exactly the pipeline of ``ecg monitor``/``ecg record``
(:class:`ecgcore.stream.LivePipeline`: display filter, R-peak detector, heart
rate, lead-off, quality, plus the rhythm stage when available) and only
translates its events into the JSON part of each frame:

* ``peaks`` - R-peak sample indices confirmed in the batch;
* ``hr_bpm`` - the pipeline's current averaged heart rate (None = unknown);
* ``lead_off`` - per lead, whether the electrode is off now;
* ``quality`` - per lead ``{"level", "ok", "label"}`` from the last quality report
  (``ok`` only for ``good``; the label names the issues, e.g. mains interference);
* ``rhythm`` and ``alarms`` - from the rhythm stage's events;
* ``events`` - notable events as text (gaps, lead changes, alarms).

Rhythm-stage events are read by their fields: an event with ``rhythm`` (str)
sets the rhythm label; one with ``alarm`` (str, e.g. ``"VF"``), ``active``
(bool) and ``message`` (str) raises or clears that alarm; both carry
``sample``.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from ecgcore.drivers import DeviceInfo, SampleBlock
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


def _rhythm_stages(info: DeviceInfo) -> Sequence[Any]:
    """The rhythm stage of the live pipeline, when the rhythm package provides one."""
    rhythm = importlib.import_module("ecgcore.rhythm")
    make = getattr(rhythm, "live_rhythm_stage", None)
    return () if make is None else (make(info),)


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
        self._pipe = StreamPipeline(
            info, stages=_rhythm_stages(info) if stages is None else stages
        )
        self.display_filter = self._pipe.config.describe()["display_filter"]
        self.peak_lead = self._pipe.detection_lead
        self.next_sample = 0
        self._quality: list[dict[str, Any] | None] = [None] * info.n_channels
        self._rhythm: str | None = None
        self._alarms: dict[str, dict[str, Any]] = {}

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
            else:
                notes.extend(self._rhythm_event(ev))
        now = self._pipe.state()
        if update.n_samples:
            self.next_sample = update.first_sample + update.n_samples
        meta = {
            "peaks": peaks,
            "hr_bpm": None if now.hr_bpm is None else round(float(now.hr_bpm), 1),
            "rhythm": self._rhythm,
            "alarms": list(self._alarms.values()),
            "lead_off": [bool(v) for v in now.lead_off],
            "quality": self._quality,
            "events": notes,
        }
        return LiveUpdate(update.first_sample, update.display, meta, update.events)

    def active_alarms(self) -> list[str]:
        """Kinds of the alarms active now."""
        return list(self._alarms)

    def _rhythm_event(self, ev: Any) -> list[dict[str, Any]]:
        """Rhythm and alarm events of the rhythm stage (by their documented fields)."""
        out = []
        label = getattr(ev, "rhythm", None)
        if isinstance(label, str):
            self._rhythm = label
            out.append({"kind": "rhythm", "sample": int(ev.sample), "message": label})
        alarm = getattr(ev, "alarm", None)
        if isinstance(alarm, str):
            active = bool(getattr(ev, "active", True))
            message = str(getattr(ev, "message", "") or alarm)
            if active:
                self._alarms[alarm] = {"kind": alarm, "message": message, "sample": int(ev.sample)}
            else:
                self._alarms.pop(alarm, None)
            out.append({"kind": "alarm", "sample": int(ev.sample), "message": message})
        return out


def _lead_quality(q: Any) -> dict[str, Any]:
    return {
        "level": q.level,
        "ok": q.level == "good",
        "label": ", ".join(q.issues) if q.issues else q.level,
    }
