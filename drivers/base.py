"""The device model: one lifecycle for every acquisition device.

A :class:`Device` is opened from a URL (see :mod:`ecgcore.drivers.registry`),
used as a context manager, started, read in blocks and stopped::

    with open_device("openbci:///dev/ttyUSB0") as dev:
        print(dev.info.lead_names, dev.info.fs)
        dev.start()
        block = dev.read(timeout=1.0)     # SampleBlock | None
        dev.stop()

A background reader thread (started by :meth:`Device.start`) pulls bytes from
the transport, parses them, places samples at their true positions (NaN where
frames were lost), timestamps them with a fitted clock model and writes them to
a bounded ring buffer. Overflow of that buffer, corrupt bytes and frames,
sequence gaps, disconnects and reconnects are counted (:meth:`Device.status`),
logged and delivered as :class:`DeviceEvent` with the next block: nothing is
dropped silently.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from ecgcore._validate import logger
from ecgcore.drivers._ring import RingBuffer
from ecgcore.drivers.timing import ClockModel
from ecgcore.errors import DeviceError

__all__ = [
    "EVENT_KINDS",
    "ChannelInfo",
    "Device",
    "DeviceDisconnected",
    "DeviceEvent",
    "DeviceInfo",
    "DeviceStatus",
    "SampleBlock",
]

#: Kinds of :class:`DeviceEvent`.
EVENT_KINDS = ("gap", "lead_off", "disconnect", "reconnect", "overflow", "end", "message", "rate")
#: Largest ring buffer a device allocates (``buffer_s`` x fs x channels of float64), bytes.
MAX_RING_BYTES = 1 << 30


class DeviceDisconnected(DeviceError):
    """The transport went away (unplugged, port closed, device stopped answering)."""


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@dataclasses.dataclass(frozen=True)
class ChannelInfo:
    """One acquired channel.

    Parameters
    ----------
    name : str
        Lead or channel name (e.g. ``"II"``, ``"ch1"``).
    unit : str
        Physical unit of the samples in :attr:`SampleBlock.data` (``"mV"``, ``"uV"``).
    gain : float
        ADC counts per physical unit (``nan`` when the device delivers no counts).
    kind : str
        Signal kind: ``"ecg"``, ``"exg"``, ``"resp"``, ...
    description : str
        Free text: electrode, amplifier setting, transfer function.
    """

    name: str
    unit: str = "mV"
    gain: float = float("nan")
    kind: str = "ecg"
    description: str = ""


@dataclasses.dataclass(frozen=True)
class DeviceInfo:
    """What a device is and what it delivers.

    Parameters
    ----------
    model : str
        Model name, e.g. ``"OpenBCI Cyton"``.
    serial_number : str
        Serial number when the device or its USB bridge reports one, else ``""``.
    firmware : str
        Firmware version string, ``""`` when unknown.
    channels : tuple of ChannelInfo
        One entry per column of :attr:`SampleBlock.data`.
    fs : float
        Sampling rate in Hz (nominal, or estimated where the device has no fixed rate;
        see ``extra["fs_source"]``).
    extra : mapping
        Anything else (port, URL, board layout, ...).
    """

    model: str
    serial_number: str
    firmware: str
    channels: tuple[ChannelInfo, ...]
    fs: float
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "extra", _frozen_mapping(self.extra))
        if not self.channels:
            raise DeviceError(f"{self.model}: a device needs at least one channel")
        if not (np.isfinite(self.fs) and self.fs > 0):
            raise DeviceError(f"{self.model}: fs must be a positive number in Hz, got {self.fs!r}")

    @property
    def n_channels(self) -> int:
        """Number of channels (columns of each block)."""
        return len(self.channels)

    @property
    def lead_names(self) -> tuple[str, ...]:
        """Channel names in column order."""
        return tuple(c.name for c in self.channels)

    @property
    def units(self) -> tuple[str, ...]:
        """Physical unit per channel."""
        return tuple(c.unit for c in self.channels)

    @property
    def gain(self) -> np.ndarray:
        """ADC counts per physical unit per channel (float64, ``nan`` if not applicable)."""
        return np.array([c.gain for c in self.channels], dtype=np.float64)


@dataclasses.dataclass(frozen=True)
class DeviceEvent:
    """Something that happened in the stream.

    Parameters
    ----------
    kind : str
        One of :data:`EVENT_KINDS`.
    sample : int
        Sample index (on the block counter) the event applies to.
    host_time_s : float
        Host time (``time.time()`` base) of the event, seconds.
    message : str
        Human-readable description.
    data : mapping
        Details: ``n_samples`` for gaps and overflow, ``channels``/``lead_off`` for lead-off
        changes, ``estimated`` when a gap length was inferred rather than counted.
    """

    kind: str
    sample: int
    host_time_s: float
    message: str = ""
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}; expected one of {EVENT_KINDS}")
        object.__setattr__(self, "data", _frozen_mapping(self.data))


@dataclasses.dataclass(frozen=True, eq=False)
class SampleBlock:
    """Consecutive samples read from a device.

    Parameters
    ----------
    first_sample : int
        Index of the first row on the device's monotonic sample counter (0 = first
        sample after :meth:`Device.start`). Missing samples keep their index.
    data : ndarray of float64, shape (n, n_channels)
        Physical values (units per channel in :attr:`units`), NaN where missing.
    host_time_s : ndarray of float64, shape (n,)
        Host time of each sample (``time.time()`` base) from the fitted clock model
        ``t0 + k / fs_device``; includes the mean transport latency.
    units : tuple of str
        Physical unit per channel.
    lead_off : ndarray of bool, shape (n, n_channels), optional
        True where the electrode of that channel is off; ``None`` when the device
        does not report lead-off.
    events : tuple of DeviceEvent
        Events delivered with this block (gaps, lead-off changes, disconnects, ...).
    """

    first_sample: int
    data: np.ndarray
    host_time_s: np.ndarray
    units: tuple[str, ...]
    lead_off: np.ndarray | None = None
    events: tuple[DeviceEvent, ...] = ()

    def __post_init__(self) -> None:
        for arr in (self.data, self.host_time_s, self.lead_off):
            if arr is not None:
                arr.setflags(write=False)

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return int(self.data.shape[0])

    @property
    def stop_sample(self) -> int:
        """Index one past the last row."""
        return self.first_sample + self.n_samples

    def __repr__(self) -> str:
        return (
            f"SampleBlock(first_sample={self.first_sample}, n_samples={self.n_samples}, "
            f"n_channels={self.data.shape[1]}, events={[e.kind for e in self.events]})"
        )


@dataclasses.dataclass(frozen=True)
class DeviceStatus:
    """A snapshot of a device's state and counters.

    Counts are totals since :meth:`Device.open`. ``corrupt_bytes`` are bytes that
    were discarded while resynchronising; ``corrupt_frames`` are frames rejected
    for a bad CRC, stop byte or layout; ``dropped_frames`` are frames the device
    sent but that never arrived (sequence gaps); ``missing_samples`` are NaN rows
    written for them (and for estimated gaps); ``overflow_samples`` were
    overwritten in the ring buffer because nobody read them in time.
    """

    state: str
    samples: int
    frames: int
    corrupt_bytes: int
    corrupt_frames: int
    dropped_frames: int
    missing_samples: int
    overflow_samples: int
    reconnects: int
    disconnects: int
    buffered: int
    fs_estimated_hz: float
    drift_ppm: float
    jitter_ms: float
    last_error: str = ""


_COUNTERS = (
    "samples",
    "frames",
    "corrupt_bytes",
    "corrupt_frames",
    "dropped_frames",
    "missing_samples",
    "overflow_samples",
    "reconnects",
    "disconnects",
)


class Device(ABC):
    """Base class of every device: lifecycle, reader thread, ring buffer, events.

    Subclasses implement the transport-specific hooks :meth:`_open`,
    :meth:`_start`, :meth:`_stop`, :meth:`_close` and :meth:`_pump`; the
    ``_pump`` hook reads whatever the transport has and hands samples to
    :meth:`_push` (with their absolute sample indices).

    Parameters
    ----------
    url : str
        The URL the device was opened with (kept for messages and reconnects).
    buffer_s : float
        Capacity of the ring buffer in seconds of samples.
    reconnect : bool
        Reconnect automatically (with exponential backoff) after a disconnect.
    reconnect_max_s : float
        Longest wait between reconnect attempts, seconds.
    stall_s : float
        While streaming, no data for this long counts as a disconnect.
    """

    #: Backoff of the first reconnect attempt, seconds (doubles up to reconnect_max_s).
    reconnect_first_s = 0.05

    def __init__(
        self,
        url: str,
        *,
        buffer_s: float = 60.0,
        reconnect: bool = True,
        reconnect_max_s: float = 2.0,
        stall_s: float = 2.0,
    ) -> None:
        self.url = url
        for name, value in (
            ("buffer_s", buffer_s),
            ("reconnect_max_s", reconnect_max_s),
            ("stall_s", stall_s),
        ):
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise DeviceError(f"{url}: {name} must be a positive number of seconds, "
                                  f"got {value!r}")  # fmt: skip
        self._buffer_s = float(buffer_s)
        self._reconnect_enabled = bool(reconnect)
        self._reconnect_max_s = float(reconnect_max_s)
        self._stall_s = float(stall_s)
        self._info: DeviceInfo | None = None
        self._state = "new"
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self._ring: RingBuffer | None = None
        self._events: deque[DeviceEvent] = deque()
        self._counts = dict.fromkeys(_COUNTERS, 0)
        self._clock: ClockModel | None = None
        self._next_sample = 0
        self._last_lead_off: np.ndarray | None = None
        self._last_data_time = 0.0
        self._last_error = ""
        self._next_gap_estimated = False
        self._thread_error: BaseException | None = None

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _open(self) -> DeviceInfo:
        """Open the transport, identify and configure the device, return its info."""

    @abstractmethod
    def _start(self) -> None:
        """Tell the device to start streaming."""

    @abstractmethod
    def _stop(self) -> None:
        """Tell the device to stop streaming (must not raise if the device is gone)."""

    @abstractmethod
    def _close(self) -> None:
        """Release the transport (must be safe to call twice)."""

    @abstractmethod
    def _pump(self, timeout_s: float) -> bool:
        """Read what the transport has (waiting at most ``timeout_s``) and push samples.

        Returns True if any bytes arrived. Raises :class:`DeviceDisconnected`
        (or ``OSError``) when the transport is gone.
        """

    def _reconnect(self) -> None:
        """Re-establish the stream after a disconnect (default: close, open, start)."""
        self._close()
        info = self._open()
        if self._info is not None and info.n_channels != self._info.n_channels:
            raise DeviceError(
                f"{self.url}: device came back with {info.n_channels} channels, "
                f"expected {self._info.n_channels}"
            )
        self._start()

    def _on_reconnected(self) -> None:  # noqa: B027 - optional hook
        """Called after a successful reconnect, before streaming resumes (parser reset)."""

    # ---------------------------------------------------------------- public
    def open(self) -> Device:
        """Open the device (done by :func:`open_device`); returns ``self``."""
        with self._lock:
            if self._state != "new":
                raise DeviceError(f"{self.url}: open() called on a device that is {self._state}")
            self._info = self._open()
            self._state = "open"
        logger.info("opened %s: %s", self.url, self._info.model)
        return self

    @property
    def info(self) -> DeviceInfo:
        """The :class:`DeviceInfo` (available once opened)."""
        if self._info is None:
            raise DeviceError(f"{self.url}: device is not open")
        return self._info

    @property
    def is_open(self) -> bool:
        """True between :meth:`open` and :meth:`close`."""
        return self._state not in ("new", "closed")

    def start(self) -> None:
        """Start streaming; samples are counted from 0 at the first start."""
        with self._lock:
            self._check_open("start")
            if self._state == "streaming":
                return
            info = self.info
            if self._ring is None:
                capacity = max(64, round(self._buffer_s * info.fs))
                size = capacity * info.n_channels * 8  # float64 samples
                if size > MAX_RING_BYTES:
                    raise DeviceError(
                        f"{self.url}: buffer_s={self._buffer_s:g} needs a {size / 2**30:.1f} GiB "
                        f"ring buffer at {info.fs:g} Hz x {info.n_channels} channels; at most "
                        f"{MAX_RING_BYTES / 2**30:g} GiB (lower buffer_s)"
                    )
                self._ring = RingBuffer(capacity, info.n_channels)
                self._clock = ClockModel(info.fs)
            self._start()
            self._state = "streaming"
            self._last_data_time = time.monotonic()
            self._running.set()
            self._thread = threading.Thread(
                target=self._reader_loop, name=f"ecgcore-reader:{self.url}", daemon=True
            )
            self._thread.start()

    def read(self, timeout: float | None = 1.0) -> SampleBlock | None:
        """Return the samples buffered so far (waiting up to ``timeout`` s for some).

        Returns
        -------
        SampleBlock or None
            ``None`` when nothing arrived in time. A block with zero rows carries
            events that happened without samples (e.g. a disconnect).

        Raises
        ------
        DeviceError
            If the device is closed or was never started.
        """
        deadline = None if timeout is None else time.monotonic() + max(0.0, float(timeout))
        with self._cond:
            self._check_open("read")
            if self._ring is None:
                raise DeviceError(f"{self.url}: read() before start()")
            while len(self._ring) == 0 and not self._events:
                if self._thread_error is not None:
                    err, self._thread_error = self._thread_error, None
                    raise DeviceError(f"{self.url}: reader failed: {err}") from err
                if self._state == "closed":
                    raise DeviceError(f"{self.url}: device was closed")
                if self._state not in ("streaming", "reconnecting"):
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining if remaining is None else min(remaining, 0.25))
            first, data, lead_off, host_t = self._ring.pop_all()
            events = tuple(self._events)
            self._events.clear()
            return SampleBlock(
                first_sample=first,
                data=data,
                host_time_s=host_t,
                units=self.info.units,
                lead_off=lead_off if self._has_lead_off() else None,
                events=events,
            )

    def stop(self) -> None:
        """Stop streaming; buffered samples stay readable."""
        with self._lock:
            if self._state not in ("streaming", "reconnecting", "disconnected", "finished"):
                return
            self._state = "stopping"
        self._join_reader()
        with self._cond:
            try:
                self._stop()
            except (OSError, DeviceError) as exc:
                logger.warning("%s: stop failed: %s", self.url, exc)
            self._state = "open"
            self._cond.notify_all()

    def close(self) -> None:
        """Stop and release the device. Safe to call more than once."""
        if self._state in ("closed", "new"):
            self._state = "closed"
            return
        self.stop()
        with self._cond:
            try:
                self._close()
            finally:
                self._state = "closed"
                self._cond.notify_all()
        logger.info("closed %s", self.url)

    def status(self) -> DeviceStatus:
        """Return a snapshot of state and counters."""
        with self._lock:
            clock = self._clock
            return DeviceStatus(
                state=self._state,
                buffered=0 if self._ring is None else len(self._ring),
                fs_estimated_hz=float("nan") if clock is None else clock.fs_estimated,
                drift_ppm=float("nan") if clock is None else clock.drift_ppm,
                jitter_ms=float("nan") if clock is None else clock.jitter_s * 1e3,
                last_error=self._last_error,
                **self._counts,
            )

    def __enter__(self) -> Device:
        if self._state == "new":
            self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url} {self._state}>"

    # --------------------------------------------------------- for subclasses
    def _count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name`` (thread-safe)."""
        if n:
            with self._lock:
                self._counts[name] += n

    def _event(self, kind: str, sample: int, message: str, **data: Any) -> None:
        """Queue an event for the next block and log it."""
        ev = DeviceEvent(kind, int(sample), time.time(), message, data)
        level = 20 if kind in ("lead_off", "message", "end", "rate") else 30
        logger.log(level, "%s: %s", self.url, message)
        with self._cond:
            self._events.append(ev)
            self._cond.notify_all()

    def _has_lead_off(self) -> bool:
        """Whether the device reports lead-off (override to return True)."""
        return False

    @property
    def next_sample(self) -> int:
        """Index the next pushed sample will get when there is no gap."""
        return self._next_sample

    def _push(
        self,
        first_sample: int,
        data: np.ndarray,
        lead_off: np.ndarray | None = None,
        *,
        arrival_s: float | None = None,
        estimated_gap: bool = False,
    ) -> None:
        """Store consecutive samples starting at absolute index ``first_sample``.

        A ``first_sample`` beyond :attr:`next_sample` is a gap: NaN rows are
        written at the missing positions and a ``gap`` event is queued. Samples
        before :attr:`next_sample` (duplicates) are counted as corrupt frames and
        dropped with a warning.
        """
        arrival = time.time() if arrival_s is None else arrival_s
        data = np.asarray(data, dtype=np.float64)
        n = data.shape[0]
        if n == 0:
            return
        if first_sample < self._next_sample:
            skip = self._next_sample - first_sample
            self._count("corrupt_frames", min(skip, n))
            logger.warning(
                "%s: %d sample(s) at index %d arrived again or out of order; dropped",
                self.url,
                min(skip, n),
                first_sample,
            )
            if skip >= n:
                return
            data = data[skip:]
            lead_off = None if lead_off is None else lead_off[skip:]
            first_sample = self._next_sample
            n = data.shape[0]
        gap = first_sample - self._next_sample
        estimated_gap = estimated_gap or self._next_gap_estimated
        self._next_gap_estimated = False
        if gap > 0:
            self._count("missing_samples", gap)
            how = "estimated" if estimated_gap else "counted from the sequence numbers"
            self._event(
                "gap",
                self._next_sample,
                f"{gap} sample(s) missing at index {self._next_sample} ({how})",
                n_samples=gap,
                estimated=estimated_gap,
            )
            nan_rows = np.full((gap, data.shape[1]), np.nan)
            lo_rows = None if lead_off is None else np.zeros((gap, data.shape[1]), dtype=bool)
            self._store(self._next_sample, nan_rows, lo_rows, arrival, update_clock=False)
        self._store(first_sample, data, lead_off, arrival, update_clock=True)

    def _store(
        self,
        first: int,
        data: np.ndarray,
        lead_off: np.ndarray | None,
        arrival: float,
        *,
        update_clock: bool,
    ) -> None:
        assert self._ring is not None and self._clock is not None
        n = data.shape[0]
        last = first + n - 1
        if update_clock:
            self._clock.update(last, arrival)
        host_t = self._clock.host_time(np.arange(first, first + n))
        if lead_off is not None:
            self._lead_off_events(first, lead_off)
        with self._cond:
            overwritten = self._ring.push(first, data, lead_off, host_t)
            self._next_sample = first + n
            self._counts["samples"] += n
            if overwritten:
                self._counts["overflow_samples"] += overwritten
            self._cond.notify_all()
        if overwritten:
            self._event(
                "overflow",
                self._ring.first_sample,
                f"ring buffer full: {overwritten} unread sample(s) overwritten "
                f"(read() more often or raise buffer_s)",
                n_samples=overwritten,
            )

    def _lead_off_events(self, first: int, lead_off: np.ndarray) -> None:
        prev = self._last_lead_off
        lo = np.asarray(lead_off, dtype=bool)
        stacked = lo if prev is None else np.vstack([prev[None, :], lo])
        offset = 0 if prev is None else 1
        changes = np.nonzero(np.any(stacked[1:] != stacked[:-1], axis=1))[0] + 1
        if prev is None and lo[0].any():
            changes = np.concatenate([[0], changes])
        names = self.info.lead_names
        for row in changes:
            state = stacked[row]
            before = stacked[row - 1] if row > 0 else np.zeros_like(state)
            changed = np.nonzero(state != before)[0]
            idx = first + int(row) - offset
            desc = ", ".join(f"{names[c]} {'off' if state[c] else 'on'}" for c in changed)
            self._event(
                "lead_off",
                idx,
                f"lead-off change at sample {idx}: {desc}",
                channels=tuple(names[c] for c in changed),
                lead_off=tuple(bool(state[c]) for c in changed),
            )
        self._last_lead_off = lo[-1].copy()

    # ---------------------------------------------------------------- reader
    def _check_open(self, what: str) -> None:
        if self._state == "closed":
            raise DeviceError(f"{self.url}: {what}() on a closed device")
        if self._state == "new":
            raise DeviceError(f"{self.url}: {what}() before open()")

    def _join_reader(self) -> None:
        self._running.clear()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10.0)
            if thread.is_alive():  # pragma: no cover - a transport that ignores its timeout
                logger.error("%s: reader thread did not stop within 10 s", self.url)
        self._thread = None

    def _reader_loop(self) -> None:
        try:
            while self._running.is_set():
                try:
                    got = self._pump(0.05)
                    now = time.monotonic()
                    if got:
                        self._last_data_time = now
                    elif now - self._last_data_time > self._stall_s:
                        raise DeviceDisconnected(
                            f"no data for {now - self._last_data_time:.1f} s (device stalled)"
                        )
                except (OSError, DeviceDisconnected) as exc:
                    if not self._running.is_set():
                        break
                    self._handle_disconnect(exc)
        except BaseException as exc:  # surfaced by read(), never swallowed
            logger.exception("%s: reader thread failed", self.url)
            with self._cond:
                self._thread_error = exc
                self._last_error = str(exc)
                self._cond.notify_all()

    def _handle_disconnect(self, exc: BaseException) -> None:
        self._count("disconnects")
        with self._lock:
            self._last_error = str(exc)
            self._state = "reconnecting" if self._reconnect_enabled else "disconnected"
        self._event("disconnect", self._next_sample, f"disconnected: {exc}", reason=str(exc))
        if not self._reconnect_enabled:
            self._running.clear()
            with contextlib.suppress(OSError):
                self._close()
            return
        delay = self.reconnect_first_s
        attempt = 0
        while self._running.is_set():
            attempt += 1
            try:
                self._reconnect()
            except (OSError, DeviceError) as err:
                logger.info("%s: reconnect attempt %d failed: %s", self.url, attempt, err)
                self._running.wait(0)  # let stop() win the race
                end = time.monotonic() + delay
                while self._running.is_set() and time.monotonic() < end:
                    time.sleep(min(0.02, delay))
                delay = min(delay * 2, self._reconnect_max_s)
                continue
            self._on_reconnected()
            self._count("reconnects")
            with self._lock:
                if self._state == "reconnecting":
                    self._state = "streaming"
            self._last_data_time = time.monotonic()
            self._event(
                "reconnect",
                self._next_sample,
                f"reconnected after {attempt} attempt(s)",
                attempts=attempt,
            )
            return
