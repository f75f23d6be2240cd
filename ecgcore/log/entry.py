"""Log entries: the fields, their validation and their body form.

A :class:`LogEntry` is immutable and mirrors the stored body exactly: the
body is every field except ``entry_hash``, serialised as canonical JSON; its
SHA-256 is ``entry_hash``. Because the body carries ``id`` and ``prev_hash``,
changing an entry, its position or any earlier entry breaks the chain.

Fields callers may give (to :meth:`ECGLog.append <ecgcore.log.ECGLog.append>`,
:func:`~ecgcore.log.log_recording` or as amendment changes) are listed in
:data:`INPUT_FIELDS`; anything else is refused.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ecgcore.errors import LogError
from ecgcore.log import _fields as F
from ecgcore.log._canonical import canonical_json
from ecgcore.log.files import FileRef, hash_file

__all__ = [
    "AMEND_PARAMETERS",
    "BODY_VERSION",
    "INPUT_FIELDS",
    "KINDS",
    "SOURCES",
    "SUBJECTS",
    "EntryHistory",
    "FileRef",
    "LogEntry",
    "apply_changes",
    "check_change_names",
    "entry_values",
    "normalise_fields",
]

#: Version of the body layout, stored in every body as ``v``.
BODY_VERSION = 1

#: Entry kinds: a recording (from record/analyze/grade/import), a correction of
#: an earlier entry, a technician certification, continuing-education credits.
KINDS = ("recording", "amendment", "certification", "ce_credit")
#: Where a recording entry came from.
SOURCES = ("record", "analyze", "grade", "import", "manual")
#: Who or what was recorded; only ``live`` counts towards a technician's
#: recordings on live individuals.
SUBJECTS = ("live", "simulator", "database", "unknown")

_HEX = frozenset("0123456789abcdef")

#: Largest body, in characters of canonical JSON.
MAX_BODY_CHARS = 512_000


@dataclasses.dataclass(frozen=True)
class LogEntry:
    """One entry of the ECG log, exactly as stored and hashed.

    Attributes
    ----------
    id : int
        Position in the chain, 1-based and without gaps.
    kind : str
        One of :data:`KINDS`.
    logged_utc, acquired_utc : str or None
        UTC timestamps ``YYYY-MM-DDTHH:MM:SS.ffffffZ``: when the entry was
        written, when the recording was made (None if unknown).
    technician : str or None
        Technician identifier.
    patient_ref, patient_ref_kind, key_id : str or None
        Patient reference; ``patient_ref_kind`` is ``"pseudonym"`` (keyed
        HMAC-SHA256 hex, made with the key whose fingerprint is ``key_id``) or
        ``"clear"`` (identifier stored as given).
    source, subject : str or None
        One of :data:`SOURCES`, one of :data:`SUBJECTS`.
    device : dict or None
        ``model``, ``serial``, ``firmware`` of the acquiring device.
    leads : tuple of str
        Lead names.
    fs : float or None
        Sampling rate in Hz.
    duration_s : float or None
        Duration in seconds.
    filter : dict or None
        Filter settings (e.g. ``highpass_hz``, ``lowpass_hz``, ``notch_hz``).
    heart_rate_bpm : float or None
        Average heart rate in beats per minute.
    rhythm : str or None
        Rhythm summary.
    alarms : tuple of str
        Alarms raised during the recording.
    quality : dict or None
        Signal-quality summary.
    grade : dict or None
        Exam grade: ``score`` (required), optional ``max_score``, ``passed``, ...
    files : tuple of FileRef
        Every file of the record with its SHA-256.
    notes : str
        Free text.
    amends : int or None
        For amendments: the id of the corrected entry.
    reason, author : str or None
        For amendments: why and by whom.
    changes : dict or None
        For amendments: the corrected fields and their new values (body form).
    details : dict or None
        For certifications and CE credits: dates, programme, credits, course.
    prev_hash, entry_hash : str
        SHA-256 hex of the previous entry and of this entry's body.
    """

    id: int
    kind: str
    logged_utc: str
    prev_hash: str
    entry_hash: str
    acquired_utc: str | None = None
    technician: str | None = None
    patient_ref: str | None = None
    patient_ref_kind: str | None = None
    key_id: str | None = None
    source: str | None = None
    subject: str | None = None
    device: Mapping[str, Any] | None = None
    leads: tuple[str, ...] = ()
    fs: float | None = None
    duration_s: float | None = None
    filter: Mapping[str, Any] | None = None
    heart_rate_bpm: float | None = None
    rhythm: str | None = None
    alarms: tuple[str, ...] = ()
    quality: Mapping[str, Any] | None = None
    grade: Mapping[str, Any] | None = None
    files: tuple[FileRef, ...] = ()
    notes: str = ""
    amends: int | None = None
    reason: str | None = None
    author: str | None = None
    changes: Mapping[str, Any] | None = None
    details: Mapping[str, Any] | None = None

    @property
    def when_utc(self) -> str:
        """Acquisition time if known, else the logging time (used by date filters)."""
        return self.acquired_utc or self.logged_utc

    def body(self) -> dict[str, Any]:
        """The hashed body: every field but ``entry_hash``, as plain JSON data."""
        out: dict[str, Any] = {"v": BODY_VERSION}
        for f in dataclasses.fields(self):
            if f.name == "entry_hash":
                continue
            value = getattr(self, f.name)
            if f.name == "files":
                value = [ref._asdict() for ref in value]
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    def body_text(self) -> str:
        """Canonical JSON text of :meth:`body` (what ``entry_hash`` is the SHA-256 of)."""
        return canonical_json(self.body())

    @classmethod
    def from_body(cls, body: Mapping[str, Any], entry_hash: str) -> LogEntry:
        """Rebuild an entry from a stored body; raises :class:`LogError` if malformed."""
        if body.get("v") != BODY_VERSION:
            raise LogError(f"entry body version {body.get('v')!r} is not {BODY_VERSION}")
        names = {f.name for f in dataclasses.fields(cls)} - {"entry_hash"}
        unknown = set(body) - names - {"v"}
        if unknown:
            raise LogError(f"entry body has unknown fields: {', '.join(sorted(unknown))}")
        kwargs = {k: v for k, v in body.items() if k != "v"}
        try:
            kwargs["files"] = tuple(FileRef(**ref) for ref in kwargs.get("files", ()))
            kwargs["leads"] = tuple(kwargs.get("leads", ()))
            kwargs["alarms"] = tuple(kwargs.get("alarms", ()))
            return cls(entry_hash=entry_hash, **kwargs)
        except TypeError as exc:
            raise LogError(f"malformed entry body: {exc}") from None


@dataclasses.dataclass(frozen=True)
class EntryHistory:
    """An entry with its amendments (oldest first) and its current values."""

    original: LogEntry
    amendments: tuple[LogEntry, ...]
    current: LogEntry

    @property
    def amended(self) -> bool:
        """True if at least one amendment corrects this entry."""
        return bool(self.amendments)


# --- input normalisation ------------------------------------------------------


def _device(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        allowed = {"model", "serial", "serial_number", "firmware"}
        unknown = set(value) - allowed
        if unknown:
            raise LogError(
                f"device: unknown keys {', '.join(sorted(map(str, unknown)))}; "
                "expected model, serial, firmware"
            )
        get = value.get
        serial = get("serial", get("serial_number"))
        model, firmware = get("model"), get("firmware")
    elif all(hasattr(value, a) for a in ("model", "serial_number", "firmware")):
        # A DeviceInfo: only its identity goes into the log.
        model, serial, firmware = value.model, value.serial_number, value.firmware
    else:
        raise LogError(f"device: expected a mapping or DeviceInfo, got {type(value).__name__}")
    return {
        key: None if item is None else F.check_text(f"device.{key}", str(item))
        for key, item in (("model", model), ("serial", serial), ("firmware", firmware))
    }


def _string_list(field: str, value: Any, max_items: int) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence | tuple):
        if hasattr(value, "tolist"):
            value = value.tolist()
        else:
            raise LogError(f"{field}: expected a list of text, got {type(value).__name__}")
    if len(value) > max_items:
        raise LogError(f"{field}: {len(value)} items, at most {max_items} allowed")
    return [F.check_text(f"{field}[{i}]", item) for i, item in enumerate(value)]


def _json_field(field: str, value: Any) -> Any:
    if value is None:
        return None
    out = F.check_json_value(field, value)
    if len(canonical_json(out)) > F.MAX_JSON_CHARS:
        raise LogError(f"{field}: larger than {F.MAX_JSON_CHARS} characters as JSON")
    return out


def _filter(value: Any) -> Any:
    if isinstance(value, str):
        return {"preset": F.check_text("filter", value)}
    out = _json_field("filter", value)
    if out is not None and not isinstance(out, dict):
        raise LogError("filter: expected a preset name, a mapping or a FilterSpec")
    return out


def _grade(value: Any) -> Any:
    out = _json_field("grade", value)
    if out is None:
        return None
    if not isinstance(out, dict) or "score" not in out:
        raise LogError("grade: expected a mapping with at least a 'score'")
    F.check_number("grade.score", out["score"])
    if out.get("max_score") is not None:
        F.check_number("grade.max_score", out["max_score"], low=0)
    if out.get("passed") is not None and not isinstance(out["passed"], bool):
        raise LogError("grade.passed: expected true or false")
    return out


def _quality(value: Any) -> Any:
    if isinstance(value, str):
        return {"summary": F.check_text("quality", value)}
    out = _json_field("quality", value)
    if out is not None and not isinstance(out, dict):
        raise LogError("quality: expected text or a mapping")
    return out


def _files(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise LogError(f"files: expected a list of FileRef, got {type(value).__name__}")
    out = []
    for i, item in enumerate(value):
        ref = hash_file(item) if isinstance(item, str | os.PathLike) else item
        if not isinstance(ref, FileRef):
            raise LogError(
                f"files[{i}]: expected a path or FileRef (path, sha256, size), got {ref!r}"
            )
        sha = ref.sha256
        if not (isinstance(sha, str) and len(sha) == 64 and set(sha) <= _HEX):
            raise LogError(f"files[{i}].sha256: expected 64 lower-case hex digits, got {sha!r}")
        if isinstance(ref.size, bool) or not isinstance(ref.size, int) or ref.size < 0:
            raise LogError(f"files[{i}].size: expected a byte count, got {ref.size!r}")
        out.append(
            {
                "path": F.check_text(f"files[{i}].path", ref.path, max_chars=4096),
                "sha256": sha,
                "size": ref.size,
            }
        )
    return out


def _optional(check: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    return lambda field, value: None if value is None else check(field, value)


# Field name -> normaliser(field, value) returning the body value. Patient
# fields are handled by the store (they need the pseudonymisation key).
_NORMALISERS: dict[str, Callable[[str, Any], Any]] = {
    "technician": _optional(F.check_identifier),
    "acquired_utc": _optional(F.check_utc),
    "source": _optional(lambda f, v: F.check_choice(f, v, SOURCES)),
    "subject": _optional(lambda f, v: F.check_choice(f, v, SUBJECTS)),
    "device": lambda f, v: _device(v),
    "leads": lambda f, v: _string_list(f, v, 64),
    "fs": _optional(lambda f, v: F.check_number(f, v, low=1e-3, high=1e6)),
    "duration_s": _optional(lambda f, v: F.check_number(f, v, low=0, high=1e8)),
    "filter": lambda f, v: _filter(v),
    "heart_rate_bpm": _optional(lambda f, v: F.check_number(f, v, low=0, high=1000)),
    "rhythm": _optional(F.check_text),
    "alarms": lambda f, v: _string_list(f, v, 10_000),
    "quality": lambda f, v: _quality(v),
    "grade": lambda f, v: _grade(v),
    "files": lambda f, v: _files(v),
    "notes": lambda f, v: F.check_text(f, v, max_chars=F.MAX_TEXT_CHARS, multiline=True),
    "details": _json_field,
}

#: Fields a caller may give for a new entry or an amendment. ``patient`` is a
#: clear identifier, pseudonymised unless ``clear_patient`` is true.
INPUT_FIELDS = (*_NORMALISERS, "patient", "clear_patient")


def normalise_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Validate caller fields and return them in body form (patient fields untouched).

    Raises :class:`LogError` for unknown fields or bad values.
    """
    unknown = set(fields) - set(INPUT_FIELDS)
    if unknown:
        raise LogError(
            f"unknown log field(s) {', '.join(sorted(map(str, unknown)))}; "
            f"expected some of {', '.join(INPUT_FIELDS)}"
        )
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("patient", "clear_patient"):
            out[name] = value
        else:
            out[name] = _NORMALISERS[name](name, value)
    return out


def check_body_size(text: str) -> None:
    """Raise :class:`LogError` if a serialised body is larger than allowed."""
    if len(text) > MAX_BODY_CHARS:
        raise LogError(f"entry is {len(text)} characters as JSON, at most {MAX_BODY_CHARS}")


#: Fields an amendment may change (everything describing the recording).
AMENDABLE_FIELDS = (
    *(name for name in _NORMALISERS),
    "patient_ref",
    "patient_ref_kind",
    "key_id",
)


def entry_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Convert body-form field values to :class:`LogEntry` attribute values."""
    out = dict(fields)
    if "files" in out:
        out["files"] = tuple(FileRef(**ref) for ref in out["files"])
    for name in ("leads", "alarms"):
        if name in out:
            out[name] = tuple(out[name])
    return out


#: Names of :meth:`ECGLog.amend`'s own parameters, which no change may carry.
AMEND_PARAMETERS = ("reason", "author")


def check_change_names(changes: Mapping[str, Any]) -> None:
    """Refuse changes named like the amendment's own ``reason`` or ``author``.

    Callers that pass user-given changes on as ``amend(..., **changes)`` check
    them first, so such a name is a clear :class:`LogError`, not a clash of
    keyword arguments.
    """
    clash = sorted(set(AMEND_PARAMETERS) & set(changes))
    if clash:
        raise LogError(
            f"{clash[0]}: not a field of the entry (an amendment's reason and author are "
            "given beside its changes)"
        )


def apply_changes(entry: LogEntry, changes: Mapping[str, Any]) -> LogEntry:
    """Return ``entry`` with amendment ``changes`` (body form) applied."""
    unknown = set(changes) - set(AMENDABLE_FIELDS)
    if unknown:
        raise LogError(f"amendment changes unknown field(s) {', '.join(sorted(unknown))}")
    return dataclasses.replace(entry, **entry_values(changes))
