"""WFDB records (``.hea`` + signal files) read with wfdb-python.

Every signal format wfdb reads is supported (8, 16, 24, 32, 61, 80, 160, 212,
310, 311, the FLAC formats 508/516/524, and MATLAB ``.mat`` signal files as
used by the PhysioNet/CinC 2017 challenge). Samples are read as digital values
(``physical=False``) so the Recording keeps the stored ADC counts; samples
equal to the format's invalid value (e.g. -32768 in format 16) become
``Recording.missing``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ecgcore._validate import logger
from ecgcore.errors import DataError, FormatError
from ecgcore.io._common import LeadSelection, adc_dtype, normalise_unit, select_leads
from ecgcore.io._header import RecordHeader
from ecgcore.recording import Recording

__all__ = ["DERIVED_KEYS", "INVALID_VALUE", "parse_comments", "read", "read_header"]

#: Digital value that marks an invalid (missing) sample, per WFDB signal format
#: (WFDB signal(5) manual; format 8 is a difference format without one).
INVALID_VALUE: dict[str, int | None] = {
    "8": None,
    "16": -32768,
    "61": -32768,
    "160": -32768,
    "516": -32768,
    "24": -(2**23),
    "524": -(2**23),
    "32": -(2**31),
    "80": -128,
    "508": -128,
    "212": -2048,
    "310": -512,
    "311": -512,
}

#: Metadata keys set by this reader from the file itself (not from comments);
#: the writer does not copy them into header comments.
DERIVED_KEYS = frozenset(
    {
        "format",
        "path",
        "wfdb_fmt",
        "comments",
        "samples_per_frame",
        "checksum_mismatch",
        "uncalibrated",
    }
)

_COMMENT_KEY = re.compile(r"^\s*([^:]+?)\s*:\s?(.*)$")
_UTC_OFFSET = re.compile(r"^([+-])(\d\d):?(\d\d)$")
_NUMBER = re.compile(r"^[-+]?[0-9.]+(?:[eE][-+]?\d+)?")


def uncalibrated_signals(path: Path, names: Sequence[str]) -> tuple[str, ...]:
    """Signals whose header gain is 0 or absent (WFDB: uncalibrated, 200 assumed).

    wfdb-python substitutes the default gain of 200 without saying so; the
    header text is checked here so the substitution is reported.
    """
    lines = [
        ln
        for ln in path.read_text(errors="replace").splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    out = []
    for name, line in zip(names, lines[1:], strict=False):
        fields = line.split()
        m = _NUMBER.match(fields[2]) if len(fields) > 2 else None
        if m is None or float(m.group(0)) == 0:
            out.append(name)
    return tuple(out)


def parse_comments(comments: Sequence[str]) -> dict[str, str]:
    """``key: value`` header comment lines as a dict (later lines win)."""
    out: dict[str, str] = {}
    for line in comments:
        m = _COMMENT_KEY.match(line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def _record_name(path: Path) -> str:
    return str(path.with_suffix(""))


def _rdheader(path: Path) -> Any:
    import wfdb  # noqa: PLC0415 - imported when a WFDB record is read

    if not path.is_file():
        raise DataError(f"WFDB header {path} not found")
    try:
        header = wfdb.rdheader(_record_name(path))
    except Exception as exc:
        raise FormatError(
            path, "header", "a WFDB header (record line, then one line per signal)", str(exc)
        ) from exc
    if getattr(header, "n_seg", None):
        raise FormatError(
            path,
            "number of segments",
            "a single-segment record (multi-segment records are not supported; "
            "read their segments one by one)",
            header.n_seg,
        )
    if not header.n_sig:
        raise FormatError(path, "number of signals", "at least one signal", header.n_sig)
    n_lines = len(header.sig_name or ())
    if n_lines != header.n_sig:
        raise FormatError(
            path,
            "signal specification lines",
            f"{header.n_sig} (one per signal, as the record line says)",
            n_lines,
        )
    if header.fs is None or not header.fs > 0:
        raise FormatError(path, "sampling frequency", "a positive number (Hz)", header.fs)
    return header


def _start_time(header: Any, comments: dict[str, str]) -> datetime | None:
    if header.base_date is None or header.base_time is None:
        return None
    start = datetime.combine(header.base_date, header.base_time)
    offset = _UTC_OFFSET.match(comments.get("utc_offset", ""))
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        delta = timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3)))
        start = start.replace(tzinfo=timezone(sign * delta))
    return start


def _check_gains(path: Path, names: Sequence[str], gains: Sequence[float]) -> np.ndarray:
    out = np.asarray(gains, dtype=np.float64)
    for name, gain in zip(names, out, strict=True):
        if not np.isfinite(gain) or gain == 0:
            raise FormatError(
                path,
                f"ADC gain of signal {name!r}",
                "a non-zero gain in counts per unit (0 marks an uncalibrated signal)",
                float(gain),
            )
    return out


def read_header(path: Path) -> RecordHeader:
    """Read a WFDB header only (no samples; ``missing_counts`` is None)."""
    header = _rdheader(path)
    comments = list(header.comments or [])
    parsed = parse_comments(comments)
    units = tuple(
        normalise_unit(u or "mV", path, f"units of signal {n!r}")
        for u, n in zip(header.units, header.sig_name, strict=True)
    )
    spf = tuple(int(s or 1) for s in header.samps_per_frame)
    fs = float(header.fs) * spf[0] if len(set(spf)) == 1 else float(header.fs)
    metadata: dict[str, Any] = {
        **parsed,
        "format": "wfdb",
        "path": str(path),
        "wfdb_fmt": tuple(header.fmt),
        "comments": tuple(comments),
    }
    if any(s != 1 for s in spf):
        metadata["samples_per_frame"] = spf
    return RecordHeader(
        path=path,
        format="wfdb",
        name=header.record_name,
        fs=fs,
        n_samples=int(header.sig_len or 0) * (spf[0] if len(set(spf)) == 1 else 1),
        lead_names=tuple(header.sig_name),
        units=units,
        gain=_check_gains(path, header.sig_name, header.adc_gain),
        baseline=np.asarray(header.baseline, dtype=np.int64),
        start_time=_start_time(header, parsed),
        metadata=metadata,
    )


def _checksum_mismatch(
    path: Path, d: np.ndarray, header: Any, cols: Sequence[int], names: Sequence[str]
) -> tuple[str, ...]:
    """Leads whose 16-bit sample sum differs from the header checksum."""
    bad = []
    for k, j in enumerate(cols):
        expected = header.checksum[j] if header.checksum else None
        if expected is None:
            continue
        total = int(d[:, k].sum(dtype=np.int64))
        got = ((total + 32768) % 65536) - 32768
        if got != ((int(expected) + 32768) % 65536) - 32768:
            bad.append(names[k])
    if bad:
        # Reported in metadata["checksum_mismatch"]; logged at INFO because some
        # published databases (e.g. CinC 2017 .mat records) store dummy checksums.
        logger.info("%s: checksum mismatch for signals %s", path, bad)
    return tuple(bad)


def read(path: Path, *, leads: LeadSelection = None) -> Recording:
    """Read a WFDB record as ADC counts.

    Parameters
    ----------
    path : Path
        The ``.hea`` file.
    leads : sequence of str or int, optional
        Signals to read (default all).
    """
    import wfdb  # noqa: PLC0415 - imported when a WFDB record is read

    header = _rdheader(path)
    names = list(header.sig_name)
    cols = select_leads(names, leads, path)
    picked = [names[j] for j in cols]
    units = tuple(
        normalise_unit(header.units[j] or "mV", path, f"units of signal {names[j]!r}")
        for j in cols
    )
    spf = sorted({int(header.samps_per_frame[j] or 1) for j in cols})
    if len(spf) > 1:
        raise FormatError(
            path,
            "samples per frame",
            "the same number for every selected signal (select signals of one rate with leads=)",
            [int(header.samps_per_frame[j] or 1) for j in cols],
        )
    frame = spf[0]
    for file_name in dict.fromkeys(header.file_name[j] for j in cols):
        if file_name and file_name != "~" and not (path.parent / file_name).is_file():
            raise DataError(f"{path}: signal file {path.parent / file_name} not found")
    try:
        rec = wfdb.rdrecord(
            _record_name(path),
            channels=cols,
            physical=False,
            smooth_frames=frame == 1,
            return_res=64,
        )
    except Exception as exc:
        files = ", ".join(dict.fromkeys(str(header.file_name[j]) for j in cols))
        raise FormatError(
            path,
            f"signal data ({files})",
            f"{header.sig_len} samples per signal in format(s) "
            f"{'/'.join(dict.fromkeys(str(header.fmt[j]) for j in cols))} "
            "(is the signal file truncated?)",
            str(exc),
        ) from exc
    if frame == 1:
        d = rec.d_signal
        if d is None:
            d = np.zeros((0, len(cols)), dtype=np.int64)
    else:
        d = np.column_stack(rec.e_d_signal)
    d = np.asarray(d, dtype=np.int64).reshape(-1, len(cols))
    fmts = tuple(rec.fmt) if rec.fmt is not None else tuple(header.fmt[j] for j in cols)
    missing = np.zeros(d.shape, dtype=bool)
    for k, f in enumerate(fmts):
        invalid = INVALID_VALUE.get(str(f))
        if invalid is not None:
            missing[:, k] = d[:, k] == invalid
    comments = list(rec.comments or [])
    parsed = parse_comments(comments)
    metadata: dict[str, Any] = {
        **parsed,
        "format": "wfdb",
        "path": str(path),
        "wfdb_fmt": fmts,
        "comments": tuple(comments),
    }
    if frame > 1:
        metadata["samples_per_frame"] = frame
    uncalibrated = [n for n in uncalibrated_signals(path, names) if n in picked]
    if uncalibrated:
        metadata["uncalibrated"] = tuple(uncalibrated)
    if frame == 1 and d.shape[0] == int(header.sig_len or 0):
        bad = _checksum_mismatch(path, d, header, cols, picked)
        if bad:
            metadata["checksum_mismatch"] = bad
    return Recording(
        adc=d.astype(adc_dtype(d)),
        fs=float(rec.fs) * frame,
        lead_names=tuple(picked),
        gain=_check_gains(path, picked, rec.adc_gain),
        baseline=np.asarray(rec.baseline, dtype=np.int64),
        units=units,
        missing=missing,
        start_time=_start_time(rec, parsed),
        name=rec.record_name,
        metadata=metadata,
    )
