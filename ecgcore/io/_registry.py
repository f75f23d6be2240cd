"""The registry of record formats behind :func:`read_record` and :func:`read_header`.

Each format is one private module (``ecgcore.io._wfdb``, ``_edf``, ...) that
defines ``read(path, *, leads=None, **options) -> Recording`` and optionally
``read_header(path, **options) -> RecordHeader``. Modules are imported only
when a file of that format is read, so ``import ecgcore`` does not pull in
wfdb, pandas or edfio.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

from ecgcore._validate import logger
from ecgcore.errors import DataError
from ecgcore.io._common import LeadSelection
from ecgcore.io._header import RecordHeader
from ecgcore.recording import Recording

__all__ = ["FORMATS", "RecordFormat", "read_header", "read_record", "register_format"]


@dataclasses.dataclass(frozen=True)
class RecordFormat:
    """One record format known to :func:`read_record`.

    Parameters
    ----------
    name : str
        Short name, also accepted as ``fmt=`` by :func:`read_record`.
    extensions : tuple of str
        Extensions of the file that is read (lower case, with the dot), tried
        in this order when a record path is given without extension.
    module : str
        Module defining ``read`` (and optionally ``read_header``).
    description : str
        One line for listings.
    companions : mapping of str to str
        Other files of the record that lead to the file that is read, e.g.
        WFDB ``.dat`` -> ``.hea``.
    """

    name: str
    extensions: tuple[str, ...]
    module: str
    description: str
    companions: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def load(self) -> ModuleType:
        """Import the module that implements this format."""
        return importlib.import_module(self.module)


_FORMATS: dict[str, RecordFormat] = {}
#: Registered formats by name, in the order extensions are tried.
FORMATS: Mapping[str, RecordFormat] = MappingProxyType(_FORMATS)


def register_format(fmt: RecordFormat) -> None:
    """Add a record format (later registrations are tried last)."""
    if fmt.name in _FORMATS:
        raise ValueError(f"record format {fmt.name!r} is already registered")
    for other in _FORMATS.values():
        clash = set(fmt.extensions + tuple(fmt.companions)) & set(
            other.extensions + tuple(other.companions)
        )
        if clash:
            raise ValueError(
                f"record format {fmt.name!r}: extensions {sorted(clash)} already belong "
                f"to {other.name!r}"
            )
    _FORMATS[fmt.name] = fmt


register_format(
    RecordFormat(
        "wfdb",
        (".hea",),
        "ecgcore.io._wfdb",
        "PhysioNet WFDB record (.hea + .dat/.mat), every signal format wfdb reads",
        MappingProxyType({".dat": ".hea", ".mat": ".hea"}),
    )
)
register_format(RecordFormat("edf", (".edf",), "ecgcore.io._edf", "EDF and EDF+ (continuous)"))
register_format(RecordFormat("bdf", (".bdf",), "ecgcore.io._edf", "BDF (24-bit EDF)"))
register_format(RecordFormat("csv", (".csv",), "ecgcore.io._csv", "CSV with a header row"))
register_format(
    RecordFormat(
        "cinc2011",
        (".txt",),
        "ecgcore.io._cinc2011",
        "PhysioNet/CinC Challenge 2011 set-a text (sample number + 12 leads, 500 Hz)",
    )
)


def _by_extension() -> dict[str, tuple[RecordFormat, str | None]]:
    table: dict[str, tuple[RecordFormat, str | None]] = {}
    for fmt in _FORMATS.values():
        for ext in fmt.extensions:
            table[ext] = (fmt, None)
        for ext, target in fmt.companions.items():
            table[ext] = (fmt, target)
    return table


def _with_suffix(path: Path, ext: str) -> Path:
    return path.with_name(path.name + ext)


def resolve_record(path: str | Path, fmt: str | None = None) -> tuple[Path, RecordFormat]:
    """Find the file to read for ``path`` and the format that reads it.

    ``path`` may name the file itself (``101.hea``, ``a.edf``), a companion
    file (``101.dat``) or the record without extension (``data/101``), in
    which case every registered extension is tried in registry order.

    Raises
    ------
    DataError
        Naming the path and the files tried when none exists, or the
        extension when no reader knows it.
    """
    p = Path(path)
    if fmt is not None:
        if fmt not in _FORMATS:
            raise DataError(f"{p}: unknown record format {fmt!r}; known: {', '.join(_FORMATS)}")
        forced = _FORMATS[fmt]
        if p.is_file():
            target = forced.companions.get(p.suffix.lower())
            resolved = p.with_suffix(target) if target else p
            if not resolved.is_file():
                raise DataError(f"{p}: {fmt} record file {resolved} not found")
            return resolved, forced
        tried = [_with_suffix(p, e) for e in forced.extensions]
        for candidate in tried:
            if candidate.is_file():
                return candidate, forced
        raise DataError(f"record {p} not found; tried {', '.join(map(str, [p, *tried]))}")

    table = _by_extension()
    suffix = p.suffix.lower()
    if suffix in table and p.is_file():
        spec, target = table[suffix]
        if target is None:
            return p, spec
        header = p.with_suffix(target)
        if not header.is_file():
            raise DataError(
                f"{p}: a {spec.name} {suffix} file needs its {target} file {header}, "
                "which was not found"
            )
        return header, spec

    tried = []
    for spec in _FORMATS.values():
        for ext in spec.extensions:
            for variant in dict.fromkeys((ext, ext.upper())):
                candidate = _with_suffix(p, variant)
                tried.append(candidate)
                if candidate.is_file():
                    return candidate, spec
    if p.is_file():
        known = sorted(table)
        raise DataError(
            f"{p}: no reader for extension {p.suffix!r}; known extensions: {', '.join(known)}"
        )
    if suffix in table:
        raise DataError(f"record file {p} not found")
    raise DataError(
        f"record {p} not found; tried {p} and the extensions "
        f"{', '.join(dict.fromkeys(c.name[len(p.name) :] for c in tried))}"
    )


def _check_options(func: Any, options: Mapping[str, Any], spec: RecordFormat) -> None:
    params = inspect.signature(func).parameters
    accepted = [
        name
        for name, prm in params.items()
        if prm.kind is inspect.Parameter.KEYWORD_ONLY and name != "leads"
    ]
    unknown = [k for k in options if k not in accepted]
    if unknown:
        raise TypeError(
            f"the {spec.name} reader does not take option(s) {unknown}; "
            f"it accepts {accepted or 'no options'}"
        )


def read_record(
    path: str | Path,
    *,
    leads: LeadSelection = None,
    fmt: str | None = None,
    **options: Any,
) -> Recording:
    """Read a record from disk into a :class:`~ecgcore.recording.Recording`.

    Parameters
    ----------
    path : str or Path
        The record: a file (``101.hea``, ``101.dat``, ``a.edf``, ``x.csv``,
        ``1002603.txt``) or the record path without extension (``data/101``
        finds ``data/101.hea``; extensions are tried in the order of
        :data:`FORMATS`).
    leads : sequence of str or int, optional
        Leads to read, by name or index, in the order wanted (default all).
    fmt : str, optional
        Force a format by name (see :data:`FORMATS`) instead of the extension.
    **options
        Format-specific options, e.g. ``units=`` / ``fs=`` / ``resolution=``
        for CSV. Options the reader does not know raise ``TypeError``.

    Returns
    -------
    Recording
        ADC counts with gain/baseline/units; ``metadata["format"]`` names the
        reader and ``metadata["path"]`` the file read.

    Raises
    ------
    DataError
        The file was not found (the message names the paths tried).
    FormatError
        The file does not follow its format (names the file, field, expectation).
    """
    resolved, spec = resolve_record(path, fmt)
    module = spec.load()
    _check_options(module.read, options, spec)
    logger.debug("reading %s record %s", spec.name, resolved)
    return module.read(resolved, leads=leads, **options)


def read_header(path: str | Path, *, fmt: str | None = None, **options: Any) -> RecordHeader:
    """Describe a record without loading its samples where the format allows.

    WFDB and EDF/BDF read only the header; CSV and CinC 2011 text have no
    separate header, so the file is read in full (and missing samples are
    counted). Parameters are as for :func:`read_record`.
    """
    resolved, spec = resolve_record(path, fmt)
    module = spec.load()
    reader = getattr(module, "read_header", None)
    if reader is not None:
        _check_options(reader, options, spec)
        return reader(resolved, **options)
    _check_options(module.read, options, spec)
    rec = module.read(resolved, leads=None, **options)
    return RecordHeader.from_recording(rec, resolved, spec.name)
