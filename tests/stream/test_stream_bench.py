"""The live benchmark's replay mode: latency lines and its RESULTS.md block."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecgcore.datasets import get_database
from ecgcore.stream import bench


def test_replay_writes_its_block(data_dir: Path, tmp_path: Path) -> None:
    if not get_database("mitdb", str(data_dir)).is_present("101"):
        pytest.skip("mitdb 101 not in the data root")
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\nkept\n", encoding="utf-8")
    argv = ["--mode", "replay", "--data-dir", str(data_dir), "--records", "101"]
    bench.main([*argv, "--results", str(results)])
    text = results.read_text(encoding="utf-8")
    assert "kept" in text
    assert "python -m ecgcore.stream.bench --mode replay" in text
    line = next(x for x in text.splitlines() if x.startswith("mitdb: 1 records"))
    # record 101 is regular sinus rhythm: most beats are confirmed without pre-blanking
    share = float(line.split("% within 250 ms")[0].rsplit(",", 1)[1])
    assert share > 80.0
