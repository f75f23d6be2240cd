"""Backyard Brains SpikerBox (serial) simulator: 7-bit framed samples, escaped messages."""

from __future__ import annotations

from ecgcore.drivers.simulators._pty import PtySimulator
from ecgcore.drivers.simulators._waveform import ecg_mv

__all__ = ["SpikerBoxSimulator", "encode_frame", "escape"]

ESC_START = b"\xff\xff\x01\x01\x80\xff"
ESC_END = b"\xff\xff\x01\x01\x81\xff"


def escape(text: str) -> bytes:
    """Wrap a message in the escape sequences."""
    return ESC_START + text.encode("ascii") + ESC_END


def encode_frame(values: tuple[int, ...]) -> bytes:
    """Encode 10-bit values: first byte of the frame carries the MSB flag."""
    out = bytearray()
    for i, v in enumerate(values):
        hi = (v >> 7) & 0x07
        out.append(hi | (0x80 if i == 0 else 0))
        out.append(v & 0x7F)
    return bytes(out)


class SpikerBoxSimulator(PtySimulator):
    """Heart & Brain SpikerShield-like box: streams from power-on, 10-bit samples.

    Understands ``c:N;``, ``conf s:RATE;c:N;``, ``?:;`` (version), ``max:;``,
    ``start:;`` and ``h:;``; :meth:`send_event` emits an ``EVNT:n;`` message.
    """

    name = "spikerbox"

    def __init__(self, *, fs: float = 1000.0, channels: int = 1, **kwargs: object) -> None:
        kwargs.setdefault("streaming", True)
        super().__init__(fs, **kwargs)  # type: ignore[arg-type]
        self._power_fs = float(fs)
        self._power_channels = int(channels)
        self.channels = int(channels)
        self.max_fs = 10000
        self.max_channels = 6

    def power_on(self) -> None:
        super().power_on()
        self.fs = self._power_fs
        self.channels = self._power_channels

    def values(self, k: int) -> tuple[int, ...]:
        """10-bit values of frame ``k`` (512 = 0 V)."""
        out = []
        for c in range(self.channels):
            if c in self.lead_off:
                out.append(1023)
            else:
                out.append(min(max(512 + round(ecg_mv(k, self.fs, c) * 200), 0), 1023))
        return tuple(out)

    def encode_frame(self, index: int) -> tuple[bytes, tuple[int, ...]]:
        values = self.values(index)
        return encode_frame(values), values

    def corrupt(self, wire: bytes) -> bytes:
        return b"\x7f" + wire[1:]  # first byte without the frame flag

    def send_event(self, number: int) -> None:
        """Emit an event marker message."""
        self.inject_garbage(escape(f"EVNT:{number};"))

    def handle_input(self, data: bytes) -> None:
        self._cmd_buf += data
        while b"\n" in self._cmd_buf:
            line, _, self._cmd_buf = self._cmd_buf.partition(b"\n")
            for part in line.decode("ascii", errors="replace").split(";"):
                name, _, value = part.strip().partition(":")
                self._command(name.strip(), value.strip())

    def _command(self, name: str, value: str) -> None:
        if name == "?":
            self.reply(escape("FWV:0.9;HWT:HBLEOSB;HWV:0.9;"))
        elif name == "max":
            self.reply(escape(f"MSF:{self.max_fs};MNC:{self.max_channels};"))
        elif name == "c" and value.isdigit():
            self.channels = min(max(int(value), 1), self.max_channels)
        elif name == "conf s" and value.isdigit():
            self.fs = float(min(int(value), self.max_fs))
            self._resync_clock()
        elif name == "start":
            self.begin_stream()
        elif name == "h":
            self.streaming = False
