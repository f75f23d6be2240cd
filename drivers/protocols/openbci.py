"""OpenBCI Cyton (8 channels) and Cyton + Daisy (16 channels) serial protocol.

Packet (33 bytes, 115200 baud)::

    0xA0 | sample number (u8) | 8 x 24-bit big-endian two's complement | 6 aux bytes | 0xC0..0xC6

The stop byte tells what the aux bytes hold (0xC0: accelerometer). With a
Daisy board attached the Cyton sends odd sample numbers for its own 8
channels and even ones for the Daisy's; one 16-channel sample is the pair
(odd n, n + 1). Conversion to microvolts::

    uV = counts * 4.5 / gain / (2**23 - 1) * 1e6     gain in {1, 2, 4, 6, 8, 12, 24}

Commands: ``v`` soft reset (reply ends with ``$$$``), ``b`` start, ``s`` stop,
``x<ch><power><gain><input><bias><srb2><srb1>X`` channel settings.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ecgcore.drivers.protocols import _openbci_numba as _kernels
from ecgcore.drivers.protocols._framing import FixedFrameParser, Frame, FrameRun

__all__ = [
    "CHANNEL_LETTERS",
    "CMD_RESET",
    "CMD_START",
    "CMD_STOP",
    "END_OF_REPLY",
    "FRAME_LEN",
    "GAIN_CODES",
    "START_BYTE",
    "OpenBCIParser",
    "channel_settings_command",
    "counts_to_uv",
    "uv_per_count",
]

START_BYTE = 0xA0
STOP_MIN, STOP_MAX = 0xC0, 0xC6
FRAME_LEN = 33
FULL_SCALE = 2**23 - 1
VREF_V = 4.5
CMD_RESET = b"v"
CMD_START = b"b"
CMD_STOP = b"s"
END_OF_REPLY = b"$$$"
#: PGA gain -> the digit used in the ``x...X`` channel settings command.
GAIN_CODES: Mapping[int, int] = MappingProxyType({1: 0, 2: 1, 4: 2, 6: 3, 8: 4, 12: 5, 24: 6})
#: Channel keys of the ``x`` command: 1-8 on the Cyton, Q..I for Daisy channels 9-16.
CHANNEL_LETTERS = "12345678QWERTYUI"


@functools.cache
def _warm_up() -> None:
    """Load the compiled kernels once per process, before the first bytes arrive."""
    rows = np.zeros((1, FRAME_LEN), dtype=np.uint8)
    _kernels.run_length(rows, -1)
    _kernels.decode(rows)


def uv_per_count(gain: int) -> float:
    """Microvolts per ADC count at PGA ``gain``."""
    return VREF_V / gain / FULL_SCALE * 1e6


def counts_to_uv(counts: int, gain: int = 24) -> float:
    """Convert one 24-bit count to microvolts."""
    return counts * uv_per_count(gain)


def channel_settings_command(channel: int, gain: int, *, power_down: bool = False) -> bytes:
    """Build the ``x...X`` command for 1-based ``channel`` (normal electrode input, bias, SRB2)."""
    if gain not in GAIN_CODES:
        raise ValueError(f"OpenBCI gain must be one of {sorted(GAIN_CODES)}, got {gain}")
    if not 1 <= channel <= len(CHANNEL_LETTERS):
        raise ValueError(f"OpenBCI channel must be 1..16, got {channel}")
    key = CHANNEL_LETTERS[channel - 1]
    return f"x{key}{int(power_down)}{GAIN_CODES[gain]}0110X".encode("ascii")


def _int24(b: bytearray, i: int) -> int:
    v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2]
    return v - 0x1000000 if v & 0x800000 else v


class OpenBCIParser(FixedFrameParser):
    """Incremental parser of the 33-byte Cyton packet stream.

    A packet found while hunting is accepted if its sample number is the one
    expected or the packet behind it is valid and consecutive; in sync, a
    packet with an unexpected number needs the same confirmation (so a
    corrupted sample-number byte is not taken for a gap).
    ``Frame.values`` are the 8 channel counts, ``Frame.kind`` the stop byte,
    ``Frame.extra`` the 6 aux bytes.
    """

    def __init__(self) -> None:
        super().__init__(FRAME_LEN, seq_modulus=256, n_confirm=1, trust_expected_seq=True)
        _warm_up()

    def _next_candidate(self, buf: bytearray, pos: int) -> int:
        return buf.find(START_BYTE, pos)

    def _valid(self, buf: bytearray, pos: int) -> bool:
        return buf[pos] == START_BYTE and STOP_MIN <= buf[pos + 32] <= STOP_MAX

    def _seq(self, buf: bytearray, pos: int) -> int:
        return buf[pos + 1]

    def _decode(self, buf: bytearray, pos: int, skipped: int) -> Frame:
        values = tuple(_int24(buf, pos + 2 + 3 * c) for c in range(8))
        return Frame(buf[pos + 1], values, skipped, buf[pos + 32], bytes(buf[pos + 26 : pos + 32]))

    # whole-array versions (see FixedFrameParser.bulk), the same rules as above,
    # one compiled pass each (a handful of NumPy calls per chunk cost more)
    bulk = True

    def _run_length(self, rows: np.ndarray) -> int:
        expected = -1 if self._expected is None else self._expected
        return int(_kernels.run_length(rows, expected))

    def _decode_run(self, rows: np.ndarray, skipped: int) -> FrameRun:
        seq, values, stop = _kernels.decode(rows)
        return FrameRun(seq, values, skipped, stop, rows[:, 26:32])
