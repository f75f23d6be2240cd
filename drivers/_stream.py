"""Shared machinery of byte-stream drivers (serial ports and USB HID): parser
counters, sequence-number unwrapping and placing samples at their indices."""

from __future__ import annotations

import math
import time
from abc import abstractmethod
from typing import Any

import numpy as np

from ecgcore.drivers.base import Device
from ecgcore.drivers.protocols import Frame, Message, ParserStats

__all__ = ["ByteStreamDevice", "SequenceUnwrapper"]


class SequenceUnwrapper:
    """Turn wrapping sequence numbers into an absolute frame counter.

    The first number seen maps to 0. A number ``d`` steps ahead (mod
    ``modulus``) of the previous one advances the counter by ``d``: so up to
    ``modulus - 1`` lost frames are counted exactly; a loss of a multiple of
    ``modulus`` frames cannot be seen in the numbers (the host clock catches
    that on reconnects only). ``d == 0`` is a repeated frame.
    """

    def __init__(self, modulus: int) -> None:
        self.modulus = int(modulus)
        self.reset()

    def reset(self) -> None:
        """Forget the last number (next one maps to :attr:`origin`)."""
        self._last: int | None = None
        self.value = -1
        self.origin = 0

    def update(self, seq: int) -> tuple[int, int]:
        """Return ``(absolute index, frames lost before it)`` for number ``seq``."""
        if self._last is None:
            self._last = seq
            self.value = self.origin
            return self.value, 0
        step = (seq - self._last) % self.modulus
        self._last = seq
        if step == 0:
            return self.value, 0  # a repeat: caller sees an index already used
        self.value += step
        return self.value, step - 1

    def update_run(self, seqs: np.ndarray) -> tuple[np.ndarray, int]:
        """:meth:`update` over the numbers ``seqs`` in order: (indices, frames lost in total)."""
        first, lost = self.update(int(seqs[0]))
        steps = np.diff(np.asarray(seqs, dtype=np.int64)) % self.modulus
        out = np.empty(steps.shape[0] + 1, dtype=np.int64)
        out[0] = first
        np.cumsum(steps, out=out[1:])
        out[1:] += first  # a step of 0 (a repeat) keeps the index, as in update()
        if steps.shape[0]:
            self._last = int(seqs[-1])
            self.value = int(out[-1])
            lost += int(np.maximum(steps - 1, 0).sum())
        return out, lost


class ByteStreamDevice(Device):
    """A device whose transport delivers bytes that a protocol parser turns into frames.

    Subclasses provide :meth:`_read_bytes` (transport) and :meth:`_handle`
    (frames -> samples via :meth:`_emit`). Parser counters are mirrored into the
    device counters after every chunk.
    """

    parser: Any
    #: The parser's in-sync runs reach :meth:`_handle` as :class:`FrameRun` arrays.
    array_runs = False

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self._seen = ParserStats()
        self._reanchor = False
        self._fresh = True  # the next frame is the first after (re)start

    @abstractmethod
    def _read_bytes(self, timeout_s: float) -> bytes:
        """Return available bytes (waiting up to ``timeout_s``); raise OSError when gone."""

    @abstractmethod
    def _handle(self, items: list[Frame | Message], arrival_s: float) -> None:
        """Turn parsed items into samples (:meth:`_emit`) and events."""

    def _pump(self, timeout_s: float) -> bool:
        data = self._read_bytes(timeout_s)
        if not data:
            return False
        arrival = time.time()
        items = self.parser.feed_items(data) if self.array_runs else self.parser.feed(data)
        self._sync_counters()
        if items:
            self._handle(items, arrival)
        return True

    def _sync_counters(self) -> None:
        st = self.parser.stats
        for name in ("frames", "corrupt_bytes", "corrupt_frames"):
            delta = getattr(st, name) - getattr(self._seen, name)
            if delta:
                self._count(name, delta)
                setattr(self._seen, name, getattr(st, name))

    def _reset_parser(self, parser: Any) -> None:
        """Install a fresh parser (after open/reconnect) keeping the counters consistent."""
        self.parser = parser
        self._seen = ParserStats()

    def _on_reconnected(self) -> None:
        self._reanchor = True
        self._fresh = True

    def _base_index(self, arrival_s: float, n_rows: int) -> int:
        """Index for the first of ``n_rows`` new rows: after a reconnect from the host
        clock (:meth:`_anchor_index`), else :attr:`next_sample`."""
        if self._reanchor:
            return self._anchor_index(arrival_s, n_rows)
        return self.next_sample

    def _anchor_index(self, arrival_s: float, n_rows: int) -> int:
        """Index of the first of ``n_rows`` rows arriving first after a reconnect.

        Placed where the host clock says they belong (so the time lost while
        unplugged becomes a gap), never before :attr:`next_sample`.
        """
        self._reanchor = False
        self._next_gap_estimated = True  # a gap before these rows comes from the host clock
        clock = self._clock
        if clock is None or clock.n == 0:
            return self.next_sample
        predicted = math.floor(clock.index_at(arrival_s) + 0.5) - (n_rows - 1)
        return max(self.next_sample, predicted)

    def _emit(
        self,
        index: np.ndarray,
        data: np.ndarray,
        lead_off: np.ndarray | None,
        arrival_s: float,
        *,
        estimated: np.ndarray | None = None,
    ) -> None:
        """Push rows with absolute ``index`` (increasing), splitting at gaps."""
        if len(index) == 0:
            return
        breaks = np.nonzero(np.diff(index) != 1)[0] + 1
        starts = np.concatenate([[0], breaks])
        ends = np.concatenate([breaks, [len(index)]])
        for s, e in zip(starts, ends, strict=True):
            self._push(
                int(index[s]),
                data[s:e],
                None if lead_off is None else lead_off[s:e],
                arrival_s=arrival_s,
                estimated_gap=bool(estimated is not None and estimated[s]),
            )

    def _message_events(self, items: list[Frame | Message]) -> None:
        for item in items:
            if isinstance(item, Message):
                self._event(
                    "message", self.next_sample, f"device message: {item.text}", text=item.text
                )
