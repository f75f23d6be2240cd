"""``openbci://PORT`` - OpenBCI Cyton (8 ch) and Cyton + Daisy (16 ch) over the USB dongle.

URL parameters: ``daisy=auto|1|0`` (default auto: from the ``v`` reply),
``gain=24`` (PGA gain set on every channel: 1, 2, 4, 6, 8, 12, 24),
``railed=0.9`` (fraction of full scale at which a channel counts as lead-off),
``baud=115200``, ``timeout_s=3`` (reply timeout), plus the common options.

Samples are in microvolts. Lead-off: the Cyton firmware does not stream the
ADS1299 lead-off status bits, so an electrode is reported off when its
channel is railed (``|counts| >= railed * (2**23 - 1)``), which is what a
floating ADS1299 input does - the same rule as the OpenBCI GUI's RAILED flag.
"""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np

from ecgcore.drivers._serial import SerialPort, usb_serial_number
from ecgcore.drivers._stream import ByteStreamDevice, SequenceUnwrapper
from ecgcore.drivers.base import ChannelInfo, DeviceInfo
from ecgcore.drivers.protocols import Frame, FrameRun, Message
from ecgcore.drivers.protocols import openbci as proto
from ecgcore.drivers.registry import DeviceURL, common_options, register_scheme
from ecgcore.errors import DeviceError

__all__ = ["OpenBCIDevice"]


class OpenBCIDevice(ByteStreamDevice):
    """OpenBCI Cyton / Cyton + Daisy on a serial port."""

    def __init__(
        self,
        url: str,
        port: str,
        *,
        daisy: bool | None = None,
        gain: int = 24,
        railed: float = 0.9,
        baud: int = 115200,
        timeout_s: float = 3.0,
        **options: Any,
    ) -> None:
        super().__init__(url, **options)
        if gain not in proto.GAIN_CODES:
            raise DeviceError(f"{url}: gain must be one of {sorted(proto.GAIN_CODES)}, got {gain}")
        if not 0 < railed <= 1:
            raise DeviceError(f"{url}: railed must be in (0, 1], got {railed}")
        self.port = SerialPort(port, baud)
        self._daisy_wanted = daisy
        self.daisy = False
        self.gain = int(gain)
        self._railed_counts = railed * proto.FULL_SCALE
        self._timeout_s = float(timeout_s)
        self._seq = SequenceUnwrapper(256)
        self._pending: tuple[int, np.ndarray, np.ndarray] | None = None
        self._reset_parser(proto.OpenBCIParser())

    @classmethod
    def from_url(cls, url: DeviceURL) -> OpenBCIDevice:
        """Build from ``openbci://PORT?...``."""
        daisy = (url.get_str("daisy", "auto") or "auto").lower()
        if daisy not in ("auto", "0", "1"):
            raise DeviceError(f"{url.raw}: daisy must be auto, 1 or 0, got {daisy!r}")
        return cls(
            url.raw,
            url.target,
            daisy=None if daisy == "auto" else daisy == "1",
            gain=url.get_int("gain", 24),
            railed=url.get_float("railed", 0.9),
            baud=url.get_int("baud", 115200),
            timeout_s=url.get_float("timeout_s", 3.0),
            **common_options(url),
        )

    # ----------------------------------------------------------------- hooks
    def _open(self) -> DeviceInfo:
        self.port.open()
        try:
            self.port.write(proto.CMD_STOP)
            self.port.drain()
            self.port.write(proto.CMD_RESET)
            reply = self.port.read_until(proto.END_OF_REPLY, self._timeout_s).decode(
                "ascii", errors="replace"
            )
            has_daisy = "Daisy" in reply
            if self._daisy_wanted is True and not has_daisy:
                raise DeviceError(f"{self.url}: daisy=1 but the board reports no Daisy module")
            self.daisy = has_daisy if self._daisy_wanted is None else self._daisy_wanted
            n_ch = 16 if self.daisy else 8
            for ch in range(1, n_ch + 1):
                self.port.write(proto.channel_settings_command(ch, self.gain))
                self.port.read_until(proto.END_OF_REPLY, self._timeout_s)
        except Exception:
            self.port.close()
            raise
        match = re.search(r"Firmware:\s*(\S+)", reply)
        lsb = proto.uv_per_count(self.gain)
        channels = tuple(
            ChannelInfo(
                f"ch{c + 1}",
                "uV",
                1.0 / lsb,
                "exg",
                f"ADS1299 channel {c + 1}, PGA gain {self.gain}, {lsb:.5f} uV/count",
            )
            for c in range(n_ch)
        )
        return DeviceInfo(
            model="OpenBCI Cyton + Daisy" if self.daisy else "OpenBCI Cyton",
            serial_number=usb_serial_number(self.port.path),
            firmware=match.group(1) if match else "",
            channels=channels,
            fs=125.0 if self.daisy else 250.0,
            extra={"port": self.port.path, "pga_gain": self.gain, "lead_off": "railed"},
        )

    def _start(self) -> None:
        self.parser.reset()
        self._seq.reset()
        self._pending = None
        self.port.write(proto.CMD_START)

    def _stop(self) -> None:
        if self.port.is_open:
            self.port.write(proto.CMD_STOP)
        self._flush_pending()

    def _close(self) -> None:
        self.port.close()

    def _read_bytes(self, timeout_s: float) -> bytes:
        return self.port.read(timeout_s)

    def _has_lead_off(self) -> bool:
        return True

    def _on_reconnected(self) -> None:
        super()._on_reconnected()
        self._flush_pending()

    # -------------------------------------------------------------- samples
    array_runs = True

    def _handle(self, items: list[Frame | FrameRun | Message], arrival_s: float) -> None:
        frames = [f for f in items if isinstance(f, (Frame, FrameRun))]
        if not frames:
            return
        n = sum(len(f) if isinstance(f, FrameRun) else 1 for f in frames)
        if self._reanchor:
            self._flush_pending()
            base = self._anchor_index(arrival_s, n // (2 if self.daisy else 1) or 1)
            self._seq.reset()
        else:
            base = self.next_sample
        if self._seq.value < 0:  # first packet since start/reconnect
            # Daisy: Cyton packets (odd sample numbers) get even absolute numbers 2k.
            head = frames[0]
            first_seq = int(head.seq[0]) if isinstance(head, FrameRun) else head.seq or 0
            self._seq.origin = 2 * base + (0 if first_seq % 2 else 1) if self.daisy else base
        packets = np.empty(n, dtype=np.int64)
        counts = np.empty((n, 8), dtype=np.float64)
        pos = 0
        for f in frames:
            if isinstance(f, FrameRun):
                k = len(f)
                packets[pos : pos + k], lost = self._seq.update_run(f.seq)
            else:
                k = 1
                packets[pos], lost = self._seq.update(f.seq)
            counts[pos : pos + k] = f.values
            self._count("dropped_frames", lost)
            pos += k
        lsb = proto.uv_per_count(self.gain)
        uv = counts * lsb
        lo = np.abs(counts) >= self._railed_counts
        if not self.daisy:
            self._emit(packets, uv, lo, arrival_s)
            return
        self._pair_daisy(packets, uv, lo, arrival_s)

    def _pair_daisy(
        self,
        packets: np.ndarray,
        uv: np.ndarray,
        lo: np.ndarray,
        arrival_s: float,
    ) -> None:
        # Packet p (absolute, odd sample number = Cyton) belongs to sample p // 2,
        # Cyton half when its sample number is odd, Daisy half when even.
        rows_idx: list[int] = []
        rows: list[np.ndarray] = []
        rows_lo: list[np.ndarray] = []
        for i in range(packets.shape[0]):
            k, half = divmod(int(packets[i]), 2)
            if self._pending is not None and self._pending[0] != k:
                rows_idx.append(self._pending[0])
                rows.append(self._pending[1])
                rows_lo.append(self._pending[2])
                self._pending = None
            if self._pending is None:
                self._pending = (k, np.full(16, np.nan), np.zeros(16, dtype=bool))
            self._pending[1][8 * half : 8 * half + 8] = uv[i]
            self._pending[2][8 * half : 8 * half + 8] = lo[i]
            if half == 1:
                rows_idx.append(k)
                rows.append(self._pending[1])
                rows_lo.append(self._pending[2])
                self._pending = None
        if rows:
            self._emit(np.array(rows_idx), np.array(rows), np.array(rows_lo), arrival_s)

    def _flush_pending(self) -> None:
        if self._pending is not None and self._ring is not None:
            k, row, lo = self._pending
            self._pending = None
            self._emit(np.array([k]), row[None, :], lo[None, :], time.time())


register_scheme(
    "openbci",
    OpenBCIDevice.from_url,
    description="OpenBCI Cyton 8 ch / Cyton + Daisy 16 ch (serial dongle), samples in uV",
    example="openbci:///dev/ttyUSB0?gain=24",
)
