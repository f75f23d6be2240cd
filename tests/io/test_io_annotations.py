"""WFDB annotations: wfdb.wrann/rdann round trip, validation, real files."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from ecgcore.errors import DataError, FormatError
from ecgcore.io import Annotations, read_annotations, write_annotations, write_record
from ecgcore.recording import Recording


def _ann(**kwargs):
    fields = dict(
        sample=np.array([0, 18, 77, 370, 662, 662, 1000]),
        symbol=("+", "N", "N", "V", "N", "~", "+"),
        aux_note=("(N", "", "", "", "", "noise burst", "(AFIB"),
        fs=360.0,
        extension="atr",
        chan=np.array([0, 0, 0, 0, 0, 1, 0]),
        subtype=np.array([0, 0, 0, 1, 0, 2, 0]),
        num=np.array([0, 0, 0, 0, 0, 3, 0]),
    )
    fields.update(kwargs)
    return Annotations(**fields)


def _assert_same(a: Annotations, b: Annotations) -> None:
    np.testing.assert_array_equal(a.sample, b.sample)
    assert a.symbol == b.symbol and a.aux_note == b.aux_note and a.fs == b.fs
    for field in ("chan", "subtype", "num"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_round_trip_through_wfdb_rdann(tmp_path):
    ann = _ann()
    path = write_annotations(tmp_path, "rec", "atr", ann)
    assert path == tmp_path / "rec.atr"
    raw = wfdb.rdann(str(tmp_path / "rec"), "atr")  # the contract: wfdb reads it
    np.testing.assert_array_equal(raw.sample, ann.sample)
    assert raw.symbol == list(ann.symbol) and raw.aux_note == list(ann.aux_note)
    np.testing.assert_array_equal(raw.chan, ann.chan)
    np.testing.assert_array_equal(raw.subtype, ann.subtype)
    np.testing.assert_array_equal(raw.num, ann.num)
    assert raw.fs == 360
    back = read_annotations(tmp_path / "rec", ".atr")
    _assert_same(ann, back)
    assert back.extension == "atr" and len(back) == 7
    np.testing.assert_allclose(back.time_s, ann.sample / 360.0)
    # writing what was read gives the same bytes
    write_annotations(tmp_path / "again", "rec", "atr", back)
    assert (tmp_path / "again" / "rec.atr").read_bytes() == path.read_bytes()


def test_minimal_annotations_and_non_integer_fs(tmp_path):
    ann = Annotations(np.array([5, 9]), ("N", "N"), ("", ""), 128.5, "qrs")
    write_annotations(tmp_path, "r", "qrs", ann)
    back = read_annotations(tmp_path / "r.hea", "qrs")  # record given with extension
    np.testing.assert_array_equal(back.sample, [5, 9])
    assert back.fs == 128.5 and back.aux_note == ("", "")


def test_empty_annotation_file_is_valid(tmp_path):
    empty = Annotations(np.array([], dtype=np.int64), (), (), 250.0, "qrs")
    path = write_annotations(tmp_path, "r", "qrs", empty)
    raw = wfdb.rdann(str(tmp_path / "r"), "qrs")
    assert raw.sample.size == 0 and raw.fs == 250
    back = read_annotations(tmp_path / "r", "qrs")
    assert len(back) == 0 and back.fs == 250.0
    assert path.stat().st_size > 0


def test_fs_from_the_record_header_when_the_file_has_none(tmp_path):
    rec = Recording(np.zeros((1000, 1), dtype=np.int32), 500.0, ("II",), [200.0], [0], ("mV",),
                    name="h")  # fmt: skip
    write_record(rec, tmp_path)
    wfdb.wrann("h", "qrs", np.array([10, 20]), symbol=["N", "N"], write_dir=str(tmp_path))
    assert read_annotations(tmp_path / "h", "qrs").fs == 500.0
    (tmp_path / "h.hea").unlink()
    with pytest.raises(FormatError, match=r"h\.qrs: field 'fs'"):
        read_annotations(tmp_path / "h", "qrs")


def test_read_errors(tmp_path):
    with pytest.raises(DataError, match=r"annotation file .*nope\.atr not found"):
        read_annotations(tmp_path / "nope", "atr")
    (tmp_path / "bad.atr").write_bytes(b"\x01")
    with pytest.raises(FormatError, match=r"bad\.atr: field 'annotation data'"):
        read_annotations(tmp_path / "bad", "atr")


def test_write_errors(tmp_path):
    with pytest.raises(DataError, match="symbol 'X!'"):
        write_annotations(tmp_path, "r", "qrs", _ann(symbol=("+", "N", "N", "X!", "N", "~", "+")))
    with pytest.raises(DataError, match="non-decreasing order; annotation 2 at sample 5"):
        write_annotations(
            tmp_path, "r", "qrs", Annotations([1, 9, 5], ("N",) * 3, ("",) * 3, 100.0, "qrs")
        )
    with pytest.raises(DataError, match="not valid for WFDB"):
        write_annotations(tmp_path, "a b", "qrs", _ann())
    with pytest.raises(DataError, match="extension"):
        write_annotations(tmp_path, "r", "q.rs", _ann())
    with pytest.raises(DataError, match="writing WFDB annotations"):
        write_annotations(tmp_path, "r", "qrs", _ann(chan=np.array([0, 0, 0, 0, 0, 999, 0])))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"symbol": ("N",)}, "symbol has 1 entries for 7 samples"),
        ({"aux_note": ()}, "aux_note has 0 entries"),
        ({"sample": np.array([0, 1, 2, 3, 4, 5, -6])}, "must be >= 0"),
        ({"sample": np.array([0.5, 1, 2, 3, 4, 5, 6])}, "must hold integers"),
        ({"sample": np.zeros((7, 1))}, "must be 1-D"),
        ({"fs": 0.0}, "positive number"),
        ({"chan": np.array([0, 1])}, "chan has 2 entries for 7 annotations"),
    ],
)
def test_annotations_validate_their_fields(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _ann(**kwargs)


def test_annotations_are_read_only():
    ann = _ann()
    with pytest.raises(ValueError, match="read-only"):
        ann.sample[0] = 3
    with pytest.raises(AttributeError):
        ann.fs = 100.0  # type: ignore[misc]


@pytest.mark.shared_data
def test_mitdb_reference_annotations_round_trip(data_dir, tmp_path):
    ann = read_annotations(data_dir / "mitdb" / "101", "atr")
    assert ann.fs == 360.0 and len(ann) > 1800
    assert ann.aux_note[0] == "(N"  # the file's trailing NUL byte is not part of the note
    assert not any("\x00" in a for a in ann.aux_note)
    write_annotations(tmp_path, "101", "atr", ann)
    _assert_same(ann, read_annotations(tmp_path / "101", "atr"))
    raw = wfdb.rdann(str(tmp_path / "101"), "atr")
    assert raw.aux_note == list(ann.aux_note)
