"""WFDB annotation files (``.atr``, ``.qrs``, ...) read and written with wfdb.

:func:`write_annotations` followed by ``wfdb.rdann`` (or
:func:`read_annotations`) gives back the same samples, symbols, aux notes,
channels, subtypes and numbers.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecgcore.errors import DataError, FormatError

__all__ = ["Annotations", "read_annotations", "write_annotations"]

_RECORD_NAME = re.compile(r"^[-\w]+$")
_EXTENSION = re.compile(r"^\w+$")
#: Extensions of the record's own files, stripped from ``record_path``.
_RECORD_SUFFIXES = (".hea", ".dat", ".mat")


def _int_array(values: Any, field: str, n: int | None) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"Annotations.{field} must be 1-D, got shape {arr.shape}")
    integral = np.issubdtype(arr.dtype, np.integer) or (
        np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))
    )
    if arr.size and not integral:
        raise ValueError(f"Annotations.{field} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if n is not None and arr.size != n:
        raise ValueError(f"Annotations.{field} has {arr.size} entries for {n} annotations")
    arr.setflags(write=False)
    return arr


@dataclasses.dataclass(frozen=True, eq=False)
class Annotations:
    """Labels at sample positions of a record (a WFDB annotation file).

    Parameters
    ----------
    sample : ndarray of int64, shape (n,)
        Sample index of each annotation.
    symbol : tuple of str
        WFDB label symbol of each annotation (``"N"``, ``"V"``, ``"+"``, ...).
    aux_note : tuple of str
        Auxiliary text of each annotation (rhythm changes such as ``"(AFIB"``;
        empty string when absent). Trailing NUL bytes that some files store as
        a C string terminator are removed on reading.
    fs : float
        Sampling rate in Hz the sample indices refer to.
    extension : str
        Annotator name / file extension (``"atr"``, ``"qrs"``).
    chan : ndarray of int64, shape (n,), optional
        Signal (lead index) each annotation refers to.
    subtype, num : ndarray of int64, shape (n,), optional
        WFDB ``subtyp`` and ``num`` fields.
    """

    sample: np.ndarray
    symbol: tuple[str, ...]
    aux_note: tuple[str, ...]
    fs: float
    extension: str
    chan: np.ndarray | None = None
    subtype: np.ndarray | None = None
    num: np.ndarray | None = None

    def __post_init__(self) -> None:
        sample = _int_array(self.sample, "sample", None)
        n = sample.size
        if n and sample.min() < 0:
            raise ValueError(f"Annotations.sample must be >= 0, got {int(sample.min())}")
        symbol = tuple(str(s) for s in self.symbol)
        aux = tuple(str(a) for a in self.aux_note)
        for field, value in (("symbol", symbol), ("aux_note", aux)):
            if len(value) != n:
                raise ValueError(f"Annotations.{field} has {len(value)} entries for {n} samples")
        fs = float(self.fs)
        if not (np.isfinite(fs) and fs > 0):
            raise ValueError(f"Annotations.fs must be a positive number in Hz, got {self.fs!r}")
        extension = str(self.extension).lstrip(".")
        set_ = object.__setattr__
        set_(self, "sample", sample)
        set_(self, "symbol", symbol)
        set_(self, "aux_note", aux)
        set_(self, "fs", fs)
        set_(self, "extension", extension)
        for field in ("chan", "subtype", "num"):
            value = getattr(self, field)
            if value is not None:
                set_(self, field, _int_array(value, field, n))

    def __len__(self) -> int:
        return int(self.sample.size)

    @classmethod
    def from_beats(
        cls,
        sample: np.ndarray,
        fs: float,
        *,
        extension: str = "qrs",
        symbol: str = "N",
        chan: int | None = None,
    ) -> Annotations:
        """Annotate every beat at ``sample`` (sample indices) with one ``symbol``.

        ``chan`` is the lead index the beats were detected on (stored per annotation).
        """
        sample = np.asarray(sample, dtype=np.int64)
        return cls(
            sample=sample,
            symbol=(symbol,) * sample.size,
            aux_note=("",) * sample.size,
            fs=fs,
            extension=extension,
            chan=None if chan is None else np.full(sample.size, chan, dtype=np.int64),
        )

    @property
    def time_s(self) -> np.ndarray:
        """Annotation times in seconds from the start of the record."""
        return self.sample / self.fs


def _record_base(record_path: str | Path) -> Path:
    p = Path(record_path)
    if p.suffix.lower() in _RECORD_SUFFIXES:
        p = p.with_suffix("")
    return p


def _header_fs(base: Path) -> float | None:
    header = base.with_name(base.name + ".hea")
    if not header.is_file():
        return None
    import wfdb  # noqa: PLC0415 - imported when annotations are read

    try:
        return float(wfdb.rdheader(str(base)).fs)
    except Exception:
        return None


def read_annotations(record_path: str | Path, extension: str) -> Annotations:
    """Read the WFDB annotation file ``<record_path>.<extension>``.

    Parameters
    ----------
    record_path : str or Path
        The record, with or without ``.hea``/``.dat`` extension
        (``data/101`` and ``data/101.hea`` both read ``data/101.atr``).
    extension : str
        Annotation file extension, e.g. ``"atr"``.

    Raises
    ------
    DataError
        The annotation file does not exist.
    FormatError
        The file is not a WFDB annotation file, or no sampling rate is known
        (neither in the file nor in the record's header).
    """
    import wfdb  # noqa: PLC0415 - imported when annotations are read

    ext = str(extension).lstrip(".")
    base = _record_base(record_path)
    path = base.with_name(f"{base.name}.{ext}")
    if not path.is_file():
        raise DataError(f"annotation file {path} not found")
    try:
        ann = wfdb.rdann(str(base), ext, return_label_elements=["symbol"])
    except Exception as exc:
        raise FormatError(path, "annotation data", "a WFDB annotation file", str(exc)) from exc
    fs = ann.fs if ann.fs else _header_fs(base)
    if not fs:
        raise FormatError(
            path, "fs", "a sampling frequency in the file or in the record's .hea header"
        )
    return Annotations(
        sample=ann.sample,
        symbol=tuple(ann.symbol),
        aux_note=tuple(a.rstrip("\x00") for a in ann.aux_note),
        fs=float(fs),
        extension=ext,
        chan=ann.chan,
        subtype=ann.subtype,
        num=ann.num,
    )


def _known_symbols() -> frozenset[str]:
    from wfdb.io.annotation import ann_label_table  # noqa: PLC0415

    return frozenset(str(s) for s in ann_label_table["symbol"])


def _check_symbols(symbols: Sequence[str], path: Path) -> None:
    known = _known_symbols()
    for i, sym in enumerate(symbols):
        if sym not in known:
            raise DataError(
                f"{path}: annotation {i} has symbol {sym!r}, which is not a standard WFDB "
                "label (e.g. N, V, A, +, ~, |)"
            )


def _empty_annotation_file(fs_text: str) -> bytes:
    """An annotation file with no annotations: the time-resolution note, then the end mark.

    wfdb.wrann refuses an empty annotation list, but such a file is valid WFDB
    (e.g. no beats found), so it is encoded here by hand as wfdb.wrann encodes
    the same note: a NOTE label (22) at sample 0, an AUX field (63) holding
    ``## time resolution: <fs>`` padded to an even length, and two zero bytes.
    """
    aux = f"## time resolution: {fs_text}".encode("ascii")
    out = (22 << 10).to_bytes(2, "little") + ((63 << 10) | len(aux)).to_bytes(2, "little") + aux
    if len(aux) % 2:
        out += b"\x00"
    return out + b"\x00\x00"


def write_annotations(
    directory: str | Path, record_name: str, extension: str, annotations: Annotations
) -> Path:
    """Write ``annotations`` as the WFDB file ``<directory>/<record_name>.<extension>``.

    Parameters
    ----------
    directory : str or Path
        Output folder (created if needed); an existing file is replaced.
    record_name : str
        Record the annotations belong to (letters, digits, ``_``, ``-``).
    extension : str
        Annotation file extension, e.g. ``"qrs"``.
    annotations : Annotations
        What to write; ``annotations.fs`` is stored in the file.

    Returns
    -------
    Path
        The file written.
    """
    import wfdb  # noqa: PLC0415 - imported when annotations are written

    ext = str(extension).lstrip(".")
    if not _RECORD_NAME.match(record_name):
        raise DataError(
            f"record name {record_name!r} is not valid for WFDB: use letters, digits, _ and -"
        )
    if not _EXTENSION.match(ext):
        raise DataError(f"annotation extension {extension!r} must be letters and digits")
    out_dir = Path(directory)
    path = out_dir / f"{record_name}.{ext}"
    _check_symbols(annotations.symbol, path)
    if len(annotations) > 1 and np.any(np.diff(annotations.sample) < 0):
        i = int(np.flatnonzero(np.diff(annotations.sample) < 0)[0]) + 1
        raise DataError(
            f"{path}: annotation samples must be in non-decreasing order; "
            f"annotation {i} at sample {int(annotations.sample[i])} comes after "
            f"{int(annotations.sample[i - 1])}"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    fs = annotations.fs
    n = len(annotations)
    fs_text = str(int(fs)) if fs == int(fs) else repr(fs)
    if n == 0:
        path.write_bytes(_empty_annotation_file(fs_text))
        return path

    def _field(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None or n == 0 else np.asarray(values, dtype=np.int64)

    try:
        wfdb.wrann(
            record_name,
            ext,
            sample=np.asarray(annotations.sample, dtype=np.int64),
            symbol=list(annotations.symbol),
            subtype=_field(annotations.subtype),
            chan=_field(annotations.chan),
            num=_field(annotations.num),
            aux_note=list(annotations.aux_note) if any(annotations.aux_note) else None,
            fs=int(fs) if fs == int(fs) else fs,
            write_dir=str(out_dir),
        )
    except Exception as exc:
        raise DataError(f"writing WFDB annotations {path}: {exc}") from exc
    return path
