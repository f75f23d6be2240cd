"""Rubric parsing (errors name the field), itemised scoring, and the technician's reading."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ecgcore.errors import FormatError
from ecgcore.grading import (
    EngineReading,
    compare_interpretation,
    load_rubric,
    make_finding,
    parse_interpretation,
    parse_rubric,
    score_findings,
)
from ecgcore.grading.rubric import DEFAULT_RUBRIC

_MINIMAL = """
[rubric]
name = "mini"
pass_mark = 60

[[items]]
id = "contact"
points = 10
[items.deductions]
LEAD_OFF = { points = 4, per = "lead", max = 8 }
NO_CALIBRATION = 3

[[items]]
id = "placement"
points = 10
[items.deductions]
LIMB_REVERSAL_LA_RA = 10
INTERPRETATION_MISMATCH = { points = 6, severity = { minor = 2 } }
"""


def _rubric(text: str = _MINIMAL):
    return parse_rubric(tomllib.loads(text), "mini.toml")


def test_default_rubric_loads_and_totals_100() -> None:
    r = load_rubric()
    assert r.total_points == 100 and r.pass_mark == 75
    assert r.source.endswith(f"{DEFAULT_RUBRIC}.toml")
    scored = {code for item in r.items for code in item.deductions}
    assert "LIMB_REVERSAL_LA_RA" in scored and "PRECORDIAL_SWAP" in scored


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("LEAD_OFF = {", "LEAD_OF = {", "items[0].deductions.LEAD_OF"),
        ("NO_CALIBRATION = 3", 'NO_CALIBRATION = "three"', "items[0].deductions.NO_CALIBRATION"),
        ('per = "lead"', 'per = "electrode"', "items[0].deductions.LEAD_OFF.per"),
        ("max = 8", "maximum = 8", "items[0].deductions.LEAD_OFF.maximum"),
        ("pass_mark = 60", "pass_mark = 160", "rubric.pass_mark"),
        ("pass_mark = 60", "passmark = 60", "rubric.passmark"),
        ('id = "placement"', 'id = "contact"', "items[1].id"),
        ("points = 10\n[items.deductions]\nLIMB", "points = -1\n[items.deductions]\nLIMB",
         "items[1].points"),
        ("minor = 2", "trivial = 2",
         "items[1].deductions.INTERPRETATION_MISMATCH.severity.trivial"),
        ("LIMB_REVERSAL_LA_RA = 10", "LEAD_OFF = 10", "items[1].deductions.LEAD_OFF"),
    ],
)  # fmt: skip
def test_rubric_errors_name_the_field(old: str, new: str, field: str) -> None:
    assert old in _MINIMAL
    with pytest.raises(FormatError) as info:
        _rubric(_MINIMAL.replace(old, new, 1))
    assert info.value.field == field
    assert "mini.toml" in str(info.value)


def test_rubric_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[rubric\nname = 1", encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad\.toml.*TOML"):
        load_rubric(bad)
    missing_items = tmp_path / "noitems.toml"
    missing_items.write_text('[rubric]\nname = "x"\npass_mark = 50\n', encoding="utf-8")
    with pytest.raises(FormatError) as info:
        load_rubric(missing_items)
    assert info.value.field == "items"
    with pytest.raises(FileNotFoundError):
        load_rubric(tmp_path / "absent.toml")


def test_itemised_score_names_every_finding_and_lead() -> None:
    r = _rubric()
    findings = [
        make_finding("LEAD_OFF", ["V1", "V2", "V3"]),  # 3 leads x 4 = 12, capped at 8
        make_finding("NO_CALIBRATION"),  # 3, but the item has only 2 left
        make_finding("INTERPRETATION_MISMATCH", severity="minor"),  # 2
        make_finding("CLIPPING", ["I"]),  # not scored by this rubric
    ]
    s = score_findings(findings, r, acceptable=True)
    contact, placement = s.items
    assert contact.lost == 10 and [loss.points for loss in contact.losses] == [8, 2]
    assert contact.losses[0].code == "LEAD_OFF" and contact.losses[0].leads == ("V1", "V2", "V3")
    assert placement.lost == 2 and placement.losses[0].code == "INTERPRETATION_MISMATCH"
    assert s.score == pytest.approx(100 * 8 / 20)
    assert sum(loss.points for i in s.items for loss in i.losses) == 12
    assert s.unscored == ("CLIPPING",)
    assert not s.passed  # 40 < 60


def test_fail_on_and_acceptability() -> None:
    text = _MINIMAL.replace("pass_mark = 60", 'pass_mark = 60\nfail_on = ["LIMB_REVERSAL_LA_RA"]')
    r = _rubric(text)
    swap = [make_finding("LIMB_REVERSAL_LA_RA", ["I"])]
    s = score_findings(swap, r, acceptable=True)
    assert (
        s.score == 50 and not s.passed and any("LIMB_REVERSAL_LA_RA" in x for x in s.fail_reasons)
    )
    assert score_findings([], r, acceptable=True).passed
    unusable = score_findings([], r, acceptable=False)
    assert not unusable.passed and "not diagnostically usable" in unusable.fail_reasons[0]


# ------------------------------------------------------------------ interpretation
@pytest.mark.parametrize(
    ("text", "rhythm", "rate"),
    [
        ("sinus rhythm 72 bpm", "sinus", 72),
        ("Normal sinus rhythm, HR 80", "sinus", 80),
        ("AF, rate 110", "afib", 110),
        ("atrial fibrillation 95/min", "afib", 95),
        ("sinus brady 48", "sinus_bradycardia", 48),
        ("VT", "vt", None),
        ("rate 60", None, 60),
        ('{"rhythm": "atrial flutter", "heart_rate_bpm": 150}', "aflutter", 150),
        ('rhythm = "sinus tachycardia"\nheart_rate_bpm = 120', "sinus_tachycardia", 120),
    ],
)
def test_parse_interpretation(text: str, rhythm: str | None, rate: float | None) -> None:
    r = parse_interpretation(text)
    assert r.rhythm == rhythm and r.heart_rate_bpm == rate


def test_interpretation_files_and_errors(tmp_path: Path) -> None:
    f = tmp_path / "reading.toml"
    f.write_text('rhythm = "sinus rhythm"\nrate = 70\n', encoding="utf-8")
    assert parse_interpretation(str(f)).heart_rate_bpm == 70
    with pytest.raises(FormatError) as info:
        parse_interpretation('{"rhythm": "sinus", "pulse": 70}')
    assert info.value.field == "pulse"
    with pytest.raises(FormatError) as info:
        parse_interpretation('{"rhythm": "wobbly"}')
    assert info.value.field == "rhythm"
    with pytest.raises(FormatError) as info:
        parse_interpretation('{"rhythm": "sinus", "heart_rate_bpm": -3}')
    assert info.value.field == "heart_rate_bpm"
    with pytest.raises(FormatError, match="rhythm"):
        parse_interpretation("looks fine to me")


def test_compare_interpretation_tolerances() -> None:
    reading = parse_interpretation("sinus rhythm 72 bpm")
    assert compare_interpretation(reading, EngineReading("sinus", 78.0)) == []
    rate = compare_interpretation(reading, EngineReading("sinus", 90.0))
    assert rate and rate[0].severity == "minor" and "90 bpm" in rate[0].message
    rhythm = compare_interpretation(reading, EngineReading("afib", 75.0))
    assert rhythm and rhythm[0].severity == "major" and "atrial fibrillation" in rhythm[0].message
    # sinus at 98 bpm: "sinus tachycardia" is within the rate tolerance of the boundary
    assert (
        compare_interpretation(
            parse_interpretation("sinus tachycardia 100"), EngineReading("sinus", 98.0)
        )
        == []
    )
    # an engine that cannot tell the rhythm only checks the rate
    assert compare_interpretation(reading, EngineReading(None, 74.0)) == []
