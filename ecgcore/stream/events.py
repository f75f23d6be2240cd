"""Events of the live pipeline: small frozen records a monitor, recorder or web page consumes.

Every event has ``sample``, the index on the device's sample counter it refers
to; events that involve the wall clock say so in their fields.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ecgcore.drivers import DeviceEvent, DeviceStatus
from ecgcore.quality import QualityReport

__all__ = [
    "CountersEvent",
    "DeviceNotice",
    "EndEvent",
    "HeartRateEvent",
    "LeadStatusEvent",
    "QualityEvent",
    "RPeakEvent",
    "StreamEvent",
]


@dataclasses.dataclass(frozen=True)
class RPeakEvent:
    """An R-peak confirmed by the detector.

    Attributes
    ----------
    sample : int
        Sample index of the R peak.
    time_s : float
        ``sample / fs``, seconds from the start of the stream.
    rr_s : float or None
        Interval from the previous R peak, seconds.
    lead : str
        Detection lead (or ``"combined"``).
    host_time_s : float
        Host time (``time.time()`` base) at which the peak's sample arrived.
    emitted_s : float
        Host time at which the event was emitted.
    """

    sample: int
    time_s: float
    rr_s: float | None
    lead: str
    host_time_s: float
    emitted_s: float

    @property
    def latency_s(self) -> float:
        """Seconds from the peak's sample arriving to the event (``emitted_s - host_time_s``)."""
        return self.emitted_s - self.host_time_s


@dataclasses.dataclass(frozen=True)
class HeartRateEvent:
    """The displayed heart rate changed.

    ``hr_bpm`` is the EC13-style averaged rate at the beat at ``sample``
    (:func:`ecgcore.heart_rate.heart_rate_average`), or None when no beat was
    detected for ``hr_timeout_s`` (the monitor shows ``---``).
    """

    sample: int
    hr_bpm: float | None
    n_beats: int


@dataclasses.dataclass(frozen=True)
class LeadStatusEvent:
    """A lead went off or came back on (from the device's lead-off flags) at ``sample``."""

    sample: int
    lead: str
    off: bool


@dataclasses.dataclass(frozen=True)
class QualityEvent:
    """Signal quality of the last window, reported at ``sample`` (the window's end)."""

    sample: int
    report: QualityReport


@dataclasses.dataclass(frozen=True)
class DeviceNotice:
    """A device event passed through (gap, disconnect, reconnect, overflow, end, message)."""

    sample: int
    event: DeviceEvent

    @property
    def kind(self) -> str:
        """The device event's kind."""
        return self.event.kind


@dataclasses.dataclass(frozen=True)
class CountersEvent:
    """The device's counters (dropped, corrupt, missing, overflow, ...) changed."""

    sample: int
    status: DeviceStatus

    def as_dict(self) -> dict[str, Any]:
        """Counters as a plain dict."""
        return dataclasses.asdict(self.status)


@dataclasses.dataclass(frozen=True)
class EndEvent:
    """The stream ended at ``sample`` (duration reached, stop requested, end of source)."""

    sample: int
    reason: str


#: Any event of the pipeline.
StreamEvent = (
    RPeakEvent
    | HeartRateEvent
    | LeadStatusEvent
    | QualityEvent
    | DeviceNotice
    | CountersEvent
    | EndEvent
)
