"""Crash-safe incremental WFDB recording of a live stream.

:class:`RecordWriter` appends a device's samples to ``NAME.dat`` exactly as
the device sent them (integer ADC counts recovered with the device's own gain,
so every count survives; missing samples as WFDB's invalid value) and, at every
flush (at least once per second), syncs the data and atomically rewrites
``NAME.hea`` with the current sample count. A process killed at any moment
leaves a record that ``wfdb.rdrecord`` reads up to the last flush. Events
(gaps, disconnects, lead-off changes) go to ``NAME.evt`` and the live R-peaks
to ``NAME.qrs`` (WFDB annotation files, rewritten atomically when they
change); device, filter and session details are header comments.

The header and signal file are written here rather than with
``wfdb.wrsamp``/``ecgcore.io.write_record`` because those write a whole
record from memory at once; a recorder must append and keep a valid header
after every flush.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ecgcore._validate import logger
from ecgcore.drivers import DeviceInfo, SampleBlock
from ecgcore.errors import DataError
from ecgcore.io import Annotations, write_annotations
from ecgcore.stream.events import DeviceNotice, LeadStatusEvent, RPeakEvent

__all__ = ["WFDB_FORMATS", "RecordSummary", "RecordWriter", "comment_lines", "format_for"]

#: WFDB format -> (numpy little-endian dtype, bytes per sample, invalid value, lowest, highest).
WFDB_FORMATS: Mapping[str, tuple[str, int, int, int, int]] = {
    "16": ("<i2", 2, -(2**15), -(2**15) + 1, 2**15 - 1),
    "24": ("<i4", 3, -(2**23), -(2**23) + 1, 2**23 - 1),
    "32": ("<i4", 4, -(2**31), -(2**31) + 1, 2**31 - 1),
}

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
#: Counts per unit used when a device reports no gain (1 count = 0.001 unit).
FALLBACK_GAIN = 1000.0
#: Event lines kept in the header (all events are in the .evt file).
MAX_HEADER_EVENTS = 200


def format_for(info: DeviceInfo) -> str:
    """The narrowest WFDB format that holds every count the device can send.

    From ``info.extra["adc_range"]`` (lowest, highest count) when the device
    gives it, else ``info.extra["adc_bits"]`` (signed counts: 16 holds up to 15
    bits plus sign, as WFDB reserves the lowest value); 32 when unknown.
    """
    rng = info.extra.get("adc_range")
    if isinstance(rng, tuple | list) and len(rng) == 2:
        for fmt in ("16", "24", "32"):
            lo, hi = WFDB_FORMATS[fmt][3:]
            if lo <= rng[0] and rng[1] <= hi:
                return fmt
    bits = info.extra.get("adc_bits")
    if isinstance(bits, int | float) and bits > 0:
        if bits <= 15:
            return "16"
        if bits <= 23:
            return "24"
    return "32"


@dataclasses.dataclass(frozen=True)
class RecordSummary:
    """What was recorded.

    Attributes
    ----------
    path : Path
        Record path without extension (``DIR/NAME``).
    files : tuple of Path
        Every file of the record (header, signal, annotation files).
    n_samples : int
        Samples per channel.
    fs : float
        Sampling rate, Hz.
    missing_samples : int
        Samples stored as WFDB's invalid value (channel-samples).
    n_events, n_peaks : int
        Annotations written to ``.evt`` and ``.qrs``.
    end_reason : str
        Why the recording ended.
    """

    path: Path
    files: tuple[Path, ...]
    n_samples: int
    fs: float
    missing_samples: int
    n_events: int
    n_peaks: int
    end_reason: str

    @property
    def duration_s(self) -> float:
        """Recorded duration, seconds."""
        return self.n_samples / self.fs


def _fmt_number(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _pack(counts: np.ndarray, fmt: str) -> bytes:
    dtype, width = WFDB_FORMATS[fmt][:2]
    arr = np.ascontiguousarray(counts, dtype=dtype)
    if width == 3:  # 24-bit: the three low bytes of each little-endian int32
        return arr.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    return arr.tobytes()


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class RecordWriter:
    """Append a device's blocks to a WFDB record, crash-safe.

    Parameters
    ----------
    directory : str or Path
        Output folder (created if needed).
    name : str
        Record name (letters, digits, ``_``, ``-``); existing files of that
        record are never overwritten (:class:`DataError`).
    info : DeviceInfo
        The device: channel names, units and gains (counts per unit).
    fmt : str, optional
        WFDB format ``"16"``, ``"24"`` or ``"32"`` (default from the device's
        ``adc_bits``, see :func:`format_for`).
    comments : iterable of str
        Extra header comment lines (session, filter settings...).
    flush_every_s : float
        Longest time between flushes, seconds of wall clock (at most 1 s is
        required for crash safety; default 0.5).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        name: str,
        info: DeviceInfo,
        *,
        fmt: str | None = None,
        comments: Iterable[str] = (),
        flush_every_s: float = 0.5,
    ) -> None:
        if not _NAME.match(name):
            raise DataError(
                f"record name {name!r} is not valid for WFDB: use letters, digits, _ and -"
            )
        self.directory = Path(directory)
        self.name = name
        self.info = info
        self.fmt = fmt or format_for(info)
        if self.fmt not in WFDB_FORMATS:
            raise DataError(f"WFDB format {self.fmt!r} is not supported; use 16, 24 or 32")
        self.flush_every_s = float(flush_every_s)
        self.comments = [str(c) for c in comments]
        gain = info.gain
        self.gain_reported = np.isfinite(gain) & (gain > 0)
        self.gain = np.where(self.gain_reported, gain, FALLBACK_GAIN)
        for j in np.nonzero(~self.gain_reported)[0]:
            logger.warning(
                "%s: channel %s reports no ADC gain; stored at %g counts/%s",
                info.model, info.lead_names[j], FALLBACK_GAIN, info.units[j],
            )  # fmt: skip
        self.directory.mkdir(parents=True, exist_ok=True)
        self.base = self.directory / name
        for ext in ("hea", "dat", "evt", "qrs"):
            existing = self.base.with_suffix(f".{ext}")
            if existing.exists():
                raise DataError(
                    f"{existing}: a record called {name!r} already exists; choose --name"
                )
        self._dat = open(self.base.with_suffix(".dat"), "xb")  # noqa: SIM115 - kept open
        self.n_samples = 0
        self.missing = 0
        self.non_integral = 0
        self._pending: list[np.ndarray] = []
        self._checksum = np.zeros(info.n_channels, dtype=np.int64)
        self._initial: np.ndarray | None = None
        self._start: datetime | None = None
        self._events: list[tuple[int, str, str]] = []  # (sample, symbol, aux)
        self._peaks: list[int] = []
        self._ann_dirty = False
        self._last_flush = time.monotonic()
        self.end_reason = ""
        self.done = False

    # ----------------------------------------------------------------- input
    def write(self, block: SampleBlock) -> None:
        """Append a block (its samples must follow the previous block's)."""
        if self.done:
            raise DataError(f"{self.base}: write() after finish()")
        n = block.n_samples
        if n:
            expected = self.n_samples + sum(p.shape[0] for p in self._pending)
            if block.first_sample < expected:
                raise DataError(
                    f"{self.base}: block starts at sample {block.first_sample}, before the "
                    f"expected {expected} (samples must not repeat)"
                )
            if self._start is None:
                t0 = float(block.host_time_s[0]) - block.first_sample / self.info.fs
                self._start = datetime.fromtimestamp(t0, UTC)
            if block.first_sample > expected:  # lost before reaching us: missing
                gap = block.first_sample - expected
                logger.warning("%s: %d sample(s) lost before sample %d; stored as missing",
                               self.base, gap, block.first_sample)  # fmt: skip
                invalid = WFDB_FORMATS[self.fmt][2]
                self._pending.append(np.full((gap, self.info.n_channels), invalid, np.int64))
                self.missing += gap * self.info.n_channels
            self._pending.append(self._to_counts(block))
        for ev in block.events:
            if ev.kind != "lead_off":
                self._events.append((ev.sample, '"', f"{ev.kind}: {ev.message}"[:250]))
                self._ann_dirty = True
        if time.monotonic() - self._last_flush >= self.flush_every_s:
            self.flush()

    def add_events(self, events: Iterable[Any]) -> None:
        """Record pipeline events: R-peaks (``.qrs``), lead-off changes and alarms (``.evt``).

        Alarms are written at their onset (raised) and where their rhythm ended
        (cleared), which can be seconds before the samples written last.
        """
        for ev in events:
            if isinstance(ev, RPeakEvent):
                self._peaks.append(ev.sample)
                self._ann_dirty = True
            elif isinstance(ev, LeadStatusEvent):
                state = "off" if ev.off else "on"
                self._events.append((ev.sample, '"', f"lead_off: {ev.lead} {state}"))
                self._ann_dirty = True
            elif isinstance(ev, DeviceNotice):
                pass  # already taken from the block's events
            elif isinstance(getattr(ev, "alarm", None), str) and hasattr(ev, "active"):
                # a rhythm alarm (ecgcore.rhythm.stage.RhythmAlarmEvent): onset or end
                state = "raised" if ev.active else "cleared"
                text = f"alarm {ev.alarm} {state}: {getattr(ev, 'message', '')}"
                self._events.append((int(ev.sample), '"', text[:250]))
                self._ann_dirty = True

    def _to_counts(self, block: SampleBlock) -> np.ndarray:
        x = block.data * self.gain
        missing = ~np.isfinite(x)
        counts = np.rint(np.where(missing, 0.0, x))
        off = np.abs(x - counts)
        bad = (off > 1e-3) & ~missing
        if bad.any():
            if self.non_integral == 0:
                logger.warning(
                    "%s: samples are not whole ADC counts at the device's gain; stored rounded "
                    "(see the header's non_integral count)", self.base,
                )  # fmt: skip
            self.non_integral += int(bad.sum())
        _, _, invalid, lo, hi = WFDB_FORMATS[self.fmt]
        out_of_range = ((counts < lo) | (counts > hi)) & ~missing
        if out_of_range.any():
            r, c = (int(v[0]) for v in np.nonzero(out_of_range))
            raise DataError(
                f"{self.base}: channel {self.info.lead_names[c]} sample "
                f"{block.first_sample + r} is {counts[r, c]:.0f} counts, outside WFDB format "
                f"{self.fmt} ({lo}..{hi}); record with a wider format"
            )
        counts = counts.astype(np.int64)
        counts[missing] = invalid
        self.missing += int(missing.sum())
        return counts

    # ---------------------------------------------------------------- output
    def flush(self) -> None:
        """Append pending samples, sync them, then rewrite the header (and annotations)."""
        if self._pending:
            counts = np.vstack(self._pending)
            self._pending = []
            self._dat.write(_pack(counts, self.fmt))
            self._dat.flush()
            os.fsync(self._dat.fileno())
            if self._initial is None:
                self._initial = counts[0].copy()
            self._checksum += counts.sum(axis=0)
            self.n_samples += counts.shape[0]
        if self.n_samples:
            _atomic_write(self.base.with_suffix(".hea"), self.header_text())
            if self._ann_dirty:
                self._write_annotations()
        self._last_flush = time.monotonic()

    def _write_annotations(self) -> None:
        fs = self.info.fs
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.name}.", dir=self.directory))
        try:
            sets = (("evt", self._events), ("qrs", [(p, "N", "") for p in self._peaks]))
            for ext, items in sets:
                kept = sorted((s, sym, aux) for s, sym, aux in items if 0 <= s < self.n_samples)
                if not kept:
                    continue
                ann = Annotations(
                    sample=np.array([k[0] for k in kept], dtype=np.int64),
                    symbol=tuple(k[1] for k in kept),
                    aux_note=tuple(k[2] for k in kept),
                    fs=fs,
                    extension=ext,
                )
                written = write_annotations(tmp, self.name, ext, ann)
                os.replace(written, self.base.with_suffix(f".{ext}"))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self._ann_dirty = any(s >= self.n_samples for s, _, _ in self._events) or any(
            p >= self.n_samples for p in self._peaks
        )

    def header_text(self) -> str:
        """The WFDB header for the samples flushed so far."""
        info = self.info
        bits = {"16": 16, "24": 24, "32": 32}[self.fmt]
        start = self._start or datetime.now(UTC)
        lines = [
            f"{self.name} {info.n_channels} {_fmt_number(info.fs)} {self.n_samples} "
            f"{start:%H:%M:%S} {start:%d/%m/%Y}"
        ]
        init = self._initial if self._initial is not None else np.zeros(info.n_channels, int)
        for j, ch in enumerate(info.channels):
            checksum = int((self._checksum[j] + 32768) % 65536 - 32768)
            lines.append(
                f"{self.name}.dat {self.fmt} {_fmt_number(self.gain[j])}(0)/{ch.unit} {bits} 0 "
                f"{int(init[j])} {checksum} 0 {ch.name}"
            )
        status = self.end_reason or "recording (header rewritten at every flush)"
        lines += [
            "# ecgcore live record",
            f"# start_utc: {start.isoformat(timespec='milliseconds')}",
            f"# status: {status}",
            f"# device: model={info.model}; serial={info.serial_number or '-'}; "
            f"firmware={info.firmware or '-'}; fs={_fmt_number(info.fs)} Hz",
        ]
        for j, ch in enumerate(info.channels):
            source = "device" if self.gain_reported[j] else "not reported, fallback"
            gain = _fmt_number(self.gain[j])
            lines.append(
                f"# channel {ch.name}: {ch.kind}, gain {gain} counts/{ch.unit} ({source}); "
                f"{ch.description}".rstrip("; ")
            )
        lines += [f"# {c}" for c in self.comments]
        lines.append(
            f"# samples: as sent by the device, unfiltered; missing={self.missing} "
            f"(stored as {WFDB_FORMATS[self.fmt][2]}); non_integral={self.non_integral}"
        )
        events = sorted(self._events)
        lines.append(f"# events: {len(events)} (annotations in {self.name}.evt)")
        lines += [f"# event {s}: {aux}" for s, _, aux in events[:MAX_HEADER_EVENTS]]
        if self._peaks:
            lines.append(f"# r_peaks: {len(self._peaks)} live detections in {self.name}.qrs")
        return "\n".join(line.replace("\n", " ") for line in lines) + "\n"

    @property
    def start_utc(self) -> datetime | None:
        """Host time (UTC) of the first sample, None before any sample."""
        return self._start

    def state(self) -> dict[str, Any]:
        """Progress as plain data (samples written, missing, events, ...)."""
        pending = sum(p.shape[0] for p in self._pending)
        return {
            "path": str(self.base),
            "samples": self.n_samples + pending,
            "flushed_samples": self.n_samples,
            "duration_s": (self.n_samples + pending) / self.info.fs,
            "missing_samples": self.missing,
            "events": len(self._events),
            "r_peaks": len(self._peaks),
            "done": self.done,
        }

    def finish(self, reason: str = "stopped") -> RecordSummary:
        """Flush everything, write the final header (with ``reason``) and close."""
        if not self.done:
            self.end_reason = f"complete ({reason})"
            self._ann_dirty = True
            try:
                self.flush()
                if self.n_samples == 0:  # an empty record: keep a header that says so
                    _atomic_write(self.base.with_suffix(".hea"), self.header_text())
            finally:
                self._dat.close()
                self.done = True
        files = tuple(
            p for p in (self.base.with_suffix(f".{e}") for e in ("hea", "dat", "evt", "qrs"))
            if p.exists()
        )  # fmt: skip
        return RecordSummary(
            self.base, files, self.n_samples, self.info.fs, self.missing,
            len(self._events), len(self._peaks), reason,
        )  # fmt: skip

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        with contextlib.suppress(OSError, DataError):
            self.finish("error" if exc_type is not None else "stopped")


def comment_lines(items: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> list[str]:
    """``key: value`` comment lines (None values skipped, numbers compact)."""
    pairs = items.items() if isinstance(items, Mapping) else items
    out = []
    for key, value in pairs:
        if value is None:
            continue
        shown = _fmt_number(value) if isinstance(value, float) and math.isfinite(value) else value
        out.append(f"{key}: {shown}")
    return out
