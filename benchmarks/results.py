"""Result rows of the side-by-side benchmarks (small, picklable, JSON-able)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ecgcore.benchmarks.ec57 import QrsScores

__all__ = ["BenchmarkResult", "DetectRow", "DetectorState", "GrossRow", "gross_rows"]


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


class _Scores(QrsScores):
    """Se, +P, F1 and throughput from counts (shared by record and gross rows)."""

    seconds: float
    n_samples: int

    @property
    def msamples_per_s(self) -> float:
        """Throughput: million samples processed per second of detector time."""
        return _ratio(self.n_samples / 1e6, self.seconds)


@dataclass(frozen=True)
class DetectRow(_Scores):
    """One detector on one record (one noise condition).

    Attributes
    ----------
    condition : str
        ``clean``, ``em 12 dB`` (nstdb stress record), ``ma 6 dB`` (added)...
    snr_db : float or None
        Signal-to-noise ratio of the condition (None for clean records).
    n_samples : int
        Samples given to the detector.
    n_ref : int
        Reference beats in the scored interval (TP + FN).
    seconds : float
        Detector wall time on this record, warm-up excluded.
    warmup_s : float
        Warm-up (first call: imports, JIT compilation) paid before this record,
        0 when the detector was already warm in this process.
    error : str or None
        Why the detector failed on this record (then counts are 0).
    warnings : tuple of str
        Warnings the detector emitted (deduplicated).
    """

    database: str
    record: str
    condition: str
    snr_db: float | None
    detector: str
    fs: float
    n_samples: int
    n_ref: int
    tp: int
    fn: int
    fp: int
    seconds: float
    warmup_s: float = 0.0
    error: str | None = None
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["warnings"] = list(self.warnings)
        d.update(se=self.se, ppv=self.ppv, f1=self.f1, msamples_per_s=self.msamples_per_s)
        return d


@dataclass(frozen=True)
class GrossRow(_Scores):
    """Gross (summed) figures of one detector over the records of one condition."""

    detector: str
    condition: str
    snr_db: float | None
    n_records: int
    n_ref: int
    tp: int
    fn: int
    fp: int
    seconds: float
    n_samples: int
    warmup_s: float
    failed_records: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["failed_records"] = list(self.failed_records)
        d.update(se=self.se, ppv=self.ppv, f1=self.f1, msamples_per_s=self.msamples_per_s)
        return d


def gross_rows(rows: Iterable[DetectRow]) -> tuple[GrossRow, ...]:
    """Sum per-record rows by (detector, condition), in first-seen order.

    Records where a detector failed are left out of its sums and listed in
    ``failed_records``. Warm-up is the largest one paid (once per process).
    """
    groups: dict[tuple[str, str], list[DetectRow]] = {}
    for r in rows:
        groups.setdefault((r.detector, r.condition), []).append(r)
    out = []
    for (detector, condition), rs in groups.items():
        ok = [r for r in rs if r.error is None]
        out.append(
            GrossRow(
                detector=detector,
                condition=condition,
                snr_db=rs[0].snr_db,
                n_records=len(ok),
                n_ref=sum(r.n_ref for r in ok),
                tp=sum(r.tp for r in ok),
                fn=sum(r.fn for r in ok),
                fp=sum(r.fp for r in ok),
                seconds=sum(r.seconds for r in ok),
                n_samples=sum(r.n_samples for r in ok),
                warmup_s=max((r.warmup_s for r in rs), default=0.0),
                failed_records=tuple(r.record for r in rs if r.error is not None),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class DetectorState:
    """Whether a requested detector could run here."""

    name: str
    available: bool
    reason: str = ""


@dataclass(frozen=True)
class BenchmarkResult:
    """Everything a benchmark run produced, ready for the report writers."""

    kind: str
    config: Mapping[str, Any]
    detectors: tuple[DetectorState, ...]
    rows: tuple[DetectRow, ...]
    gross: tuple[GrossRow, ...]
    executor: str
    wall_s: float
    machine: Mapping[str, Any] = field(default_factory=dict)
    command: str = ""
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "command": self.command,
            "config": dict(self.config),
            "executor": self.executor,
            "wall_s": self.wall_s,
            "notes": list(self.notes),
            "machine": dict(self.machine),
            "detectors": [asdict(d) for d in self.detectors],
            "gross": [g.as_dict() for g in self.gross],
            "records": [r.as_dict() for r in self.rows],
        }
