"""``bitalino://PORT`` - BITalino (r)evolution over Bluetooth SPP or USB serial.

URL parameters: ``fs=1000`` (1, 10, 100 or 1000 Hz), ``channels=A2``
(comma-separated analog inputs A1..A6 carrying ECG sensors), ``baud=115200``,
``timeout_s=3``, plus the common options. Samples are in mV through the ECG
sensor transfer function; the 5th and 6th acquired channels are 6-bit.
BITalino reports no lead-off status.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ecgcore.drivers._serial import SerialPort, usb_serial_number
from ecgcore.drivers._stream import ByteStreamDevice, SequenceUnwrapper
from ecgcore.drivers.base import ChannelInfo, DeviceInfo
from ecgcore.drivers.protocols import Frame, Message
from ecgcore.drivers.protocols import bitalino as proto
from ecgcore.drivers.registry import DeviceURL, common_options, register_scheme
from ecgcore.errors import DeviceError

__all__ = ["BITalinoDevice"]


class BITalinoDevice(ByteStreamDevice):
    """BITalino (r)evolution with ECG sensors on the chosen analog inputs."""

    def __init__(
        self,
        url: str,
        port: str,
        *,
        fs: int = 1000,
        channels: tuple[int, ...] = (1,),
        baud: int = 115200,
        timeout_s: float = 3.0,
        **options: Any,
    ) -> None:
        super().__init__(url, **options)
        if fs not in proto.RATE_CODES:
            raise DeviceError(f"{url}: fs must be one of {sorted(proto.RATE_CODES)} Hz, got {fs}")
        if not channels or len(set(channels)) != len(channels):
            raise DeviceError(f"{url}: channels must name distinct inputs A1..A6")
        self.port = SerialPort(port, baud)
        self.fs = int(fs)
        self.channels = tuple(sorted(channels))
        self._timeout_s = float(timeout_s)
        self._bits = np.array([proto.resolution_bits(p) for p in range(len(self.channels))])
        self._seq = SequenceUnwrapper(16)
        self._reset_parser(proto.BITalinoParser(len(self.channels)))

    @classmethod
    def from_url(cls, url: DeviceURL) -> BITalinoDevice:
        """Build from ``bitalino://PORT?fs=1000&channels=A2``."""
        names = (url.get_str("channels", "A2") or "").upper().split(",")
        channels = []
        for raw in names:
            name = raw.strip()
            if len(name) != 2 or name[0] != "A" or name[1] not in "123456":
                raise DeviceError(f"{url.raw}: channel {name!r} is not one of A1..A6")
            channels.append(int(name[1]) - 1)
        return cls(
            url.raw,
            url.target,
            fs=url.get_int("fs", 1000),
            channels=tuple(channels),
            baud=url.get_int("baud", 115200),
            timeout_s=url.get_float("timeout_s", 3.0),
            **common_options(url),
        )

    def _open(self) -> DeviceInfo:
        self.port.open()
        try:
            self.port.write(bytes([proto.CMD_STOP]))
            self.port.drain()
            self.port.write(bytes([proto.CMD_VERSION]))
            reply = self.port.read_until(b"\n", self._timeout_s).decode("ascii", errors="replace")
            if "BITalino" not in reply:
                raise DeviceError(f"{self.url}: unexpected version reply {reply!r}")
            version = reply[reply.index("BITalino") :].strip()
            self.port.write(bytes([proto.rate_command(self.fs)]))
        except Exception:
            self.port.close()
            raise
        counts_per_mv = 2**10 * proto.ECG_GAIN / (proto.VCC_V * 1000.0)
        chans = tuple(
            ChannelInfo(
                f"A{c + 1}",
                "mV",
                counts_per_mv * 2 ** (int(self._bits[p]) - 10),
                "ecg",
                f"ECG sensor on A{c + 1}, {int(self._bits[p])}-bit, "
                "(ADC/2^n - 0.5) * 3.3 V / 1100",
            )
            for p, c in enumerate(self.channels)
        )
        return DeviceInfo(
            model="BITalino (r)evolution",
            serial_number=usb_serial_number(self.port.path),
            firmware=version,
            channels=chans,
            fs=float(self.fs),
            extra={"port": self.port.path},
        )

    def _start(self) -> None:
        self.parser.reset()
        self._seq.reset()
        self.port.write(bytes([proto.start_command(self.channels)]))

    def _stop(self) -> None:
        if self.port.is_open:
            self.port.write(bytes([proto.CMD_STOP]))

    def _close(self) -> None:
        self.port.close()

    def _read_bytes(self, timeout_s: float) -> bytes:
        return self.port.read(timeout_s)

    def _handle(self, items: list[Frame | Message], arrival_s: float) -> None:
        frames = [f for f in items if isinstance(f, Frame)]
        if not frames:
            return
        if self._reanchor:
            base = self._anchor_index(arrival_s, len(frames))
            self._seq.reset()
        else:
            base = self.next_sample
        if self._seq.value < 0:
            self._seq.origin = base
        index = np.empty(len(frames), dtype=np.int64)
        for i, f in enumerate(frames):
            index[i], lost = self._seq.update(f.seq)
            self._count("dropped_frames", lost)
        adc = np.array([f.values for f in frames], dtype=np.float64)
        mv = (adc / 2.0**self._bits - 0.5) * proto.VCC_V / proto.ECG_GAIN * 1000.0
        self._emit(index, mv, None, arrival_s)


register_scheme(
    "bitalino",
    BITalinoDevice.from_url,
    description="BITalino (r)evolution, ECG sensors on A1..A6, 1-1000 Hz, samples in mV",
    example="bitalino:///dev/rfcomm0?fs=1000&channels=A2",
)
