"""Export of the log: CSV, JSON and a printable PDF log book.

Every format lists every entry in chain order, amendments included, so an
export is a complete copy. The JSON export holds each entry's exact body and
hash; the PDF has one line per entry and the chain head hash in every page's
footer, so a printed copy pins the log's state (``ecg log verify
--expect-head HASH`` checks a log against it).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import IO, Any

from ecgcore.errors import LogError
from ecgcore.log._canonical import GENESIS_HASH, canonical_json
from ecgcore.log._fields import format_utc, printable
from ecgcore.log.entry import LogEntry
from ecgcore.log.store import ECGLog

__all__ = ["EXPORTERS", "export_log", "logbook_pages"]

_CSV_COLUMNS = (
    "id", "kind", "acquired_utc", "logged_utc", "technician", "patient_ref",
    "patient_ref_kind", "key_id", "source", "subject", "device_model", "device_serial",
    "device_firmware", "leads", "fs", "duration_s", "filter", "heart_rate_bpm", "rhythm",
    "alarms", "quality", "grade", "files", "notes", "amends", "reason", "author", "changes",
    "details", "prev_hash", "entry_hash",
)  # fmt: skip


def _csv_row(entry: LogEntry) -> list[Any]:
    device = entry.device or {}
    values = {
        **{name: getattr(entry, name) for name in _CSV_COLUMNS if hasattr(entry, name)},
        "device_model": device.get("model"),
        "device_serial": device.get("serial"),
        "device_firmware": device.get("firmware"),
        "leads": " ".join(entry.leads),
        "alarms": json.dumps(list(entry.alarms), ensure_ascii=False) if entry.alarms else "",
        "files": json.dumps([r._asdict() for r in entry.files], ensure_ascii=False)
        if entry.files
        else "",
    }
    for name in ("filter", "quality", "grade", "changes", "details"):
        value = getattr(entry, name)
        values[name] = "" if value is None else canonical_json(dict(value))
    return ["" if values[c] is None else values[c] for c in _CSV_COLUMNS]


def _write_csv(log: ECGLog, out: IO[str]) -> None:
    writer = csv.writer(out)
    writer.writerow(_CSV_COLUMNS)
    for entry in log.entries():
        writer.writerow(_csv_row(entry))


def _write_json(log: ECGLog, out: IO[str]) -> None:
    entries = list(log.entries())
    document = {
        "format": "ecgcore-log",
        "version": 1,
        "exported_utc": format_utc(datetime.now(UTC)),
        "head_id": entries[-1].id if entries else 0,
        "head_hash": entries[-1].entry_hash if entries else GENESIS_HASH,
        "entries": [{**e.body(), "entry_hash": e.entry_hash} for e in entries],
    }
    json.dump(document, out, ensure_ascii=False, indent=1, allow_nan=False)
    out.write("\n")


_KIND_SHORT = {"recording": "rec", "amendment": "amd", "certification": "cert", "ce_credit": "ce"}
_PDF_HEADER = (
    f"{'ID':>7} {'KIND':<4} {'WHEN (UTC)':<16} {'TECHNICIAN':<12} {'PATIENT':<12} "
    f"{'SOURCE':<7} {'RHYTHM / DETAILS':<34} {'HR':>4} {'GRADE':>6} {'F':>2} {'HASH':<12}"
)


@cache
def _font_charmap() -> frozenset[int]:
    from matplotlib import font_manager, ft2font  # noqa: PLC0415

    path = font_manager.findfont(
        font_manager.FontProperties(family="DejaVu Sans Mono"), fallback_to_default=True
    )
    return frozenset(ft2font.FT2Font(path).get_charmap())


def _pdf_text(text: str, width: int) -> str:
    text = printable(" ".join(text.split()))
    charmap = _font_charmap()
    text = "".join(ch if ord(ch) in charmap else "?" for ch in text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _pdf_line(entry: LogEntry) -> str:
    if entry.kind == "amendment":
        fields = ", ".join(sorted(entry.changes or {}))
        what = f"amends #{entry.amends} ({fields}): {entry.reason}"
    elif entry.kind in ("certification", "ce_credit"):
        what = ", ".join(f"{k}={v}" for k, v in sorted((entry.details or {}).items()))
    else:
        what = entry.rhythm or ""
    hr = "" if entry.heart_rate_bpm is None else f"{entry.heart_rate_bpm:.0f}"
    grade = "" if entry.grade is None else f"{entry.grade['score']:g}"
    return (
        f"{entry.id:>7} {_KIND_SHORT[entry.kind]:<4} {entry.when_utc[:16].replace('T', ' '):<16} "
        f"{_pdf_text(entry.technician or entry.author or '', 12):<12} "
        f"{_pdf_text(entry.patient_ref or '', 12):<12} {entry.source or '':<7} "
        f"{_pdf_text(what, 34):<34} {hr:>4} {_pdf_text(grade, 6):>6} "
        f"{len(entry.files) or '':>2} {entry.entry_hash[:12]}"
    )


def logbook_pages(log: ECGLog, *, lines_per_page: int = 52) -> list[tuple[list[str], str]]:
    """The printable log book as (lines, footer) per page: one line per entry.

    Every footer names the chain head (last entry id and hash).
    """
    entries = list(log.entries())
    head_id = entries[-1].id if entries else 0
    head_hash = entries[-1].entry_hash if entries else GENESIS_HASH
    exported = format_utc(datetime.now(UTC))[:19].replace("T", " ")
    chunks = [entries[i : i + lines_per_page] for i in range(0, len(entries), lines_per_page)]
    chunks = chunks or [[]]
    return [
        (
            [_pdf_line(entry) for entry in chunk],
            f"Chain head: entry {head_id}, SHA-256 {head_hash}   |   exported {exported} UTC"
            f"   |   page {number} of {len(chunks)}",
        )
        for number, chunk in enumerate(chunks, 1)
    ]


def _write_pdf(log: ECGLog, path: Path, *, lines_per_page: int = 52) -> None:
    from matplotlib.backends.backend_pdf import PdfPages  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    pages = logbook_pages(log, lines_per_page=lines_per_page)
    mono: dict[str, Any] = {"family": "DejaVu Sans Mono", "size": 6.6, "parse_math": False}
    title = _pdf_text(f"ECG log book - {log}", 120)
    step = 0.84 / lines_per_page
    tmp = path.with_name(f".{path.name}.partial")
    with PdfPages(tmp, metadata={"Title": "ECG log book", "Creator": "ecgcore"}) as pdf:
        for lines, footer in pages:
            fig = Figure(figsize=(11.69, 8.27))  # A4 landscape, inches
            fig.text(0.04, 0.955, title, fontsize=10, weight="bold", parse_math=False)
            fig.text(0.04, 0.925, _PDF_HEADER, weight="bold", **mono)
            for row, line in enumerate(lines):
                fig.text(0.04, 0.905 - row * step, line, **mono)
            fig.text(0.04, 0.03, footer, **mono)
            pdf.savefig(fig)
    os.replace(tmp, path)


def _text_exporter(
    write: Callable[[ECGLog, IO[str]], None],
) -> Callable[[ECGLog, Path | None, IO[str] | None], None]:
    def export(log: ECGLog, path: Path | None, stream: IO[str] | None) -> None:
        if path is None:
            if stream is None:
                raise LogError("give a file or a stream to export to")
            write(log, stream)
            return
        tmp = path.with_name(f".{path.name}.partial")
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            write(log, fh)
        os.replace(tmp, path)

    return export


def _pdf_exporter(log: ECGLog, path: Path | None, stream: IO[str] | None) -> None:
    if path is None:
        raise LogError("the PDF export needs an output file (--out FILE.pdf)")
    _write_pdf(log, path)


#: Export formats: name -> exporter(log, path or None, text stream or None).
EXPORTERS: dict[str, Callable[[ECGLog, Path | None, IO[str] | None], None]] = {
    "csv": _text_exporter(_write_csv),
    "json": _text_exporter(_write_json),
    "pdf": _pdf_exporter,
}


def export_log(
    log: ECGLog, fmt: str, out: str | os.PathLike[str] | IO[str] | None = None
) -> str | None:
    """Export every entry of ``log`` as ``fmt`` (``csv``, ``json`` or ``pdf``).

    ``out`` is a file path, a text stream, or None to return the text (CSV
    and JSON only). Files are written to a temporary name and renamed, so an
    interrupted export never leaves a truncated file under the final name.
    """
    if fmt not in EXPORTERS:
        raise LogError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORTERS)}")
    if out is None:
        if fmt == "pdf":
            raise LogError("the PDF export needs an output file")
        buffer = io.StringIO()
        EXPORTERS[fmt](log, None, buffer)
        return buffer.getvalue()
    if isinstance(out, str | os.PathLike):
        EXPORTERS[fmt](log, Path(out), None)
    else:
        EXPORTERS[fmt](log, None, out)
    return None
