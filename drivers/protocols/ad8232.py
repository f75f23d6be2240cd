"""The common Arduino + AD8232 sketch: one ASCII integer per line, ``!`` when leads are off.

The sketch reads LO+ / LO- and prints ``!`` if either is high, else
``analogRead(A0)``; lines end with ``\\r\\n`` (``Serial.println``). It has no
fixed rate (``delay()`` in ``loop()``), no sequence number and no checksum.
Conversion to mV at the electrodes (AD8232 output centred on VREF/2, total
gain 1100 on the common breakout)::

    mV = (adc / 2**bits - 0.5) * vref / gain * 1000
"""

from __future__ import annotations

from ecgcore.drivers.protocols._framing import Frame, Message, ParserStats

__all__ = ["LEADS_OFF", "MAX_LINE", "AD8232Parser", "adc_to_mv"]

LEADS_OFF = "!"
MAX_LINE = 16  # longest valid line ("-1023\r\n" is 7); longer runs are garbage


def adc_to_mv(adc: float, *, bits: int = 10, vref: float = 3.3, gain: float = 1100.0) -> float:
    """Convert an Arduino ADC reading of the AD8232 output to mV at the electrodes."""
    return (adc / 2**bits - 0.5) * vref / gain * 1000.0


class AD8232Parser:
    """Incremental line parser.

    ``Frame.values`` is ``(adc,)`` for a reading and ``()`` with
    ``Frame.extra == "leads_off"`` for ``!``. Lines that are neither are
    counted as corrupt frames (and their bytes as corrupt bytes);
    ``Frame.kind`` holds how many corrupt lines came right before the frame.
    """

    def __init__(self, *, max_value: int = 1 << 16) -> None:
        self.max_value = max_value
        self.stats = ParserStats()
        self.reset()

    def reset(self) -> None:
        """Forget buffered bytes (counters are kept)."""
        self._buf = bytearray()
        self._skipped = 0
        self._bad_lines = 0
        # The first line after (re)opening may be a tail; it is judged like any other.

    def feed(self, data: bytes) -> list[Frame | Message]:
        """Consume ``data`` and return one frame per complete valid line."""
        buf = self._buf
        buf += data
        self.stats.bytes_in += len(data)
        out: list[Frame | Message] = []
        pos = 0
        while True:
            nl = buf.find(b"\n", pos)
            if nl < 0:
                if len(buf) - pos > MAX_LINE:
                    self._bad(len(buf) - pos)
                    pos = len(buf)
                break
            line = bytes(buf[pos:nl]).rstrip(b"\r")
            size = nl + 1 - pos
            pos = nl + 1
            frame = self._parse(line)
            if frame is None:
                self._bad(size)
                continue
            out.append(frame._replace(skipped=self._skipped, kind=self._bad_lines))
            self.stats.frames += 1
            self._skipped = 0
            self._bad_lines = 0
        del buf[:pos]
        return out

    def _bad(self, size: int) -> None:
        self._bad_lines += 1
        self.stats.corrupt_frames += 1
        self.stats.corrupt_bytes += size
        self._skipped += size

    def _parse(self, line: bytes) -> Frame | None:
        if line == b"!":
            return Frame(None, (), 0, 0, "leads_off")
        if not 0 < len(line) <= 7:
            return None
        body = line[1:] if line[:1] == b"-" else line
        if not body.isdigit():
            return None
        value = int(line)
        if abs(value) > self.max_value:
            return None
        return Frame(None, (value,), 0, 0, None)
