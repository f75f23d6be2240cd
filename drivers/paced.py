"""Software sources paced by the wall clock (``file://``, ``sim://``).

A :class:`PacedDevice` produces samples on demand from :meth:`_generate` as
fast as real time (times ``speed``) allows, through the same ring buffer,
events and lifecycle as hardware. Subclasses implement :meth:`_open_source`,
:meth:`_generate` and optionally :meth:`_n_samples` (finite sources end with
an ``end`` event).
"""

from __future__ import annotations

import time
from abc import abstractmethod
from typing import Any

import numpy as np

from ecgcore.drivers.base import Device, DeviceInfo
from ecgcore.errors import DeviceError

__all__ = ["PacedDevice"]


#: Most signal computed in one step of the reader thread, s. A source that
#: runs behind its clock (a high ``speed``, a slow machine) catches up in steps
#: of this size instead of computing everything it owes at once.
MAX_STEP_S = 1.0


class PacedDevice(Device):
    """A device whose samples are computed, released at ``fs * speed`` per second.

    Parameters
    ----------
    url : str
        URL the source was opened with.
    speed : float
        Playback speed (1 = real time).
    reports_lead_off : bool
        Whether :meth:`_generate` returns lead-off masks.
    """

    def __init__(
        self, url: str, *, speed: float = 1.0, reports_lead_off: bool = False, **options: Any
    ) -> None:
        options.setdefault("reconnect", False)
        super().__init__(url, **options)
        if not (np.isfinite(speed) and speed > 0):
            raise DeviceError(f"{url}: speed must be a positive number, got {speed!r}")
        self.speed = float(speed)
        self._reports_lead_off = bool(reports_lead_off)
        self._t0 = 0.0
        self._base = 0
        self._ended = False

    @abstractmethod
    def _open_source(self) -> DeviceInfo:
        """Prepare the source and describe it."""

    @abstractmethod
    def _generate(self, start_sample: int, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Return ``n`` rows from ``start_sample``: data (n, ch), lead-off (n, ch) or None."""

    def _n_samples(self) -> int | None:
        """Total samples of a finite source (``None`` = endless)."""
        return None

    def _open(self) -> DeviceInfo:
        return self._open_source()

    def _start(self) -> None:
        self._t0 = time.monotonic()
        self._base = self.next_sample

    def _stop(self) -> None:
        """Nothing to tell a computed source."""

    def _close(self) -> None:
        """Nothing to release."""

    def _has_lead_off(self) -> bool:
        return self._reports_lead_off

    def _pump(self, timeout_s: float) -> bool:
        fs = self.info.fs
        total = self._n_samples()
        due = self._base + int((time.monotonic() - self._t0) * fs * self.speed)
        if total is not None:
            due = min(due, total)
        n = min(due - self.next_sample, max(1, round(MAX_STEP_S * fs)))
        if n > 0:
            start = self.next_sample
            data, lead_off = self._generate(start, n)
            self._push(start, data, lead_off if self._reports_lead_off else None)
        elif total is not None and self.next_sample >= total and not self._ended:
            self._ended = True
            self._event("end", self.next_sample, f"end of source after {total} samples")
            with self._cond:
                self._running.clear()
                self._state = "finished"
                self._cond.notify_all()
        else:
            time.sleep(min(timeout_s, max(1.0 / (fs * self.speed), 0.002)))
        return True
