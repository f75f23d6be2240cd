"""Write a Recording as a WFDB record (``.hea`` + ``.dat``) with wfdb.wrsamp.

The ADC counts are written unchanged, so ``wfdb.rdrecord(..., physical=False)``
returns them bit for bit, with the gain, baseline, units, lead names, sampling
rate and start time of the recording. Missing samples are written as the
format's invalid value, which reads back as missing. Metadata is written as
``key: value`` comment lines (values as text).
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ecgcore._validate import logger
from ecgcore.errors import DataError
from ecgcore.io._wfdb import DERIVED_KEYS, INVALID_VALUE, parse_comments
from ecgcore.recording import Recording

__all__ = ["WRITE_FORMATS", "write_record"]

#: Signal formats wfdb.wrsamp writes, and the range of valid (non-missing)
#: values in each: the most negative value is reserved for missing samples.
WRITE_FORMATS: dict[str, tuple[int, int]] = {
    fmt: (int(INVALID_VALUE[fmt]) + 1, -int(INVALID_VALUE[fmt]) - 1)  # type: ignore[arg-type]
    for fmt in ("80", "212", "16", "24", "32")
}

_RECORD_NAME = re.compile(r"^[-\w]+$")
_WFDB_UNITS = {"µV": "uV", "μV": "uV"}


def _choose_format(adc: np.ndarray, missing: np.ndarray, fmt: str | None, rec: Recording) -> str:
    valid = np.where(missing, 0, adc)
    lo = valid.min(axis=0) if valid.size else np.zeros(adc.shape[1], dtype=np.int64)
    hi = valid.max(axis=0) if valid.size else np.zeros(adc.shape[1], dtype=np.int64)
    if fmt is None:
        for candidate in ("16", "32"):
            a, b = WRITE_FORMATS[candidate]
            if np.all(lo >= a) and np.all(hi <= b):
                return candidate
        fmt = "32"
    if fmt not in WRITE_FORMATS:
        raise DataError(
            f"record {rec.name!r}: cannot write WFDB format {fmt!r}; "
            f"choose one of {', '.join(WRITE_FORMATS)}"
        )
    a, b = WRITE_FORMATS[fmt]
    for j, lead in enumerate(rec.lead_names):
        if lo[j] < a or hi[j] > b:
            raise DataError(
                f"record {rec.name!r}: lead {lead!r} spans ADC counts {int(lo[j])}..{int(hi[j])}, "
                f"outside WFDB format {fmt} ({a}..{b}; {a - 1} marks missing samples)"
            )
    return fmt


#: Largest denominator by which a fractional baseline is made integer exactly.
_MAX_SCALE = 16


def _integer_baseline(rec: Recording) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """ADC counts, gain, baseline with every baseline an integer, and notes on changes.

    WFDB stores integer baselines. A fractional baseline with a small
    denominator q (EDF's symmetric ranges give -0.5) is made integer by
    scaling the lead's counts, gain and baseline by q, which leaves physical
    values unchanged (bit for bit when q is a power of two). Any other
    fractional baseline (EDF ranges that are not symmetric) is rounded to the
    nearest count: physical values shift by less than half a count, and the
    exact baseline is written in the ``baseline_rounded`` comment.
    """
    adc = rec.adc.astype(np.int64)
    gain = rec.gain.astype(np.float64).copy()
    baseline = np.asarray(rec.baseline, dtype=np.float64).copy()
    scaled, rounded = [], []
    for j, b in enumerate(baseline.tolist()):
        if b == round(b):
            continue
        lead = rec.lead_names[j]
        q = Fraction(float(b)).limit_denominator(_MAX_SCALE).denominator
        if b * q == round(b * q):
            adc[:, j] *= q
            gain[j] *= q
            baseline[j] *= q
            scaled.append(f"{lead} x{q}")
            logger.info("record %s lead %s: baseline %r scaled by %d", rec.name, lead, b, q)
        else:
            baseline[j] = round(b)
            rounded.append(f"{lead} {b!r}")
            logger.warning(
                "record %s lead %s: baseline %r rounded to %d for WFDB (shift %.3g counts)",
                rec.name,
                lead,
                b,
                int(baseline[j]),
                baseline[j] - b,
            )
    notes = []
    if scaled:
        notes.append(f"counts_scaled: {', '.join(scaled)}")
    if rounded:
        notes.append(f"baseline_rounded: {', '.join(rounded)}")
    return adc, gain, baseline.astype(np.int64), notes


def _comment_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if "\n" in text or "\r" in text:
        text = json.dumps(text)
    return text


def _comments(rec: Recording, extra: list[str]) -> list[str]:
    meta = rec.metadata
    lines = [str(line) for line in meta.get("comments", ())]
    present = set(lines)
    from_comments = parse_comments(lines)
    for key, value in meta.items():
        if key in DERIVED_KEYS:
            continue
        if "\n" in str(key) or ":" in str(key):
            raise DataError(
                f"record {rec.name!r}: metadata key {key!r} cannot be written as a "
                "'key: value' header comment"
            )
        text = _comment_value(value)
        if from_comments.get(str(key)) != text.strip():
            lines.append(f"{key}: {text}")
    start = rec.start_time
    if start is not None and start.utcoffset() is not None:
        offset = start.utcoffset()
        assert offset is not None
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        tail = [f"utc_offset: {sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"]
    else:
        tail = []
    tail.extend(extra)
    lines.extend(line for line in tail if line not in present)
    for line in lines:
        if "\n" in line or "\r" in line:
            raise DataError(f"record {rec.name!r}: header comment {line!r} spans several lines")
    return lines


def write_record(
    rec: Recording,
    directory: str | Path,
    *,
    name: str | None = None,
    fmt: str | None = None,
) -> Path:
    """Write ``rec`` as a WFDB record ``<directory>/<name>.hea`` + ``.dat``.

    Parameters
    ----------
    rec : Recording
        The recording; its ADC counts are written unchanged.
    directory : str or Path
        Output folder (created if needed). Existing files of the same record
        are replaced.
    name : str, optional
        Record name (letters, digits, ``_`` and ``-``); default ``rec.name``.
    fmt : {"16", "32", "24", "212", "80"}, optional
        WFDB signal format. By default the narrowest of 16 and 32 that holds
        every sample; the format's most negative value is reserved for
        missing samples.

    Returns
    -------
    Path
        The ``.hea`` file written.

    Raises
    ------
    DataError
        The name is not a valid record name, or the counts do not fit ``fmt``.
    """
    import wfdb  # noqa: PLC0415 - imported when a record is written

    record_name = rec.name if name is None else name
    if not _RECORD_NAME.match(record_name):
        raise DataError(
            f"record name {record_name!r} is not valid for WFDB: use letters, digits, _ and -"
        )
    dupes = sorted({n for n in rec.lead_names if rec.lead_names.count(n) > 1})
    if dupes:
        raise DataError(
            f"record {record_name!r}: lead names must be unique in a WFDB record, "
            f"found {dupes} more than once"
        )
    if rec.n_samples == 0:
        raise DataError(f"record {record_name!r} has no samples; WFDB cannot store it")
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    adc, gain, baseline, scaled = _integer_baseline(rec)
    missing = rec.missing_mask
    chosen = _choose_format(adc, missing, fmt, rec)
    invalid = INVALID_VALUE[chosen]
    assert invalid is not None
    adc[missing] = invalid
    units = [_WFDB_UNITS.get(u, u) for u in rec.units]
    comments = _comments(rec, scaled)
    start = rec.start_time
    kwargs: dict[str, Any] = {}
    if start is not None:
        kwargs["base_datetime"] = start.replace(tzinfo=None)
    try:
        wfdb.wrsamp(
            record_name,
            fs=rec.fs,
            units=units,
            sig_name=list(rec.lead_names),
            d_signal=adc,
            fmt=[chosen] * rec.n_leads,
            adc_gain=[float(g) for g in gain],
            baseline=[int(b) for b in baseline],
            comments=comments,
            write_dir=str(out_dir),
            **kwargs,
        )
    except Exception as exc:
        raise DataError(f"writing WFDB record {out_dir / record_name}: {exc}") from exc
    path = out_dir / f"{record_name}.hea"
    logger.debug("wrote %s (format %s, %d samples)", path, chosen, rec.n_samples)
    return path
