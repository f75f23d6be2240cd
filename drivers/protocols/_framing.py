"""Shared pieces of the protocol parsers: frame records, counters, resync engine.

The resynchronisation engine for fixed-length frames is hand-written: no
maintained library does incremental, counting resync over arbitrary framing
rules (header/stop bytes, CRC, sequence continuity) for a byte stream.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import Any, NamedTuple

import numpy as np

__all__ = ["FixedFrameParser", "Frame", "FrameRun", "Message", "ParserStats", "expand_runs"]


class Frame(NamedTuple):
    """One decoded frame.

    Attributes
    ----------
    seq : int or None
        Sequence number exactly as sent (wraps at the protocol's modulus), or
        ``None`` for protocols without one.
    values : tuple of int
        Raw integer samples (ADC counts) in protocol order.
    skipped : int
        Corrupt bytes discarded immediately before this frame (0 when in sync).
    kind : int
        Protocol-specific frame type (OpenBCI stop byte, ProtoCentral packet type, ...).
    extra : Any
        Protocol-specific extras (aux bytes, digital inputs, lead-off flags).
    """

    seq: int | None
    values: tuple[int, ...]
    skipped: int = 0
    kind: int = 0
    extra: Any = None


@dataclasses.dataclass(frozen=True, eq=False)
class FrameRun:
    """Consecutive in-sync frames decoded as arrays (one row per frame).

    What :meth:`FixedFrameParser.feed_items` gives for a run of frames that
    are valid and carry the expected sequence numbers; :meth:`frames` gives
    the same frames one by one, exactly as :meth:`FixedFrameParser.feed` does.

    Attributes
    ----------
    seq : ndarray of int64, shape (n,)
        Sequence numbers as sent.
    values : ndarray of int64, shape (n, n_values)
        Raw integer samples (ADC counts) in protocol order.
    skipped : int
        Corrupt bytes discarded immediately before the first frame.
    kind : ndarray of int64, shape (n,)
        Protocol-specific frame type per frame.
    extra : ndarray of uint8, shape (n, n_extra)
        Protocol-specific extra bytes per frame.
    """

    seq: np.ndarray
    values: np.ndarray
    skipped: int
    kind: np.ndarray
    extra: np.ndarray

    def __len__(self) -> int:
        return int(self.seq.shape[0])

    def frames(self) -> list[Frame]:
        """The run as :class:`Frame` records (``extra`` as bytes)."""
        extra = self.extra.tobytes()
        width = self.extra.shape[1]
        return [
            Frame(
                seq,
                tuple(vals),
                self.skipped if k == 0 else 0,
                kind,
                extra[width * k : width * (k + 1)],
            )
            for k, (seq, vals, kind) in enumerate(
                zip(self.seq.tolist(), self.values.tolist(), self.kind.tolist(), strict=True)
            )
        ]


def expand_runs(items: list[Any]) -> list[Frame | Message]:
    """``items`` with every :class:`FrameRun` replaced by its frames."""
    out: list[Frame | Message] = []
    for item in items:
        if isinstance(item, FrameRun):
            out.extend(item.frames())
        else:
            out.append(item)
    return out


class Message(NamedTuple):
    """A text message embedded in the stream (replies, events)."""

    text: str
    skipped: int = 0


@dataclasses.dataclass
class ParserStats:
    """Running counters of a parser.

    ``corrupt_bytes`` counts bytes discarded while resynchronising;
    ``corrupt_frames`` counts frames that were due at a position (the stream
    was in sync) but failed their checks (CRC, stop byte, layout).
    """

    bytes_in: int = 0
    frames: int = 0
    messages: int = 0
    corrupt_bytes: int = 0
    corrupt_frames: int = 0


class FixedFrameParser(ABC):
    """Incremental parser for fixed-length frames with optional sequence numbers.

    A frame at ``pos`` is accepted when it passes :meth:`_valid` and either
    directly follows the previous frame with the expected sequence number, or
    the next ``n_confirm`` frames behind it are valid and (with sequence
    numbers) consecutive. Everything else is skipped byte by byte and counted.

    Parameters
    ----------
    frame_len : int
        Bytes per frame.
    seq_modulus : int or None
        Sequence numbers wrap at this value; ``None`` if frames carry none.
    n_confirm : int
        Frames that must follow a frame found while hunting (or one with an
        unexpected sequence number) before it is trusted.
    trust_expected_seq : bool
        While hunting, accept a valid frame carrying exactly the expected
        sequence number without confirmation (for strong framing checks only).
    """

    max_buffer = 1 << 16

    def __init__(
        self,
        frame_len: int,
        *,
        seq_modulus: int | None,
        n_confirm: int,
        trust_expected_seq: bool = False,
    ) -> None:
        self.frame_len = int(frame_len)
        self.seq_modulus = seq_modulus
        self.n_confirm = int(n_confirm)
        self.trust_expected_seq = trust_expected_seq
        self.stats = ParserStats()
        self.reset()

    def reset(self) -> None:
        """Forget buffered bytes and sync state (counters are kept)."""
        self._buf = bytearray()
        self._locked = False
        self._expected: int | None = None
        self._skipped = 0

    # ------------------------------------------------------------ protocol
    @abstractmethod
    def _valid(self, buf: bytearray, pos: int) -> bool:
        """Structural check of the frame at ``pos`` (header, stop byte, CRC)."""

    def _seq(self, buf: bytearray, pos: int) -> int | None:
        """Sequence number of the frame at ``pos`` (``None`` without one)."""
        return None

    @abstractmethod
    def _decode(self, buf: bytearray, pos: int, skipped: int) -> Frame:
        """Decode the (valid) frame at ``pos``."""

    def _next_candidate(self, buf: bytearray, pos: int) -> int:
        """First index >= ``pos`` where a frame could start, or -1 if none in ``buf``."""
        return pos

    # Optional whole-array versions of the per-frame rules over frames as the
    # rows of a (n, frame_len) uint8 array. A protocol that defines them
    # (bulk = True: _run_length and _decode_run) has its in-sync runs of frames
    # checked and decoded at once, with exactly the per-frame rules (arrays
    # instead of one Python call per frame: at 2000 frames/s this is most of a
    # parser's CPU time).
    bulk = False

    def _run_length(self, rows: np.ndarray) -> int:
        """Leading rows that are valid frames carrying the expected sequence numbers.

        As :meth:`_valid` and :meth:`_seq` frame by frame, from the expected
        number (any numbers when none is expected yet).
        """
        raise NotImplementedError

    def _decode_run(self, rows: np.ndarray, skipped: int) -> FrameRun:
        """The (valid) rows as one run, each as :meth:`_decode` would give it."""
        raise NotImplementedError

    # -------------------------------------------------------------- engine
    def _confirmed(self, buf: bytearray, pos: int) -> bool | None:
        seq0 = self._seq(buf, pos)
        step = self.frame_len
        for k in range(1, self.n_confirm + 1):
            p = pos + k * step
            if len(buf) < p + step:
                return None
            if not self._valid(buf, p):
                return False
            if (
                seq0 is not None
                and self.seq_modulus
                and self._seq(buf, p) != (seq0 + k) % self.seq_modulus
            ):
                return False
        return True

    def _discard(self, n: int) -> None:
        self._skipped += n
        self.stats.corrupt_bytes += n

    def feed(self, data: bytes) -> list[Frame | Message]:
        """Consume ``data`` and return the frames completed by it, in order."""
        return expand_runs(self.feed_items(data))

    def feed_items(self, data: bytes) -> list[Frame | FrameRun | Message]:
        """As :meth:`feed`, with in-sync runs of frames as :class:`FrameRun` arrays.

        For consumers that work on arrays (drivers, benchmarks): no Python
        object per frame. Parsers without array decoding (``bulk`` False) give
        what :meth:`feed` gives.
        """
        buf = self._buf
        buf += data
        self.stats.bytes_in += len(data)
        out: list[Frame | FrameRun | Message] = []
        pos = 0
        step = self.frame_len
        n = len(buf)
        while n - pos >= step:
            if self._locked and self.bulk and n - pos >= 2 * step:
                run_end = self._accept_run(buf, pos, out)
                if run_end > pos:
                    pos = run_end
                    continue
            if self._locked:
                if self._valid(buf, pos):
                    seq = self._seq(buf, pos)
                    if seq is None or self._expected is None or seq == self._expected:
                        ok: bool | None = True
                    else:
                        ok = self._confirmed(buf, pos)
                    if ok is None:
                        break
                    if ok:
                        pos = self._accept(buf, pos, out)
                        continue
                self.stats.corrupt_frames += 1
                self._locked = False
                self._discard(1)
                pos += 1
                continue
            cand = self._next_candidate(buf, pos)
            if cand < 0:
                self._discard(n - pos)
                pos = n
                break
            if cand > pos:
                self._discard(cand - pos)
                pos = cand
                continue
            if not self._valid(buf, pos):
                self._discard(1)
                pos += 1
                continue
            seq = self._seq(buf, pos)
            if self.trust_expected_seq and seq is not None and seq == self._expected:
                ok = True
            else:
                ok = self._confirmed(buf, pos)
            if ok is None:
                break
            if not ok:
                self._discard(1)
                pos += 1
                continue
            pos = self._accept(buf, pos, out)
        del buf[:pos]
        if len(buf) > self.max_buffer:  # pragma: no cover - only with pathological framing
            self._discard(len(buf) - self.frame_len)
            del buf[: len(buf) - self.frame_len]
        return out

    def _accept_run(self, buf: bytearray, pos: int, out: list[Any]) -> int:
        """In sync: accept the run of whole frames at ``pos`` that are valid and in sequence.

        The same frames the per-frame path accepts (valid, and carrying the
        expected sequence number); it stops before the first other frame,
        which the per-frame path then handles. Returns the position after the run.
        """
        step = self.frame_len
        m = (len(buf) - pos) // step
        rows = np.frombuffer(bytes(buf[pos : pos + m * step]), dtype=np.uint8).reshape(m, step)
        run = self._run_length(rows)
        if run == 0:
            return pos
        frames = self._decode_run(rows[:run], self._skipped)
        out.append(frames)
        self._skipped = 0
        self.stats.frames += run
        if self.seq_modulus:
            self._expected = (int(frames.seq[-1]) + 1) % self.seq_modulus
        return pos + run * step

    def _accept(self, buf: bytearray, pos: int, out: list[Any]) -> int:
        frame = self._decode(buf, pos, self._skipped)
        out.append(frame)
        self.stats.frames += 1
        self._skipped = 0
        self._locked = True
        if frame.seq is not None and self.seq_modulus:
            self._expected = (frame.seq + 1) % self.seq_modulus
        return pos + self.frame_len
