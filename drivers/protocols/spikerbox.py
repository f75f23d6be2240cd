"""Backyard Brains SpikerBox stream protocol (serial and SpikerBox Pro HID payload).

Samples come in frames of ``2 * n_channels`` bytes; each sample is 10 bits
split over two 7-bit bytes, the MSB of the frame's first byte is set and of
every other byte clear::

    1 0 0 0 0 h h h | 0 l l l l l l l        value = (hhh << 7) | lllllll

Text messages (replies and events such as ``EVNT:3;``) are embedded between
the escape sequences ``FF FF 01 01 80 FF`` and ``FF FF 01 01 81 FF``.
Commands to the device are ASCII ``name:value;`` terminated by ``\\n``
(``c:2;`` channels, ``conf s:1000;c:1;`` rate and channels, ``?:;`` version,
``max:;`` limits, ``start:;`` / ``h:;`` start and halt on the Pro boxes).
"""

from __future__ import annotations

from ecgcore.drivers.protocols._framing import Frame, Message, ParserStats

__all__ = [
    "ESCAPE_END",
    "ESCAPE_START",
    "MAX_MESSAGE",
    "SpikerBoxParser",
    "command",
    "parse_fields",
]

ESCAPE_START = b"\xff\xff\x01\x01\x80\xff"
ESCAPE_END = b"\xff\xff\x01\x01\x81\xff"
MAX_MESSAGE = 64


def command(name: str, value: object = "") -> bytes:
    """Encode one command ``name:value;\\n``."""
    return f"{name}:{value};\n".encode("ascii")


def parse_fields(text: str) -> dict[str, str]:
    """Split a message like ``FWV:1.2;HWT:PLANTSS;`` into ``{"FWV": "1.2", ...}``."""
    fields: dict[str, str] = {}
    for part in text.split(";"):
        if ":" in part:
            key, _, value = part.partition(":")
            fields[key.strip()] = value.strip()
    return fields


class SpikerBoxParser:
    """Incremental parser of sample frames and escaped messages.

    A frame found while hunting is accepted only when the next item (a frame
    or an escape sequence) follows it directly. ``Frame.values`` are the
    ``n_channels`` 10-bit values; messages come out as :class:`Message`.
    """

    def __init__(self, n_channels: int) -> None:
        if not 1 <= n_channels <= 16:
            raise ValueError(f"SpikerBox channel count must be 1..16, got {n_channels}")
        self.n_channels = int(n_channels)
        self.frame_len = 2 * self.n_channels
        self.stats = ParserStats()
        self.reset()

    def reset(self) -> None:
        """Forget buffered bytes (counters are kept)."""
        self._buf = bytearray()
        self._skipped = 0
        self._locked = False

    def _valid(self, buf: bytearray, pos: int) -> bool:
        if not 0x80 <= buf[pos] <= 0x87:
            return False
        for i in range(pos + 2, pos + self.frame_len, 2):
            if not buf[i] <= 0x07:
                return False
        return all(not buf[i] & 0x80 for i in range(pos + 1, pos + self.frame_len, 2))

    def _discard(self, n: int) -> None:
        self._skipped += n
        self.stats.corrupt_bytes += n

    def _escape_at(self, buf: bytearray, pos: int) -> int | None:
        """1 if an escape sequence starts at pos, 0 if not, None if the buffer is too short."""
        avail = len(buf) - pos
        if avail >= len(ESCAPE_START):
            return int(buf[pos : pos + len(ESCAPE_START)] == ESCAPE_START)
        return None if ESCAPE_START.startswith(bytes(buf[pos:])) else 0

    def feed(self, data: bytes) -> list[Frame | Message]:
        """Consume ``data`` and return frames and messages in stream order."""
        buf = self._buf
        buf += data
        self.stats.bytes_in += len(data)
        out: list[Frame | Message] = []
        pos = 0
        n = len(buf)
        step = self.frame_len
        while pos < n:
            esc = self._escape_at(buf, pos)
            if esc is None:
                break
            if esc:
                body = pos + len(ESCAPE_START)
                end = buf.find(ESCAPE_END, body, body + MAX_MESSAGE + len(ESCAPE_END))
                if end < 0:
                    if n - body < MAX_MESSAGE + len(ESCAPE_END):
                        break
                    self._discard(1)
                    pos += 1
                    continue
                text = bytes(buf[body:end]).decode("ascii", errors="replace")
                out.append(Message(text, self._skipped))
                self.stats.messages += 1
                self._skipped = 0
                pos = end + len(ESCAPE_END)
                continue
            if n - pos < step:
                break
            if self._valid(buf, pos):
                if self._locked:
                    ok: bool | None = True
                else:
                    ok = self._followed(buf, pos + step)
                if ok is None:
                    break
                if ok:
                    values = tuple(
                        ((buf[i] & 0x7F) << 7) | buf[i + 1] for i in range(pos, pos + step, 2)
                    )
                    out.append(Frame(None, values, self._skipped, 0, None))
                    self.stats.frames += 1
                    self._skipped = 0
                    self._locked = True
                    pos += step
                    continue
            if self._locked:
                self.stats.corrupt_frames += 1
                self._locked = False
            self._discard(1)
            pos += 1
        del buf[:pos]
        return out

    def _followed(self, buf: bytearray, nxt: int) -> bool | None:
        """Whether a valid frame or an escape sequence starts at ``nxt``."""
        esc = self._escape_at(buf, nxt) if nxt < len(buf) else None
        if esc:
            return True
        if len(buf) - nxt < self.frame_len:
            return None
        return self._valid(buf, nxt)
