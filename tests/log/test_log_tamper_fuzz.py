"""Any one stored value changed by hand is caught by ``verify``, which names the entry.

Hypothesis picks an entry, a column of ``log_entries`` and an edit (one
character replaced, the value cleared); the log is a real SQLite file with
its append-only triggers dropped first, as someone tampering would.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from test_store import _drop_append_only, _fill

from ecgcore.log import open_log

_TEXT_COLUMNS = (
    "kind",
    "logged_utc",
    "when_utc",
    "technician",
    "patient_ref",
    "body",
    "prev_hash",
    "entry_hash",
)
_N = 4


def _edited(old: str | None, where: float, char: str, clear: bool) -> str | None:
    if clear or not old:
        return None if old else "x"
    at = min(int(where * len(old)), len(old) - 1)
    if old[at] == char:
        char = "#" if char != "#" else "$"
    return old[:at] + char + old[at + 1 :]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    entry_id=st.integers(1, _N),
    column=st.sampled_from(_TEXT_COLUMNS),
    where=st.floats(0.0, 1.0),
    char=st.characters(codec="utf-8", exclude_categories=("Cs",)),
    clear=st.booleans(),
)
def test_one_changed_value_is_caught_and_the_entry_named(entry_id, column, where, char, clear):
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_log(f"sqlite:///{Path(tmp) / 'log.sqlite'}") as log,
    ):
        _fill(log, _N)
        assert log.verify().ok
        _drop_append_only(log)
        with log._engine.begin() as conn:
            old = conn.execute(
                sa.text(f"SELECT {column} FROM log_entries WHERE id = :i"), {"i": entry_id}
            ).scalar_one()
            new = _edited(old, where, char, clear)
            try:
                conn.execute(
                    sa.text(f"UPDATE log_entries SET {column} = :v WHERE id = :i"),
                    {"v": new, "i": entry_id},
                )
            except sa.exc.IntegrityError:  # NOT NULL / UNIQUE: the database refuses it
                return
        report = log.verify()
    assert not report.ok, (column, old, new)
    # a changed hash shows at this entry or as the broken link to the next one
    assert report.first_bad_id in (entry_id, entry_id + 1), report.problems
