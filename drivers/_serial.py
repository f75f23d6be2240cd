"""pyserial transport shared by the serial drivers (real ports and the pty simulators)."""

from __future__ import annotations

import contextlib
import time

import serial
from serial.tools import list_ports

from ecgcore.drivers.base import DeviceDisconnected
from ecgcore.errors import DeviceError

__all__ = ["SerialPort", "usb_serial_number"]


def usb_serial_number(port: str) -> str:
    """USB serial number of the adapter behind ``port`` ("" when unknown, e.g. a pty)."""
    with contextlib.suppress(Exception):
        for info in list_ports.comports():
            if info.device == port and info.serial_number:
                return str(info.serial_number)
    return ""


class SerialPort:
    """A serial port opened by path, reopenable by the same path after an unplug.

    Parameters
    ----------
    path : str
        Port path (``/dev/ttyUSB0``, ``COM3``, or a simulator's symlink).
    baud : int
        Baud rate.
    """

    def __init__(self, path: str, baud: int) -> None:
        self.path = path
        self.baud = int(baud)
        self._port: serial.Serial | None = None

    def open(self) -> None:
        """Open the port (raises :class:`DeviceError` naming the port when it cannot)."""
        self.close()
        try:
            self._port = serial.Serial(self.path, self.baud, timeout=0.05, write_timeout=1.0)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(f"cannot open serial port {self.path}: {exc}") from exc
        self._port.reset_input_buffer()

    def close(self) -> None:
        """Close the port (safe when already closed)."""
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()

    @property
    def is_open(self) -> bool:
        """True while the port is open."""
        return self._port is not None

    def _require(self) -> serial.Serial:
        if self._port is None:
            raise DeviceDisconnected(f"serial port {self.path} is not open")
        return self._port

    def write(self, data: bytes) -> None:
        """Write ``data`` (raises :class:`DeviceDisconnected` if the port is gone)."""
        try:
            self._require().write(data)
        except (serial.SerialException, OSError) as exc:
            raise DeviceDisconnected(f"write to {self.path} failed: {exc}") from exc

    def read(self, timeout_s: float) -> bytes:
        """Return the bytes available, waiting up to ``timeout_s`` for the first one."""
        port = self._require()
        try:
            port.timeout = timeout_s
            data = port.read(1)
            if data:
                waiting = port.in_waiting
                if waiting:
                    data += port.read(waiting)
            return bytes(data)
        except (serial.SerialException, OSError, TypeError) as exc:
            # TypeError: pyserial reading a port closed under it by another thread
            raise DeviceDisconnected(f"read from {self.path} failed: {exc}") from exc

    def read_until(self, marker: bytes, timeout_s: float) -> bytes:
        """Read until ``marker`` has arrived (returns everything read, marker included).

        Raises :class:`DeviceError` if it does not arrive within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        buf = b""
        while marker not in buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tail = buf[-60:]
                raise DeviceError(
                    f"{self.path}: no reply ending in {marker!r} within {timeout_s:g} s "
                    f"(last bytes {tail!r})"
                )
            buf += self.read(min(remaining, 0.05))
        return buf

    def drain(self, quiet_s: float = 0.05, max_s: float = 1.0) -> int:
        """Discard input until the line is quiet for ``quiet_s``; return bytes discarded."""
        deadline = time.monotonic() + max_s
        n = 0
        while time.monotonic() < deadline:
            chunk = self.read(quiet_s)
            if not chunk:
                break
            n += len(chunk)
        return n
