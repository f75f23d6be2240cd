"""JSON Schema of ``ecg grade --json`` (:meth:`GradeResult.to_json`), schema version 1."""

from __future__ import annotations

from typing import Any

from ecgcore.grading.findings import CATEGORIES, FINDING_CODES, SEVERITIES

__all__ = ["GRADE_JSON_SCHEMA"]

_NUM = {"type": "number"}
_NUM_OR_NULL = {"type": ["number", "null"]}
_STR_LIST = {"type": "array", "items": {"type": "string"}}

_FINDING = {
    "type": "object",
    "required": ["code", "leads", "severity", "message", "category", "details", "spans_s"],
    "properties": {
        "code": {"enum": list(FINDING_CODES)},
        "leads": _STR_LIST,
        "severity": {"enum": list(SEVERITIES)},
        "message": {"type": "string", "minLength": 1},
        "category": {"enum": list(CATEGORIES)},
        "advice": {"type": "string"},
        "details": {"type": "object"},
        "spans_s": {
            "type": "array",
            "items": {"type": "array", "items": _NUM, "minItems": 2, "maxItems": 2},
        },
    },
}

_LOSS = {
    "type": "object",
    "required": ["item", "code", "leads", "points", "message"],
    "properties": {
        "item": {"type": "string"},
        "code": {"enum": list(FINDING_CODES)},
        "leads": _STR_LIST,
        "points": {"type": "number", "exclusiveMinimum": 0},
        "message": {"type": "string"},
    },
}

_ITEM = {
    "type": "object",
    "required": ["id", "title", "points", "lost", "kept", "losses"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "points": _NUM,
        "lost": {"type": "number", "minimum": 0},
        "kept": {"type": "number", "minimum": 0},
        "losses": {"type": "array", "items": _LOSS},
    },
}

#: JSON Schema (draft 2020-12) of the grading document.
GRADE_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "ecgcore grading",
    "type": "object",
    "required": [
        "schema_version",
        "record",
        "score",
        "max_score",
        "passed",
        "acceptable",
        "fail_reasons",
        "rubric",
        "items",
        "findings",
        "recording",
        "quality",
        "engine",
    ],
    "properties": {
        "schema_version": {"const": 1},
        "record": {"type": "string"},
        "technician": {"type": ["string", "null"]},
        "score": {"type": "number", "minimum": 0, "maximum": 100},
        "max_score": {"const": 100},
        "passed": {"type": "boolean"},
        "acceptable": {"type": "boolean"},
        "fail_reasons": _STR_LIST,
        "rubric": {
            "type": "object",
            "required": ["name", "version", "pass_mark"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "integer"},
                "pass_mark": _NUM,
                "source": {"type": "string"},
            },
        },
        "items": {"type": "array", "items": _ITEM, "minItems": 1},
        "findings": {"type": "array", "items": _FINDING},
        "recording": {
            "type": "object",
            "required": ["fs", "duration_s", "leads"],
            "properties": {"fs": _NUM, "duration_s": _NUM, "leads": _STR_LIST},
        },
        "quality": {
            "type": ["object", "null"],
            "properties": {
                "indices": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": _NUM_OR_NULL,
                    },
                },
                "unreadable": _STR_LIST,
                "acceptable": {"type": "boolean"},
                "reasons": _STR_LIST,
            },
        },
        "calibration": {"type": ["object", "null"]},
        "placement": {"type": ["object", "null"]},
        "pacing": {"type": ["object", "null"]},
        "engine": {
            "type": "object",
            "required": ["rhythm", "heart_rate_bpm"],
            "properties": {"rhythm": {"type": ["string", "null"]}, "heart_rate_bpm": _NUM_OR_NULL},
        },
        "interpretation": {"type": ["object", "null"]},
    },
}
