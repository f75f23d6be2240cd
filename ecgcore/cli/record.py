"""``ecg record URL --duration 10s --out DIR``: crash-safe WFDB recording from a device.

The samples are stored exactly as the device sent them; the live pipeline
(display filter, R-peak detector, quality, and the rhythm stage unless
``--no-rhythm``) runs alongside only to annotate the record (``.qrs``; ``.evt``
with device events, lead-off changes and rhythm alarms) and to fill the log
entry (heart rate, quality, the rhythms shown and the alarms raised). Without ``--duration``
the recording runs until Ctrl-C (SIGINT) or SIGTERM, which finalise the record
cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import math
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["parse_duration", "register"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|min|h)?\s*$")
_UNIT_S = {"ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, None: 1.0}

#: URL scheme -> log ``subject`` of a recording from it.
SUBJECT_BY_SCHEME = {"sim": "simulator", "file": "database"}


def parse_duration(text: str) -> float:
    """Parse ``10s``, ``2m``, ``1h``, ``500ms`` or a bare number of seconds."""
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid duration {text!r}: use e.g. 10s, 2m, 1h or a number of seconds"
        )
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be positive")
    return seconds


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT/SIGTERM for the duration of the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _default_name(out: Path) -> str:
    stamp = datetime.now(UTC).strftime("rec_%Y%m%d_%H%M%S")
    name, k = stamp, 1
    while any(out.glob(f"{name}.*")):
        k += 1
        name = f"{stamp}_{k}"
    return name


def _record(args: argparse.Namespace) -> int:
    from ecgcore.drivers import DeviceURL, open_device  # noqa: PLC0415
    from ecgcore.rhythm.stage import RhythmStatus, live_rhythm_stages  # noqa: PLC0415
    from ecgcore.stream import (  # noqa: PLC0415
        EndEvent,
        HeartRateEvent,
        LivePipeline,
        PipelineConfig,
        QualityEvent,
        stream_device,
    )
    from ecgcore.stream.recorder import RecordWriter, comment_lines  # noqa: PLC0415

    if args.log is not None and not args.technician:
        print("ecg record: error: --log needs --technician", file=sys.stderr)
        return 2
    out = Path(args.out)
    name = args.name or _default_name(out)
    config = PipelineConfig(
        display_filter=args.filter, notch_hz=args.notch, detection_leads=args.lead
    )
    scheme = DeviceURL(args.url).scheme
    subject = args.subject or SUBJECT_BY_SCHEME.get(scheme, "live")
    stop = threading.Event()
    hr = None
    quality = None
    rhythm = RhythmStatus()
    rhythms: list[str] = []  # rhythms shown during the recording, in order
    alarms: list[str] = []  # alarm kinds raised
    with open_device(args.url) as dev:
        info = dev.info
        stages = () if args.no_rhythm else live_rhythm_stages(info.fs)
        pipe = LivePipeline(info, config, stages=stages)
        settings = config.describe()
        flt = settings["display_filter"]
        comments = comment_lines(
            [
                ("url", args.url),
                ("technician", args.technician),
                ("subject", subject),
                ("filter (display and analysis only, not applied to samples)",
                 f"{flt['name']} highpass={flt['highpass_hz']} Hz lowpass={flt['lowpass_hz']} Hz"
                 f" notch={flt['notch_hz']}"),
                ("r_peak_detection", f"lead {settings['detection_leads'] or 'auto'}"),
                ("duration_requested_s", args.duration),
            ]
        )  # fmt: skip
        writer = RecordWriter(out, name, info, comments=comments)
        print(
            f"recording {args.url} -> {writer.base} "
            f"({info.n_channels} leads at {info.fs:g} Hz"
            + (f", {args.duration:g} s)" if args.duration else ", Ctrl-C to stop)"),
            flush=True,
        )
        reason = "stopped"
        try:
            with stop_on_signals(stop):
                for update in stream_device(
                    dev, pipeline=pipe, duration_s=args.duration, stop=stop
                ):
                    if update.block is not None:
                        writer.write(update.block)
                    writer.add_events(update.events)
                    for ev in update.events:
                        if isinstance(ev, HeartRateEvent):
                            hr = ev.hr_bpm
                        elif isinstance(ev, QualityEvent):
                            quality = ev.report
                        elif isinstance(ev, EndEvent):
                            reason = ev.reason
                        elif rhythm.feed(ev):
                            alarms += [k for k in rhythm.active_alarms() if k not in alarms]
                            shown = rhythm.shown_rhythm()
                            if shown and shown not in rhythms:
                                rhythms.append(shown)
        finally:
            summary = writer.finish(reason)
    print(
        f"{summary.path}: {summary.duration_s:.2f} s, {summary.n_samples} samples x "
        f"{info.n_channels} leads, {summary.missing_samples} missing, {summary.n_events} events, "
        f"{summary.n_peaks} R-peaks" + (f", HR {hr:.0f} bpm" if hr else "") + f" ({reason})",
        flush=True,
    )
    if args.technician and not args.no_log:
        from ecgcore.log import log_recording  # noqa: PLC0415

        fields: dict[str, Any] = {
            "subject": subject,
            "device": info,
            "filter": settings["display_filter"],
            "heart_rate_bpm": hr,
        }
        if stages:
            fields["rhythm"] = ", ".join(rhythms) or None
            fields["alarms"] = alarms
        if writer.start_utc is not None:
            fields["acquired_utc"] = writer.start_utc
        if quality is not None:
            fields["quality"] = {
                "level": quality.level,
                "issues": {k: list(v) for k, v in quality.issues().items()},
            }
        entry = log_recording(
            args.log, summary.path, technician=args.technician, patient=args.patient,
            source="record", **fields,
        )  # fmt: skip
        print(f"logged as entry {entry.id}", flush=True)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ecg record``."""
    parser = subparsers.add_parser(
        "record",
        help="record a device to a WFDB record (crash-safe, exact samples)",
        description="Record from a device URL (e.g. sim://ecg?leads=12&fs=500, openbci:///dev/"
        "ttyUSB0) into DIR/NAME.hea/.dat, flushed every 0.5 s so a killed process leaves a "
        "readable record. Samples are stored exactly as the device sent them; R-peaks (.qrs) "
        "and device events (.evt) are annotated. Ctrl-C finalises the record (exit 0).",
    )
    parser.add_argument("url", help="device URL (see `ecg devices`)")
    parser.add_argument(
        "--duration", type=parse_duration, default=None, metavar="D",
        help="stop after D (10s, 2m, 1h); default: until Ctrl-C",
    )  # fmt: skip
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--name", default=None, help="record name (default rec_<UTC time>)")
    parser.add_argument("--technician", default=None, metavar="ID", help="technician ID (logs)")
    parser.add_argument(
        "--patient", default=None, metavar="ID", help="patient ID (pseudonymised in the log)"
    )
    parser.add_argument(
        "--subject", choices=("live", "simulator", "database", "unknown"), default=None,
        help="who is recorded (default: simulator for sim://, database for file://, else live)",
    )  # fmt: skip
    parser.add_argument(
        "--log", default=None, metavar="URL", help="ECG log URL or path (default $ECGCORE_LOG)"
    )
    parser.add_argument("--no-log", action="store_true", help="do not log even with --technician")
    parser.add_argument("--filter", default="monitoring", help="display/analysis filter preset")
    parser.add_argument(
        "--notch", type=float, choices=(50.0, 60.0), default=None, help="mains notch, Hz"
    )
    parser.add_argument("--lead", default=None, help="R-peak detection lead (default II or first)")
    parser.add_argument(
        "--no-rhythm", action="store_true", help="no rhythm analysis (no alarms in .evt and log)"
    )
    parser.set_defaults(func=_record)
