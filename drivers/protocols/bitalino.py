"""BITalino (r)evolution serial protocol (Bluetooth SPP or USB serial).

Frames have no header. Their length depends on the number ``n`` of analog
channels acquired (always the first ``n`` of A1..A6 in the order asked)::

    n <= 4: ceil((12 + 10 n) / 8) bytes      n > 4: ceil((52 + 6 (n - 4)) / 8) bytes

Read from the end: the last byte is ``seq << 4 | CRC-4``; the one before holds
the digital inputs I1 I2 O1 O2 in its high nibble; then come the analog
channels, 10 bits each for A1..A4 and 6 bits for A5/A6, packed backwards. The
CRC-4 (polynomial x^4 + x + 1) runs over every nibble of the frame with the
CRC nibble zeroed, using the nibble table below.

ECG sensor transfer function (mV)::

    ECG = ((ADC / 2**n - 0.5) * 3.3 / 1100) * 1000      n = 10 (A1-A4) or 6 (A5, A6)

Commands (one byte): version ``0x07`` (reply ``BITalino_vX.Y\\n``), sampling
rate ``code << 6 | 0x03`` (codes 0..3 for 1, 10, 100, 1000 Hz), start
``mask << 2 | 0x01`` (bit ``2 + i`` = channel A(i+1)), stop ``0x00`` (and
``0xFF`` idle from any mode on 2.0 firmware).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from ecgcore.drivers.protocols._framing import FixedFrameParser, Frame

__all__ = [
    "CMD_IDLE",
    "CMD_STOP",
    "CMD_VERSION",
    "CRC4_TABLE",
    "RATE_CODES",
    "BITalinoParser",
    "crc4",
    "ecg_mv",
    "frame_length",
    "rate_command",
    "resolution_bits",
    "start_command",
]

CRC4_TABLE = (0, 3, 6, 5, 12, 15, 10, 9, 11, 8, 13, 14, 7, 4, 1, 2)
#: Sampling rate (Hz) -> rate code of the rate command.
RATE_CODES: Mapping[int, int] = MappingProxyType({1: 0, 10: 1, 100: 2, 1000: 3})
CMD_VERSION = 0x07
CMD_STOP = 0x00
CMD_IDLE = 0xFF
VCC_V = 3.3
ECG_GAIN = 1100


def frame_length(n_channels: int) -> int:
    """Bytes per frame with ``n_channels`` analog channels (1-6)."""
    if not 1 <= n_channels <= 6:
        raise ValueError(f"BITalino acquires 1 to 6 analog channels, got {n_channels}")
    if n_channels <= 4:
        return -(-(12 + 10 * n_channels) // 8)
    return -(-(52 + 6 * (n_channels - 4)) // 8)


def resolution_bits(position: int) -> int:
    """ADC bits of the ``position``-th acquired channel (0-based): 10, or 6 for the 5th/6th."""
    return 10 if position < 4 else 6


def crc4(frame: bytes | bytearray, start: int = 0, length: int | None = None) -> int:
    """CRC-4 of a frame (its own CRC nibble, the low nibble of the last byte, taken as 0)."""
    length = len(frame) - start if length is None else length
    crc = 0
    end = start + length - 1
    tab = CRC4_TABLE
    for i in range(start, end):
        b = frame[i]
        crc = tab[crc] ^ (b >> 4)
        crc = tab[crc] ^ (b & 0x0F)
    crc = tab[crc] ^ (frame[end] >> 4)
    return tab[crc]


def rate_command(fs: int) -> int:
    """Command byte that sets the sampling rate to ``fs`` Hz."""
    if fs not in RATE_CODES:
        raise ValueError(f"BITalino rates are {sorted(RATE_CODES)} Hz, got {fs}")
    return (RATE_CODES[fs] << 6) | 0x03


def start_command(channels: Sequence[int]) -> int:
    """Command byte that starts live acquisition of analog channels (0-based, A1 = 0)."""
    mask = 0
    for c in channels:
        if not 0 <= c <= 5:
            raise ValueError(f"BITalino analog channels are 0..5 (A1..A6), got {c}")
        mask |= 1 << c
    return (mask << 2) | 0x01


def ecg_mv(adc: float, bits: int) -> float:
    """ECG sensor transfer function: ADC value of a ``bits``-bit channel -> mV."""
    return (adc / 2**bits - 0.5) * VCC_V / ECG_GAIN * 1000.0


def _unpack(buf: bytearray, pos: int, length: int, n: int) -> tuple[int, ...]:
    """Analog values of the frame at ``pos`` (bit layout of the (r)evolution firmware)."""

    def b(k: int) -> int:  # k-th byte counted from the end, 1-based
        return buf[pos + length - k]

    out = [((b(2) & 0x0F) << 6) | (b(3) >> 2)]
    if n > 1:
        out.append(((b(3) & 0x03) << 8) | b(4))
    if n > 2:
        out.append((b(5) << 2) | (b(6) >> 6))
    if n > 3:
        out.append(((b(6) & 0x3F) << 4) | (b(7) >> 4))
    if n > 4:
        out.append(((b(7) & 0x0F) << 2) | (b(8) >> 6))
    if n > 5:
        out.append(b(8) & 0x3F)
    return tuple(out)


class BITalinoParser(FixedFrameParser):
    """Incremental parser of BITalino frames for ``n_channels`` analog channels.

    With no header and a 4-bit CRC, a frame found while hunting is trusted only
    when the two frames behind it also pass the CRC with consecutive sequence
    numbers; in sync a frame needs a good CRC and the expected sequence number
    (else the same confirmation). Residual risk: garbage inserted right after a
    good frame passes both checks with probability 1/256 per frame slot.
    ``Frame.values`` are the analog ADC values, ``Frame.extra`` the digital
    inputs (I1, I2, O1, O2).
    """

    def __init__(self, n_channels: int) -> None:
        self.n_channels = int(n_channels)
        super().__init__(frame_length(self.n_channels), seq_modulus=16, n_confirm=2)

    def _valid(self, buf: bytearray, pos: int) -> bool:
        last = buf[pos + self.frame_len - 1]
        return crc4(buf, pos, self.frame_len) == (last & 0x0F)

    def _seq(self, buf: bytearray, pos: int) -> int:
        return buf[pos + self.frame_len - 1] >> 4

    def _decode(self, buf: bytearray, pos: int, skipped: int) -> Frame:
        length = self.frame_len
        digital = buf[pos + length - 2] >> 4
        dig = ((digital >> 3) & 1, (digital >> 2) & 1, (digital >> 1) & 1, digital & 1)
        values = _unpack(buf, pos, length, self.n_channels)
        return Frame(buf[pos + length - 1] >> 4, values, skipped, 0, dig)
