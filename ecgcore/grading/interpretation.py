"""The technician's own reading of the tracing, and its comparison with the engine's.

A reading is free text (``"sinus rhythm 72 bpm"``, ``"AF, rate 110"``,
``"sinus brady 48/min"``) or a JSON/TOML form with the keys ``rhythm`` and
``heart_rate_bpm`` (``rate`` and ``hr`` are accepted too)::

    {"rhythm": "sinus rhythm", "heart_rate_bpm": 72}

    rhythm = "atrial fibrillation"
    heart_rate_bpm = 110

Rhythm names are matched against :data:`RHYTHM_SYNONYMS` and become one of
the canonical names of :data:`RHYTHMS`. Sinus rhythm, sinus bradycardia and
sinus tachycardia are one family split at 60 and 100 bpm: a reading that
names the wrong member counts as a mismatch only when the engine's rate is
clear of the boundary by more than the rate tolerance.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecgcore.errors import FormatError
from ecgcore.grading.findings import Finding, make_finding

__all__ = [
    "RHYTHMS",
    "RHYTHM_SYNONYMS",
    "EngineReading",
    "Interpretation",
    "compare_interpretation",
    "engine_rhythm_name",
    "parse_interpretation",
]

#: Canonical rhythm names and how they are shown.
RHYTHMS: Mapping[str, str] = {
    "sinus": "sinus rhythm",
    "sinus_bradycardia": "sinus bradycardia",
    "sinus_tachycardia": "sinus tachycardia",
    "afib": "atrial fibrillation",
    "aflutter": "atrial flutter",
    "svt": "supraventricular tachycardia",
    "junctional": "junctional rhythm",
    "vt": "ventricular tachycardia",
    "vf": "ventricular fibrillation",
    "idioventricular": "idioventricular rhythm",
    "asystole": "asystole",
    "paced": "paced rhythm",
    "av_block": "AV block",
}

#: Phrases (lower case) recognised for each canonical rhythm, longest matched first.
RHYTHM_SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "sinus": ("normal sinus rhythm", "sinus rhythm", "nsr", "sr", "sinus"),
    "sinus_bradycardia": ("sinus bradycardia", "sinus brady", "sb"),
    "sinus_tachycardia": ("sinus tachycardia", "sinus tachy", "st"),
    "afib": ("atrial fibrillation", "a-fib", "afib", "af"),
    "aflutter": ("atrial flutter", "a-flutter", "aflutter", "afl"),
    "svt": (
        "supraventricular tachycardia", "paroxysmal supraventricular tachycardia", "psvt",
        "svt",
    ),
    "junctional": ("junctional rhythm", "nodal rhythm", "junctional"),
    "vt": ("ventricular tachycardia", "v-tach", "vtach", "vt"),
    "vf": ("ventricular fibrillation", "v-fib", "vfib", "vf"),
    "idioventricular": ("idioventricular rhythm", "idioventricular", "ivr"),
    "asystole": ("asystole",),
    "paced": ("paced rhythm", "pacemaker rhythm", "paced"),
    "av_block": (
        "complete heart block", "third degree av block", "second degree av block",
        "first degree av block", "heart block", "av block",
    ),
}  # fmt: skip

_SINUS = ("sinus", "sinus_bradycardia", "sinus_tachycardia")
_BRADY_BPM, _TACHY_BPM = 60.0, 100.0

_PHRASES = sorted(
    ((syn, name) for name, syns in RHYTHM_SYNONYMS.items() for syn in syns),
    key=lambda t: -len(t[0]),
)
_RATE = re.compile(
    r"(?P<key>(?:rate|hr|heart rate|ventricular rate)\s*(?:of|=|:)?\s*)?"
    r"(?P<num>\d{1,3}(?:\.\d+)?)"
    r"(?P<unit>\s*(?:bpm|/\s*min|beats?\s*(?:per|/)\s*min(?:ute)?|b/min))?",
    re.IGNORECASE,
)
#: Engine and database rhythm codes (MIT-BIH aux notes, simulator episode codes).
_CODES = {
    "N": "sinus", "SBR": "sinus_bradycardia", "AFIB": "afib", "AFL": "aflutter",
    "SVTA": "svt", "NOD": "junctional", "VT": "vt", "VFL": "vf", "VF": "vf",
    "IVR": "idioventricular", "ASYS": "asystole", "P": "paced", "BII": "av_block",
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Interpretation:
    """A parsed reading.

    Attributes
    ----------
    rhythm : str or None
        Canonical rhythm name (:data:`RHYTHMS`), None if the reading names none.
    heart_rate_bpm : float or None
        Rate in beats per minute, None if not given.
    text : str
        The reading as given.
    """

    rhythm: str | None
    heart_rate_bpm: float | None
    text: str

    def describe(self) -> str:
        """Human-readable form, e.g. ``"sinus rhythm, 72 bpm"``."""
        parts = []
        if self.rhythm is not None:
            parts.append(RHYTHMS[self.rhythm])
        if self.heart_rate_bpm is not None:
            parts.append(f"{self.heart_rate_bpm:g} bpm")
        return ", ".join(parts) or "(nothing)"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"rhythm": self.rhythm, "heart_rate_bpm": self.heart_rate_bpm, "text": self.text}


def _match_rhythm(text: str) -> str | None:
    low = f" {text.lower()} "
    for phrase, name in _PHRASES:
        pattern = r"(?<![a-z0-9(\-])" + re.escape(phrase) + r"(?![a-z0-9\-])"
        if re.search(pattern, low):
            return name
    return None


def engine_rhythm_name(label: str | None) -> str | None:
    """Canonical name of a rhythm label from the engine or a database (``"(AFIB"``, ``"afib"``)."""
    if label is None:
        return None
    label = str(label).strip()
    if label.lower() in RHYTHMS:
        return label.lower()
    code = label.lstrip("(").upper()
    if code in _CODES:
        return _CODES[code]
    return _match_rhythm(label)


def _parse_text(text: str, source: str) -> Interpretation:
    rhythm = _match_rhythm(text)
    matches = list(_RATE.finditer(text))
    marked = [m for m in matches if m.group("key") or m.group("unit")]
    chosen = (marked or matches)[:1]
    rate = float(chosen[0].group("num")) if chosen else None
    if rhythm is None and rate is None:
        known = ", ".join(RHYTHMS.values())
        raise FormatError(
            source, "interpretation", f"a rhythm ({known}) and/or a rate in bpm", text
        )
    if rate is not None and not 0 <= rate <= 400:
        raise FormatError(source, "heart rate", "a rate between 0 and 400 bpm", rate)
    return Interpretation(rhythm, rate, text)


def _parse_mapping(data: Mapping[str, Any], source: str, text: str) -> Interpretation:
    allowed = {"rhythm", "heart_rate_bpm", "rate", "hr", "technician", "notes"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise FormatError(
            source, unknown[0], f"one of {', '.join(sorted(allowed))}", data[unknown[0]]
        )
    rhythm = None
    if data.get("rhythm") is not None:
        if not isinstance(data["rhythm"], str):
            raise FormatError(source, "rhythm", "text naming a rhythm", data["rhythm"])
        rhythm = _match_rhythm(data["rhythm"])
        if rhythm is None:
            raise FormatError(
                source, "rhythm", f"one of {', '.join(RHYTHMS.values())}", data["rhythm"]
            )
    rate = None
    keys = [k for k in ("heart_rate_bpm", "rate", "hr") if data.get(k) is not None]
    if len(keys) > 1:
        raise FormatError(source, keys[1], f"only one of {', '.join(keys)}", data[keys[1]])
    if keys:
        value = data[keys[0]]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 400:
            raise FormatError(source, keys[0], "a number of bpm between 0 and 400", value)
        rate = float(value)
    if rhythm is None and rate is None:
        raise FormatError(source, "rhythm", "a rhythm and/or heart_rate_bpm", dict(data))
    return Interpretation(rhythm, rate, text)


def parse_interpretation(value: str | Mapping[str, Any] | Path) -> Interpretation:
    """Parse a reading given as text, a JSON/TOML string, a mapping or a file path.

    A string naming an existing ``.json``/``.toml`` file is read from that
    file; a string starting with ``{`` is JSON; a string with ``=`` on a line
    of its own form ``key = value`` is TOML; anything else is free text.

    Raises
    ------
    FormatError
        Naming the field and what was expected.
    """
    if isinstance(value, Mapping):
        return _parse_mapping(value, "interpretation", json.dumps(dict(value)))
    text = str(value)
    path = Path(text)
    if path.suffix.lower() in (".json", ".toml") and path.is_file():
        content = path.read_text(encoding="utf-8")
        return _parse_structured(content, str(path), toml=path.suffix.lower() == ".toml")
    stripped = text.strip()
    if stripped.startswith("{"):
        return _parse_structured(stripped, "interpretation", toml=False)
    if re.search(r"^\s*\w+\s*=", stripped, re.MULTILINE):
        return _parse_structured(stripped, "interpretation", toml=True)
    return _parse_text(stripped, "interpretation")


def _parse_structured(content: str, source: str, *, toml: bool) -> Interpretation:
    try:
        data = tomllib.loads(content) if toml else json.loads(content)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        kind = "TOML" if toml else "JSON"
        raise FormatError(source, "interpretation", f"valid {kind}", str(exc)) from None
    if not isinstance(data, Mapping):
        raise FormatError(source, "interpretation", "an object with rhythm/heart_rate_bpm", data)
    return _parse_mapping(data, source, content.strip())


@dataclasses.dataclass(frozen=True)
class EngineReading:
    """What the engine found: canonical rhythm (None if not determined) and rate (bpm)."""

    rhythm: str | None
    heart_rate_bpm: float | None

    def describe(self) -> str:
        """Human-readable form."""
        parts = []
        if self.rhythm is not None:
            parts.append(RHYTHMS[self.rhythm])
        if self.heart_rate_bpm is not None:
            parts.append(f"{self.heart_rate_bpm:.0f} bpm")
        return ", ".join(parts) or "(undetermined)"


def _sinus_member(rate: float) -> str:
    if rate < _BRADY_BPM:
        return "sinus_bradycardia"
    if rate > _TACHY_BPM:
        return "sinus_tachycardia"
    return "sinus"


def compare_interpretation(
    reading: Interpretation,
    engine: EngineReading,
    *,
    rate_tolerance_bpm: float = 10.0,
    rate_tolerance_fraction: float = 0.10,
) -> list[Finding]:
    """``INTERPRETATION_MISMATCH`` when rhythm or rate disagree with the engine.

    The rate tolerance is the larger of ``rate_tolerance_bpm`` and
    ``rate_tolerance_fraction`` of the engine's rate. A wrong rhythm is a
    ``major`` finding, a rate outside tolerance alone ``minor``.
    """
    problems: list[str] = []
    severity = "minor"
    tol = None
    if engine.heart_rate_bpm is not None:
        tol = max(rate_tolerance_bpm, rate_tolerance_fraction * engine.heart_rate_bpm)
    if reading.rhythm is not None and engine.rhythm is not None:
        got, want = reading.rhythm, engine.rhythm
        if got in _SINUS and want in _SINUS and engine.heart_rate_bpm is not None and tol:
            rate = engine.heart_rate_bpm
            accepted = {_sinus_member(rate - tol), _sinus_member(rate), _sinus_member(rate + tol)}
            if got not in accepted:
                problems.append(
                    f"the rhythm is {RHYTHMS[_sinus_member(rate)]} at {rate:.0f} bpm, not "
                    f"{RHYTHMS[got]}"
                )
                severity = "major"
        elif got != want and not (got in _SINUS and want in _SINUS):
            problems.append(f"the rhythm is {RHYTHMS[want]}, not {RHYTHMS[got]}")
            severity = "major"
    if reading.heart_rate_bpm is not None and engine.heart_rate_bpm is not None and tol:
        diff = reading.heart_rate_bpm - engine.heart_rate_bpm
        if abs(diff) > tol:
            problems.append(
                f"the rate is {engine.heart_rate_bpm:.0f} bpm, not {reading.heart_rate_bpm:g} "
                f"(tolerance +-{tol:.0f} bpm)"
            )
    if not problems:
        return []
    return [
        make_finding(
            "INTERPRETATION_MISMATCH",
            (),
            f"Your reading '{reading.text}' disagrees with the recording: "
            f"{'; '.join(problems)}. Re-check the P waves, the regularity and the QRS width, "
            "and count the rate again.",
            severity=severity,
            details={
                "reading_rhythm": reading.rhythm,
                "reading_bpm": reading.heart_rate_bpm,
                "engine_rhythm": engine.rhythm,
                "engine_bpm": engine.heart_rate_bpm,
            },
        )
    ]
