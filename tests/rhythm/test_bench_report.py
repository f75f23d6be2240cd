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
    assert gross.fold_seeds == (0, 1, 2, 3) and len(gross.seed_scores) == 4
    assert gross.seed_scores[0] == gross.score
    assert gross.seed_mean_score == pytest.approx(1.0)
    assert sum(sum(r.values()) for r in gross.confusion.values()) == 120


def test_cinc_fold_count_comes_from_the_rows() -> None:
    rows = _rows(12, folds=3)
    assert summarize_cinc(rows, seeds=(0,))[0].folds == 3
    (one,) = summarize_cinc(rows, seeds=(5,))
    assert one.as_dict()["score_fold_seed_5"] == one.score == one.seed_mean_score
    with pytest.raises(ValueError, match="fold seed"):
        summarize_cinc(rows, seeds=())
    with pytest.raises(ValueError, match="fold counts"):
        summarize_cinc([*rows[:-1], CincRow("cinc2017", "x", "N", (), 0.0, 4)])


def test_cinc_markdown_and_block() -> None:
    rows = _rows(30)
    result = BenchmarkResult(
        kind="cinc",
        config={"database": "cinc2017", "folds": 5},
        detectors=(),
        rows=tuple(rows),
        gross=summarize_cinc(rows, seeds=(0, 1)),
        executor="local, in-process",
        wall_s=1.0,
        machine={"cpu": "test cpu", "packages": {}},
        command="ecg bench rhythm --db cinc2017",
    )
    assert results_key(result) == "ecg bench rhythm --db cinc2017"
    md = format_markdown(result)
    assert "| score (mean F1 of N, A, O), fold seed 0 | >= 80 | 100.0 | yes |" in md
    assert "| score, mean over the fold seeds | >= 80 | 100.0 | yes |" in md
    assert "| seed 0 | seed 1 | mean |" in md
    assert "Records per label: N 30, A 30, O 30, ~ 30" in md
    block = results_block(result)
    assert "by `ecg bench rhythm --db cinc2017`" in block
    assert "mean F1 of N, A and O" in block and "test cpu" in block
    assert not math.isnan(result.gross[0].f1["~"])


def test_cinc_rhythm_pattern_tells_bigeminy_from_regular_rhythm() -> None:
    from ecgcore.rhythm.bench import _cinc_rhythm_pattern

    regular = _cinc_rhythm_pattern(np.full(20, 0.8) + np.linspace(0.0, 0.01, 20))
    bigeminy = _cinc_rhythm_pattern(np.tile([0.55, 1.05], 10))
    assert regular["frac_short_long"] == 0.0
    assert regular["rr_ac1"] > 0.5
    assert bigeminy["rr_ac1"] < -0.9
    assert bigeminy["frac_short_long"] == pytest.approx(10 / 19)
    assert regular["hr5_max"] == pytest.approx(60.0 / 0.8, rel=0.02)


def test_cinc_beat_consistency_of_alike_and_mixed_beats() -> None:
    from ecgcore.rhythm._preprocess import GRID_N, GRID_R
    from ecgcore.rhythm.bench import _cinc_beat_consistency

    t = np.arange(GRID_N) - GRID_R
    beat = np.exp(-0.5 * (t / 4.0) ** 2) + 0.2 * np.exp(-0.5 * ((t - 70) / 10.0) ** 2)
    beat += 0.1 * np.exp(-0.5 * ((t + 40) / 6.0) ** 2)  # P wave
    alike = _cinc_beat_consistency(np.tile(beat, (10, 1)))
    assert alike["beat_corr_qrs_p10"] == pytest.approx(1.0)
    assert alike["frac_beats_corr_lt09"] == 0.0
    assert alike["t_peak_ms"] == pytest.approx(70 * 4.0)
    wide = np.exp(-0.5 * (t / 12.0) ** 2)
    wide_only = _cinc_beat_consistency(np.tile(wide, (10, 1)))
    assert wide_only["avg_qrs_width_ms"] > 2.5 * alike["avg_qrs_width_ms"]
    mixed = _cinc_beat_consistency(np.vstack([np.tile(beat, (7, 1)), np.tile(-wide, (3, 1))]))
    assert mixed["frac_beats_corr_lt09"] == pytest.approx(0.3)
    assert mixed["beat_corr_qrs_p10"] < 0.0
    assert _cinc_beat_consistency(np.full((3, GRID_N), np.nan)) == {}
