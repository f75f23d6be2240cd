"""``spikerbox://PORT`` - Backyard Brains SpikerBox / SpikerShield over serial.

URL parameters: ``fs=10000`` (Hz, sent as ``conf s:FS;c:N;``), ``channels=1``,
``baud=230400``, ``vref=5.0`` (ADC reference, V), ``gain=1`` (amplifier gain
between electrodes and ADC; the default 1 gives volts at the ADC input, since
Backyard Brains does not publish a calibrated gain), ``timeout_s=0.5`` (wait
for the version reply), plus the common options.

Samples are in mV: ``(value - 512) * vref / 1024 * 1000 / gain``. Messages in
escape blocks (e.g. ``EVNT:3;`` event markers) become ``message`` events.
Frames carry no sequence number: a corrupt span of ``b`` bytes is taken as
``ceil(b / frame size)`` lost samples (an estimated gap).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ecgcore.drivers._serial import SerialPort, usb_serial_number
from ecgcore.drivers._stream import ByteStreamDevice
from ecgcore.drivers.base import ChannelInfo, DeviceInfo
from ecgcore.drivers.protocols import Frame, Message
from ecgcore.drivers.protocols import spikerbox as proto
from ecgcore.drivers.registry import DeviceURL, common_options, register_scheme
from ecgcore.errors import DeviceError

__all__ = ["SpikerBoxMixin", "SpikerBoxSerialDevice"]


class SpikerBoxMixin(ByteStreamDevice):
    """Frame -> sample conversion shared by the serial and USB SpikerBoxes."""

    n_channels: int
    vref: float
    gain: float

    def _spikerbox_channels(self) -> tuple[ChannelInfo, ...]:
        counts_per_mv = 1024 / self.vref / 1000.0 * self.gain
        desc = f"10-bit ADC, VREF {self.vref:g} V, amplifier gain {self.gain:g}"
        return tuple(
            ChannelInfo(f"ch{c + 1}", "mV", counts_per_mv, "exg", desc)
            for c in range(self.n_channels)
        )

    def _handle(self, items: list[Frame | Message], arrival_s: float) -> None:
        self._message_events(items)
        frames = [f for f in items if isinstance(f, Frame)]
        if not frames:
            return
        fresh, self._fresh = self._fresh, False
        nxt = self._base_index(arrival_s, len(frames))
        index = np.empty(len(frames), dtype=np.int64)
        estimated = np.zeros(len(frames), dtype=bool)
        step = 2 * self.n_channels
        for i, f in enumerate(frames):
            if f.skipped and not (fresh and i == 0):
                lost = math.ceil(f.skipped / step)
                self._count("dropped_frames", lost)
                nxt += lost
                estimated[i] = True
            index[i] = nxt
            nxt += 1
        values = np.array([f.values for f in frames], dtype=np.float64)
        mv = (values - 512.0) * (self.vref / 1024.0 * 1000.0 / self.gain)
        self._emit(index, mv, None, arrival_s, estimated=estimated)


class SpikerBoxSerialDevice(SpikerBoxMixin):
    """A SpikerBox or SpikerShield on a serial port."""

    def __init__(
        self,
        url: str,
        port: str,
        *,
        fs: int = 10000,
        channels: int = 1,
        baud: int = 230400,
        vref: float = 5.0,
        gain: float = 1.0,
        timeout_s: float = 0.5,
        **options: Any,
    ) -> None:
        super().__init__(url, **options)
        if not fs > 0 or not 1 <= channels <= 6:
            raise DeviceError(f"{url}: need fs > 0 and 1..6 channels, got fs={fs}, {channels}")
        self.port = SerialPort(port, baud)
        self.fs, self.n_channels = int(fs), int(channels)
        self.vref, self.gain = float(vref), float(gain)
        self._timeout_s = float(timeout_s)
        self._reset_parser(proto.SpikerBoxParser(self.n_channels))

    @classmethod
    def from_url(cls, url: DeviceURL) -> SpikerBoxSerialDevice:
        """Build from ``spikerbox://PORT?fs=10000&channels=1``."""
        return cls(
            url.raw,
            url.target,
            fs=url.get_int("fs", 10000),
            channels=url.get_int("channels", 1),
            baud=url.get_int("baud", 230400),
            vref=url.get_float("vref", 5.0),
            gain=url.get_float("gain", 1.0),
            timeout_s=url.get_float("timeout_s", 0.5),
            **common_options(url),
        )

    def _open(self) -> DeviceInfo:
        self.port.open()
        try:
            self.port.write(proto.command("h"))
            self.port.write(proto.command("?"))
            fields = self._wait_reply(("FWV", "HWT"))
            self.port.write(f"conf s:{self.fs};c:{self.n_channels};\n".encode("ascii"))
        except Exception:
            self.port.close()
            raise
        return DeviceInfo(
            model=f"Backyard Brains SpikerBox {fields.get('HWT', '')}".strip(),
            serial_number=usb_serial_number(self.port.path),
            firmware=fields.get("FWV", ""),
            channels=self._spikerbox_channels(),
            fs=float(self.fs),
            extra={"port": self.port.path, "hardware": fields},
        )

    def _wait_reply(self, keys: tuple[str, ...]) -> dict[str, str]:
        """Collect message fields until ``keys`` are seen or the timeout (then partial)."""
        probe = proto.SpikerBoxParser(self.n_channels)
        fields: dict[str, str] = {}
        deadline = time.monotonic() + self._timeout_s
        while time.monotonic() < deadline and not all(k in fields for k in keys):
            for item in probe.feed(self.port.read(0.02)):
                if isinstance(item, Message):
                    fields.update(proto.parse_fields(item.text))
        return fields

    def _start(self) -> None:
        self.parser.reset()
        self._fresh = True
        self.port.write(proto.command("start"))

    def _stop(self) -> None:
        if self.port.is_open:
            self.port.write(proto.command("h"))

    def _close(self) -> None:
        self.port.close()

    def _read_bytes(self, timeout_s: float) -> bytes:
        return self.port.read(timeout_s)


register_scheme(
    "spikerbox",
    SpikerBoxSerialDevice.from_url,
    description="Backyard Brains SpikerBox / SpikerShield (serial), samples in mV",
    example="spikerbox:///dev/ttyUSB0?fs=10000&channels=1",
)
