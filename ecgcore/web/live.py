"""Connected devices of the station and their live fan-out to WebSocket clients.

Each connected device is a :class:`DeviceSession`: the device (opened by URL
with :func:`ecgcore.drivers.open_device`), one reader thread that reads a
batch every ``frame_s`` seconds, feeds it to the live pipeline
(:mod:`ecgcore.web.pipeline`, a thin adapter over :mod:`ecgcore.stream`) and to
the recorder when one is running, encodes one binary frame and hands it to
every subscribed WebSocket client. Clients get bounded queues; a client that
falls more than ``queue_s`` seconds behind is disconnected with a reason
(never fed a frame with samples missing).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ecgcore._validate import logger
from ecgcore.drivers import Device, DeviceInfo, open_device
from ecgcore.errors import DeviceError
from ecgcore.web.frames import encode_frame
from ecgcore.web.pipeline import LivePipeline
from ecgcore.web.recording import LiveRecorder
from ecgcore.web.records import NotFound
from ecgcore.web.settings import WebSettings

__all__ = ["DeviceSession", "SessionManager", "Subscriber", "info_json"]

#: DeviceStatus counters sent with every frame.
_STATUS_FIELDS = (
    "state", "samples", "missing_samples", "dropped_frames", "corrupt_frames",
    "overflow_samples", "reconnects",
)  # fmt: skip

#: Most devices connected at once (each costs a reader thread and a pipeline).
MAX_SESSIONS = 8


def info_json(info: DeviceInfo) -> dict[str, Any]:
    """A :class:`DeviceInfo` as JSON."""
    from ecgcore.web.routes._common import json_safe  # noqa: PLC0415

    return json_safe(
        {
            "model": info.model,
            "serial_number": info.serial_number,
            "firmware": info.firmware,
            "fs": info.fs,
            "n_channels": info.n_channels,
            "channels": [dataclasses.asdict(c) for c in info.channels],
            "extra": {k: _plain(v) for k, v in info.extra.items()},
        }
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list | tuple | str | int | float | bool) or value is None:
        return value
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


class Subscriber:
    """One WebSocket client's queue of encoded frames (bytes) and JSON messages (dict)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_items: int) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[bytes | dict[str, Any] | None] = asyncio.Queue(max_items)
        self.overflowed = False

    def _put(self, item: bytes | dict[str, Any] | None) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            # Make room for the closing marker so the sender ends the socket.
            with contextlib.suppress(asyncio.QueueEmpty):
                while True:
                    self.queue.get_nowait()
            self.queue.put_nowait(None)

    def push(self, item: bytes | dict[str, Any] | None) -> None:
        """Queue ``item`` from any thread."""
        with contextlib.suppress(RuntimeError):  # loop already closed
            self.loop.call_soon_threadsafe(self._put, item)


class DeviceSession:
    """A connected device, its live pipeline, its subscribers and its recording."""

    def __init__(
        self,
        url: str,
        settings: WebSettings,
        *,
        opened_by: str,
        stages: Sequence[Any] | None = None,
    ) -> None:
        self.id = secrets.token_urlsafe(9)
        self.url = url
        self.opened_by = opened_by
        self.settings = settings
        self.device: Device = open_device(url)
        self.info = self.device.info
        try:
            self.pipeline = LivePipeline(self.info, stages=stages)
        except BaseException:
            self.device.close()
            raise
        self.created = time.time()
        self.recorder: LiveRecorder | None = None
        self.last_recording: dict[str, Any] | None = None
        self.alarms: list[dict[str, Any]] = []
        self.latest: dict[str, Any] = {}
        self.ended = ""
        self.frames_sent = 0
        self.samples_read = 0
        self._subs: set[Subscriber] = set()
        self._lock = threading.RLock()
        self._stop = threading.Event()
        try:
            self.device.start()
        except BaseException:
            self.device.close()
            raise
        self._thread = threading.Thread(
            target=self._run, name=f"ecgcore-web:{self.id}", daemon=True
        )
        self._thread.start()

    # --- fan-out -----------------------------------------------------------------
    def hello(self) -> dict[str, Any]:
        """First message of every WebSocket: what the frames will contain."""
        return {
            "type": "hello",
            "session": self.id,
            "url": self.url,
            "model": self.info.model,
            "fs": self.info.fs,
            "lead_names": list(self.info.lead_names),
            "units": ["mV"] * self.info.n_channels,
            "display_filter": self.pipeline.display_filter,
            "peak_lead": self.pipeline.peak_lead,
            "next_sample": self.pipeline.next_sample,
            "frame_s": self.settings.frame_s,
        }

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Subscriber:
        """Add a client; it receives the hello message, then every later frame."""
        queue_frames = max(8, round(10.0 / self.settings.frame_s))
        sub = Subscriber(loop, queue_frames)
        with self._lock:
            sub.push(self.hello())
            if self.ended:
                sub.push({"type": "end", "message": self.ended})
                sub.push(None)
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        """Remove a client."""
        with self._lock:
            self._subs.discard(sub)

    @property
    def n_subscribers(self) -> int:
        """Connected monitor clients."""
        return len(self._subs)

    def _broadcast(self, item: bytes | dict[str, Any] | None) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.push(item)

    # --- reader thread -----------------------------------------------------------
    def _run(self) -> None:
        period = self.settings.frame_s
        next_tick = time.monotonic() + period
        try:
            while not self._stop.is_set():
                delay = next_tick - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                    if self._stop.is_set():
                        break
                next_tick = max(next_tick + period, time.monotonic() - period)
                block = self.device.read(timeout=0)
                if block is None:
                    state = self.device.status().state
                    if state in ("finished", "disconnected"):
                        self._end(f"device {state}")
                        return
                    continue
                self._handle(block)
        except DeviceError as exc:
            logger.warning("web session %s: %s", self.id, exc)
            self._end(str(exc))
        except Exception as exc:  # surfaced to the clients, never silent
            logger.exception("web session %s failed", self.id)
            self._end(f"internal error: {exc}")

    def _handle(self, block: Any) -> None:
        update = self.pipeline.process(block)
        with self._lock:
            recorder = self.recorder
        if recorder is not None:
            recorder.write(block, update.events)
            if recorder.done:
                self._finish_recording()
        self.samples_read += block.n_samples
        status = self.device.status()
        meta = {
            **update.meta,
            "status": {k: getattr(status, k) for k in _STATUS_FIELDS},
            "recording": self.recording_state(),
        }
        with self._lock:
            self.alarms = list(update.meta.get("alarms", []))
            self.latest = {k: meta.get(k) for k in ("hr_bpm", "rhythm", "alarms", "lead_off")}
        if update.n_samples or block.events:
            self._broadcast(encode_frame(update.first_sample, self.info.fs, update.data, meta))
            self.frames_sent += 1

    def _end(self, message: str) -> None:
        with self._lock:
            self.ended = message
            self.alarms = []
        if self.recorder is not None:
            self._finish_recording()
        self._broadcast({"type": "end", "message": message})
        self._broadcast(None)

    # --- recording ----------------------------------------------------------------
    def recording_state(self) -> dict[str, Any] | None:
        """The running recording (None if none)."""
        rec = self.recorder
        return None if rec is None else rec.state()

    def start_recording(self, factory: Callable[[DeviceSession], LiveRecorder]) -> dict[str, Any]:
        """Start recording with ``factory(session)``; 409-style DeviceError if one runs."""
        with self._lock:
            if self.ended:
                raise DeviceError(f"{self.url}: the device stream has ended ({self.ended})")
            if self.recorder is not None:
                raise DeviceError(f"{self.url}: a recording is already running")
            self.recorder = factory(self)
            return self.recorder.state()

    def _finish_recording(self) -> dict[str, Any]:
        with self._lock:
            recorder, self.recorder = self.recorder, None
        if recorder is None:
            return self.last_recording or {}
        result = recorder.finish()
        self.last_recording = result
        return result

    def stop_recording(self) -> dict[str, Any]:
        """Stop the recording, finalise the record, log it; returns what was written."""
        with self._lock:
            if self.recorder is None:
                if self.last_recording is not None:
                    return self.last_recording
                raise DeviceError(f"{self.url}: no recording is running")
        return self._finish_recording()

    # --- lifecycle ------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Session state for the Devices page."""
        status = self.device.status() if self.device.is_open else None
        return {
            "id": self.id,
            "url": self.url,
            "opened_by": self.opened_by,
            "info": info_json(self.info),
            "status": None if status is None else dataclasses.asdict(status),
            "ended": self.ended,
            "subscribers": self.n_subscribers,
            "recording": self.recording_state(),
            "last_recording": self.last_recording,
            "latest": self.latest,
        }

    def close(self) -> None:
        """Stop recording (finalising it), stop the reader and close the device."""
        self._stop.set()
        self._thread.join(timeout=5.0)
        if self.recorder is not None:
            try:
                self._finish_recording()
            except Exception:
                logger.exception("web session %s: finishing the recording failed", self.id)
        self.device.close()
        if not self.ended:
            self.ended = "disconnected by the station"
            self._broadcast({"type": "end", "message": self.ended})
            self._broadcast(None)


class SessionManager:
    """All connected devices of the station."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self._sessions: dict[str, DeviceSession] = {}
        self._lock = threading.Lock()

    def connect(
        self, url: str, *, opened_by: str, stages: Sequence[Any] | None = None
    ) -> DeviceSession:
        """Open the device at ``url`` and start streaming it.

        ``stages`` replaces the pipeline's extra stages (default: the rhythm stage).
        """
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                raise DeviceError(f"at most {MAX_SESSIONS} devices can be connected at once")
            if any(s.url == url and not s.ended for s in self._sessions.values()):
                raise DeviceError(f"{url} is already connected")
        session = DeviceSession(url, self.settings, opened_by=opened_by, stages=stages)
        with self._lock:
            self._sessions[session.id] = session
        logger.info("web: %s connected %s (session %s)", opened_by, url, session.id)
        return session

    def get(self, session_id: str) -> DeviceSession:
        """The session ``session_id`` (:class:`NotFound` -> 404 if unknown)."""
        with self._lock:
            try:
                return self._sessions[session_id]
            except KeyError:
                raise NotFound(f"no connected device {session_id!r}") from None

    def active(self) -> list[DeviceSession]:
        """Sessions in connection order."""
        with self._lock:
            return sorted(self._sessions.values(), key=lambda s: s.created)

    def disconnect(self, session_id: str) -> None:
        """Close one session."""
        session = self.get(session_id)
        with self._lock:
            self._sessions.pop(session_id, None)
        session.close()

    def alarms(self) -> list[dict[str, Any]]:
        """Active alarms of every session."""
        out = []
        for s in self.active():
            for a in s.alarms:
                out.append({**a, "key": f"{s.id}:{a['kind']}", "device": s.info.model})
        return out

    def close_all(self) -> None:
        """Close every session (on shutdown)."""
        for s in self.active():
            with contextlib.suppress(Exception):
                self.disconnect(s.id)
