"""CinC 2011 set-a text records: layout, saturation flags, amplitude scale."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from _io_fixtures import ecg_like, write_cinc2011

from ecgcore.errors import FormatError
from ecgcore.io import read_record
from ecgcore.io._cinc2011 import GAIN_COUNTS_PER_MV, LEAD_NAMES


def test_synthetic_record(tmp_path):
    leads = ecg_like(100, 12).astype(np.int64)
    leads[:, 2] = leads[:, 1] - leads[:, 0]  # III = II - I
    leads[40:45, 7] = 16000
    leads[50, 7] = -16000
    path = write_cinc2011(tmp_path / "1234567.txt", leads)
    rec = read_record(tmp_path / "1234567")
    assert rec.lead_names == LEAD_NAMES and rec.fs == 500.0 and rec.name == "1234567"
    np.testing.assert_array_equal(rec.adc, leads)
    np.testing.assert_array_equal(rec.gain, GAIN_COUNTS_PER_MV)
    assert rec.units == ("mV",) * 12
    # saturated samples stay as values (not missing) and are flagged
    assert rec.missing is None
    assert rec.metadata["saturated"] == {"V2": 6}
    assert rec.metadata["saturated_leads"] == ("V2",)
    assert rec.physical()[40, 7] == 16000 / GAIN_COUNTS_PER_MV
    assert read_record(path, gain=1000.0).metadata["gain_source"] == "argument"
    assert read_record(path, leads=["V6", "I"]).lead_names == ("V6", "I")


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("time,I,II\n0,1,2\n", "rows", "13 comma-separated integers"),
        ("0,1,2,3\n1,1,2,3\n", "columns", "13"),
        ("\n", "rows", "at least one row"),
        (
            "0" + ",1" * 12 + "\n2" + ",1" * 12 + "\n",
            "line 2, column 1 (sample number)",
            "1",
        ),
        ("0" + ",1.5" * 12 + "\n", "rows", "integers"),
    ],
)
def test_layout_errors(tmp_path, text, field, expected):
    path = tmp_path / "x.txt"
    path.write_text(text)
    with pytest.raises(FormatError) as err:
        read_record(path)
    assert err.value.path == str(path) and err.value.field == field
    assert expected in err.value.expected


def test_bad_gain_argument(tmp_path):
    path = write_cinc2011(tmp_path / "g.txt", np.zeros((3, 12), dtype=np.int64))
    with pytest.raises(FormatError, match="gain argument"):
        read_record(path, gain=0.0)


# ------------------------------------------------------------------ real data
@pytest.fixture(scope="module")
def cinc2011(data_dir):
    folder = data_dir / "cinc2011"
    if not folder.is_dir():
        pytest.skip("cinc2011 not in the shared data")
    return folder


@pytest.mark.shared_data
def test_real_saturated_record(cinc2011):
    rec = read_record(cinc2011 / "1002603")
    assert rec.n_samples == 5000 and rec.n_leads == 12 and rec.duration_s == 10.0
    assert set(rec.metadata["saturated_leads"]) >= {"I", "II", "V1"}
    assert rec.metadata["saturated"]["I"] == 5000


@pytest.mark.shared_data
def test_real_records_have_physiological_qrs_amplitudes(cinc2011):
    """The chosen gain puts acceptable records' QRS in the physiological range."""
    with (cinc2011 / "REFERENCE.csv").open() as fh:
        labels = dict(csv.reader(fh))
    acceptable = sorted(r for r, label in labels.items() if label == "acceptable")[:40]
    r_ii, sokolow = [], []
    for record in acceptable:
        rec = read_record(cinc2011 / record)
        if rec.metadata["saturated_leads"]:
            continue
        x = rec.physical()
        med = np.median(x, axis=0)
        names = {n: j for j, n in enumerate(rec.lead_names)}
        r_ii.append(np.percentile(x[:, names["II"]], 99.8) - med[names["II"]])
        s_v1 = med[names["V1"]] - np.percentile(x[:, names["V1"]], 0.2)
        r_v5 = np.percentile(x[:, names["V5"]], 99.8) - med[names["V5"]]
        sokolow.append(s_v1 + r_v5)
        # limb leads obey Einthoven's law exactly, so one gain serves all leads
        np.testing.assert_array_equal(rec.adc[:, names["II"]], rec.adc[:, 0] + rec.adc[:, 2])
    assert len(r_ii) >= 20
    assert 0.3 < np.median(r_ii) < 1.5  # mV, R wave in lead II
    assert 1.0 < np.median(sokolow) < 3.5  # mV, below the hypertrophy limit
