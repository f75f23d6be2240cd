"""RecordHeader: what a record holds, without its samples."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ecgcore.recording import Recording

__all__ = ["RecordHeader"]


@dataclasses.dataclass(frozen=True, eq=False)
class RecordHeader:
    """Description of a record as read from its header (samples not loaded).

    Parameters
    ----------
    path : Path
        File the record was read from (WFDB: the ``.hea`` file).
    format : str
        Reader name: ``"wfdb"``, ``"edf"``, ``"bdf"``, ``"csv"`` or ``"cinc2011"``.
    name : str
        Record name.
    fs : float
        Sampling rate in Hz.
    n_samples : int
        Samples per lead.
    lead_names, units : tuple of str
        One entry per lead.
    gain : ndarray of float, shape (n_leads,)
        ADC counts per physical unit.
    baseline : ndarray, shape (n_leads,)
        ADC count of 0 physical units.
    start_time : datetime or None
        Time of the first sample.
    missing_counts : tuple of int or None
        Missing samples per lead; None when the header alone cannot tell
        (WFDB, EDF: the samples must be read to count them).
    metadata : mapping
        Format details (e.g. ``wfdb_fmt``, EDF annotations) and file comments.
    """

    path: Path
    format: str
    name: str
    fs: float
    n_samples: int
    lead_names: tuple[str, ...]
    units: tuple[str, ...]
    gain: np.ndarray
    baseline: np.ndarray
    start_time: datetime | None = None
    missing_counts: tuple[int, ...] | None = None
    metadata: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    @property
    def n_leads(self) -> int:
        """Number of leads."""
        return len(self.lead_names)

    @property
    def n_missing(self) -> int | None:
        """Missing samples over all leads (None when not counted)."""
        return None if self.missing_counts is None else sum(self.missing_counts)

    @property
    def duration_s(self) -> float:
        """Duration in seconds (``n_samples / fs``)."""
        return self.n_samples / self.fs

    @classmethod
    def from_recording(cls, rec: Recording, path: Path, fmt: str) -> RecordHeader:
        """Header of a recording already read in full (missing samples counted)."""
        return cls(
            path=path,
            format=fmt,
            name=rec.name,
            fs=rec.fs,
            n_samples=rec.n_samples,
            lead_names=rec.lead_names,
            units=rec.units,
            gain=rec.gain,
            baseline=rec.baseline,
            start_time=rec.start_time,
            missing_counts=tuple(int(n) for n in rec.missing_mask.sum(axis=0)),
            metadata=rec.metadata,
        )
