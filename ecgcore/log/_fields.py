"""Validation of the values that go into a log entry.

Every check raises :class:`~ecgcore.errors.LogError` naming the field and what
was expected, so bad input never reaches the database. Text is stored
verbatim (after Unicode NFC normalisation for identifiers, which are compared
as NFC); only characters that cannot be stored or displayed safely (control
characters, unpaired surrogates) are refused.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from ecgcore.errors import LogError

__all__ = [
    "MAX_ID_CHARS",
    "MAX_SHORT_CHARS",
    "MAX_TEXT_CHARS",
    "check_choice",
    "check_date",
    "check_identifier",
    "check_json_value",
    "check_number",
    "check_text",
    "check_utc",
    "format_utc",
    "printable",
]

#: Longest technician, patient or author identifier, in characters.
MAX_ID_CHARS = 128
#: Longest one-line text (rhythm summary, alarm, reason, course name), in characters.
MAX_SHORT_CHARS = 1_000
#: Longest free text (notes), in characters.
MAX_TEXT_CHARS = 20_000
#: Largest JSON value (device, filter, quality, grade, details), in characters.
MAX_JSON_CHARS = 64_000
_MAX_JSON_DEPTH = 8

# Never valid in an identifier: controls, format characters (bidi overrides,
# zero-width), surrogates, private use, unassigned, line/paragraph separators.
_BAD_ID_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_TEXT_CONTROLS_OK = frozenset("\t\n\r")


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "unnamed character")
    return f"U+{ord(ch):04X} ({name})"


def check_identifier(field: str, value: Any, *, max_chars: int = MAX_ID_CHARS) -> str:
    """Return ``value`` as an NFC identifier or raise :class:`LogError`.

    Identifiers (technician, patient, author) are 1..``max_chars`` printable
    characters without leading or trailing white space.
    """
    if not isinstance(value, str):
        raise LogError(f"{field}: expected text, got {type(value).__name__}")
    for ch in value:
        if unicodedata.category(ch) in _BAD_ID_CATEGORIES:
            raise LogError(f"{field}: character {_describe(ch)} is not allowed in an identifier")
    value = unicodedata.normalize("NFC", value)
    if not value:
        raise LogError(f"{field}: must not be empty")
    if value != value.strip():
        raise LogError(f"{field}: must not start or end with white space: {value!r}")
    if len(value) > max_chars:
        raise LogError(f"{field}: {len(value)} characters, at most {max_chars} allowed")
    return value


def check_text(
    field: str, value: Any, *, max_chars: int = MAX_SHORT_CHARS, multiline: bool = False
) -> str:
    """Return ``value`` unchanged if it is storable text, else raise :class:`LogError`.

    Refused: non-strings, more than ``max_chars`` characters, unpaired
    surrogates and control characters (tab, CR and LF are allowed when
    ``multiline``). Everything else, including right-to-left text, emoji,
    combining and zero-width characters, is stored verbatim.
    """
    if not isinstance(value, str):
        raise LogError(f"{field}: expected text, got {type(value).__name__}")
    if len(value) > max_chars:
        raise LogError(f"{field}: {len(value)} characters, at most {max_chars} allowed")
    for pos, ch in enumerate(value):
        cat = unicodedata.category(ch)
        if cat == "Cs":
            raise LogError(f"{field}: unpaired surrogate {_describe(ch)} at character {pos}")
        if cat == "Cc" and not (multiline and ch in _TEXT_CONTROLS_OK):
            raise LogError(f"{field}: control character {_describe(ch)} at character {pos}")
    return value


def check_choice(field: str, value: Any, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`LogError`."""
    if value not in allowed:
        raise LogError(f"{field}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def check_number(
    field: str, value: Any, *, low: float = -math.inf, high: float = math.inf
) -> float:
    """Return ``value`` as a finite float within [low, high] or raise :class:`LogError`."""
    if isinstance(value, bool) or not hasattr(value, "__float__"):
        raise LogError(f"{field}: expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise LogError(f"{field}: expected a finite number in [{low:g}, {high:g}], got {value!r}")
    return number


def format_utc(moment: datetime) -> str:
    """Format an aware datetime as fixed-width UTC text ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_utc(field: str, value: Any) -> str:
    """Return a UTC timestamp as fixed-width text, or raise :class:`LogError`.

    Accepts an aware :class:`datetime`, a :class:`date` (midnight UTC) or ISO
    8601 text: a date (``2024-05-01``, midnight UTC) or a date and time with an
    offset (``2024-05-01T12:00:00Z``, ``...+02:00``). A time without an offset is
    refused rather than guessed.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            parse = date.fromisoformat if len(text) == 10 else datetime.fromisoformat
            value = parse(text)
        except ValueError:
            raise LogError(
                f"{field}: {value!r} is not an ISO 8601 date (YYYY-MM-DD) or date-time "
                "with offset (YYYY-MM-DDTHH:MM:SSZ)"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise LogError(
                f"{field}: {value.isoformat()!r} has no UTC offset; add 'Z' or '+hh:mm'"
            )
        return format_utc(value)
    if isinstance(value, date):
        return format_utc(datetime(value.year, value.month, value.day, tzinfo=UTC))
    raise LogError(f"{field}: expected an ISO 8601 date-time, got {type(value).__name__}")


def check_date(field: str, value: Any) -> str:
    """Return a calendar date as ``YYYY-MM-DD`` text, or raise :class:`LogError`."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise LogError(f"{field}: {value!r} is not a date (expected YYYY-MM-DD)") from None
    if not isinstance(value, date):
        raise LogError(f"{field}: expected a date (YYYY-MM-DD), got {type(value).__name__}")
    return value.isoformat()


def _plain(value: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and dataclasses to plain JSON types."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    return value


def check_json_value(field: str, value: Any, *, _depth: int = 0) -> Any:
    """Return ``value`` as plain JSON data (dict/list/str/int/float/bool/None).

    Dataclasses, tuples and numpy values are converted; keys must be text;
    floats must be finite; strings follow :func:`check_text`. Raises
    :class:`LogError` naming the path of the offending item.
    """
    if _depth > _MAX_JSON_DEPTH:
        raise LogError(f"{field}: nested more than {_MAX_JSON_DEPTH} levels deep")
    value = _plain(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LogError(f"{field}: numbers must be finite, got {value!r}")
        return value
    if isinstance(value, str):
        return check_text(field, value, max_chars=MAX_JSON_CHARS, multiline=True)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise LogError(f"{field}: keys must be text, got {key!r}")
            check_text(f"{field} key", key)
            out[key] = check_json_value(f"{field}.{key}", item, _depth=_depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [
            check_json_value(f"{field}[{i}]", item, _depth=_depth + 1)
            for i, item in enumerate(value)
        ]
    raise LogError(f"{field}: cannot store a value of type {type(value).__name__}")


def printable(text: str) -> str:
    """``text`` for terminals and printouts: control and format characters escaped.

    The stored value is unchanged; this only stops escape sequences or
    bidirectional overrides from rearranging what is displayed.
    """
    if text.isprintable():
        return text
    return "".join(
        ch
        if ch == " " or unicodedata.category(ch) not in _BAD_ID_CATEGORIES | {"Zs"}
        else f"\\u{ord(ch):04x}"
        for ch in text
    )
