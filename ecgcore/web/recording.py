"""Recording a connected device from the station, as ``ecg record`` does.

The samples go to :class:`ecgcore.stream.recorder.RecordWriter` (crash-safe
WFDB, samples exactly as the device sent them, R-peaks and events annotated)
in the station's ``recordings/NAME/`` folder; when the recording stops the
record is logged with :func:`ecgcore.log.log_recording` (technician, patient,
device, filter, heart rate, quality, alarms), like ``ecg record --technician``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ecgcore._validate import logger
from ecgcore.drivers import SampleBlock
from ecgcore.errors import DataError, ECGCoreError
from ecgcore.log import ECGLog, log_recording
from ecgcore.stream import HeartRateEvent, QualityEvent, trim_block
from ecgcore.stream.recorder import RecordWriter, comment_lines
from ecgcore.web.settings import WebSettings

if TYPE_CHECKING:
    from ecgcore.web.live import DeviceSession

__all__ = ["LiveRecorder", "RecordingRequest", "recorder_factory"]


@dataclasses.dataclass(frozen=True)
class RecordingRequest:
    """Who and what is recorded (the Devices page's form)."""

    technician: str
    patient: str | None = None
    subject: str = "live"
    duration_s: float | None = None
    notes: str = ""


def _new_name(root: Any) -> str:
    stamp = datetime.now(UTC).strftime("rec_%Y%m%d_%H%M%S")
    name, k = stamp, 1
    while (root / name).exists():
        k += 1
        name = f"{stamp}_{k}"
    return name


class LiveRecorder:
    """One running recording of a :class:`~ecgcore.web.live.DeviceSession`.

    Fed by the session's reader thread (:meth:`write`); :meth:`finish` is
    called once, from whichever thread stops it.
    """

    def __init__(
        self, session: DeviceSession, request: RecordingRequest, settings: WebSettings, log: ECGLog
    ) -> None:
        self.session = session
        self.request = request
        self.log = log
        root = settings.folder("recordings")
        self.name = _new_name(root)
        info = session.info
        flt = session.pipeline.display_filter
        comments = comment_lines(
            [
                ("url", session.url),
                ("technician", request.technician),
                ("subject", request.subject),
                ("recorded_with", "ecg serve (web station)"),
                ("filter (display and analysis only, not applied to samples)",
                 f"{flt['name']} highpass={flt['highpass_hz']} Hz lowpass={flt['lowpass_hz']} Hz"
                 f" notch={flt['notch_hz']}"),
                ("duration_requested_s", request.duration_s),
            ]
        )  # fmt: skip
        self.writer = RecordWriter(root / self.name, self.name, info, comments=comments)
        self.limit = None if request.duration_s is None else round(request.duration_s * info.fs)
        self.first_sample: int | None = None
        self.done = False
        self.hr_bpm: float | None = None
        self.quality: Any = None
        self.alarms: list[str] = []
        self.rhythms: list[str] = []  # rhythms shown during the recording, in order
        self._lock = threading.Lock()
        self._result: dict[str, Any] | None = None

    def write(self, block: SampleBlock, events: Iterable[Any] = ()) -> None:
        """Append a device block and the pipeline events it produced."""
        with self._lock:
            if self.done:
                return
            if block.n_samples and self.first_sample is None:
                self.first_sample = block.first_sample
            if self.limit is not None and self.first_sample is not None:
                stop = self.first_sample + self.limit
                if block.first_sample + block.n_samples >= stop:
                    block = trim_block(block, max(0, stop - block.first_sample))
                    self.done = True
            if self.first_sample is not None:
                # The record counts samples from its own start.
                block = dataclasses.replace(
                    block,
                    first_sample=block.first_sample - self.first_sample,
                    events=tuple(
                        dataclasses.replace(e, sample=max(0, e.sample - self.first_sample))
                        for e in block.events
                    ),
                )
                self.writer.write(block)
            shifted = []
            for ev in events:
                if isinstance(ev, HeartRateEvent):
                    self.hr_bpm = ev.hr_bpm
                elif isinstance(ev, QualityEvent):
                    self.quality = ev.report
                if self.first_sample is not None and hasattr(ev, "sample"):
                    with_sample = _shift(ev, -self.first_sample)
                    if with_sample is not None:
                        shifted.append(with_sample)
            self.writer.add_events(shifted)
            for alarm in self.session.pipeline.active_alarms():
                if alarm not in self.alarms:
                    self.alarms.append(alarm)
            shown = self.session.pipeline.shown_rhythm()
            if shown and shown not in self.rhythms:
                self.rhythms.append(shown)

    def state(self) -> dict[str, Any]:
        """Progress for the pages."""
        st = self.writer.state()
        return {
            "record": f"recordings/{self.name}",
            "duration_s": st["duration_s"],
            "samples": st["samples"],
            "missing_samples": st["missing_samples"],
            "r_peaks": st["r_peaks"],
            "technician": self.request.technician,
            "limit_s": self.request.duration_s,
        }

    def finish(self, reason: str = "stopped at the station") -> dict[str, Any]:
        """Finalise the record and log it; returns what was written (idempotent)."""
        with self._lock:
            if self._result is not None:
                return self._result
            self.done = True
            if self.limit is not None and self.writer.n_samples + 1 >= self.limit:
                reason = f"duration of {self.request.duration_s:g} s reached"
            summary = self.writer.finish(reason)
            result: dict[str, Any] = {
                "record": f"recordings/{self.name}",
                "duration_s": summary.duration_s,
                "n_samples": summary.n_samples,
                "missing_samples": summary.missing_samples,
                "r_peaks": summary.n_peaks,
                "end_reason": reason,
                "log_entry": None,
                "log_error": "",
            }
            if summary.n_samples == 0:
                result["log_error"] = "no samples were recorded"
            else:
                try:
                    result["log_entry"] = self._log(summary).id
                except (ECGCoreError, OSError) as exc:
                    result["log_error"] = str(exc)
                    logger.warning("web: recording %s not logged: %s", self.name, exc)
            self._result = result
            return result

    def _log(self, summary: Any) -> Any:
        info = self.session.info
        fields: dict[str, Any] = {
            "subject": self.request.subject,
            "device": info,
            "filter": self.session.pipeline.display_filter,
            "heart_rate_bpm": self.hr_bpm,
            "alarms": self.alarms,
            "rhythm": ", ".join(self.rhythms) or None,
            "notes": self.request.notes,
        }
        if self.writer.start_utc is not None:
            fields["acquired_utc"] = self.writer.start_utc
        if self.quality is not None:
            fields["quality"] = {
                "level": self.quality.level,
                "issues": {k: list(v) for k, v in self.quality.issues().items()},
            }
        return log_recording(
            self.log,
            summary.path,
            technician=self.request.technician,
            patient=self.request.patient,
            source="record",
            **fields,
        )


def _shift(ev: Any, offset: int) -> Any:
    try:
        return dataclasses.replace(ev, sample=ev.sample + offset)
    except (TypeError, ValueError):
        return None


def recorder_factory(
    settings: WebSettings, log: ECGLog, **fields: Any
) -> Callable[[DeviceSession], LiveRecorder]:
    """A factory the session calls to start recording with these fields."""
    request = RecordingRequest(**fields)
    if request.technician.strip() == "":
        raise DataError("technician: give the technician's identifier")
    return lambda session: LiveRecorder(session, request, settings, log)
