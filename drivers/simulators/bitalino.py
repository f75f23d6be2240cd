"""BITalino (r)evolution simulator: header-less frames with seq + CRC-4, one-byte commands."""

from __future__ import annotations

from ecgcore.drivers.simulators._pty import PtySimulator
from ecgcore.drivers.simulators._waveform import ecg_mv

__all__ = ["BITalinoSimulator", "bitwise_crc4"]

_RATES = {0: 1, 1: 10, 2: 100, 3: 1000}


def bitwise_crc4(frame: bytes) -> int:
    """CRC-4 (x^4 + x + 1) bit by bit over the frame with its CRC nibble zeroed.

    Written independently of the parser's nibble table so each checks the other.
    """
    data = bytearray(frame)
    data[-1] &= 0xF0
    x = 0
    for byte in data:
        for bit in range(7, -1, -1):
            x <<= 1
            if x & 0x10:
                x ^= 0x03
            x ^= (byte >> bit) & 1
    return x & 0x0F


def _length(n: int) -> int:
    return -(-(12 + 10 * n) // 8) if n <= 4 else -(-(52 + 6 * (n - 4)) // 8)


class BITalinoSimulator(PtySimulator):
    """BITalino with an ECG sensor on every analog input; idle until a start command."""

    name = "bitalino"

    def __init__(self, *, version: str = "BITalino_v5.2", **kwargs: object) -> None:
        super().__init__(1000.0, **kwargs)  # type: ignore[arg-type]
        self.version = version
        self.channels: list[int] = []

    def power_on(self) -> None:
        super().power_on()
        self.channels = []
        self.fs = 1000.0

    def adc(self, index: int, position: int) -> int:
        """ADC value of acquired channel ``position`` in frame ``index``."""
        bits = 10 if position < 4 else 6
        ch = self.channels[position]
        if ch in self.lead_off:  # the sensor output saturates with an electrode off
            return 2**bits - 1
        mv = ecg_mv(index, self.fs, ch)
        value = round((mv / 1000.0 * 1100 / 3.3 + 0.5) * 2**bits)
        return min(max(value, 0), 2**bits - 1)

    def encode_frame(self, index: int) -> tuple[bytes, tuple[int, ...]]:
        n = len(self.channels)
        a = [self.adc(index, p) for p in range(n)] + [0] * (6 - n)
        length = _length(n)
        f = bytearray(length)
        digital = 0b0000

        def put(k: int, value: int) -> None:  # k-th byte from the end, 1-based
            if k <= length:
                f[length - k] |= value & 0xFF

        put(2, (digital << 4) | (a[0] >> 6))
        put(3, ((a[0] & 0x3F) << 2) | (a[1] >> 8))
        put(4, a[1] & 0xFF)
        put(5, a[2] >> 2)
        put(6, ((a[2] & 0x03) << 6) | (a[3] >> 4))
        put(7, ((a[3] & 0x0F) << 4) | (a[4] >> 2))
        put(8, ((a[4] & 0x03) << 6) | (a[5] & 0x3F))
        f[-1] = (index & 0x0F) << 4
        f[-1] |= bitwise_crc4(bytes(f))
        return bytes(f), tuple(a[:n])

    def corrupt(self, wire: bytes) -> bytes:
        bad = bytearray(wire)
        bad[-1] ^= 0x05  # wrong CRC nibble
        return bytes(bad)

    def handle_input(self, data: bytes) -> None:
        for cmd in data:
            if self.streaming:
                if cmd in (0x00, 0xFF):
                    self.streaming = False
                continue
            if cmd == 0x07:
                self.reply(self.version.encode("ascii") + b"\n")
            elif cmd & 0x03 == 0x03 and cmd >> 6 in _RATES and cmd & 0x3C == 0:
                self.fs = float(_RATES[cmd >> 6])
            elif cmd & 0x03 == 0x01:
                mask = cmd >> 2
                self.channels = [c for c in range(6) if mask >> c & 1]
                if self.channels:
                    self.frame_index = 0
                    self.begin_stream()
