"""``ecg record`` with the rhythm stage: alarms annotated in ``.evt`` and logged."""

from __future__ import annotations

import wfdb

from ecgcore.cli.main import main
from ecgcore.log import open_log

# VF from 12 s to 24 s at 250 Hz, paced at 20x real time
URL = "sim://ecg?fs=250&leads=2&schedule=sinus:12,vf:12,sinus&seed=4&speed=20"


def test_record_annotates_and_logs_the_vf_alarm(tmp_path):
    log_url = str(tmp_path / "log.sqlite")
    args = ["record", URL, "--duration", "40s", "--out", str(tmp_path), "--name", "vf",
            "--technician", "T1", "--log", log_url]  # fmt: skip
    assert main(args) == 0
    evt = wfdb.rdann(str(tmp_path / "vf"), "evt")
    raised = [s for s, aux in zip(evt.sample, evt.aux_note, strict=True)
              if aux.startswith("alarm VF raised")]  # fmt: skip
    assert len(raised) == 1 and abs(raised[0] / 250.0 - 12.0) <= 1.0
    cleared = [s for s, aux in zip(evt.sample, evt.aux_note, strict=True)
               if aux.startswith("alarm VF cleared")]  # fmt: skip
    assert len(cleared) == 1 and 20.0 < cleared[0] / 250.0 <= 26.0
    with open_log(log_url) as log:
        entry = log.get(1)
    assert "VF" in entry.alarms
    assert entry.rhythm.startswith("sinus rhythm, ventricular fibrillation")


def test_record_without_rhythm_analysis(tmp_path):
    log_url = str(tmp_path / "log.sqlite")
    args = ["record", URL, "--duration", "2s", "--out", str(tmp_path), "--name", "r",
            "--technician", "T1", "--log", log_url, "--no-rhythm"]  # fmt: skip
    assert main(args) == 0
    with open_log(log_url) as log:
        entry = log.get(1)
    assert entry.alarms == () and entry.rhythm is None
