"""Graders' own inputs, fuzzed: a rubric with any one field changed or removed,
and any interpretation text or form, either parse or raise an ecgcore error
naming the source and field - never another exception."""

from __future__ import annotations

import contextlib
import copy
import tomllib
from collections.abc import Iterator
from importlib import resources
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ecgcore.errors import ECGCoreError
from ecgcore.grading.interpretation import parse_interpretation
from ecgcore.grading.rubric import parse_rubric

_SETTINGS = settings(max_examples=400, deadline=None, derandomize=True)
_DEFAULT = tomllib.loads(
    resources.files("ecgcore.grading").joinpath("rubrics", "default.toml").read_text()
)
_VALUES = (
    st.booleans()
    | st.floats()
    | st.integers(-5, 200)
    | st.text(max_size=8)
    | st.lists(st.integers() | st.text(max_size=3), max_size=2)
    | st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)
)
_JSONISH = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=10,
)


def _paths(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every key path of the parsed TOML (tables and arrays)."""
    children = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in children:
        yield (*prefix, key)
        if isinstance(child, dict | list):
            yield from _paths(child, (*prefix, key))


_FIELDS = list(_paths(_DEFAULT))


def test_the_default_rubric_parses():
    assert parse_rubric(_DEFAULT, "default.toml").items


@_SETTINGS
@given(path=st.sampled_from(_FIELDS), value=st.none() | _VALUES)
def test_a_rubric_with_one_field_changed_parses_or_names_the_field(path, value):
    data = copy.deepcopy(_DEFAULT)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if value is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    try:
        parse_rubric(data, "exam.toml")
    except ECGCoreError as exc:
        assert "exam.toml" in str(exc)


@_SETTINGS
@given(text=st.text(max_size=80))
def test_any_interpretation_text_parses_or_raises_an_ecgcore_error(text):
    with contextlib.suppress(ECGCoreError):
        parse_interpretation(text)


@_SETTINGS
@given(form=st.dictionaries(st.sampled_from(["rhythm", "rate_bpm", "text", "x"]), _JSONISH))
def test_any_interpretation_form_parses_or_raises_an_ecgcore_error(form):
    with contextlib.suppress(ECGCoreError):
        parse_interpretation(form)
