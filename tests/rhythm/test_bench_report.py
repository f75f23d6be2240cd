"""CinC 2017 summary, tables and RESULTS.md block from rows (no data needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecgcore.benchmarks.results import BenchmarkResult
from ecgcore.rhythm.bench import CINC_CLASSES, CincRow, summarize_cinc
from ecgcore.rhythm.bench_report import format_markdown, results_block, results_key

pytest.importorskip("sklearn")


def _rows(n_per_class: int, folds: int = 5) -> list[CincRow]:
    rng = np.random.default_rng(1)
    rows = []
    for k, label in enumerate(CINC_CLASSES):
        for i in range(n_per_class):
            # one informative summary per class, one noise summary
            values = (("informative", k + 0.1 * rng.standard_normal()),
                      ("noise", float(rng.standard_normal())))  # fmt: skip
            rows.append(CincRow("cinc2017", f"{label}{i}", label, values, 0.01, folds))
    return rows


def test_cinc_cross_validation_scores_separable_summaries_perfectly() -> None:
    (gross,) = summarize_cinc(_rows(30))
    assert gross.folds == 5 and gross.n_records == 120
    assert gross.score == pytest.approx(1.0)
    assert sum(sum(r.values()) for r in gross.confusion.values()) == 120


def test_cinc_fold_count_comes_from_the_rows() -> None:
    rows = _rows(12, folds=3)
    assert summarize_cinc(rows)[0].folds == 3
    with pytest.raises(ValueError, match="fold counts"):
        summarize_cinc([*rows[:-1], CincRow("cinc2017", "x", "N", (), 0.0, 4)])


def test_cinc_markdown_and_block() -> None:
    rows = _rows(30)
    result = BenchmarkResult(
        kind="cinc",
        config={"database": "cinc2017", "folds": 5},
        detectors=(),
        rows=tuple(rows),
        gross=summarize_cinc(rows),
        executor="local, in-process",
        wall_s=1.0,
        machine={"cpu": "test cpu", "packages": {}},
        command="ecg bench rhythm --db cinc2017",
    )
    assert results_key(result) == "ecg bench rhythm --db cinc2017"
    md = format_markdown(result)
    assert "| score (mean F1 of N, A, O) | >= 80 | 100.0 | yes |" in md
    assert "Records per label: N 30, A 30, O 30, ~ 30" in md
    block = results_block(result)
    assert "by `ecg bench rhythm --db cinc2017`" in block
    assert "mean F1 of N, A and O" in block and "test cpu" in block
    assert not math.isnan(result.gross[0].f1["~"])
