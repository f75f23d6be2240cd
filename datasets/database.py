"""A database on disk: which records are present, and loading them lazily.

:func:`get_database` binds a registry entry (:mod:`ecgcore.datasets.registry`)
to a data root (:func:`ecgcore.datasets._paths.data_root`). Records are read
one at a time with :func:`ecgcore.io.read_record` and
:func:`ecgcore.io.read_annotations`; :func:`iter_records` is a generator, so
iterating over a whole database holds one record in memory at a time.

A partial copy (some of the official records) works: :meth:`Database.records`
lists what is present, :meth:`Database.status` says what is missing.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ecgcore.datasets._paths import data_root
from ecgcore.datasets.labels import aami_class, rhythm_label
from ecgcore.datasets.registry import DatabaseInfo, database_info
from ecgcore.errors import DataError

if TYPE_CHECKING:
    from ecgcore.io import Annotations
    from ecgcore.recording import Recording

__all__ = [
    "Database",
    "DatabaseStatus",
    "RecordData",
    "get_database",
    "iter_records",
]

logger = logging.getLogger("ecgcore")


@dataclass(frozen=True)
class DatabaseStatus:
    """What of a database is present under the data root.

    Attributes
    ----------
    name : str
        Registry name.
    path : Path
        Database folder.
    present : int
        Records found with their signal files.
    expected : int
        Records in the full release.
    missing : tuple of str
        Official records not found (empty when the official list is unknown).
    """

    name: str
    path: Path
    present: int
    expected: int
    missing: tuple[str, ...]

    @property
    def state(self) -> str:
        """``complete``, ``partial`` or ``missing``."""
        if self.present == 0:
            return "missing"
        return "complete" if self.present >= self.expected else "partial"


@dataclass(frozen=True, eq=False)
class RecordData:
    """One loaded record with its reference annotations mapped to labels.

    Attributes
    ----------
    database, record : str
        Where it came from.
    recording : Recording
        The signals.
    annotations : Annotations or None
        The reference annotation file (None when the database has none for
        this record).
    label : str or None
        Record-level label (CinC challenges: quality grade or rhythm class).
    """

    database: str
    record: str
    recording: Recording
    annotations: Annotations | None
    label: str | None = None

    @cached_property
    def _beat_mask(self) -> np.ndarray:
        if self.annotations is None:
            return np.zeros(0, dtype=bool)
        return np.array([aami_class(s) is not None for s in self.annotations.symbol], dtype=bool)

    @property
    def beat_idx(self) -> np.ndarray:
        """Sample indices of the reference beats (int64; empty without annotations)."""
        if self.annotations is None:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.annotations.sample, dtype=np.int64)[self._beat_mask]

    @property
    def beat_symbols(self) -> tuple[str, ...]:
        """MIT-BIH symbols of the reference beats."""
        if self.annotations is None:
            return ()
        return tuple(
            s for s, keep in zip(self.annotations.symbol, self._beat_mask, strict=True) if keep
        )

    @property
    def beat_classes(self) -> tuple[str, ...]:
        """AAMI class (N, S, V, F, Q) of each reference beat."""
        return tuple(aami_class(s) or "Q" for s in self.beat_symbols)

    @property
    def rhythm_changes(self) -> tuple[tuple[int, str], ...]:
        """``(sample, rhythm code)`` for every rhythm change (``(AFIB`` -> ``AFIB``)."""
        if self.annotations is None:
            return ()
        out = []
        for t, aux in zip(self.annotations.sample, self.annotations.aux_note, strict=True):
            code = rhythm_label(aux) if aux else None
            if code is not None:
                out.append((int(t), code))
        return tuple(out)


class Database:
    """A registry database bound to a folder on disk.

    Parameters
    ----------
    info : DatabaseInfo
        Registry entry.
    root : Path
        Data root; the database lives in ``root / info.folder``.
    """

    def __init__(self, info: DatabaseInfo, root: Path) -> None:
        self.info = info
        self.root = Path(root)
        self.path = self.root / info.folder

    def __repr__(self) -> str:
        return f"Database({self.info.name!r}, path={str(self.path)!r})"

    # ------------------------------------------------------------------ records
    def _official(self) -> tuple[str, ...] | None:
        if self.info.records is not None:
            return self.info.records
        if self.info.index_file is not None:
            index = self.path / self.info.index_file
            if index.is_file():
                with index.open(newline="", encoding="utf-8") as f:
                    return tuple(f"{int(float(row['ecg_id'])):05d}" for row in csv.DictReader(f))
        return None

    def record_file(self, record: str) -> Path:
        """Path of ``record`` without extension (``.txt`` added for CinC 2011)."""
        rel = self.info.record_path(record)
        if self.info.record_format == "cinc2011":
            return self.path / f"{rel}.txt"
        return self.path / rel

    def is_present(self, record: str) -> bool:
        """True when the record's header and signal file are on disk."""
        base = self.record_file(record)
        if self.info.record_format == "cinc2011":
            return base.is_file()
        return base.with_name(base.name + ".hea").is_file() and any(
            base.with_name(base.name + ext).is_file() for ext in (".dat", ".mat")
        )

    def has_reference(self, record: str) -> bool:
        """True when the record's reference annotation file is on disk."""
        ext = self.info.reference_extension
        if ext is None:
            return False
        base = self.record_file(record)
        return base.with_name(f"{base.name}.{ext}").is_file()

    def records(self) -> list[str]:
        """Records present locally, in official order."""
        if not self.path.is_dir():
            return []
        official = self._official()
        if official is None:  # CinC 2011: the release's list is not published as a file
            return sorted(p.stem for p in self.path.glob("*.txt") if p.stem.isdigit())
        return [r for r in official if self.is_present(r)]

    def status(self) -> DatabaseStatus:
        """Present and missing records (see :class:`DatabaseStatus`)."""
        present = self.records()
        official = self._official()
        have = set(present)
        missing = tuple(r for r in official if r not in have) if official is not None else ()
        return DatabaseStatus(
            name=self.info.name,
            path=self.path,
            present=len(present),
            expected=self.info.expected_count,
            missing=missing,
        )

    @cached_property
    def _labels(self) -> dict[str, str]:
        if self.info.labels_file is None:
            return {}
        path = self.path / self.info.labels_file
        if not path.is_file():
            return {}
        labels: dict[str, str] = {}
        with path.open(newline="", encoding="utf-8") as f:
            for lineno, row in enumerate(csv.reader(f), start=1):
                if not row:
                    continue
                if len(row) != 2:
                    raise DataError(
                        f"{path}: line {lineno}: expected 'record,label', found {row!r}"
                    )
                labels[row[0].strip()] = row[1].strip()
        return labels

    def label(self, record: str) -> str | None:
        """Record-level label from the labels file, if the database has one."""
        return self._labels.get(record)

    # ------------------------------------------------------------------ loading
    def load(
        self, record: str, *, leads: Sequence[int | str] | None = None
    ) -> tuple[Recording, Annotations | None]:
        """Read one record and its reference annotations.

        Parameters
        ----------
        record : str
            Record name (see :meth:`records`).
        leads : sequence of int or str, optional
            Leads to read (default: all).

        Returns
        -------
        (Recording, Annotations or None)
            Annotations are None when the database has no reference file for
            this record (e.g. nstdb noise records, qtdb records without .atr).
        """
        from ecgcore.io import read_annotations, read_record  # noqa: PLC0415 - keeps import light

        if not self.is_present(record):
            raise DataError(
                f"{self.info.name}: record {record!r} not found under {self.path} "
                f"(present: {len(self.records())} of {self.info.expected_count} records; "
                f"`ecg datasets download {self.info.name}` fetches the rest)"
            )
        path = self.record_file(record)
        recording = read_record(path, leads=leads)
        annotations = None
        ext = self.info.reference_extension
        if ext is not None and self.has_reference(record):
            annotations = read_annotations(path, ext)
        return recording, annotations

    def load_record(self, record: str, *, leads: Sequence[int | str] | None = None) -> RecordData:
        """Like :meth:`load`, with beats and rhythms mapped (:class:`RecordData`)."""
        recording, annotations = self.load(record, leads=leads)
        return RecordData(
            database=self.info.name,
            record=record,
            recording=recording,
            annotations=annotations,
            label=self.label(record),
        )

    def iter_records(
        self,
        records: Iterable[str] | None = None,
        *,
        leads: Sequence[int | str] | None = None,
    ) -> Iterator[RecordData]:
        """Yield records one at a time (a generator: memory stays flat).

        ``records=None`` iterates over the records present; an explicit list
        must name present records (a missing one raises :class:`DataError`
        when reached).
        """
        names = self.records() if records is None else list(records)
        for name in names:
            yield self.load_record(name, leads=leads)


def get_database(name: str, data_dir: str | os.PathLike[str] | None = None) -> Database:
    """Return the database ``name`` under the data root.

    Parameters
    ----------
    name : str
        Registry name or alias (``mitdb``, ``ptb-xl``, ``cinc2017``...).
    data_dir : path, optional
        Data root; default from ``ECGCORE_DATA_DIR``, ``../shared/datasets`` or
        the user cache (:func:`ecgcore.datasets._paths.data_root`).
    """
    return Database(database_info(name), data_root(data_dir))


def iter_records(
    name: str,
    records: Iterable[str] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    leads: Sequence[int | str] | None = None,
) -> Iterator[RecordData]:
    """Lazily yield :class:`RecordData` for the records of database ``name``."""
    yield from get_database(name, data_dir).iter_records(records, leads=leads)
