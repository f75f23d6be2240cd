"""``ad8232://PORT`` - the common Arduino + AD8232 sketch (one ASCII integer per line).

URL parameters: ``baud=115200``, ``fs`` (Hz; when absent the rate is
estimated by listening ``probe_s`` seconds at open, since the sketch has no
fixed rate), ``probe_s`` (default 1 without ``fs``, else 0),
``bits=10`` / ``vref=3.3`` / ``gain=1100``
(Arduino ADC and AD8232 board gain for the mV conversion), ``timeout_s=3``,
plus the common options.

``!`` lines (LO+ or LO- high) become NaN samples with lead-off set. There is
no sequence number: each corrupt line is counted as one lost sample (an
estimated gap). The clock model measures the real rate and the arrival jitter;
a ``rate`` event is raised when the rate is more than ``rate_tol`` (default 2%)
off ``fs`` or the jitter exceeds two sample periods.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ecgcore.drivers._serial import SerialPort, usb_serial_number
from ecgcore.drivers._stream import ByteStreamDevice
from ecgcore.drivers.base import ChannelInfo, DeviceInfo
from ecgcore.drivers.protocols import Frame, Message
from ecgcore.drivers.protocols import ad8232 as proto
from ecgcore.drivers.registry import DeviceURL, common_options, register_scheme
from ecgcore.errors import DeviceError

__all__ = ["AD8232Device"]


class AD8232Device(ByteStreamDevice):
    """Arduino + AD8232 single-lead ECG."""

    def __init__(
        self,
        url: str,
        port: str,
        *,
        fs: float | None = None,
        baud: int = 115200,
        probe_s: float | None = None,
        bits: int = 10,
        vref: float = 3.3,
        gain: float = 1100.0,
        rate_tol: float = 0.02,
        timeout_s: float = 3.0,
        **options: Any,
    ) -> None:
        super().__init__(url, **options)
        if fs is not None and not fs > 0:
            raise DeviceError(f"{url}: fs must be positive, got {fs}")
        self.port = SerialPort(port, baud)
        self._fs = fs
        self._probe_s = float(probe_s if probe_s is not None else (1.0 if fs is None else 0.0))
        self.bits, self.vref, self.gain = int(bits), float(vref), float(gain)
        self._rate_tol = float(rate_tol)
        self._timeout_s = float(timeout_s)
        self._rate_flagged = False
        self._reset_parser(proto.AD8232Parser())

    @classmethod
    def from_url(cls, url: DeviceURL) -> AD8232Device:
        """Build from ``ad8232://PORT?baud=115200&fs=250``."""
        return cls(
            url.raw,
            url.target,
            fs=url.get_float("fs"),
            baud=url.get_int("baud", 115200),
            probe_s=url.get_float("probe_s"),
            bits=url.get_int("bits", 10),
            vref=url.get_float("vref", 3.3),
            gain=url.get_float("gain", 1100.0),
            rate_tol=url.get_float("rate_tol", 0.02),
            timeout_s=url.get_float("timeout_s", 3.0),
            **common_options(url),
        )

    def _open(self) -> DeviceInfo:
        self.port.open()
        try:
            measured = self._probe()
        except Exception:
            self.port.close()
            raise
        source = "url"
        if self._fs is None:
            if not np.isfinite(measured):
                self.port.close()
                raise DeviceError(f"{self.url}: too few lines to estimate fs; give fs=")
            self._fs, source = round(measured, 1), "estimated"
        counts_per_mv = 2**self.bits * self.gain / (self.vref * 1000.0)
        desc = f"AD8232 gain {self.gain:g}, {self.bits}-bit ADC, VREF {self.vref:g} V"
        return DeviceInfo(
            model="Arduino + AD8232",
            serial_number=usb_serial_number(self.port.path),
            firmware="",
            channels=(ChannelInfo("ECG", "mV", counts_per_mv, "ecg", desc),),
            fs=self._fs,
            extra={"port": self.port.path, "fs_source": source, "fs_probe_hz": measured},
        )

    def _probe(self) -> float:
        """Wait for the first line, then count lines for ``probe_s``; return their rate (Hz).

        Returns nan when fewer than two chunks of lines arrived while listening.
        """
        probe = proto.AD8232Parser()
        deadline = time.monotonic() + self._timeout_s
        t_first = t_last = float("nan")
        lines = 0
        while time.monotonic() < deadline:
            if probe.feed(self.port.read(0.02)):
                t_first = time.monotonic()
                break
        else:
            raise DeviceError(
                f"{self.url}: no AD8232 lines within {self._timeout_s:g} s "
                f"({probe.stats.bytes_in} bytes, {probe.stats.corrupt_frames} bad lines)"
            )
        until = t_first + max(self._probe_s, 0.0)
        while time.monotonic() < until:
            got = probe.feed(self.port.read(0.02))
            if got:
                lines += len(got)
                t_last = time.monotonic()
        if lines < 2 or not t_last > t_first:
            return float("nan")
        return lines / (t_last - t_first)

    def _start(self) -> None:
        self.parser.reset()
        self._fresh = True

    def _stop(self) -> None:
        """The sketch streams continuously; nothing to send."""

    def _close(self) -> None:
        self.port.close()

    def _read_bytes(self, timeout_s: float) -> bytes:
        return self.port.read(timeout_s)

    def _has_lead_off(self) -> bool:
        return True

    def _handle(self, items: list[Frame | Message], arrival_s: float) -> None:
        frames = [f for f in items if isinstance(f, Frame)]
        if not frames:
            return
        fresh, self._fresh = self._fresh, False
        nxt = self._base_index(arrival_s, len(frames))
        index = np.empty(len(frames), dtype=np.int64)
        estimated = np.zeros(len(frames), dtype=bool)
        values = np.full((len(frames), 1), np.nan)
        lead_off = np.zeros((len(frames), 1), dtype=bool)
        for i, f in enumerate(frames):
            lost = f.kind if not (fresh and i == 0) else 0  # corrupt lines before this one
            if lost:
                self._count("dropped_frames", lost)
                nxt += lost
                estimated[i] = True
            index[i] = nxt
            nxt += 1
            if f.values:
                values[i, 0] = f.values[0]
            else:
                lead_off[i, 0] = True
        mv = (values / 2.0**self.bits - 0.5) * self.vref / self.gain * 1000.0
        self._emit(index, mv, lead_off, arrival_s, estimated=estimated)
        self._check_rate()

    def _check_rate(self) -> None:
        clock = self._clock
        if self._rate_flagged or clock is None or not clock.fitted:
            return
        fs = self.info.fs
        off = abs(clock.fs_estimated / fs - 1.0)
        jitter_ms = clock.jitter_s * 1e3
        if off > self._rate_tol or jitter_ms > 2000.0 / fs:
            self._rate_flagged = True
            self._event(
                "rate",
                self.next_sample,
                f"irregular rate: measured {clock.fs_estimated:.2f} Hz vs {fs:g} Hz, "
                f"arrival jitter {jitter_ms:.1f} ms",
                fs_estimated_hz=clock.fs_estimated,
                jitter_ms=jitter_ms,
            )


register_scheme(
    "ad8232",
    AD8232Device.from_url,
    description="Arduino + AD8232 sketch (ASCII lines, '!' = leads off), samples in mV",
    example="ad8232:///dev/ttyACM0?baud=115200&fs=250",
)
