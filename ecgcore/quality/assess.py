"""Quality verdicts: indices compared with registered limits, per lead.

:func:`assess_quality` computes every index of :mod:`ecgcore.quality.indices`
on a window of samples and turns them into a :class:`QualityReport` with one
:class:`LeadQuality` per lead: the numbers, the issues found (from
:data:`QUALITY_LIMITS`) and a level, one of ``good``, ``fair``, ``poor``,
``off`` (no usable signal).
"""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from ecgcore._validate import check_fs
from ecgcore.errors import SignalError
from ecgcore.quality.indices import compute_indices
from ecgcore.recording import Recording

__all__ = [
    "LEVELS",
    "QUALITY_LIMITS",
    "LeadQuality",
    "QualityLimit",
    "QualityReport",
    "assess_quality",
    "assess_recording",
    "register_limit",
]

#: Quality levels, best first.
LEVELS: tuple[str, ...] = ("good", "fair", "poor", "off")

_OPS: Mapping[str, Callable[[float, float], bool]] = MappingProxyType(
    {"above": operator.gt, "below": operator.lt}
)


@dataclasses.dataclass(frozen=True)
class QualityLimit:
    """When an index value is an issue.

    Parameters
    ----------
    index : str
        Index name (see :data:`~ecgcore.quality.indices.QUALITY_INDICES`).
    op : str
        ``"above"`` or ``"below"``.
    threshold : float
        Limit in the index's unit.
    level : str
        Level of a lead with this issue (``fair``, ``poor`` or ``off``).
    issue : str
        Short name of the issue shown to people (``"lead off"``, ``"mains"``...).
    """

    index: str
    op: str
    threshold: float
    level: str
    issue: str

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"op must be one of {tuple(_OPS)}, got {self.op!r}")
        if self.level not in LEVELS[1:]:
            raise ValueError(f"level must be one of {LEVELS[1:]}, got {self.level!r}")

    def hit(self, value: float) -> bool:
        """Whether ``value`` is an issue (NaN never is)."""
        return math.isfinite(value) and _OPS[self.op](value, self.threshold)


_LIMITS: list[QualityLimit] = [
    QualityLimit("lead_off", "above", 0.0, "off", "lead off"),
    QualityLimit("flat", "above", 0.5, "off", "flat line"),
    QualityLimit("missing", "above", 0.5, "off", "no data"),
    QualityLimit("clipped", "above", 0.01, "poor", "clipping"),
    QualityLimit("motion_bursts", "above", 0.0, "poor", "motion artifact"),
    QualityLimit("missing", "above", 0.0, "fair", "missing samples"),
    QualityLimit("baseline_mv", "above", 1.0, "fair", "baseline wander"),
    QualityLimit("powerline_mv", "above", 0.05, "fair", "mains interference"),
    QualityLimit("emg_mv", "above", 0.04, "fair", "muscle noise"),
    QualityLimit("amplitude_mv", "below", 0.1, "fair", "low amplitude"),
]

#: The limits in force, in order (add more with :func:`register_limit`).
QUALITY_LIMITS: Sequence[QualityLimit] = _LIMITS


def register_limit(limit: QualityLimit) -> QualityLimit:
    """Add a limit used by every later assessment."""
    _LIMITS.append(limit)
    return limit


@dataclasses.dataclass(frozen=True)
class LeadQuality:
    """Quality of one lead over one window.

    Attributes
    ----------
    lead : str
        Lead name.
    level : str
        ``good``, ``fair``, ``poor`` or ``off``.
    issues : tuple of str
        Issues found, most severe first (e.g. ``("lead off",)``, ``("mains interference",)``).
    indices : mapping
        Index name -> value (unit per index, NaN where undefined).
    """

    lead: str
    level: str
    issues: tuple[str, ...]
    indices: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "indices", MappingProxyType(dict(self.indices)))

    @property
    def usable(self) -> bool:
        """True unless the lead is ``off``."""
        return self.level != "off"

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly form (NaN as None)."""
        return {
            "lead": self.lead,
            "level": self.level,
            "issues": list(self.issues),
            "indices": {
                k: (None if not math.isfinite(v) else round(v, 6)) for k, v in self.indices.items()
            },
        }


@dataclasses.dataclass(frozen=True)
class QualityReport:
    """Quality of every lead over samples ``start_idx .. stop_idx - 1``."""

    start_idx: int
    stop_idx: int
    fs: float
    leads: tuple[LeadQuality, ...]

    @property
    def level(self) -> str:
        """The best lead's level (the record is usable if any lead is)."""
        return LEVELS[min(LEVELS.index(q.level) for q in self.leads)]

    @property
    def worst_level(self) -> str:
        """The worst lead's level."""
        return LEVELS[max(LEVELS.index(q.level) for q in self.leads)]

    def lead(self, name: str) -> LeadQuality:
        """The :class:`LeadQuality` of lead ``name``."""
        for q in self.leads:
            if q.lead == name:
                return q
        raise KeyError(name)

    def issues(self) -> dict[str, tuple[str, ...]]:
        """Lead name -> issues, only for leads that have any."""
        return {q.lead: q.issues for q in self.leads if q.issues}

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly form."""
        return {
            "start_s": self.start_idx / self.fs,
            "end_s": self.stop_idx / self.fs,
            "level": self.level,
            "leads": [q.as_dict() for q in self.leads],
        }


def _verdict(values: Mapping[str, float], limits: Iterable[QualityLimit]) -> tuple[str, tuple]:
    level, issues = 0, []
    for limit in limits:
        value = values.get(limit.index, math.nan)
        if limit.hit(value) and limit.issue not in issues:
            issues.append(limit.issue)
            level = max(level, LEVELS.index(limit.level))
    order = {lim.issue: LEVELS.index(lim.level) for lim in limits}
    issues.sort(key=lambda name: -order[name])
    return LEVELS[level], tuple(issues)


def assess_quality(
    signal: Any,
    fs: float,
    *,
    lead_names: Sequence[str] | None = None,
    lead_off: np.ndarray | None = None,
    rail_mv: tuple[float, float] | None = None,
    limits: Iterable[QualityLimit] | None = None,
    start_idx: int = 0,
) -> QualityReport:
    """Signal quality of each lead of one window.

    Parameters
    ----------
    signal : array_like, shape (n_samples,) or (n_samples, n_leads)
        Unfiltered samples in mV (NaN = missing). Use a few seconds (5-10 s):
        spectral indices need at least 1 s without gaps.
    fs : float
        Sampling rate, Hz.
    lead_names : sequence of str, optional
        Names for the report (default ``ch0``, ``ch1``...).
    lead_off : ndarray of bool, optional
        Device lead-off flags, same shape as ``signal``.
    rail_mv : (float, float), optional
        Amplifier range in mV (samples at or beyond it are clipped).
    limits : iterable of QualityLimit, optional
        Limits to apply (default :data:`QUALITY_LIMITS`).
    start_idx : int
        Sample index of the first row (for the report's span).

    Returns
    -------
    QualityReport
    """
    fs = check_fs(fs)
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0:
        raise SignalError(f"signal must have shape (n_samples, n_leads), got {x.shape}")
    n_leads = x.shape[1]
    names = (
        tuple(lead_names) if lead_names is not None else tuple(f"ch{j}" for j in range(n_leads))
    )
    if len(names) != x.shape[1]:
        raise SignalError(f"lead_names has {len(names)} entries for {x.shape[1]} leads")
    if lead_off is not None:
        lead_off = np.asarray(lead_off, dtype=bool)
        if lead_off.ndim == 1:
            lead_off = lead_off[:, None]
        if lead_off.shape != x.shape:
            raise SignalError(f"lead_off shape {lead_off.shape} != signal shape {x.shape}")
    if np.isinf(x).any():
        raise SignalError("signal contains infinite values; use NaN for missing samples")
    values = compute_indices(x, fs, lead_off=lead_off, rail_mv=rail_mv)
    active = tuple(QUALITY_LIMITS if limits is None else limits)
    leads = []
    for j, name in enumerate(names):
        per_lead = {k: float(v[j]) for k, v in values.items()}
        level, issues = _verdict(per_lead, active)
        leads.append(LeadQuality(name, level, issues, per_lead))
    return QualityReport(int(start_idx), int(start_idx) + x.shape[0], fs, tuple(leads))


def assess_recording(
    rec: Recording,
    *,
    window_s: float = 10.0,
    lead_off: np.ndarray | None = None,
    limits: Iterable[QualityLimit] | None = None,
) -> list[QualityReport]:
    """Quality of a recording in consecutive windows of ``window_s`` seconds.

    The last, shorter window is assessed too when it holds at least 2 s.
    """
    if not (math.isfinite(window_s) and window_s >= 2.0):
        raise SignalError(f"window_s must be at least 2 s, got {window_s!r}")
    x = rec.physical("mV")
    n = round(window_s * rec.fs)
    out = []
    for a in range(0, rec.n_samples, n):
        b = min(a + n, rec.n_samples)
        if b - a < 2.0 * rec.fs and a > 0:
            break
        out.append(
            assess_quality(
                x[a:b],
                rec.fs,
                lead_names=rec.lead_names,
                lead_off=None if lead_off is None else lead_off[a:b],
                limits=limits,
                start_idx=a,
            )
        )
    return out
