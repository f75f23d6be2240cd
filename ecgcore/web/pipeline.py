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

from ecgcore._validate import logger
from ecgcore.drivers import DeviceInfo, SampleBlock
from ecgcore.stream import DeviceNotice, HeartRateEvent, LeadStatusEvent, QualityEvent, RPeakEvent
from ecgcore.stream import LivePipeline as StreamPipeline
from ecgcore.stream.pipeline import DETECTION_LEAD_PREFERENCE

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


#: Readable names of the rhythm codes (MIT-BIH aux-note vocabulary).
RHYTHM_NAMES = {
    "N": "sinus rhythm", "SBR": "sinus bradycardia", "STACH": "sinus tachycardia",
    "AFIB": "atrial fibrillation", "AFL": "atrial flutter",
    "SVTA": "supraventricular tachyarrhythmia", "B": "ventricular bigeminy",
    "T": "ventricular trigeminy", "VT": "ventricular tachycardia",
    "IVR": "idioventricular rhythm", "VFL": "ventricular flutter",
    "VF": "ventricular fibrillation", "PAUSE": "pause", "ASYS": "asystole",
    "P": "paced rhythm", "NOISE": "noise",
}  # fmt: skip

#: Alarm kind -> rhythm codes during which it stays raised.
_ALARM_RHYTHMS = {"VF": ("VF", "VFL"), "VT": ("VT",), "ASYS": ("ASYS",), "PAUSE": ("PAUSE",)}


@dataclasses.dataclass(frozen=True)
class RhythmNotice:
    """A rhythm label change or an alarm raised/cleared, at device sample ``sample``."""

    sample: int
    rhythm: str | None = None
    alarm: str | None = None
    active: bool = True
    message: str = ""


class RhythmStage:
    """Live rhythm labels and alarms: :class:`ecgcore.rhythm.RhythmAnalyzer` as a stage.

    The analyzer gets the detection lead's samples and the pipeline's R-peaks
    (one detector for display and rhythm). Its alarms (VF/VFL, VT, asystole,
    pause) are passed on as they come; an alarm stays raised until an episode
    that begins after its onset shows another rhythm (monitor alarms latch
    rather than blink), then a clearing notice follows.
    """

    def __init__(self, info: DeviceInfo, lead: str) -> None:
        rhythm = importlib.import_module("ecgcore.rhythm")
        self.fs = float(info.fs)
        self.col = list(info.lead_names).index(lead)
        self.analyzer = rhythm.RhythmAnalyzer(self.fs, detect=False)
        self.origin: int | None = None
        self.rhythm: str | None = None
        self.active: dict[str, int] = {}  # alarm kind -> onset (analyzer samples)

    def process(self, data: Any) -> list[RhythmNotice]:
        """Feed one pipeline block; return label changes and alarm notices."""
        if self.origin is None:
            self.origin = data.first_sample
        if data.mv.shape[0] == 0:
            return []
        peaks = np.asarray(data.peaks, dtype=np.int64) - self.origin
        update = self.analyzer.process(data.mv[:, self.col], peaks)
        return self._notices(update, data.first_sample + data.mv.shape[0])

    def finish(self) -> list[RhythmNotice]:
        """End of stream: the analyzer's remaining alarms and episodes."""
        if self.origin is None:
            return []
        return self._notices(self.analyzer.finish(), self.origin + self.analyzer.n_samples)

    def _notices(self, update: Any, now: int) -> list[RhythmNotice]:
        out = []
        for alarm in update.alarms:
            self.active.setdefault(alarm.kind, round(alarm.onset_s * self.fs))
            out.append(RhythmNotice(now, alarm=alarm.kind, active=True, message=alarm.message))
        episodes = [*update.episodes, *([update.current] if update.current is not None else [])]
        for ep in episodes:
            for kind, onset in list(self.active.items()):
                if ep.start_idx >= onset and ep.rhythm not in _ALARM_RHYTHMS.get(kind, ()):
                    del self.active[kind]
                    out.append(
                        RhythmNotice(now, alarm=kind, active=False, message=f"{kind} ended")
                    )
        if episodes and episodes[-1].rhythm != self.rhythm:
            self.rhythm = episodes[-1].rhythm
            out.append(RhythmNotice(now, rhythm=RHYTHM_NAMES.get(self.rhythm, self.rhythm)))
        return out


def _rhythm_stages(info: DeviceInfo, lead: str) -> Sequence[Any]:
    """The rhythm stage, when :mod:`ecgcore.rhythm` offers live analysis."""
    try:
        rhythm = importlib.import_module("ecgcore.rhythm")
    except ImportError as exc:  # the monitor still runs, without rhythm and alarms
        logger.error("live rhythm analysis unavailable: %s", exc)
        return ()
    if getattr(rhythm, "RhythmAnalyzer", None) is None or lead not in info.lead_names:
        logger.error("live rhythm analysis unavailable: no ecgcore.rhythm.RhythmAnalyzer")
        return ()
    if not 100.0 <= info.fs <= 2000.0:
        logger.warning("%s: no live rhythm analysis at %g Hz (100-2000 Hz)", info.model, info.fs)
        return ()
    return (RhythmStage(info, lead),)


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
            # The lead the pipeline detects R-peaks on (its default choice).
            lead = next(
                (n for n in DETECTION_LEAD_PREFERENCE if n in info.lead_names), info.lead_names[0]
            )
            stages = _rhythm_stages(info, lead)
        self._pipe = StreamPipeline(info, stages=stages)
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
            "rhythm": self.shown_rhythm(),
            "alarms": list(self._alarms.values()),
            "lead_off": [bool(v) for v in now.lead_off],
            "quality": self._quality,
            "events": notes,
        }
        return LiveUpdate(update.first_sample, update.display, meta, update.events)

    def active_alarms(self) -> list[str]:
        """Kinds of the alarms active now."""
        return list(self._alarms)

    def shown_rhythm(self) -> str | None:
        """The rhythm to show: the gravest active alarm's, else the latest episode label.

        Episode labels become final seconds after the beats (the analyzer looks
        ahead); alarms come sooner, so while one is raised its rhythm is shown.
        """
        for kind in _ALARM_RHYTHMS:
            if kind in self._alarms:
                return RHYTHM_NAMES[_ALARM_RHYTHMS[kind][0]]
        return self._rhythm

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
