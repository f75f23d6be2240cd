"""Findings: the fixed codes a grading can raise, and the finding record itself.

Every check of the grading stage reports :class:`Finding` objects. A finding
has a code from :data:`FINDING_CODES` (fixed: rubrics, gradebooks and logs
refer to them), the leads it concerns, a severity and a message written for
the technician being graded.

Severities, mildest first:

* ``info`` - worth knowing, costs nothing by itself;
* ``minor`` - a departure from good practice; the tracing is still usable;
* ``major`` - the tracing is misleading in the leads named (e.g. swapped
  electrodes, heavy artefact); it should be repeated;
* ``critical`` - the tracing cannot be interpreted (leads missing or off).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

__all__ = [
    "CATEGORIES",
    "FINDING_CODES",
    "SEVERITIES",
    "Finding",
    "FindingCode",
    "make_finding",
    "severity_rank",
]

#: Severity levels, mildest first.
SEVERITIES: tuple[str, ...] = ("info", "minor", "major", "critical")
#: What part of the technician's skill a code is about.
CATEGORIES: tuple[str, ...] = ("settings", "artefact", "placement", "interpretation")


def severity_rank(severity: str) -> int:
    """Position of ``severity`` in :data:`SEVERITIES` (0 = info)."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise ValueError(
            f"unknown severity {severity!r}; expected one of {', '.join(SEVERITIES)}"
        ) from None


@dataclasses.dataclass(frozen=True)
class FindingCode:
    """Description of one finding code.

    Attributes
    ----------
    code : str
        The fixed code, e.g. ``"LIMB_REVERSAL_LA_RA"``.
    category : str
        One of :data:`CATEGORIES`.
    severity : str
        Default severity (checks may raise or lower it with a reason).
    title : str
        Short title for tables.
    advice : str
        What the technician should do differently, one sentence.
    """

    code: str
    category: str
    severity: str
    title: str
    advice: str


_CODES: tuple[FindingCode, ...] = (
    FindingCode(
        "MISSING_LEAD", "settings", "critical", "Lead missing",
        "Record all 12 standard leads: check every lead wire is connected and selected.",
    ),
    FindingCode(
        "SHORT_DURATION", "settings", "major", "Recording too short",
        "Record at least 10 seconds so every lead and the rhythm strip are complete.",
    ),
    FindingCode(
        "LOW_SAMPLING_RATE", "settings", "minor", "Sampling rate too low",
        "Use a sampling rate of at least 250 Hz; 500 Hz is recommended for diagnostic ECGs.",
    ),
    FindingCode(
        "NO_CALIBRATION", "settings", "minor", "No calibration pulse",
        "Include the 1 mV calibration pulse so the reader can check the gain on paper.",
    ),
    FindingCode(
        "WRONG_GAIN", "settings", "major", "Wrong gain",
        "Set the standard gain of 10 mm/mV (the 1 mV calibration pulse must be 10 mm tall).",
    ),
    FindingCode(
        "LEAD_OFF", "artefact", "critical", "Lead off or flat line",
        "Check the electrode is attached with fresh gel and the lead wire is clipped on.",
    ),
    FindingCode(
        "CLIPPING", "artefact", "major", "Signal clipped",
        "The signal hit the amplifier's limit: check electrode contact and reduce the gain.",
    ),
    FindingCode(
        "BASELINE_WANDER", "artefact", "minor", "Baseline wander",
        "Ask the patient to breathe quietly, prepare the skin and let the electrodes settle.",
    ),
    FindingCode(
        "POWERLINE_NOISE", "artefact", "minor", "Mains interference",
        "Move away from mains cables and appliances, keep lead wires together, check the RL "
        "electrode.",
    ),
    FindingCode(
        "MUSCLE_NOISE", "artefact", "minor", "Muscle tremor",
        "Make the patient warm and relaxed with arms resting; place limb electrodes on flat, "
        "non-muscular areas.",
    ),
    FindingCode(
        "MOTION_ARTIFACT", "artefact", "major", "Motion artefact",
        "Ask the patient to lie still and not talk; secure the lead wires so they do not pull.",
    ),
    FindingCode(
        "LOW_AMPLITUDE", "artefact", "major", "Implausibly low amplitude",
        "The QRS is implausibly small: check electrode contact, the lead wire and the gain.",
    ),
    FindingCode(
        "LIMB_REVERSAL_LA_RA", "placement", "major", "Left and right arm electrodes swapped",
        "Place the RA (white/red) electrode on the right arm and LA (black/yellow) on the left.",
    ),
    FindingCode(
        "LIMB_REVERSAL_LA_LL", "placement", "major", "Left arm and left leg electrodes swapped",
        "Place LA on the left arm and LL (red/green) on the left leg.",
    ),
    FindingCode(
        "LIMB_REVERSAL_RA_LL", "placement", "major", "Right arm and left leg electrodes swapped",
        "Place RA on the right arm and LL on the left leg.",
    ),
    FindingCode(
        "LIMB_REVERSAL_OTHER", "placement", "major", "Other limb or neutral electrode error",
        "Check all four limb electrodes, including the neutral (RL) on the right leg.",
    ),
    FindingCode(
        "PRECORDIAL_SWAP", "placement", "major", "Chest lead wires swapped",
        "Connect each chest lead wire V1-V6 to its own electrode position.",
    ),
    FindingCode(
        "PRECORDIAL_MISPLACEMENT", "placement", "minor", "Chest electrode misplaced",
        "Count the intercostal spaces from the angle of Louis and place V1-V6 at the standard "
        "landmarks.",
    ),
    FindingCode(
        "PLACEMENT_NOT_ASSESSABLE", "placement", "info", "Limb electrodes not assessable",
        "In a paced rhythm, check the limb electrodes by eye: each cable on its own limb "
        "(RA right arm, LA left arm, LL left leg, RL right leg).",
    ),
    FindingCode(
        "INTERPRETATION_MISMATCH", "interpretation", "minor", "Reading disagrees",
        "Re-check the rhythm (P waves, regularity, QRS width) and count the rate again.",
    ),
)  # fmt: skip

#: Every finding code, by code.
FINDING_CODES: Mapping[str, FindingCode] = MappingProxyType({c.code: c for c in _CODES})


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem found in a technician's recording.

    Attributes
    ----------
    code : str
        A code of :data:`FINDING_CODES`.
    leads : tuple of str
        Leads concerned (standard names), empty when the finding is about the
        whole recording.
    severity : str
        One of :data:`SEVERITIES`.
    message : str
        Explanation for the technician, naming what was seen and where.
    details : mapping
        Measured values behind the finding (numbers, in the units their keys
        name), e.g. ``{"flat_fraction": 0.4}``.
    spans_s : tuple of (float, float)
        Time spans (seconds from the start) where the problem was seen; empty
        when it concerns the whole lead.
    """

    code: str
    leads: tuple[str, ...]
    severity: str
    message: str
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    spans_s: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        if self.code not in FINDING_CODES:
            raise ValueError(
                f"unknown finding code {self.code!r}; expected one of {', '.join(FINDING_CODES)}"
            )
        severity_rank(self.severity)
        object.__setattr__(self, "leads", tuple(str(x) for x in self.leads))
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))
        spans = tuple((float(a), float(b)) for a, b in self.spans_s)
        object.__setattr__(self, "spans_s", spans)

    @property
    def info(self) -> FindingCode:
        """The :class:`FindingCode` of this finding."""
        return FINDING_CODES[self.code]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary (``code``, ``leads``, ``severity``, ``message``, ...)."""
        return {
            "code": self.code,
            "leads": list(self.leads),
            "severity": self.severity,
            "message": self.message,
            "category": self.info.category,
            "advice": self.info.advice,
            "details": {k: _plain(v) for k, v in self.details.items()},
            "spans_s": [[round(a, 3), round(b, 3)] for a, b in self.spans_s],
        }


def _plain(value: Any) -> Any:
    if isinstance(value, float | int | str | bool) or value is None:
        return round(value, 4) if isinstance(value, float) else value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    return str(value)


def make_finding(
    code: str,
    leads: Iterable[str] = (),
    message: str | None = None,
    *,
    severity: str | None = None,
    details: Mapping[str, Any] | None = None,
    spans_s: Iterable[tuple[float, float]] = (),
) -> Finding:
    """Build a :class:`Finding` with the code's default severity and title.

    Parameters
    ----------
    code : str
        A code of :data:`FINDING_CODES`.
    leads : iterable of str
        Leads concerned.
    message : str, optional
        Message for the technician; the code's title and advice when omitted.
    severity : str, optional
        Overrides the code's default severity.
    details : mapping, optional
        Measured values behind the finding.
    spans_s : iterable of (float, float)
        Time spans in seconds.
    """
    if code not in FINDING_CODES:
        raise ValueError(
            f"unknown finding code {code!r}; expected one of {', '.join(FINDING_CODES)}"
        )
    info = FINDING_CODES[code]
    leads = tuple(leads)
    if message is None:
        where = f" in {', '.join(leads)}" if leads else ""
        message = f"{info.title}{where}. {info.advice}"
    return Finding(
        code=code,
        leads=leads,
        severity=severity or info.severity,
        message=message,
        details=details or {},
        spans_s=tuple(spans_s),
    )
