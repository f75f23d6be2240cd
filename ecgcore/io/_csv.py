"""CSV records: a header row of column names, then one row per sample.

Layout::

    time [s],I [mV],II [mV]
    0.000,0.120,0.315
    0.002,0.125,
    ...

* Lead columns are named ``NAME [unit]`` or ``NAME (unit)``; the unit may
  instead be given with ``units=`` (one unit for all leads, or a mapping).
* An optional time column (``time``/``t``/``timestamp``, in s unless its unit
  says ``ms`` or ``us``) gives the sampling rate; a sample-number column
  (``sample``/``index``) is checked for consecutive numbers. Without a time
  column, ``fs=`` is required.
* Empty cells (and ``NaN``/``NA``) are missing samples. Anything else that is
  not a number, and a row with too few or too many fields, is an error naming
  the line and column. Blank lines at the end of the file are ignored.

Quantisation: the values are physical, the Recording stores integer counts.
Each lead's resolution (the value of one count, in the lead's unit) is
``resolution=`` when given, otherwise the coarsest power of ten that
represents every value of the lead exactly as written (``0.125`` -> 0.001),
limited to 1e-9 and to counts that fit int32. ``metadata["resolution"]`` and
``metadata["quantisation_max_error"]`` report what was used and the largest
rounding error per lead (0 when the text is represented exactly).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ecgcore._validate import logger
from ecgcore.errors import FormatError
from ecgcore.io._common import LeadSelection, normalise_unit, select_leads
from ecgcore.recording import Recording

__all__ = ["read"]

_NAME_UNIT = re.compile(r"^\s*(?P<name>.*?)\s*(?:\[(?P<u1>[^\]]*)\]|\((?P<u2>[^)]*)\))\s*$")
_TIME_NAMES = {"time": "s", "t": "s", "timestamp": "s", "time_s": "s", "time_ms": "ms"}
_SAMPLE_NAMES = {"sample", "samples", "sample_idx", "sample_index", "sample_number", "index"}
_TIME_UNITS = {"s": 1.0, "sec": 1.0, "seconds": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}
_NA_VALUES = ["", "NaN", "nan", "NA"]
#: Finest resolution inferred from the text: 10**-_MAX_DECIMALS of the lead's unit.
_MAX_DECIMALS = 9
_INT32_MAX = float(np.iinfo(np.int32).max)


def _split_name(header: str) -> tuple[str, str | None]:
    m = _NAME_UNIT.match(header)
    if m:
        unit = m.group("u1") if m.group("u1") is not None else m.group("u2")
        return m.group("name"), unit.strip()
    return header.strip(), None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _header(path: Path, raw: bytes, delimiter: str) -> tuple[list[str], int]:
    text = raw.decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise FormatError(path, "header row (line 1)", "column names, e.g. 'time [s],II [mV]'", "")
    columns = next(csv.reader(io.StringIO(first), delimiter=delimiter))
    columns = [c.strip() for c in columns]
    if all(_is_number(c) for c in columns if c):
        raise FormatError(
            path, "header row (line 1)", "column names, e.g. 'time [s],II [mV]'", first
        )
    if any(not c for c in columns):
        raise FormatError(path, "header row (line 1)", "a name for every column", first)
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise FormatError(path, "header row (line 1)", "distinct column names", dupes)
    return columns, len(raw.split(b"\n", 1)[0]) + 1


def _check_field_counts(path: Path, raw: bytes, start: int, n_cols: int, delimiter: str) -> None:
    """Every data line must have ``n_cols`` fields (pandas pads short rows with NaN)."""
    body = np.frombuffer(raw, dtype=np.uint8)[start:]
    if body.size == 0:
        return
    ends = np.flatnonzero(body == ord("\n"))
    if body[-1] != ord("\n"):
        ends = np.append(ends, body.size)
    delims = np.flatnonzero(body == ord(delimiter))
    per_line = np.diff(np.searchsorted(delims, ends), prepend=0)
    bad = np.flatnonzero(per_line != n_cols - 1)
    if bad.size:
        i = int(bad[0])
        raise FormatError(
            path, f"line {i + 2}", f"{n_cols} fields", f"{int(per_line[i]) + 1} fields"
        )


def _parse_table(
    path: Path, raw: bytes, delimiter: str, columns: list[str]
) -> dict[str, np.ndarray]:
    import pandas as pd  # noqa: PLC0415 - imported when a CSV file is read

    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            sep=delimiter,
            encoding="utf-8-sig",
            header=0,
            keep_default_na=False,
            na_values=_NA_VALUES,
            skip_blank_lines=False,
            skipinitialspace=True,
            engine="c",
        )
    except Exception as exc:
        raise FormatError(path, "table", "delimited rows of numbers", str(exc)) from exc
    out: dict[str, np.ndarray] = {}
    for name, col in zip(columns, frame.columns, strict=True):
        series = frame[col]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            values = series.to_numpy(dtype=np.float64)
            bad = np.zeros(values.shape, dtype=bool)
        else:  # some cell is not a number: find the first one
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
            text = series.astype(str).str.strip()
            blank = series.isna().to_numpy() | text.isin(_NA_VALUES).to_numpy()
            bad = np.isnan(values) & ~blank
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FormatError(
                path,
                f"line {i + 2}, column {name!r}",
                "a number or an empty cell",
                str(series.iloc[i]),
            )
        inf = np.isinf(values)
        if inf.any():
            i = int(np.flatnonzero(inf)[0])
            raise FormatError(
                path, f"line {i + 2}, column {name!r}", "a finite number", str(series.iloc[i])
            )
        out[name] = values
    return out


def _time_kind(column: str, time_column: str | None) -> tuple[str, float] | None:
    name, unit = _split_name(column)
    key = name.lower()
    if time_column is not None and time_column not in (column, name):
        return None
    if key in _SAMPLE_NAMES:
        return "sample", 1.0
    if key in _TIME_NAMES or time_column is not None:
        unit = unit or _TIME_NAMES.get(key, "s")
        if unit not in _TIME_UNITS:
            return "bad-unit", math.nan
        return "time", _TIME_UNITS[unit]
    return None


def _fs_from_time(path: Path, column: str, t: np.ndarray) -> float:
    if t.size < 2:
        raise FormatError(path, f"column {column!r}", "at least two times to derive fs", t.size)
    span = t[-1] - t[0]
    if not span > 0:
        raise FormatError(path, f"column {column!r}", "increasing times", (t[0], t[-1]))
    idx = np.arange(t.size)

    def worst(fs: float) -> tuple[float, int]:
        dev = np.abs(t - (t[0] + idx / fs)) * fs
        i = int(np.argmax(dev))
        return float(dev[i]), i

    estimate = (t.size - 1) / span
    integer = float(round(estimate))
    if integer > 0 and worst(integer)[0] <= 0.5:
        return integer
    dev, i = worst(estimate)
    if dev > 0.5:
        # name the first time off the grid of the typical spacing (where a gap starts)
        step = float(np.median(np.diff(t)))
        if step > 0:
            off = np.abs(t - (t[0] + idx * step)) > 0.5 * step
            i = int(np.argmax(off)) if off.any() else i
        raise FormatError(
            path,
            f"line {i + 2}, column {column!r}",
            f"uniformly spaced times (1/{estimate:.6g} s apart; gaps are not filled)",
            float(t[i]),
        )
    return float(estimate)


def _units(
    path: Path, leads: list[tuple[str, str, str | None]], units: str | Mapping[str, str] | None
) -> list[str]:
    if isinstance(units, Mapping):
        names = {name for _, name, _ in leads}
        unknown = sorted(set(units) - names)
        if unknown:
            raise FormatError(path, "units argument", f"lead names among {sorted(names)}", unknown)
    out = []
    for column, name, header_unit in leads:
        given = units.get(name) if isinstance(units, Mapping) else units
        field = f"unit of column {column!r}"
        if (
            header_unit is not None
            and given is not None
            and normalise_unit(header_unit, path, field) != normalise_unit(given, path, field)
        ):
            raise FormatError(path, field, f"{given} (as given by units=)", header_unit)
        unit = header_unit if header_unit is not None else given
        if unit is None:
            raise FormatError(
                path, field, "a unit in the header such as 'II [mV]' or the units= argument"
            )
        out.append(normalise_unit(unit, path, field))
    return out


def _quantise(
    path: Path, column: str, x: np.ndarray, resolution: float | None
) -> tuple[np.ndarray, float, float]:
    """Integer counts, gain (counts per unit) and the largest rounding error."""
    finite = x[~np.isnan(x)]
    peak = float(np.max(np.abs(finite))) if finite.size else 0.0
    if resolution is not None:
        if not (math.isfinite(resolution) and resolution > 0):
            raise FormatError(path, "resolution argument", "a positive number", resolution)
        gain = 1.0 / resolution
    else:
        gain = 1.0
        for k in range(_MAX_DECIMALS + 1):
            if peak * 10.0**k > _INT32_MAX:
                break
            gain = 10.0**k
            scaled = finite * gain
            if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6):
                break
    if peak * gain > _INT32_MAX:
        raise FormatError(
            path,
            f"column {column!r}",
            f"values within the int32 range of counts at resolution {1 / gain:g}",
            peak,
        )
    counts = np.round(np.where(np.isnan(x), 0.0, x) * gain)
    err = float(np.max(np.abs(counts / gain - np.nan_to_num(x)))) if x.size else 0.0
    return counts.astype(np.int32), gain, err


def read(
    path: Path,
    *,
    leads: LeadSelection = None,
    fs: float | None = None,
    units: str | Mapping[str, str] | None = None,
    resolution: float | None = None,
    delimiter: str = ",",
    time_column: str | None = None,
) -> Recording:
    """Read a CSV record (see the module docstring for the layout).

    Parameters
    ----------
    path : Path
        The ``.csv`` file.
    leads : sequence of str or int, optional
        Lead columns to keep (names without unit, or indices among the leads).
    fs : float, optional
        Sampling rate in Hz; required without a time column, checked against
        it (0.1 %) otherwise.
    units : str or mapping, optional
        Unit of every lead, or per lead name, for headers without units.
    resolution : float, optional
        Value of one ADC count in each lead's unit (default: inferred).
    delimiter : str
        Field separator (one character).
    time_column : str, optional
        Name of the time column when it is not called time/t/timestamp.
    """
    if len(delimiter) != 1 or delimiter in '\n\r"':
        raise FormatError(path, "delimiter argument", "one character", delimiter)
    # Blank lines at the end of the file are not samples.
    raw = path.read_bytes().rstrip(b"\r\n\t ") + b"\n"
    columns, body_start = _header(path, raw, delimiter)
    _check_field_counts(path, raw, body_start, len(columns), delimiter)
    table = _parse_table(path, raw, delimiter, columns)
    n = len(next(iter(table.values())))

    time_info: tuple[str, str, float] | None = None
    lead_cols: list[tuple[str, str, str | None]] = []
    for column in columns:
        time_kind = _time_kind(column, time_column) if time_info is None else None
        if time_kind is not None:
            if time_kind[0] == "bad-unit":
                raise FormatError(
                    path,
                    f"unit of column {column!r}",
                    f"one of {', '.join(_TIME_UNITS)}",
                    _split_name(column)[1],
                )
            time_info = (column, time_kind[0], time_kind[1])
            continue
        name, unit = _split_name(column)
        lead_cols.append((column, name, unit))
    if time_column is not None and time_info is None:
        raise FormatError(
            path, "time_column argument", f"one of the columns {columns}", time_column
        )
    if not lead_cols:
        raise FormatError(path, "header row (line 1)", "at least one lead column", columns)

    metadata: dict[str, Any] = {"format": "csv", "path": str(path)}
    if time_info is not None:
        column, kind, scale = time_info
        t = table[column]
        if np.isnan(t).any():
            i = int(np.flatnonzero(np.isnan(t))[0])
            raise FormatError(path, f"line {i + 2}, column {column!r}", "a time value", "")
        if kind == "sample":
            expected = t[0] + np.arange(n) if n else t
            if np.any(t != expected):
                i = int(np.flatnonzero(t != expected)[0])
                raise FormatError(
                    path,
                    f"line {i + 2}, column {column!r}",
                    f"sample number {expected[i]:g}",
                    float(t[i]),
                )
            if fs is None:
                raise FormatError(
                    path,
                    "sampling rate",
                    "the fs= argument (a sample-number column does not give the rate)",
                )
            metadata["first_sample"] = int(t[0]) if n else 0
            metadata["fs_source"] = "argument"
        else:
            t_s = t * scale
            derived = _fs_from_time(path, column, t_s)
            if fs is not None and abs(derived - fs) > 1e-3 * fs:
                raise FormatError(
                    path,
                    f"column {column!r}",
                    f"times spaced 1/{fs:g} s (fs=)",
                    f"fs {derived:g} Hz",
                )
            if fs is None:
                fs = derived
                metadata["fs_source"] = "time column"
            else:
                metadata["fs_source"] = "argument"
            metadata["time_offset_s"] = float(t_s[0])
    elif fs is None:
        raise FormatError(
            path, "sampling rate", "a time column ('time [s]' or 'time [ms]') or the fs= argument"
        )
    else:
        metadata["fs_source"] = "argument"
    if not (math.isfinite(fs) and fs > 0):
        raise FormatError(path, "fs argument", "a positive number in Hz", fs)

    names = [name for _, name, _ in lead_cols]
    chosen = [lead_cols[j] for j in select_leads(names, leads, path)]
    lead_units = _units(path, chosen, units)
    counts, gains, errors = [], [], []
    for column, _, _ in chosen:
        c, g, e = _quantise(path, column, table[column], resolution)
        counts.append(c)
        gains.append(g)
        errors.append(e)
    if any(errors) and resolution is None:
        logger.info("%s: values rounded to int32 counts (max errors %s)", path, errors)
    metadata["resolution"] = tuple(1.0 / g for g in gains)
    metadata["quantisation_max_error"] = tuple(errors)
    adc = np.column_stack(counts) if counts else np.zeros((n, 0), dtype=np.int32)
    missing = np.column_stack([np.isnan(table[c]) for c, _, _ in chosen])
    return Recording(
        adc=adc.reshape(n, len(chosen)),
        fs=fs,
        lead_names=tuple(name for _, name, _ in chosen),
        gain=np.asarray(gains),
        baseline=np.zeros(len(chosen), dtype=np.int64),
        units=tuple(lead_units),
        missing=missing.reshape(n, len(chosen)),
        name=path.stem,
        metadata=metadata,
    )
