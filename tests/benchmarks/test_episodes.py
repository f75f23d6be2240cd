"""EC57 episode comparison (AF, VF): hand-built cases with known answers."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from ecgcore.benchmarks.episodes import (
    Episode,
    af_episodes,
    compare_episodes,
    episodes_from_annotations,
    summarize_episodes,
    vf_episodes,
)


@dataclass
class Ann:
    sample: np.ndarray
    symbol: list[str]
    aux_note: list[str]
    fs: float = 100.0
    extension: str = "atr"
    chan: np.ndarray | None = field(default=None)


def test_partial_overlap() -> None:
    c = compare_episodes([(400, 600)], [(500, 700)])
    assert (c.ref_matched, c.ref_missed, c.test_matched, c.test_false) == (1, 0, 1, 0)
    assert c.episode_se == 1.0 and c.episode_ppv == 1.0
    assert c.duration_se == pytest.approx(0.5)
    assert c.duration_ppv == pytest.approx(0.5)
    assert c.ref_duration_s == pytest.approx(200.0)


def test_missed_and_false_episodes() -> None:
    c = compare_episodes([(400, 500), (800, 900)], [(420, 480), (1000, 1100), (1200, 1210)])
    assert (c.ref_matched, c.ref_missed) == (1, 1)
    assert (c.test_matched, c.test_false) == (1, 2)
    assert c.episode_se == pytest.approx(0.5)
    assert c.episode_ppv == pytest.approx(1 / 3)
    assert c.duration_se == pytest.approx(60 / 200)
    assert c.duration_ppv == pytest.approx(60 / 170)


def test_learning_period_clips_and_drops() -> None:
    # (100, 200) ends in the learning period; (200, 400) is clipped to (300, 400)
    c = compare_episodes([(100, 200), (200, 400)], [(100, 200), (350, 400)])
    assert (c.ref_matched, c.ref_missed) == (1, 0)
    assert (c.test_matched, c.test_false) == (1, 0)
    assert c.ref_duration_s == pytest.approx(100.0)
    assert c.duration_se == pytest.approx(0.5)


def test_end_s_clips() -> None:
    c = compare_episodes([(400, 1000)], [(900, 1200)], end_s=950)
    assert c.ref_duration_s == pytest.approx(550)
    assert c.test_duration_s == pytest.approx(50)
    assert c.duration_ppv == pytest.approx(1.0)


def test_reference_flutter_excluded_from_af_ppv() -> None:
    ref_af = [(400, 500)]
    ref_afl = [(600, 700)]
    # a test AF episode inside reference flutter is not a false positive
    c = compare_episodes(ref_af, [(400, 500), (600, 700)], exclude_from_ppv=ref_afl)
    assert (c.test_matched, c.test_false) == (1, 0)
    assert c.test_duration_s == pytest.approx(100)
    # without the exclusion it is
    c = compare_episodes(ref_af, [(400, 500), (600, 700)])
    assert (c.test_matched, c.test_false) == (1, 1)
    # an episode straddling flutter keeps only its non-flutter part
    c = compare_episodes(ref_af, [(550, 700)], exclude_from_ppv=ref_afl)
    assert (c.test_matched, c.test_false) == (0, 1)
    assert c.test_duration_s == pytest.approx(50)


def test_min_duration_ignores_short_episodes() -> None:
    c = compare_episodes([(400, 410), (500, 600)], [(500, 600)], min_duration_s=30)
    assert (c.ref_matched, c.ref_missed) == (1, 0)


def test_no_episodes_gives_nan() -> None:
    c = compare_episodes([], [])
    assert math.isnan(c.episode_se) and math.isnan(c.duration_ppv)


def test_bad_episode_named() -> None:
    with pytest.raises(ValueError, match=r"test_episodes\[0\]"):
        compare_episodes([], [(5, 1)])


def test_gross_and_average() -> None:
    per = {
        "a": compare_episodes([(400, 600)], [(400, 600)]),
        "b": compare_episodes([(400, 600)], [(500, 600)]),
    }
    s = summarize_episodes(per)
    assert s["gross_duration_se"] == pytest.approx(300 / 400)
    assert s["average_duration_se"] == pytest.approx((1.0 + 0.5) / 2)
    assert s["gross_ref_matched"] == 2


def test_episodes_from_rhythm_notes() -> None:
    ann = Ann(
        sample=np.array([0, 1000, 2000, 2500, 3000, 4000, 5000]),
        symbol=["+", "N", "+", "+", "+", "N", "+"],
        aux_note=["(N\x00", "", "(AFIB", "(AFIB", "(AFL", "", "(AFIB"],
    )
    eps = af_episodes(ann, record_end_s=60.0)
    assert eps == (Episode(20.0, 30.0), Episode(50.0, 60.0))
    afl = episodes_from_annotations(ann, {"AFL"}, record_end_s=60.0)
    assert afl == (Episode(30.0, 50.0),)


def test_vf_from_markers_and_notes_merge() -> None:
    ann = Ann(
        sample=np.array([100, 200, 300, 400, 900, 1000]),
        symbol=["[", "!", "]", "+", "+", "N"],
        aux_note=["", "", "", "(VFL", "(N", ""],
    )
    assert vf_episodes(ann, record_end_s=20.0) == (Episode(1.0, 3.0), Episode(4.0, 9.0))
    overlapping = Ann(
        sample=np.array([100, 200, 300, 900, 1000]),
        symbol=["[", "+", "]", "+", "N"],
        aux_note=["", "(VF", "", "(N", ""],
    )
    assert vf_episodes(overlapping, record_end_s=20.0) == (Episode(1.0, 9.0),)


@pytest.mark.shared_data
def test_vf_episodes_of_mitdb_207(data_dir: Path) -> None:
    import wfdb

    ann = wfdb.rdann(str(data_dir / "mitdb" / "207"), "atr")
    eps = vf_episodes(ann, record_end_s=650000 / 360)
    sym = np.array(ann.symbol)
    for on, off in zip(ann.sample[sym == "["], ann.sample[sym == "]"], strict=True):
        assert any(e.start_s <= on / 360 and off / 360 <= e.end_s for e in eps)
    # episodes are sorted and disjoint
    assert all(a.end_s < b.start_s for a, b in itertools.pairwise(eps))
    c = compare_episodes(eps, eps)
    assert c.duration_se == pytest.approx(1.0) and c.episode_ppv == 1.0
