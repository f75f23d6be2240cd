"""Corrupt files of every format: each read either succeeds or raises an ecgcore error.

Bytes of a small valid file of each registered format are overwritten,
deleted, or the file is cut short (hypothesis chooses where and what). Reading
the damaged file must give a :class:`~ecgcore.recording.Recording` that keeps
the reader contract, or raise :class:`~ecgcore.errors.ECGCoreError` whose
message names the damaged file - never another exception from deep inside a
parser (``IndexError``, ``UnicodeDecodeError``, ...).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_io_contract import BUILDERS

from ecgcore.errors import ECGCoreError
from ecgcore.io import FORMATS, read_header, read_record
from ecgcore.recording import Recording

_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# one edit: (kind, where as a fraction of the file, how many bytes, the new byte)
_EDITS = st.lists(
    st.tuples(
        st.sampled_from(("overwrite", "delete", "truncate")),
        st.floats(0.0, 1.0),
        st.integers(1, 8),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=3,
)


def _damage(data: bytes, edits: list[tuple[str, float, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, count, byte in edits:
        at = min(int(where * len(out)), max(len(out) - 1, 0))
        if kind == "overwrite":
            out[at : at + count] = bytes([byte]) * len(out[at : at + count])
        elif kind == "delete":
            del out[at : at + count]
        else:
            del out[at:]
    return bytes(out)


def _files(path: Path) -> list[Path]:
    """The files of a record (a WFDB record is a header and a signal file)."""
    stem = path.with_suffix("")
    return sorted(p for p in path.parent.iterdir() if p.with_suffix("") == stem)


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, Path]:
    return {name: build(tmp_path_factory.mktemp(name)) for name, build in BUILDERS.items()}


def _check_read(path: Path, damaged: Path) -> None:
    for read in (read_record, read_header):
        try:
            result = read(path)
        except ECGCoreError as exc:
            assert damaged.stem in str(exc), f"{type(exc).__name__} without the file: {exc}"
            continue
        if isinstance(result, Recording):
            assert result.adc.ndim == 2 and np.issubdtype(result.adc.dtype, np.integer)
            assert len(result.lead_names) == result.n_leads and result.fs > 0
            phys = result.physical()
            assert np.all(np.isnan(phys[result.missing_mask]))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("part", [0, 1])
@_SETTINGS
@given(edits=_EDITS)
def test_damaged_file_reads_or_raises_an_ecgcore_error(fmt, part, edits, originals, tmp_path):
    source = originals[fmt]
    files = _files(source)
    if part >= len(files):  # single-file formats: one part only
        return
    work = tmp_path / "w"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    for f in files:
        shutil.copy(f, work / f.name)
    target = work / files[part].name
    target.write_bytes(_damage(target.read_bytes(), edits))
    _check_read(work / source.name, target)
