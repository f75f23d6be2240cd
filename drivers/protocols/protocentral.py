"""ProtoCentral ADS1292R breakout / HealthyPi packet protocol (serial over USB).

Packet::

    0x0A 0xFA | len_lo len_hi | type | payload (len bytes) | 0x00 0x0B

The payload layout depends on the board and packet type; the layouts are data
(:data:`BOARDS`), not code: the ADS1292R OpenView sketch sends type 2 with
``ECG int16 | RESP int16 | HR int16 | RR int16`` (little-endian, 125 Hz); the
HealthyPi 5 (firmware >= 1.0) sends type 3 with ``8 x ECG int32 | 4 x BioZ
int32 | HR u8 | RR u8`` and type 4 PPG packets. Packets carry no sequence
number and no CRC: the fixed header, length, type and trailer are checked.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Mapping
from types import MappingProxyType

from ecgcore.drivers.protocols._framing import Frame, Message, ParserStats

__all__ = ["BOARDS", "HEADER", "TRAILER", "BoardLayout", "ProtoCentralParser"]

HEADER = b"\x0a\xfa"
TRAILER = b"\x00\x0b"
OVERHEAD = 7  # header 2 + length 2 + type 1 + trailer 2


@dataclasses.dataclass(frozen=True)
class BoardLayout:
    """Where the ECG samples sit in a board's data packet.

    Parameters
    ----------
    name, model : str
        URL name (``board=``) and human-readable model.
    baud : int
        Serial rate of the board's firmware.
    fs : float
        ECG sampling rate, Hz.
    ecg_type : int
        Packet type carrying ECG.
    payload_len : int
        Payload bytes of that packet type.
    ecg_offset, ecg_count : int
        Byte offset of the first ECG sample and samples per packet.
    ecg_format : str
        :mod:`struct` code of one sample (``"<h"`` int16 LE, ``"<i"`` int32 LE).
    uv_per_count : float
        Microvolts per count. Nominal value from the front end's reference and
        PGA gain (override with ``lsb_uv=`` in the URL after calibrating).
    other_types : mapping
        Other packet types the board sends -> their payload length (parsed and
        counted, no ECG).
    """

    name: str
    model: str
    baud: int
    fs: float
    ecg_type: int
    payload_len: int
    ecg_offset: int
    ecg_count: int
    ecg_format: str
    uv_per_count: float
    other_types: Mapping[int, int] = dataclasses.field(default_factory=dict)

    def payload_lengths(self) -> dict[int, int]:
        """Packet type -> payload length for every type this board sends."""
        return {self.ecg_type: self.payload_len, **self.other_types}


BOARDS: Mapping[str, BoardLayout] = MappingProxyType(
    {
        # ADS1292R: 24-bit, VREF 2.42 V, PGA 6 -> full scale +-403 mV; the sketch
        # sends the top 16 bits, so one count is 403.3 mV / 2**15 = 12.3 uV.
        "ads1292r": BoardLayout(
            name="ads1292r",
            model="ProtoCentral ADS1292R breakout",
            baud=57600,
            fs=125.0,
            ecg_type=2,
            payload_len=8,
            ecg_offset=0,
            ecg_count=1,
            ecg_format="<h",
            uv_per_count=2.42 / 6 / 2**15 * 1e6,
        ),
        # HealthyPi 5: 24-bit samples sign-extended to int32, VREF 2.4 V, gain 20
        # (nominal): 2.4 V / 20 / 2**23 = 0.0143 uV per count.
        "healthypi5": BoardLayout(
            name="healthypi5",
            model="ProtoCentral HealthyPi 5",
            baud=115200,
            fs=125.0,
            ecg_type=3,
            payload_len=50,
            ecg_offset=0,
            ecg_count=8,
            ecg_format="<i",
            uv_per_count=2.4 / 20 / 2**23 * 1e6,
            other_types=MappingProxyType({4: 19}),
        ),
    }
)


class ProtoCentralParser:
    """Incremental parser of ``0A FA ... 00 0B`` packets for one board layout.

    ``Frame.kind`` is the packet type; ECG packets have the ECG counts in
    ``Frame.values``, other known types an empty tuple. A packet with a known
    header but a wrong length for its type or a bad trailer is corrupt.
    """

    def __init__(self, board: BoardLayout) -> None:
        self.board = board
        self.lengths = board.payload_lengths()
        self._max_len = max(self.lengths.values())
        self._unpack = struct.Struct("<" + board.ecg_format[1:] * board.ecg_count).unpack_from
        self.stats = ParserStats()
        self.reset()

    def reset(self) -> None:
        """Forget buffered bytes (counters are kept)."""
        self._buf = bytearray()
        self._skipped = 0
        self._locked = False

    def _discard(self, n: int) -> None:
        self._skipped += n
        self.stats.corrupt_bytes += n

    def feed(self, data: bytes) -> list[Frame | Message]:
        """Consume ``data`` and return the completed packets."""
        buf = self._buf
        buf += data
        self.stats.bytes_in += len(data)
        out: list[Frame | Message] = []
        pos = 0
        n = len(buf)
        while n - pos >= 2:
            if buf[pos] != 0x0A or buf[pos + 1] != 0xFA:
                if self._locked:
                    self.stats.corrupt_frames += 1
                    self._locked = False
                nxt = buf.find(HEADER, pos + 1)
                if nxt < 0:
                    keep = 1 if buf[-1] == 0x0A else 0
                    self._discard(n - keep - pos)
                    pos = n - keep
                    break
                self._discard(nxt - pos)
                pos = nxt
                continue
            if n - pos < 5:
                break
            length = buf[pos + 2] | (buf[pos + 3] << 8)
            ptype = buf[pos + 4]
            if self.lengths.get(ptype) != length:
                self._reject(pos)
                pos += 1
                continue
            end = pos + 5 + length
            if n < end + 2:
                break
            if buf[end] != 0x00 or buf[end + 1] != 0x0B:
                self._reject(pos)
                pos += 1
                continue
            if ptype == self.board.ecg_type:
                values = self._unpack(buf, pos + 5 + self.board.ecg_offset)
            else:
                values = ()
            out.append(Frame(None, values, self._skipped, ptype, None))
            self.stats.frames += 1
            self._skipped = 0
            self._locked = True
            pos = end + 2
        del buf[:pos]
        return out

    def _reject(self, pos: int) -> None:
        if self._locked:
            self.stats.corrupt_frames += 1
            self._locked = False
        self._discard(1)
