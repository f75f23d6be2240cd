"""EC57 beat-by-beat comparison: hand-built cases with known answers and a
cross-check against ``wfdb.processing.compare_annotations`` on real records."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ecgcore.benchmarks.aami import aami_class, rhythm_label
from ecgcore.benchmarks.ec57 import (
    MITDB_PACED_RECORDS,
    REF_ROWS,
    TEST_COLUMNS,
    BeatComparison,
    compare_beats,
    summarize_beats,
)

FS = 360.0  # window 0.15 s -> 54 samples


def cell(c: BeatComparison, ref: str, test: str) -> int:
    return c.matrix[REF_ROWS.index(ref)][TEST_COLUMNS.index(test)]


# --- AAMI mapping -------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("N", "N"),
        ("L", "N"),
        ("R", "N"),
        ("e", "N"),
        ("j", "N"),
        ("A", "S"),
        ("a", "S"),
        ("J", "S"),
        ("S", "S"),
        ("V", "V"),
        ("E", "V"),
        ("F", "F"),
        ("/", "Q"),
        ("f", "Q"),
        ("Q", "Q"),
        ("+", None),
        ("~", None),
        ("|", None),
        ("[", None),
        ("!", None),
        ('"', None),
    ],
)
def test_aami_class(symbol: str, expected: str | None) -> None:
    assert aami_class(symbol) == expected


def test_rhythm_label_strips_nul_and_paren() -> None:
    assert rhythm_label("(AFIB\x00") == "AFIB"
    assert rhythm_label("(N") == "N"
    assert rhythm_label("PVC run") is None
    assert rhythm_label("") is None


# --- hand-built beat cases ----------------------------------------------------------


def test_identical_streams_match_fully() -> None:
    ref = np.arange(0, 360 * 60, 300)
    c = compare_beats(ref, ref, FS, start_s=0.0)
    assert (c.tp, c.fn, c.fp) == (len(ref), 0, 0)
    assert c.se == 1.0 and c.ppv == 1.0 and c.f1 == 1.0
    assert c.window_samples == 54
    assert c.veb_se is None  # no labels given


def test_window_edge_is_inclusive() -> None:
    ref = np.array([1000, 2000])
    c = compare_beats(ref, ref + 54, FS, start_s=0.0)
    assert (c.tp, c.fn, c.fp) == (2, 0, 0)
    c = compare_beats(ref, ref + 55, FS, start_s=0.0)
    assert (c.tp, c.fn, c.fp) == (0, 2, 2)
    c = compare_beats(ref, ref - 54, FS, start_s=0.0)
    assert (c.tp, c.fn, c.fp) == (2, 0, 0)


def test_one_to_one_nearest_first() -> None:
    # two test beats compete for one reference beat: the nearer wins, the other is FP
    c = compare_beats([1000], [990, 1005], FS, start_s=0.0)
    assert (c.tp, c.fn, c.fp) == (1, 0, 1)
    # one test beat between two reference beats goes to the nearer one
    c = compare_beats([1000, 1090], [1050], FS, start_s=0.0)
    assert (c.tp, c.fn, c.fp) == (1, 1, 0)
    c = compare_beats([1000, 1110], [1050], FS, start_s=0.0)
    assert (c.tp, c.fn, c.fp) == (1, 1, 0)


def test_bxb_greedy_pairing_differs_from_optimal_assignment() -> None:
    # bxb looks one annotation ahead: the test beat at 1049 is nearer to the second
    # reference beat (46) than to the first (49), so the first is missed, and the
    # second takes the nearer test beat at 1101, leaving 1049 unpaired.
    # (wfdb.processing.compare_annotations pairs both here; EC57 follows bxb.)
    c = compare_beats([1000, 1095], [1049, 1101], FS, start_s=0.0)
    assert (c.tp, c.fn, c.fp) == (1, 1, 1)


def test_f1_formula() -> None:
    c = compare_beats([100, 400, 700, 1000], [100, 400, 1500], FS, start_s=0.0)
    assert (c.tp, c.fn, c.fp) == (2, 2, 1)
    assert c.se == pytest.approx(0.5)
    assert c.ppv == pytest.approx(2 / 3)
    assert c.f1 == pytest.approx(4 / 7)


def test_learning_period_is_not_scored() -> None:
    fs = 100.0  # window 15 samples, start 30000
    ref = [1000, 20000, 30300, 30600]
    test = [1000, 25000, 30300]  # 25000 is a false positive, but in the learning period
    c = compare_beats(ref, test, fs)
    assert c.start_sample == 30000
    assert (c.tp, c.fn, c.fp) == (1, 1, 0)


def test_test_beat_before_start_may_match_first_reference_beat() -> None:
    fs = 100.0
    c = compare_beats([30010, 30400], [29995, 30400], fs)
    assert (c.tp, c.fn, c.fp) == (2, 0, 0)


def test_test_beat_after_start_belonging_to_learning_period_is_skipped() -> None:
    fs = 100.0
    # the reference beat at 29990 is in the learning period; its detection at 30005
    # falls just after the start and must not count as a false positive
    c = compare_beats([29990, 30300], [30005, 30300], fs)
    assert (c.tp, c.fn, c.fp) == (1, 0, 0)


def test_end_s_limits_the_test_period() -> None:
    ref = np.arange(1000, 36000, 1000)
    test = ref[ref < 20000]
    c = compare_beats(ref, test, FS, start_s=0.0, end_s=19500 / FS)  # end is inclusive
    assert (c.tp, c.fn, c.fp) == (len(test), 0, 0)
    c = compare_beats(ref, test, FS, start_s=0.0)
    assert c.fn == len(ref) - len(test)


def test_non_beat_annotations_are_dropped() -> None:
    ref = [100, 150, 400, 700]
    sym = ["N", "+", "~", "N"]
    c = compare_beats(ref, [100, 700], FS, start_s=0.0, ref_symbols=sym)
    assert (c.tp, c.fn, c.fp) == (2, 0, 0)


def test_reference_vf_interval_is_excluded() -> None:
    ref = [1000, 2000, 3000, 3100, 3200, 4000, 5000]
    sym = ["N", "[", "!", "!", "!", "]", "N"]
    test = [1000, 2500, 3000, 3500, 5000]  # three detections inside VF
    c = compare_beats(ref, test, FS, start_s=0.0, ref_symbols=sym)
    assert (c.tp, c.fn, c.fp) == (2, 0, 0)


def test_class_statistics_follow_bxb() -> None:
    ref = [1000, 2000, 3000, 4000, 5000, 6000]
    ref_sym = ["N", "V", "A", "F", "V", "N"]
    test = [1000, 2000, 3000, 4000, 6000, 7000]
    test_sym = ["N", "V", "V", "V", "A", "V"]
    c = compare_beats(ref, test, FS, start_s=0.0, ref_symbols=ref_sym, test_symbols=test_sym)
    assert c.classified
    assert cell(c, "N", "n") == 1
    assert cell(c, "V", "v") == 1
    assert cell(c, "S", "v") == 1
    assert cell(c, "F", "v") == 1
    assert cell(c, "V", "o") == 1
    assert cell(c, "N", "s") == 1
    assert cell(c, "O", "v") == 1
    # VEB: TP=Vv=1, FN=Vo=1, FP=Sv+Ov=2 (Fv is not a VEB false positive), TN=Nn+Ns=2
    assert c.veb_counts() == (1, 1, 2, 2)
    assert c.veb_se == pytest.approx(0.5)
    assert c.veb_ppv == pytest.approx(1 / 3)
    assert c.veb_fpr == pytest.approx(0.5)
    # SVEB: TP=0, FN=Sv=1, FP=Ns=1
    assert c.sveb_counts()[:3] == (0, 1, 1)
    assert c.sveb_se == 0.0
    assert (c.tp, c.fn, c.fp) == (5, 1, 1)


def test_undefined_statistics_are_nan() -> None:
    c = compare_beats([], [], FS, start_s=0.0, ref_symbols=[], test_symbols=[])
    assert math.isnan(c.se) and math.isnan(c.ppv) and math.isnan(c.f1)
    assert c.veb_se is not None and math.isnan(c.veb_se)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ref_idx": [3, 2, 1], "test_idx": [1]}, "time order"),
        ({"ref_idx": [[1, 2]], "test_idx": [1]}, "1-D"),
        ({"ref_idx": [1.5], "test_idx": [1]}, "integer"),
        ({"ref_idx": [1, 2], "test_idx": [1], "ref_symbols": ["N"]}, "equal lengths"),
        ({"ref_idx": [1], "test_idx": [1], "fs": 0.0}, "fs"),
        ({"ref_idx": [1], "test_idx": [1], "end_s": 10.0}, "end_s"),
    ],
)
def test_bad_input_is_named(kwargs: dict, match: str) -> None:
    kwargs.setdefault("fs", FS)
    with pytest.raises(ValueError, match=match):
        compare_beats(**kwargs)


def test_summary_gross_average_and_paced_exclusion() -> None:
    def comp(ref_sym: list[str], test_sym: list[str]) -> BeatComparison:
        idx = [1000 * (k + 1) for k in range(len(ref_sym))]
        return compare_beats(idx, idx, FS, start_s=0.0, ref_symbols=ref_sym, test_symbols=test_sym)

    per = {
        "100": comp(["N", "V", "V"], ["N", "V", "N"]),  # VEB Se 1/2
        "119": comp(["V", "V", "V", "V"], ["V", "V", "V", "V"]),  # VEB Se 4/4
        "217": comp(["/", "V"], ["/", "N"]),  # paced: VEB Se 0/1, not in class stats
    }
    s = summarize_beats(per)
    assert "217" in MITDB_PACED_RECORDS
    assert s.class_records == ("100", "119")
    gross = s.gross()
    assert gross["tp"] == 9
    assert gross["veb_se"] == pytest.approx(5 / 6)
    assert s.average["veb_se"] == pytest.approx((0.5 + 1.0) / 2)
    assert s.average["se"] == pytest.approx(1.0)
    s_all = summarize_beats(per, paced_records=())
    assert s_all.gross()["veb_se"] == pytest.approx(5 / 7)


# --- cross-check on real records ------------------------------------------------------


def _reference_beats(data_dir: Path, record: str) -> tuple[np.ndarray, float]:
    import wfdb

    ann = wfdb.rdann(str(data_dir / "mitdb" / record), "atr")
    keep = np.array([aami_class(s) is not None for s in ann.symbol])
    return ann.sample[keep], float(ann.fs)


@pytest.mark.shared_data
@pytest.mark.parametrize("record", ["108", "203", "207"])
def test_matches_wfdb_compare_annotations_on_perturbed_reference(
    data_dir: Path, record: str
) -> None:
    from wfdb.processing import compare_annotations

    ref, fs = _reference_beats(data_dir, record)
    rng = np.random.default_rng(int(record))
    test = ref[rng.random(ref.size) > 0.03]  # 3 % missed
    jitter = rng.integers(-30, 31, test.size)
    far = rng.random(test.size) < 0.02  # 2 % moved beyond the window
    jitter[far] = rng.choice([-1, 1], far.sum()) * rng.integers(55, 100, far.sum())
    test = test + jitter
    extra = rng.integers(0, int(ref[-1]), ref.size // 20)  # 5 % spurious
    test = np.unique(np.concatenate([test, extra]).clip(0))
    ours = compare_beats(ref, test, fs, start_s=0.0)
    window = ours.window_samples + 1  # wfdb matches with |d| < window, bxb with |d| <= window
    theirs = compare_annotations(ref, test, window)
    assert ours.fn > 0 and ours.fp > 0
    assert (ours.tp, ours.fn, ours.fp) == (theirs.tp, theirs.fn, theirs.fp)


@pytest.mark.shared_data
@pytest.mark.parametrize("record", ["106", "108", "119"])
def test_matches_wfdb_compare_annotations_on_detector_output(data_dir: Path, record: str) -> None:
    import wfdb
    from wfdb.processing import compare_annotations

    sleepecg = pytest.importorskip("sleepecg")
    if not (data_dir / "mitdb" / f"{record}.hea").exists():
        pytest.skip(f"mitdb/{record} not in the local data")
    ref, fs = _reference_beats(data_dir, record)
    sig, _ = wfdb.rdsamp(str(data_dir / "mitdb" / record), channels=[0])
    test = np.asarray(sleepecg.detect_heartbeats(sig[:, 0], fs), dtype=np.int64)
    start = int(300 * fs)
    ref5, test5 = ref[ref >= start], test[test >= start]
    ours = compare_beats(ref5, test5, fs, start_s=0.0)
    theirs = compare_annotations(ref5, test5, ours.window_samples + 1)
    assert (ours.tp, ours.fn, ours.fp) == (theirs.tp, theirs.fn, theirs.fp)
    # scored from minute 5 with the EC57 edge rules, the totals differ by at most the edge
    full = compare_beats(ref, test, fs)
    assert abs(full.tp - ours.tp) <= 1
