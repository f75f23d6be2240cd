"""Record names of the station and the files behind them; safe uploads.

A record is addressed as ``AREA/NAME``: ``AREA`` is one of :data:`AREAS`
(folders of the station directory) and ``NAME`` one path component of
letters, digits, ``.``, ``_`` and ``-`` (no ``..``, no separators). Each record
lives in its own folder ``AREA/NAME/`` holding its files (``100.hea`` +
``100.dat``, ``exam.edf``, ``a103l.txt``, ...); every resolved path is checked
to stay inside that folder, so no name can reach a file elsewhere.

Uploads are size-limited by the caller, written to a private temporary
folder, checked (file names, WFDB headers naming only uploaded files) and
read with :func:`ecgcore.io.read_record` before they are kept.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ecgcore.errors import DataError
from ecgcore.recording import Recording

__all__ = [
    "AREAS",
    "RECORD_SUFFIXES",
    "NotFound",
    "RecordNameError",
    "RecordRef",
    "check_record_name",
    "list_records",
    "resolve_record",
    "save_upload",
]

#: Station folders that hold records.
AREAS = ("recordings", "uploads")

#: File suffixes a record may consist of (signal, header and annotation files).
RECORD_SUFFIXES = (".hea", ".dat", ".mat", ".edf", ".bdf", ".csv", ".txt", ".atr", ".qrs")
#: Suffixes that name the record itself (what :func:`ecgcore.io.read_record` is given).
_PRIMARY = (".hea", ".edf", ".bdf", ".csv", ".txt")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


class RecordNameError(DataError, ValueError):
    """A record name or uploaded file name is not acceptable."""


class NotFound(FileNotFoundError):
    """A record, rubric or device session of the station does not exist (HTTP 404)."""


def check_record_name(name: str, *, what: str = "record name") -> str:
    """Return ``name`` if it is one safe path component, else raise :class:`RecordNameError`."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise RecordNameError(
            f"{what} {name!r}: expected 1-80 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, without '..'"
        )
    return name


def check_area(area: str) -> str:
    """Return ``area`` if it is one of :data:`AREAS`."""
    if area not in AREAS:
        raise RecordNameError(f"area {area!r}: expected one of {', '.join(AREAS)}")
    return area


@dataclasses.dataclass(frozen=True)
class RecordRef:
    """A record of the station.

    Attributes
    ----------
    area, name : str
        Address ``area/name``.
    path : Path
        What :func:`ecgcore.io.read_record` is given (WFDB: the ``.hea`` file).
    files : tuple of Path
        Every file of the record.
    """

    area: str
    name: str
    path: Path
    files: tuple[Path, ...]

    @property
    def key(self) -> str:
        """``area/name``."""
        return f"{self.area}/{self.name}"

    @property
    def size_bytes(self) -> int:
        """Total size of the record's files."""
        return sum(f.stat().st_size for f in self.files)


def _primary_file(folder: Path) -> Path | None:
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink())
    for suffix in _PRIMARY:
        hits = [p for p in files if p.suffix.lower() == suffix]
        if hits:
            return hits[0]
    return None


def _inside(root: Path, path: Path) -> bool:
    try:
        return path.resolve(strict=True).is_relative_to(root.resolve(strict=True))
    except (OSError, RuntimeError):
        return False


def resolve_record(data_dir: Path, area: str, name: str) -> RecordRef:
    """Return the record ``area/name`` of the station in ``data_dir``.

    Raises
    ------
    RecordNameError
        Bad area or name (including any attempt to leave the station folder).
    NotFound
        No such record.
    """
    check_area(area)
    check_record_name(name)
    root = data_dir / area
    folder = root / name
    if not folder.is_dir() or folder.is_symlink() or not _inside(root, folder):
        raise NotFound(f"no record {area}/{name}")
    primary = _primary_file(folder)
    if primary is None:
        raise NotFound(f"record {area}/{name} has no readable file")
    files = tuple(
        sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and not p.is_symlink() and _inside(folder, p)
        )
    )
    return RecordRef(area, name, primary, files)


def list_records(data_dir: Path) -> list[RecordRef]:
    """Every record of every area, by area then name."""
    out = []
    for area in AREAS:
        root = data_dir / area
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            if folder.name.startswith(".") or not folder.is_dir() or not _NAME.match(folder.name):
                continue
            try:
                out.append(resolve_record(data_dir, area, folder.name))
            except (NotFound, RecordNameError):
                continue
        # Names that failed are not records (empty or partial folders).
    return out


def _check_upload_names(filenames: Sequence[str]) -> None:
    if not filenames:
        raise RecordNameError("no file uploaded")
    seen = set()
    for fname in filenames:
        if not isinstance(fname, str) or not _FILE.match(fname) or ".." in fname:
            raise RecordNameError(
                f"file name {fname!r}: expected a plain file name (letters, digits, "
                "'.', '_', '-'), no folders"
            )
        suffix = Path(fname).suffix.lower()
        if suffix not in RECORD_SUFFIXES:
            raise RecordNameError(
                f"file {fname!r}: suffix {suffix or '(none)'} is not one of "
                f"{', '.join(RECORD_SUFFIXES)}"
            )
        if fname.lower() in seen:
            raise RecordNameError(f"file {fname!r} given twice")
        seen.add(fname.lower())
    primaries = [f for f in filenames if Path(f).suffix.lower() in _PRIMARY]
    if len(primaries) != 1:
        raise RecordNameError(
            f"expected exactly one record file ({', '.join(_PRIMARY)}) per upload, "
            f"got {len(primaries)}: {', '.join(primaries) or 'none'}"
        )


def _check_wfdb_header(header: Path, uploaded: set[str]) -> None:
    """The header may only name signal files that were uploaded with it."""
    import wfdb  # noqa: PLC0415 - heavy import, only for WFDB uploads

    try:
        hdr = wfdb.rdheader(str(header.with_suffix("")))
    except Exception as exc:  # wfdb raises bare Exceptions/ValueErrors for bad headers
        raise DataError(f"{header.name}: not a valid WFDB header: {exc}") from None
    for fname in getattr(hdr, "file_name", None) or []:
        if fname not in uploaded:
            raise RecordNameError(
                f"{header.name}: header names signal file {fname!r}, which was not uploaded "
                "(signal files must be uploaded together with the header)"
            )


def save_upload(
    data_dir: Path,
    files: Sequence[tuple[str, bytes]],
    *,
    name: str | None = None,
    area: str = "uploads",
) -> tuple[RecordRef, Recording]:
    """Validate uploaded files and keep them as record ``area/name``.

    Parameters
    ----------
    data_dir : Path
        Station folder.
    files : sequence of (file name, content)
        The record's files: exactly one record file (``.hea``, ``.edf``,
        ``.bdf``, ``.csv``, ``.txt``) plus its signal/annotation files.
    name : str, optional
        Record name; default the stem of the record file.
    area : str
        Target area.

    Returns
    -------
    (RecordRef, Recording)
        The stored record and what :func:`ecgcore.io.read_record` read from it.

    Raises
    ------
    RecordNameError
        Bad file or record names, or a record that already exists.
    DataError
        Files that do not read as a record (the reader's message names the field).
    """
    from ecgcore.io import read_record  # noqa: PLC0415 - io is a sibling stage

    check_area(area)
    filenames = [f for f, _ in files]
    _check_upload_names(filenames)
    primary = next(f for f in filenames if Path(f).suffix.lower() in _PRIMARY)
    name = check_record_name(name if name else Path(primary).stem)
    root = data_dir / area
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = root / name
    if target.exists():
        raise RecordNameError(f"record {area}/{name} exists; choose another name")
    tmp = Path(tempfile.mkdtemp(prefix=".upload-", dir=root))
    try:
        for fname, content in files:
            (tmp / fname).write_bytes(content)
        if Path(primary).suffix.lower() == ".hea":
            _check_wfdb_header(tmp / primary, set(filenames))
        try:
            rec = read_record(tmp / primary)
        except (DataError, ValueError, OSError) as exc:
            raise DataError(f"{primary}: not a readable ECG record: {exc}") from None
        if rec.n_samples == 0:
            raise DataError(f"{primary}: the record has no samples")
        try:
            tmp.rename(target)
        except OSError:
            raise RecordNameError(f"record {area}/{name} exists; choose another name") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return resolve_record(data_dir, area, name), rec
