"""The files of a record and their SHA-256 digests.

A WFDB record is a header (``.hea``), the signal files it names (usually
``.dat``) and any annotation or companion files sharing the record name
(``100.atr``, ``100.qrs``, ...); multi-segment records add one header and
signal file set per segment. EDF, CSV and other single-file records are the
file itself plus any same-name companions.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from ecgcore.errors import LogError

__all__ = ["FileRef", "hash_file", "hash_files", "record_files"]

_CHUNK = 1 << 20


class FileRef(NamedTuple):
    """One file of a record: absolute path, SHA-256 hex digest, size in bytes."""

    path: str
    sha256: str
    size: int


def hash_file(path: str | os.PathLike[str]) -> FileRef:
    """Hash one file (streamed, 1 MiB at a time) and return its :class:`FileRef`.

    Raises :class:`LogError` if the file cannot be read.
    """
    resolved = Path(path).expanduser().resolve()
    digest = hashlib.sha256()
    size = 0
    try:
        with open(resolved, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise LogError(f"{resolved}: cannot read file to hash it: {exc.strerror or exc}") from None
    return FileRef(str(resolved), digest.hexdigest(), size)


def hash_files(paths: Iterable[str], *, workers: int = 4) -> dict[str, FileRef | LogError]:
    """Hash many files with a few threads; each path maps to its FileRef or the error."""

    def one(path: str) -> FileRef | LogError:
        try:
            return hash_file(path)
        except LogError as exc:
            return exc

    unique = list(dict.fromkeys(paths))
    if len(unique) < 2 or workers < 2:
        return {p: one(p) for p in unique}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(unique, pool.map(one, unique), strict=True))


def _wfdb_header_path(path: Path) -> Path | None:
    if path.suffix == ".hea":
        return path
    candidate = path.with_name(path.name + ".hea")
    return candidate if candidate.is_file() else None


def _wfdb_files(header: Path, seen: set[Path]) -> list[Path]:
    import wfdb  # noqa: PLC0415 - heavy import, only needed for WFDB records

    record_name = header.name[: -len(".hea")]
    try:
        hdr = wfdb.rdheader(str(header.with_name(record_name)))
    except Exception as exc:  # wfdb raises many types for a bad header
        raise LogError(f"{header}: cannot read WFDB header: {exc}") from None
    out = [header]
    seen.add(header)
    seg_names = getattr(hdr, "seg_name", None)
    if seg_names:
        for seg in seg_names:
            if seg and seg != "~":
                seg_header = header.with_name(f"{seg}.hea")
                if seg_header not in seen:
                    out.extend(_wfdb_files(seg_header, seen))
    for name in getattr(hdr, "file_name", None) or ():
        data = header.with_name(name)
        if data not in seen:
            if not data.is_file():
                raise LogError(f"{header}: signal file {name!r} named in the header is missing")
            seen.add(data)
            out.append(data)
    return out


def record_files(record_path: str | os.PathLike[str]) -> list[Path]:
    """Every file of a record, header first, as absolute paths.

    Parameters
    ----------
    record_path : path
        A WFDB record (``dir/100`` or ``dir/100.hea``) or any record file
        (``.edf``, ``.csv``, ...).

    Raises
    ------
    LogError
        If the record does not exist or its header names a missing file.
    """
    path = Path(record_path).expanduser().resolve()
    header = _wfdb_header_path(path)
    seen: set[Path] = set()
    if header is not None:
        files = _wfdb_files(header, seen)
        stem = header.name[: -len(".hea")]
    elif path.is_file():
        files = [path]
        seen.add(path)
        stem = path.stem
    else:
        raise LogError(f"{path}: no such record (expected a file or a WFDB .hea header)")
    for companion in sorted(path.parent.glob(f"{glob.escape(stem)}.*")):
        if companion.is_file() and companion not in seen:
            seen.add(companion)
            files.append(companion)
    return files
