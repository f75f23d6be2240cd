"""Arduino + AD8232 sketch simulator: ASCII lines, ``!`` while an electrode is off."""

from __future__ import annotations

import random

from ecgcore.drivers.simulators._pty import PtySimulator
from ecgcore.drivers.simulators._waveform import ecg_mv

__all__ = ["AD8232Simulator"]


class AD8232Simulator(PtySimulator):
    """Streams ``analogRead`` values from power-on at ``fs`` (loop with ``delay``).

    ``jitter`` (0..1) makes each tick's frame count vary randomly, like a
    ``loop()`` whose duration depends on what else the sketch does.
    """

    name = "ad8232"

    def __init__(
        self, *, fs: float = 250.0, jitter: float = 0.0, seed: int = 0, **kwargs: object
    ) -> None:
        kwargs.setdefault("streaming", True)
        super().__init__(fs, **kwargs)  # type: ignore[arg-type]
        self.jitter = float(jitter)
        self._rng = random.Random(seed)

    def adc(self, k: int) -> int:
        """10-bit reading of sample ``k`` (gain 1100, 3.3 V reference)."""
        return round((ecg_mv(k, self.fs) / 1000.0 * 1100 / 3.3 + 0.5) * 1024)

    def encode_frame(self, index: int) -> tuple[bytes, tuple[int, ...]]:
        if self.lead_off:
            return b"!\r\n", ()
        value = self.adc(index)
        return f"{value}\r\n".encode("ascii"), (value,)

    def corrupt(self, wire: bytes) -> bytes:
        return b"#" + wire[1:]

    def _tick(self) -> None:
        if self.jitter and self.streaming:
            self._t0 += self._rng.uniform(-1, 1) * self.jitter * self.tick_s
        super()._tick()

    def handle_input(self, data: bytes) -> None:
        """The sketch ignores input."""
