"""Base of the serial device simulators: the real byte stream on a real pseudo-terminal.

A simulator opens a pty pair (``os.openpty``), keeps the slave end open (so the
port survives the driver closing it) and exposes the slave through a symlink it
controls, :attr:`PtySimulator.path`; drivers open that path with pyserial
exactly like hardware. A thread paces frames by the wall clock (optionally with
a clock error in ppm), answers commands and applies injected faults:

* :meth:`inject_garbage` - bytes inserted into the stream;
* :meth:`corrupt_frames` - the next frames have bytes overwritten (their samples are lost);
* :meth:`drop_frames` - the next frames are never sent (the device counter moves on);
* :meth:`unplug` / :meth:`replug` - the pty disappears (reads fail) / a new one
  appears behind the same symlink, the device in its power-on state;
* :meth:`set_responding` - the device goes silent (no data, no replies);
* :meth:`set_lead_off` - an electrode comes off (shown as the device shows it).

What was sent is recorded (:attr:`sent`, :attr:`dropped`, :attr:`corrupted`)
so tests can compare a driver's output with the truth sample by sample.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import tempfile
import threading
import time
import tty
from abc import ABC, abstractmethod
from pathlib import Path

from ecgcore._validate import logger

__all__ = ["PtySimulator"]


class PtySimulator(ABC):
    """A serial device on a pseudo-terminal.

    Parameters
    ----------
    fs : float
        Frame rate in Hz (device clock).
    clock_ppm : float
        Device clock error: frames come ``fs * (1 + ppm * 1e-6)`` times per host second.
    link_dir : str or Path, optional
        Folder for the stable symlink (a temporary folder by default).
    streaming : bool
        Whether the device streams from power-on (no start command needed).
    """

    name = "device"
    tick_s = 0.004

    def __init__(
        self,
        fs: float,
        *,
        clock_ppm: float = 0.0,
        link_dir: str | Path | None = None,
        streaming: bool = False,
    ) -> None:
        self.fs = float(fs)
        self.clock_ppm = float(clock_ppm)
        self._own_dir = link_dir is None
        self._dir = (
            Path(tempfile.mkdtemp(prefix="ecgcore-sim-")) if link_dir is None else Path(link_dir)
        )
        self.path = str(self._dir / f"tty{self.name}")
        self._power_on_streaming = streaming
        self._lock = threading.RLock()
        self._master = -1
        self._slave = -1
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._garbage: list[bytes] = []
        self._drop = 0
        self._corrupt = 0
        self._responding = True
        self.lead_off: set[int] = set()
        self.frame_index = 0
        self.sent: dict[int, tuple[int, ...]] = {}
        self.dropped: set[int] = set()
        self.corrupted: set[int] = set()
        self.commands: list[bytes] = []
        self.lost_bytes = 0
        self.record = True
        self.streaming = False

    # ------------------------------------------------------------ subclass
    @abstractmethod
    def encode_frame(self, index: int) -> tuple[bytes, tuple[int, ...]]:
        """Return the wire bytes of frame ``index`` and the values it carries."""

    @abstractmethod
    def handle_input(self, data: bytes) -> None:
        """React to bytes the driver wrote (commands)."""

    def power_on(self) -> None:
        """Reset the device state as after power-on (called at start and replug)."""
        self.streaming = self._power_on_streaming
        self._cmd_buf = b""

    # -------------------------------------------------------------- control
    def start(self) -> PtySimulator:
        """Create the pty and start the device thread; returns ``self``."""
        self._open_pty()
        self.power_on()
        self._stop.clear()
        self._t0 = time.monotonic()
        self._frames_due_base = 0
        self._thread = threading.Thread(target=self._run, name=f"sim-{self.name}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the device and remove its pty and symlink."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self._close_pty()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        if self._own_dir:
            with contextlib.suppress(OSError):
                self._dir.rmdir()

    def __enter__(self) -> PtySimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def inject_garbage(self, data: bytes) -> None:
        """Insert ``data`` into the stream before the next frame."""
        with self._lock:
            self._garbage.append(bytes(data))

    def drop_frames(self, n: int) -> None:
        """Do not send the next ``n`` frames (their indices are recorded in :attr:`dropped`)."""
        with self._lock:
            self._drop += int(n)

    def corrupt_frames(self, n: int) -> None:
        """Overwrite bytes of the next ``n`` frames so they fail their checks."""
        with self._lock:
            self._corrupt += int(n)

    def set_responding(self, responding: bool) -> None:
        """Make the device silent (``False``) or alive again."""
        with self._lock:
            self._responding = bool(responding)

    def set_lead_off(self, channel: int, off: bool = True) -> None:
        """Detach (``off=True``) or reattach the electrode of ``channel`` (0-based)."""
        with self._lock:
            (self.lead_off.add if off else self.lead_off.discard)(channel)

    def unplug(self) -> None:
        """Remove the port: the driver's reads fail, the symlink dangles."""
        with self._lock:
            self._close_pty()
            self.streaming = False

    def replug(self) -> None:
        """Plug back in: a new pty behind the same symlink, device in power-on state."""
        with self._lock:
            self._open_pty()
            self.power_on()
            self._resync_clock()

    def reply(self, data: bytes) -> None:
        """Write a command reply (used by subclasses)."""
        self._write(data)

    def begin_stream(self) -> None:
        """Start streaming frames from now on (used by subclasses on a start command)."""
        with self._lock:
            if not self.streaming:
                self.streaming = True
                self._resync_clock()

    # ------------------------------------------------------------- internals
    def _resync_clock(self) -> None:
        self._t0 = time.monotonic()
        self._frames_due_base = self.frame_index

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line discipline: bytes pass unchanged
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.symlink(os.ttyname(slave), tmp)
        os.replace(tmp, self.path)

    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = -1

    def _write(self, data: bytes) -> None:
        fd = self._master
        if fd < 0 or not data:
            return
        view = memoryview(data)
        while view:
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                self.lost_bytes += len(view)  # host not reading: the device's buffer overflows
                return
            except OSError as exc:
                if exc.errno in (errno.EIO, errno.EBADF):
                    return
                raise
            view = view[n:]

    def _read_input(self) -> bytes:
        fd = self._master
        if fd < 0:
            return b""
        try:
            ready, _, _ = select.select([fd], [], [], 0)
            if not ready:
                return b""
            return os.read(fd, 4096)
        except OSError:
            return b""

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.tick_s):
                with self._lock:
                    self._tick()
        except Exception:  # pragma: no cover - surfaced in the log of a failing test
            logger.exception("simulator %s failed", self.name)

    def _tick(self) -> None:
        data = self._read_input()
        if not self._responding:
            self._resync_clock()
            return
        if data:
            self.commands.append(data)
            self.handle_input(data)
        if not self.streaming or self._master < 0:
            return
        elapsed = time.monotonic() - self._t0
        due = self._frames_due_base + int(elapsed * self.fs * (1.0 + self.clock_ppm * 1e-6))
        out = bytearray()
        while self.frame_index < due:
            for g in self._garbage:
                out += g
            self._garbage.clear()
            k = self.frame_index
            self.frame_index += 1
            wire, values = self.encode_frame(k)
            if self._drop > 0:
                self._drop -= 1
                self.dropped.add(k)
                continue
            if self._corrupt > 0:
                self._corrupt -= 1
                self.corrupted.add(k)
                wire = self.corrupt(wire)
            elif self.record:
                self.sent[k] = values
            out += wire
        self._write(bytes(out))

    def corrupt(self, wire: bytes) -> bytes:
        """Return ``wire`` damaged so that it fails the protocol's checks."""
        return bytes(b ^ 0x5A for b in wire)
