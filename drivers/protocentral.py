"""``protocentral://PORT`` - ProtoCentral ADS1292R breakout and HealthyPi 5.

URL parameters: ``board=ads1292r|healthypi5`` (layouts in
:data:`ecgcore.drivers.protocols.protocentral.BOARDS`), ``baud`` (default: the
board's), ``lsb_uv`` (uV per count, default the board's nominal value),
``timeout_s=3`` (time to see the first packet), plus the common options.
The firmware streams from power-on. Packets carry no sequence number, so a
corrupt span of ``b`` bytes is taken as ``ceil(b / packet size)`` lost packets
(reported as an estimated gap). Samples are in mV.
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
from ecgcore.drivers.protocols import protocentral as proto
from ecgcore.drivers.registry import DeviceURL, common_options, register_scheme
from ecgcore.errors import DeviceError

__all__ = ["ProtoCentralDevice"]


class ProtoCentralDevice(ByteStreamDevice):
    """A ProtoCentral board streaming ``0A FA ... 00 0B`` packets."""

    def __init__(
        self,
        url: str,
        port: str,
        *,
        board: str = "ads1292r",
        baud: int | None = None,
        lsb_uv: float | None = None,
        timeout_s: float = 3.0,
        **options: Any,
    ) -> None:
        super().__init__(url, **options)
        if board not in proto.BOARDS:
            raise DeviceError(
                f"{url}: board must be one of {', '.join(proto.BOARDS)}, got {board!r}"
            )
        self.board = proto.BOARDS[board]
        self.port = SerialPort(port, baud or self.board.baud)
        self.lsb_uv = float(lsb_uv) if lsb_uv is not None else self.board.uv_per_count
        self._timeout_s = float(timeout_s)
        self._packet_len = self.board.payload_len + proto.OVERHEAD
        self._reset_parser(proto.ProtoCentralParser(self.board))

    @classmethod
    def from_url(cls, url: DeviceURL) -> ProtoCentralDevice:
        """Build from ``protocentral://PORT?board=ads1292r``."""
        return cls(
            url.raw,
            url.target,
            board=url.get_str("board", "ads1292r") or "",
            baud=url.get_int("baud"),
            lsb_uv=url.get_float("lsb_uv"),
            timeout_s=url.get_float("timeout_s", 3.0),
            **common_options(url),
        )

    def _open(self) -> DeviceInfo:
        self.port.open()
        try:
            self._wait_for_packet()
        except Exception:
            self.port.close()
            raise
        b = self.board
        return DeviceInfo(
            model=b.model,
            serial_number=usb_serial_number(self.port.path),
            firmware="",
            channels=(
                ChannelInfo(
                    "ECG", "mV", 1000.0 / self.lsb_uv, "ecg", f"{self.lsb_uv:.4g} uV/count"
                ),
            ),
            fs=b.fs,
            extra={"port": self.port.path, "board": b.name},
        )

    def _wait_for_packet(self) -> None:
        probe = proto.ProtoCentralParser(self.board)
        deadline = time.monotonic() + self._timeout_s
        while time.monotonic() < deadline:
            if any(isinstance(i, Frame) for i in probe.feed(self.port.read(0.05))):
                return
        raise DeviceError(
            f"{self.url}: no {self.board.model} packet within {self._timeout_s:g} s "
            f"({probe.stats.bytes_in} bytes read)"
        )

    def _start(self) -> None:
        self.parser.reset()
        self._fresh = True  # bytes skipped before the first packet are no gap

    def _stop(self) -> None:
        """The firmware streams continuously; nothing to send."""

    def _close(self) -> None:
        self.port.close()

    def _read_bytes(self, timeout_s: float) -> bytes:
        return self.port.read(timeout_s)

    def _handle(self, items: list[Frame | Message], arrival_s: float) -> None:
        per = self.board.ecg_count
        ecg = [f for f in items if isinstance(f, Frame) and f.kind == self.board.ecg_type]
        if not ecg:
            return
        fresh, self._fresh = self._fresh, False
        nxt = self._base_index(arrival_s, per * len(ecg))
        index = np.empty(per * len(ecg), dtype=np.int64)
        estimated = np.zeros(len(index), dtype=bool)
        for i, f in enumerate(ecg):
            if f.skipped and not (fresh and i == 0):
                lost = math.ceil(f.skipped / self._packet_len)
                self._count("dropped_frames", lost)
                nxt += lost * per
                estimated[i * per] = True
            index[i * per : (i + 1) * per] = np.arange(nxt, nxt + per)
            nxt += per
        counts = np.array([f.values for f in ecg], dtype=np.float64).reshape(-1, 1)
        self._emit(index, counts * (self.lsb_uv / 1000.0), None, arrival_s, estimated=estimated)


register_scheme(
    "protocentral",
    ProtoCentralDevice.from_url,
    description="ProtoCentral ADS1292R breakout / HealthyPi 5 (serial), samples in mV",
    example="protocentral:///dev/ttyACM0?board=ads1292r",
)
