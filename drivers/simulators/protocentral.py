"""ProtoCentral ADS1292R / HealthyPi 5 simulator: ``0A FA len type payload 00 0B`` packets."""

from __future__ import annotations

import struct

from ecgcore.drivers.simulators._pty import PtySimulator
from ecgcore.drivers.simulators._waveform import ecg_mv

__all__ = ["ProtoCentralSimulator"]

# board -> (fs, ECG samples per packet, packet type, payload builder)
_BOARDS = {"ads1292r": (125.0, 1), "healthypi5": (125.0, 8)}


class ProtoCentralSimulator(PtySimulator):
    """Streams from power-on like the Arduino sketch / HealthyPi firmware (no commands)."""

    name = "protocentral"

    def __init__(self, *, board: str = "ads1292r", **kwargs: object) -> None:
        fs, per_packet = _BOARDS[board]
        kwargs.setdefault("streaming", True)
        super().__init__(fs / per_packet, **kwargs)  # type: ignore[arg-type]
        self.board = board
        self.per_packet = per_packet
        self.uv_per_count = (
            2.42 / 6 / 2**15 * 1e6 if board == "ads1292r" else 2.4 / 20 / 2**23 * 1e6
        )

    def sample_counts(self, k: int) -> int:
        """ECG count of sample ``k``."""
        if 0 in self.lead_off:
            return 0
        return round(ecg_mv(k, 125.0) * 1000.0 / self.uv_per_count)

    def encode_frame(self, index: int) -> tuple[bytes, tuple[int, ...]]:
        first = index * self.per_packet
        ecg = [self.sample_counts(first + i) for i in range(self.per_packet)]
        if self.board == "ads1292r":
            payload, ptype = struct.pack("<hhhh", ecg[0], 0, 72, 15), 2
        else:
            payload = struct.pack("<8i4iBB", *ecg, 0, 0, 0, 0, 72, 15)
            ptype = 3
        wire = (
            b"\x0a\xfa" + struct.pack("<H", len(payload)) + bytes([ptype]) + payload + b"\x00\x0b"
        )
        if self.board == "healthypi5" and index % 4 == 3:  # interleaved PPG packet
            ppg = struct.pack("<8hhB", *([1000] * 8), 3650, 98)
            wire += b"\x0a\xfa" + struct.pack("<H", len(ppg)) + b"\x04" + ppg + b"\x00\x0b"
        return wire, tuple(ecg)

    def corrupt(self, wire: bytes) -> bytes:
        bad = bytearray(wire)
        bad[-1] = 0xEE  # bad trailer
        return bytes(bad)

    def handle_input(self, data: bytes) -> None:
        """The sketch ignores input."""
