"""The technician record: certification, continuing education, logged work.

Certifications and continuing-education (CE) credits are log entries too
(kinds ``certification`` and ``ce_credit``), so they are append-only, chained
and amendable like recordings. :func:`technician_status` summarises:

* recordings on live individuals (``subject="live"``) against a minimum
  (10 for the NHA Certified EKG Technician application);
* practical exams graded (entries with a ``grade``) and their scores;
* certification date and expiry (default: two years after certification);
* CE credits since the last certification against a requirement (default
  10 per two-year renewal period, as for the NHA CET; configurable).

Warnings are raised when expiry is within ``warn_days`` (60) or past, or CE
credits or live recordings are short.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from ecgcore.errors import LogError
from ecgcore.log import _fields as F
from ecgcore.log.entry import LogEntry
from ecgcore.log.store import ECGLog

__all__ = [
    "CERT_VALID_YEARS",
    "DEFAULT_CE_REQUIRED",
    "DEFAULT_MIN_LIVE_RECORDINGS",
    "DEFAULT_WARN_DAYS",
    "ExamResult",
    "TechnicianStatus",
    "add_ce_credits",
    "certify",
    "technician_status",
]

#: Years a certification is valid before renewal.
CERT_VALID_YEARS = 2
#: CE credits required per renewal period (NHA CET: 10 every 2 years).
DEFAULT_CE_REQUIRED = 10.0
#: Recordings on live individuals required (NHA CET application: 10).
DEFAULT_MIN_LIVE_RECORDINGS = 10
#: Warn this many days (or fewer) before the certification expires.
DEFAULT_WARN_DAYS = 60


def _details(entry: LogEntry) -> Mapping[str, Any]:
    """The details of a certification or CE entry (empty for other kinds)."""
    return entry.details or {}


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February -> 28 February
        return day.replace(year=day.year + years, day=28)


def certify(
    log: ECGLog,
    technician: str,
    *,
    certified_on: date | str,
    expires_on: date | str | None = None,
    programme: str = "CET",
    notes: str = "",
) -> LogEntry:
    """Log a certification (expiry defaults to two years after ``certified_on``)."""
    tech = F.check_identifier("technician", technician)
    start = F.check_date("certified_on", certified_on)
    if expires_on is None:
        end = _add_years(date.fromisoformat(start), CERT_VALID_YEARS).isoformat()
    else:
        end = F.check_date("expires_on", expires_on)
    if end <= start:
        raise LogError(f"expires_on {end} is not after certified_on {start}")
    details = {
        "certified_on": start,
        "expires_on": end,
        "programme": F.check_text("programme", programme),
    }
    return log.append_kind(
        "certification",
        {"technician": tech, "acquired_utc": start, "details": details, "notes": notes},
    )


def add_ce_credits(
    log: ECGLog,
    technician: str,
    *,
    credits: float,
    course: str,
    completed_on: date | str | None = None,
    provider: str | None = None,
    notes: str = "",
) -> LogEntry:
    """Log continuing-education credits for a completed course (default: today, UTC)."""
    tech = F.check_identifier("technician", technician)
    amount = F.check_number("credits", credits, low=0, high=1000)
    if amount <= 0:
        raise LogError(f"credits: expected a positive number, got {credits!r}")
    course = F.check_text("course", course).strip()
    if not course:
        raise LogError("course: must not be empty")
    day = F.check_date("completed_on", completed_on or datetime.now(UTC).date())
    details = {"credits": amount, "course": course, "completed_on": day}
    if provider is not None:
        details["provider"] = F.check_text("provider", provider)
    return log.append_kind(
        "ce_credit",
        {"technician": tech, "acquired_utc": day, "details": details, "notes": notes},
    )


@dataclasses.dataclass(frozen=True)
class ExamResult:
    """A graded practical exam: entry id, when (UTC), score, maximum, passed."""

    entry_id: int
    when_utc: str
    score: float
    max_score: float | None
    passed: bool | None


@dataclasses.dataclass(frozen=True)
class TechnicianStatus:
    """Summary of a technician's record (see module docstring)."""

    technician: str
    as_of: str
    recordings: int
    live_recordings: int
    min_live_recordings: int
    exams: tuple[ExamResult, ...]
    programme: str | None
    certified_on: str | None
    expires_on: str | None
    days_to_expiry: int | None
    ce_credits: float
    ce_required: float
    ce_courses: tuple[tuple[str, str, float], ...]
    warnings: tuple[str, ...]


def technician_status(
    log: ECGLog,
    technician: str,
    *,
    today: date | str | None = None,
    ce_required: float = DEFAULT_CE_REQUIRED,
    min_live_recordings: int = DEFAULT_MIN_LIVE_RECORDINGS,
    warn_days: int = DEFAULT_WARN_DAYS,
) -> TechnicianStatus:
    """Summarise a technician's logged work, certification and CE credits.

    Parameters
    ----------
    log : ECGLog
        The log.
    technician : str
        Technician identifier.
    today : date or str, optional
        Reference date (default: today, UTC).
    ce_required : float
        CE credits required since the last certification.
    min_live_recordings : int
        Recordings on live individuals required.
    warn_days : int
        Warn when the certification expires within this many days.
    """
    tech = F.check_identifier("technician", technician)
    as_of = date.fromisoformat(F.check_date("today", today or datetime.now(UTC).date()))
    ce_required = F.check_number("ce_required", ce_required, low=0)
    histories = log.list(technician=tech, kind=None)
    current = [h.current for h in histories]
    recordings = [e for e in current if e.kind == "recording"]
    live = sum(1 for e in recordings if e.subject == "live")
    exams = tuple(
        ExamResult(
            e.id,
            e.when_utc,
            float(e.grade["score"]),
            None if e.grade.get("max_score") is None else float(e.grade["max_score"]),
            e.grade.get("passed"),
        )
        for e in recordings
        if e.grade is not None
    )
    certs = sorted(
        (e for e in current if e.kind == "certification" and e.details),
        key=lambda e: (_details(e)["certified_on"], e.id),
    )
    cert = certs[-1].details if certs else None
    ce_entries = [
        e
        for e in current
        if e.kind == "ce_credit"
        and e.details
        and (cert is None or _details(e)["completed_on"] >= cert["certified_on"])
    ]
    ce_total = float(sum(_details(e)["credits"] for e in ce_entries))
    warnings = []
    days_left = None
    if cert is None:
        warnings.append("no certification logged")
    else:
        days_left = (date.fromisoformat(cert["expires_on"]) - as_of).days
        if days_left < 0:
            warnings.append(f"certification expired on {cert['expires_on']}")
        elif days_left <= warn_days:
            warnings.append(f"certification expires on {cert['expires_on']} (in {days_left} days)")
    if ce_total < ce_required:
        warnings.append(
            f"continuing education: {ce_total:g} of {ce_required:g} credits logged "
            f"({ce_required - ce_total:g} short)"
        )
    if live < min_live_recordings:
        warnings.append(
            f"recordings on live individuals: {live} of the {min_live_recordings} required"
        )
    return TechnicianStatus(
        technician=tech,
        as_of=as_of.isoformat(),
        recordings=len(recordings),
        live_recordings=live,
        min_live_recordings=min_live_recordings,
        exams=exams,
        programme=cert.get("programme") if cert else None,
        certified_on=cert["certified_on"] if cert else None,
        expires_on=cert["expires_on"] if cert else None,
        days_to_expiry=days_left,
        ce_credits=ce_total,
        ce_required=ce_required,
        ce_courses=tuple(
            (_details(e)["completed_on"], _details(e)["course"], float(_details(e)["credits"]))
            for e in ce_entries
        ),
        warnings=tuple(warnings),
    )
