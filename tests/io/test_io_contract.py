"""The contract every registered reader keeps, checked on a small file of each format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from _io_fixtures import ecg_like, write_cinc2011, write_edf

from ecgcore.io import FORMATS, read_header, read_record, write_record
from ecgcore.recording import Recording


def _wfdb(tmp: Path) -> Path:
    adc = ecg_like(500, 2).astype(np.int32)
    missing = np.zeros(adc.shape, dtype=bool)
    missing[100:120, 1] = True
    rec = Recording(adc, 250.0, ("I", "II"), [200.0, 500.0], [0, 12], ("mV", "uV"),
                    missing=missing, name="w")  # fmt: skip
    return write_record(rec, tmp)


def _edf(tmp: Path) -> Path:
    return write_edf(tmp / "e.edf", ecg_like(500, 2).astype(np.int64))


def _bdf(tmp: Path) -> Path:
    return write_edf(
        tmp / "b.bdf",
        ecg_like(500, 2).astype(np.int64) * 50,
        bdf=True,
        physical_ranges=((-262144.0, 262143.0), (-8388.608, 8388.607)),
    )


def _csv(tmp: Path) -> Path:
    x = ecg_like(200, 2) / 1000.0
    lines = ["time [s],I [mV],II [mV]"]
    for i, (a, b) in enumerate(x):
        lines.append(f"{i / 250:.3f},{a:.3f},{'' if 50 <= i < 60 else f'{b:.3f}'}")
    path = tmp / "c.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _cinc2011(tmp: Path) -> Path:
    return write_cinc2011(tmp / "1000000.txt", ecg_like(300, 12).astype(np.int64))


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "wfdb": _wfdb,
    "edf": _edf,
    "bdf": _bdf,
    "csv": _csv,
    "cinc2011": _cinc2011,
}


def test_every_registered_format_has_a_fixture():
    assert set(BUILDERS) == set(FORMATS)


@pytest.fixture(params=sorted(FORMATS))
def record_file(request, tmp_path) -> tuple[str, Path]:
    return request.param, BUILDERS[request.param](tmp_path)


def test_reader_contract(record_file):
    name, path = record_file
    rec = read_record(path)
    assert isinstance(rec, Recording)
    assert rec.metadata["format"] == name
    assert rec.metadata["path"] == str(path)
    assert rec.adc.ndim == 2 and np.issubdtype(rec.adc.dtype, np.integer)
    assert rec.n_samples > 0 and rec.n_leads >= 1
    assert (
        len(rec.lead_names) == len(rec.units) == rec.gain.size == rec.baseline.size == rec.n_leads
    )
    assert all(rec.lead_names) and rec.fs > 0
    phys = rec.physical()
    assert phys.shape == rec.adc.shape
    missing = rec.missing_mask
    assert np.all(np.isfinite(phys[~missing]))
    assert np.all(np.isnan(phys[missing]))
    # the same record without extension
    stem = path.with_name(path.name[: -len(path.suffix)])
    np.testing.assert_array_equal(read_record(stem).adc, rec.adc)


def test_header_agrees_with_record(record_file):
    _, path = record_file
    rec = read_record(path)
    h = read_header(path)
    assert h.path == path and h.name == rec.name
    assert (h.fs, h.n_samples, h.lead_names, h.units) == (rec.fs, rec.n_samples, rec.lead_names,
                                                         rec.units)  # fmt: skip
    np.testing.assert_array_equal(h.gain, rec.gain)
    np.testing.assert_array_equal(h.baseline, rec.baseline)
    assert h.start_time == rec.start_time
    if h.missing_counts is not None:
        assert h.missing_counts == tuple(rec.missing_mask.sum(axis=0))


def test_lead_subset_equals_columns_of_the_full_read(record_file):
    _, path = record_file
    full = read_record(path)
    last = full.lead_names[-1]
    sub = read_record(path, leads=[last, 0])
    assert sub.lead_names == (last, full.lead_names[0])
    np.testing.assert_array_equal(sub.adc, full.adc[:, [-1, 0]])
    np.testing.assert_array_equal(sub.physical(), full.physical()[:, [-1, 0]])
    assert sub.fs == full.fs and sub.start_time == full.start_time


def test_wfdb_copy_keeps_physical_values(record_file, tmp_path):
    _, path = record_file
    rec = read_record(path)
    out = write_record(rec, tmp_path / "copy", name="copy")
    back = read_record(out)
    if np.all(rec.baseline * 16 == np.round(rec.baseline * 16)):
        np.testing.assert_array_equal(back.physical(), rec.physical())
    else:  # an EDF/BDF range that is not symmetric: baseline rounded, < half a count
        assert "baseline_rounded" in back.metadata
        half_count = 0.5 / rec.gain
        assert np.all(np.abs(back.physical() - rec.physical()) <= half_count * (1 + 1e-9))
    np.testing.assert_array_equal(back.missing_mask, rec.missing_mask)
    assert back.lead_names == rec.lead_names and back.fs == rec.fs
