"""``ecg bench detect --repeat``: best of several timed runs, same scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecgcore.benchmarks.detect import RecordTask, run_record_task
from ecgcore.cli.main import main
from ecgcore.datasets import get_database


def _task(data_dir: Path, repeat: int) -> RecordTask:
    db = get_database("mitdb", str(data_dir))
    if not db.is_present("101"):
        pytest.skip("mitdb 101 not in the data root")
    return RecordTask(
        database="mitdb",
        data_dir=str(db.root),
        record="101",
        lead=0,
        detectors=("ecgcore",),
        start_s=10.0,
        max_duration_s=60.0,
        repeat=repeat,
    )


def test_repeat_keeps_the_scores(data_dir: Path) -> None:
    (once,) = run_record_task(_task(data_dir, 1))
    (thrice,) = run_record_task(_task(data_dir, 3))
    assert (once.tp, once.fn, once.fp) == (thrice.tp, thrice.fn, thrice.fp)
    assert once.tp > 50 and thrice.seconds > 0.0


def test_repeat_must_be_positive(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="repeat"):
        run_record_task(_task(data_dir, 0))
    with pytest.raises(SystemExit) as exc:
        main(["bench", "detect", "--repeat", "0", "--detectors", "ecgcore"])
    assert exc.value.code == 2
    assert "positive integer" in capsys.readouterr().err
