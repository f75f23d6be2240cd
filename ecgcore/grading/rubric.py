"""Grading rubrics: items, points, what each finding costs, and the pass mark.

A rubric is a TOML file (read with :mod:`tomllib`); the default, modelled on a
CET-style 12-lead practical, ships as ``ecgcore/grading/rubrics/default.toml``
and documents the format in its comments. Every problem in a rubric file is
reported as a :class:`~ecgcore.errors.FormatError` naming the file and the
field (e.g. ``items[2].deductions.LEAD_OF``) and what was expected.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ecgcore.errors import FormatError
from ecgcore.grading.findings import FINDING_CODES, SEVERITIES

__all__ = ["DEFAULT_RUBRIC", "Deduction", "Rubric", "RubricItem", "load_rubric", "parse_rubric"]

#: Name of the rubric shipped with the package.
DEFAULT_RUBRIC = "default"

_PER = ("finding", "lead")


@dataclasses.dataclass(frozen=True)
class Deduction:
    """What one finding code costs inside an item.

    Attributes
    ----------
    code : str
        Finding code.
    points : float
        Points per finding (``per="finding"``) or per lead named (``per="lead"``).
    per : str
        ``"finding"`` or ``"lead"``.
    max : float or None
        Cap on the total for this code (None: the item's points).
    severity : mapping
        Severity -> points, overriding ``points`` for findings of that severity.
    """

    code: str
    points: float
    per: str = "finding"
    max: float | None = None
    severity: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def cost(self, severity: str, n_leads: int) -> float:
        """Points one finding of ``severity`` naming ``n_leads`` leads costs (before caps)."""
        base = self.severity.get(severity, self.points)
        return base * (max(1, n_leads) if self.per == "lead" else 1)


@dataclasses.dataclass(frozen=True)
class RubricItem:
    """One scored item: an id, a title, its points and its deductions by code."""

    id: str
    title: str
    points: float
    deductions: Mapping[str, Deduction]


@dataclasses.dataclass(frozen=True)
class Rubric:
    """A parsed rubric.

    Attributes
    ----------
    name : str
        Rubric name.
    version : int
        Version number of the rubric (for the gradebook and log).
    pass_mark : float
        Score out of 100 needed to pass.
    require_acceptable : bool
        A recording that is not diagnostically usable fails.
    fail_on : tuple of str
        Codes that fail the practical whatever the score.
    items : tuple of RubricItem
        Scored items, in order.
    rate_tolerance_bpm, rate_tolerance_fraction : float
        Tolerances for the reading's heart rate.
    source : str
        File the rubric came from.
    """

    name: str
    version: int
    pass_mark: float
    require_acceptable: bool
    fail_on: tuple[str, ...]
    items: tuple[RubricItem, ...]
    rate_tolerance_bpm: float = 10.0
    rate_tolerance_fraction: float = 0.10
    source: str = ""

    @property
    def total_points(self) -> float:
        """Sum of the items' points."""
        return float(sum(item.points for item in self.items))

    def item_for(self, code: str) -> RubricItem | None:
        """The item that scores ``code`` (None if the rubric does not score it)."""
        for item in self.items:
            if code in item.deductions:
                return item
        return None


def _expect(cond: bool, source: str, field: str, expected: str, found: Any) -> None:
    if not cond:
        raise FormatError(source, field, expected, found)


def _no_unknown(table: Mapping[str, Any], allowed: set[str], source: str, prefix: str) -> None:
    """Raise naming the first key of ``table`` that is not in ``allowed``."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        field = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise FormatError(source, field, f"one of {', '.join(sorted(allowed))}", unknown[0])


def _number(value: Any, source: str, field: str, *, low: float = 0.0) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and math.isfinite(float(value)) and float(value) >= low
    _expect(ok, source, field, f"a number >= {low:g}", value)
    return float(value)


def _deduction(code: str, spec: Any, source: str, field: str) -> Deduction:
    _expect(
        code in FINDING_CODES, source, field, f"a finding code ({', '.join(FINDING_CODES)})", code
    )
    if not isinstance(spec, Mapping):
        return Deduction(code, _number(spec, source, field))
    _no_unknown(spec, {"points", "per", "max", "severity"}, source, field)
    _expect("points" in spec, source, f"{field}.points", "a number of points", None)
    points = _number(spec["points"], source, f"{field}.points")
    per = spec.get("per", "finding")
    _expect(per in _PER, source, f"{field}.per", " or ".join(repr(p) for p in _PER), per)
    cap = None if "max" not in spec else _number(spec["max"], source, f"{field}.max")
    by_sev = spec.get("severity", {})
    _expect(isinstance(by_sev, Mapping), source, f"{field}.severity",
            "a table of severity = points", by_sev)  # fmt: skip
    sev: dict[str, float] = {}
    for name, value in by_sev.items():
        _expect(name in SEVERITIES, source, f"{field}.severity.{name}",
                f"one of {', '.join(SEVERITIES)}", name)  # fmt: skip
        sev[name] = _number(value, source, f"{field}.severity.{name}")
    return Deduction(code, points, per, cap, MappingProxyType(sev))


def _item(raw: Any, k: int, source: str, seen: dict[str, str]) -> RubricItem:
    field = f"items[{k}]"
    _expect(isinstance(raw, Mapping), source, field, "a table", raw)
    _no_unknown(raw, {"id", "title", "points", "deductions"}, source, field)
    item_id = raw.get("id")
    _expect(isinstance(item_id, str) and item_id.strip() != "", source, f"{field}.id",
            "a non-empty identifier", item_id)  # fmt: skip
    title = raw.get("title", item_id)
    _expect(isinstance(title, str), source, f"{field}.title", "text", title)
    _expect("points" in raw, source, f"{field}.points", "a number of points", None)
    points = _number(raw["points"], source, f"{field}.points")
    _expect(points > 0, source, f"{field}.points", "a positive number", raw["points"])
    deductions_raw = raw.get("deductions", {})
    _expect(isinstance(deductions_raw, Mapping), source, f"{field}.deductions",
            "a table of CODE = points", deductions_raw)  # fmt: skip
    deductions: dict[str, Deduction] = {}
    for code, spec in deductions_raw.items():
        dfield = f"{field}.deductions.{code}"
        if code in seen:
            raise FormatError(source, dfield, f"each code in one item only (also in {seen[code]})",
                              code)  # fmt: skip
        deductions[code] = _deduction(code, spec, source, dfield)
        seen[code] = field
    return RubricItem(item_id, title, points, MappingProxyType(deductions))


def parse_rubric(data: Mapping[str, Any], source: str = "<rubric>") -> Rubric:
    """Build a :class:`Rubric` from parsed TOML data, validating every field."""
    _no_unknown(data, {"rubric", "interpretation", "items"}, source, "")
    head = data.get("rubric")
    _expect(isinstance(head, Mapping), source, "rubric", "a [rubric] table", head)
    assert isinstance(head, Mapping)
    allowed = {"name", "version", "pass_mark", "require_acceptable", "fail_on", "description"}
    _no_unknown(head, allowed, source, "rubric")
    name = head.get("name")
    _expect(isinstance(name, str) and name != "", source, "rubric.name", "a name", name)
    assert isinstance(name, str)  # checked just above (for the type checker)
    version = head.get("version", 1)
    _expect(isinstance(version, int) and not isinstance(version, bool) and version >= 1,
            source, "rubric.version", "an integer >= 1", version)  # fmt: skip
    _expect("pass_mark" in head, source, "rubric.pass_mark", "a number from 0 to 100", None)
    pass_mark = _number(head["pass_mark"], source, "rubric.pass_mark")
    _expect(pass_mark <= 100, source, "rubric.pass_mark", "a number from 0 to 100", pass_mark)
    require = head.get("require_acceptable", True)
    _expect(isinstance(require, bool), source, "rubric.require_acceptable", "true or false",
            require)  # fmt: skip
    fail_on = head.get("fail_on", [])
    _expect(isinstance(fail_on, list), source, "rubric.fail_on", "a list of finding codes",
            fail_on)  # fmt: skip
    for k, code in enumerate(fail_on):
        _expect(isinstance(code, str) and code in FINDING_CODES, source, f"rubric.fail_on[{k}]",
                "a finding code", code)  # fmt: skip
    interp = data.get("interpretation", {})
    _expect(isinstance(interp, Mapping), source, "interpretation", "a table", interp)
    _no_unknown(
        interp, {"rate_tolerance_bpm", "rate_tolerance_fraction"}, source, "interpretation"
    )
    tol_bpm = _number(interp.get("rate_tolerance_bpm", 10.0), source,
                      "interpretation.rate_tolerance_bpm")  # fmt: skip
    tol_frac = _number(interp.get("rate_tolerance_fraction", 0.10), source,
                       "interpretation.rate_tolerance_fraction")  # fmt: skip
    items_raw = data.get("items")
    _expect(isinstance(items_raw, list) and len(items_raw) > 0, source, "items",
            "at least one [[items]] table", items_raw)  # fmt: skip
    assert isinstance(items_raw, list)
    seen: dict[str, str] = {}
    items = tuple(_item(raw, k, source, seen) for k, raw in enumerate(items_raw))
    ids = [item.id for item in items]
    for k, item_id in enumerate(ids):
        _expect(ids.index(item_id) == k, source, f"items[{k}].id", "a unique id", item_id)
    return Rubric(
        name=name,
        version=version,
        pass_mark=pass_mark,
        require_acceptable=require,
        fail_on=tuple(fail_on),
        items=items,
        rate_tolerance_bpm=tol_bpm,
        rate_tolerance_fraction=tol_frac,
        source=source,
    )


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Read a rubric TOML file, or the shipped default when ``path`` is None.

    Raises
    ------
    FormatError
        The file is not valid TOML or a field is wrong (the message names it).
    FileNotFoundError
        ``path`` does not exist.
    """
    if path is None or str(path) == DEFAULT_RUBRIC:
        ref = resources.files("ecgcore.grading").joinpath("rubrics", f"{DEFAULT_RUBRIC}.toml")
        text = ref.read_text(encoding="utf-8")
        source = f"ecgcore/grading/rubrics/{DEFAULT_RUBRIC}.toml"
    else:
        p = Path(path)
        text = p.read_text(encoding="utf-8")
        source = str(p)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(source, "TOML syntax", "valid TOML", str(exc)) from None
    return parse_rubric(data, source)
