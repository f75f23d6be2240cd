"""FilterSpec: what an ECG filter removes, independent of the sampling rate."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ecgcore.errors import SignalError

__all__ = ["FilterSpec"]

_MAX_ORDER = 8


def _positive_hz(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SignalError(f"{name} must be a number in Hz or None, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise SignalError(f"{name} must be a positive finite frequency in Hz, got {value!r}")
    return value


def _order(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_ORDER:
        raise SignalError(f"{name} must be an integer from 1 to {_MAX_ORDER}, got {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class FilterSpec:
    """What an ECG filter removes, in Hz; the design for a given ``fs`` is separate.

    Every stage is optional; the cascade is high-pass (baseline wander), then
    low-pass (muscle noise, aliasing), then one notch per mains harmonic.
    High-pass and low-pass are Butterworth filters, the notches are
    second-order IIR notches (``scipy.signal.iirnotch``); all of it runs as
    second-order sections.

    Parameters
    ----------
    highpass_hz : float or None
        -3 dB corner of the baseline high-pass in Hz (e.g. 0.05 or 0.5), or None.
    lowpass_hz : float or None
        -3 dB corner of the low-pass in Hz (e.g. 40, 100 or 150), or None.
    notch_hz : float or None
        Mains frequency to remove in Hz (50 or 60), or None for no notch.
    notch_harmonics : int or None
        How many multiples of ``notch_hz`` to remove, counting the fundamental
        (1 = ``notch_hz`` only, 3 = 50, 100 and 150 Hz). None removes every
        multiple below the Nyquist frequency of the ``fs`` the filter is
        designed for. Only valid together with ``notch_hz``.
    highpass_order, lowpass_order : int
        Butterworth orders (1 to 8).
    notch_q : float
        Quality factor of each notch: centre frequency / -3 dB bandwidth
        (30 gives a 1.7 Hz wide notch at 50 Hz, proportionally wider at the
        harmonics, which drift with the mains frequency).
    name : str
        Label used in messages and logs; presets carry their registry name.
        Not part of equality: two specs with the same numbers are equal.
    """

    highpass_hz: float | None = 0.5
    lowpass_hz: float | None = 40.0
    notch_hz: float | None = None
    notch_harmonics: int | None = None
    highpass_order: int = 2
    lowpass_order: int = 4
    notch_q: float = 30.0
    name: str = dataclasses.field(default="custom", compare=False)

    def __post_init__(self) -> None:
        hp = _positive_hz("highpass_hz", self.highpass_hz)
        lp = _positive_hz("lowpass_hz", self.lowpass_hz)
        notch = _positive_hz("notch_hz", self.notch_hz)
        object.__setattr__(self, "highpass_hz", hp)
        object.__setattr__(self, "lowpass_hz", lp)
        object.__setattr__(self, "notch_hz", notch)
        _order("highpass_order", self.highpass_order)
        _order("lowpass_order", self.lowpass_order)
        if hp is None and lp is None and notch is None:
            raise SignalError(
                "a FilterSpec must remove something: give highpass_hz, lowpass_hz or notch_hz"
            )
        if hp is not None and lp is not None and hp >= lp:
            raise SignalError(f"highpass_hz ({hp:g} Hz) must be below lowpass_hz ({lp:g} Hz)")
        if self.notch_harmonics is not None:
            if notch is None:
                raise SignalError("notch_harmonics was given without notch_hz")
            count = self.notch_harmonics
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise SignalError(
                    f"notch_harmonics must be a positive integer or None, got {count!r}"
                )
        q = _positive_hz("notch_q", self.notch_q)
        object.__setattr__(self, "notch_q", q)
        if not isinstance(self.name, str) or not self.name:
            raise SignalError(f"name must be a non-empty string, got {self.name!r}")

    def replace(self, **changes: Any) -> FilterSpec:
        """Return a copy with ``changes`` applied, e.g. ``spec.replace(notch_hz=50)``."""
        return dataclasses.replace(self, **changes)

    def notch_frequencies(self, fs: float) -> tuple[float, ...]:
        """Centre frequencies (Hz) of the notches for sampling rate ``fs`` (Hz).

        With ``notch_harmonics=None`` these are all multiples of ``notch_hz``
        strictly below ``fs / 2``; otherwise the first ``notch_harmonics``
        multiples (checked against ``fs`` by :meth:`check_fs`).
        """
        if self.notch_hz is None:
            return ()
        if self.notch_harmonics is None:
            count = math.ceil(fs / 2 / self.notch_hz) - 1
        else:
            count = self.notch_harmonics
        return tuple(self.notch_hz * k for k in range(1, count + 1))

    def _limits(self) -> list[tuple[str, float]]:
        """(what, frequency in Hz) of every frequency that must lie below Nyquist."""
        out = []
        if self.lowpass_hz is not None:
            out.append(("low-pass corner", self.lowpass_hz))
        if self.highpass_hz is not None:
            out.append(("high-pass corner", self.highpass_hz))
        if self.notch_hz is not None:
            k = self.notch_harmonics or 1
            out.append(("notch" if k == 1 else f"notch harmonic {k}", self.notch_hz * k))
        return sorted(out, key=lambda item: -item[1])

    def min_fs(self) -> float:
        """Lowest sampling rate (Hz, exclusive) this spec can be designed for.

        Every corner and notch must lie below the Nyquist frequency ``fs / 2``.
        """
        return 2.0 * self._limits()[0][1]

    def check_fs(self, fs: float) -> None:
        """Raise :class:`SignalError` if ``fs`` (Hz) is too low for this spec."""
        what, freq = self._limits()[0]
        if freq >= fs / 2:
            raise SignalError(
                f"fs={fs:g} Hz is too low for filter {self.describe()}: its {what} "
                f"({freq:g} Hz) must lie below the Nyquist frequency fs/2 = {fs / 2:g} Hz; "
                f"use fs > {self.min_fs():g} Hz or another preset"
            )

    def describe(self) -> str:
        """One-line description, e.g. ``'monitoring' (0.5-40 Hz, notch 50 Hz + harmonics)``."""
        lo = "DC" if self.highpass_hz is None else f"{self.highpass_hz:g}"
        hi = "Nyquist" if self.lowpass_hz is None else f"{self.lowpass_hz:g}"
        text = f"{self.name!r} ({lo}-{hi} Hz"
        if self.notch_hz is not None:
            if self.notch_harmonics is None:
                text += f", notch {self.notch_hz:g} Hz + harmonics"
            elif self.notch_harmonics == 1:
                text += f", notch {self.notch_hz:g} Hz"
            else:
                text += f", notch {self.notch_hz:g} Hz × {self.notch_harmonics}"
        return text + ")"

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary of every field (JSON-ready), e.g. for the ECG log."""
        return dataclasses.asdict(self)
