"""Entry field validation, canonical JSON and hashing (no database)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest

from ecgcore.errors import LogError
from ecgcore.log import _fields as F
from ecgcore.log._canonical import canonical_json, hash_text
from ecgcore.log.entry import LogEntry, normalise_fields


def test_canonical_json_is_independent_of_key_order_and_exact():
    a = {"b": 1, "a": [1.5, None, True], "c": {"y": "é", "x": "\u202e"}}
    b = {"c": {"x": "\u202e", "y": "é"}, "a": [1.5, None, True], "b": 1}
    text = canonical_json(a)
    assert text == canonical_json(b)
    assert text == '{"a":[1.5,null,true],"b":1,"c":{"x":"\u202e","y":"é"}}'
    assert hash_text(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_canonical_json_refuses_nan():
    with pytest.raises(ValueError):
        canonical_json({"x": math.nan})


def test_entry_body_round_trip_and_hash_covers_every_field():
    entry = LogEntry(id=3, kind="recording", logged_utc="2024-01-01T00:00:00.000000Z",
                     prev_hash="a" * 64, entry_hash="", technician="T", leads=("I", "II"),
                     rhythm="sinus", notes="n")  # fmt: skip
    body = entry.body()
    assert LogEntry.from_body(body, "") == entry
    base = entry.body_text()
    for field in ("id", "prev_hash", "technician", "rhythm", "notes", "leads"):
        value = getattr(entry, field)
        changed = {int: 4, str: "x", tuple: ("I",)}[type(value)]
        assert dataclasses.replace(entry, **{field: changed}).body_text() != base, field


@pytest.mark.parametrize(
    "bad",
    ["", " T1", "T1 ", "T\x001", "T\x1b[31m", "T\u202e1", "T\u200b1", "x" * 129, 12, None],
)
def test_identifier_refusals(bad):
    with pytest.raises(LogError, match="technician"):
        F.check_identifier("technician", bad)


def test_identifier_is_nfc_and_keeps_unicode():
    decomposed = "Jose\u0301"
    assert F.check_identifier("patient", decomposed) == "Jos\u00e9"
    assert F.check_identifier("patient", "患者-٣٤") == "患者-٣٤"
    assert F.check_identifier("patient", "O'Brien; DROP TABLE x;--") == "O'Brien; DROP TABLE x;--"


def test_text_refusals_and_verbatim():
    odd = "RTL \u202e override, ZWJ 👩\u200d⚕️, combining e\u0301, tab\t, new\nline, %_\\'\""
    assert F.check_text("notes", odd, multiline=True) == odd
    for bad, what in [("a\x00b", "U\\+0000"), ("a\x1bb", "U\\+001B"), ("\ud800", "surrogate")]:
        with pytest.raises(LogError, match=what):
            F.check_text("notes", bad, multiline=True)
    with pytest.raises(LogError, match="control"):
        F.check_text("rhythm", "two\nlines")
    with pytest.raises(LogError, match="at most 10"):
        F.check_text("notes", "x" * 11, max_chars=10)


def test_check_utc():
    assert F.check_utc("t", "2024-05-01") == "2024-05-01T00:00:00.000000Z"
    assert F.check_utc("t", "2024-05-01T12:00:00Z") == "2024-05-01T12:00:00.000000Z"
    assert F.check_utc("t", "2024-05-01T14:30:00+02:00") == "2024-05-01T12:30:00.000000Z"
    tz = timezone(timedelta(hours=-5))
    assert F.check_utc("t", datetime(2024, 1, 1, 19, tzinfo=tz)) == "2024-01-02T00:00:00.000000Z"
    assert F.check_utc("t", date(2024, 2, 29)) == "2024-02-29T00:00:00.000000Z"
    with pytest.raises(LogError, match="no UTC offset"):
        F.check_utc("acquired_utc", "2024-05-01T12:00:00")
    with pytest.raises(LogError, match="no UTC offset"):
        F.check_utc("acquired_utc", datetime(2024, 5, 1))
    for bad in ["yesterday", "2024-13-01", "2024-02-30", "'; DROP TABLE log_entries;--"]:
        with pytest.raises(LogError, match="acquired_utc"):
            F.check_utc("acquired_utc", bad)


def test_normalise_fields():
    @dataclasses.dataclass(frozen=True)
    class Info:  # shaped like drivers.DeviceInfo
        model: str
        serial_number: str
        firmware: str
        fs: float

    out = normalise_fields(
        {
            "device": Info("ADS1298", "SN-1", "2.1", 500.0),
            "leads": np.array(["I", "II"]),
            "fs": np.float32(500),
            "heart_rate_bpm": np.int64(72),
            "filter": {"highpass_hz": 0.5, "lowpass_hz": np.float64(40.0), "notch_hz": None},
            "quality": "good",
            "grade": {"score": 87.5, "max_score": 100, "passed": True},
            "alarms": ("tachycardia",),
            "acquired_utc": datetime(2024, 1, 1, tzinfo=UTC),
        }
    )
    assert out["device"] == {"model": "ADS1298", "serial": "SN-1", "firmware": "2.1"}
    assert out["leads"] == ["I", "II"] and out["fs"] == 500.0 and out["heart_rate_bpm"] == 72.0
    assert out["filter"] == {"highpass_hz": 0.5, "lowpass_hz": 40.0, "notch_hz": None}
    assert out["quality"] == {"summary": "good"}
    canonical_json(out)  # plain JSON data only


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"heartrate": 70}, "unknown log field"),
        ({"heart_rate_bpm": math.nan}, "heart_rate_bpm"),
        ({"heart_rate_bpm": "70"}, "heart_rate_bpm"),
        ({"fs": -1}, "fs"),
        ({"fs": True}, "fs"),
        ({"grade": {"points": 3}}, "score"),
        ({"grade": {"score": 1, "passed": "yes"}}, "passed"),
        ({"source": "scanner"}, "source"),
        ({"subject": "alive"}, "subject"),
        ({"device": {"model": "x", "colour": "red"}}, "colour"),
        ({"quality": {"snr": math.inf}}, "finite"),
        ({"quality": {1: "x"}}, "keys must be text"),
        ({"leads": "I,II"}, "leads"),
        ({"files": ["/nonexistent/file.dat"]}, "cannot read"),
        ({"notes": "x" * (F.MAX_TEXT_CHARS + 1)}, "at most"),
    ],
)
def test_normalise_fields_refusals(fields, match):
    with pytest.raises(LogError, match=match):
        normalise_fields(fields)
