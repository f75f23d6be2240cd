"""Rhythm rules on synthetic beat sequences, painting priority, episode merging."""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore.rhythm.episodes import BeatRhythm, Episode, EpisodeBuilder, Segment, paint

FS = 250.0


def _codes(
    times_s: np.ndarray,
    classes: str,
    *,
    af: np.ndarray | None = None,
    regular: np.ndarray | None = None,
    end_s: float | None = None,
    **kw: float,
) -> list[str]:
    t = np.round(np.asarray(times_s) * FS).astype(np.int64)
    cls = np.asarray(list(classes))
    af = np.zeros(t.size, bool) if af is None else af
    regular = np.ones(t.size, bool) if regular is None else regular
    rules = BeatRhythm(FS, **kw)
    horizon = round((end_s if end_s is not None else times_s[-1] + 0.5) * FS)
    return [
        rules.label(k, t, cls=cls, af=af, regular=regular, horizon=horizon)[0]
        for k in range(t.size)
    ]


def test_sinus_rate_bands() -> None:
    for rr, code in ((0.8, "N"), (1.2, "SBR"), (0.5, "STACH")):
        assert set(_codes(0.5 + rr * np.arange(30), "N" * 30)) == {code}


def test_sinus_rate_hysteresis() -> None:
    rr = np.r_[np.full(20, 1.05), np.full(20, 0.99)]  # 57 bpm, then 60.6 bpm
    codes = _codes(np.cumsum(rr), "N" * 40)
    assert codes[5] == "SBR"
    assert codes[-1] == "SBR"  # 60.6 bpm is inside the 2 bpm hysteresis band


def test_ventricular_runs_fast_and_slow() -> None:
    t = list(0.5 + 0.8 * np.arange(10))
    t += list(t[-1] + 0.4 * np.arange(1, 6))  # five V at 150 bpm
    t += list(t[-1] + 0.8 * np.arange(1, 11))
    codes = _codes(np.asarray(t), "N" * 10 + "V" * 5 + "N" * 10)
    assert codes[10:15] == ["VT"] * 5
    assert codes[9] != "VT" and codes[15] != "VT"
    slow = 0.5 + 1.3 * np.arange(12)  # 46 bpm
    codes = _codes(slow, "NNNNVVVVNNNN")
    assert codes[4:8] == ["IVR"] * 4


def test_two_ventricular_beats_are_not_a_run() -> None:
    t = 0.5 + 0.6 * np.arange(12)
    assert "VT" not in _codes(t, "NNNNNVVNNNNN")


def test_bigeminy_and_trigeminy() -> None:
    t = 0.5 + 0.7 * np.arange(24)
    codes = _codes(t, "NNNN" + "VN" * 8 + "NNNN")
    assert codes[4:19].count("B") == 15
    assert codes[0] == "N" and codes[-1] == "N"
    codes = _codes(t, "NN" + "VNN" * 6 + "NNNN")
    assert codes[2:17].count("T") == 15
    # a single isolated PVC is neither
    assert set(_codes(t, "N" * 10 + "V" + "N" * 13)) == {"N"}


def test_pause_and_asystole_label_the_gap() -> None:
    t = np.r_[0.5 + 0.8 * np.arange(10), 7.7 + 2.6 + 0.8 * np.arange(10)]  # 2.6 s gap
    codes = _codes(t, "N" * 20)
    assert codes[9] == "PAUSE" and codes.count("PAUSE") == 1
    t = np.r_[0.5 + 0.8 * np.arange(10), 7.7 + 4.6 + 0.8 * np.arange(10)]  # 4.6 s gap
    codes = _codes(t, "N" * 20)
    assert codes[9] == "ASYS" and codes.count("ASYS") == 1
    # configurable thresholds
    codes = _codes(t, "N" * 20, pause_s=3.0, asystole_s=6.0, lookahead_s=6.5)
    assert codes[9] == "PAUSE"


def test_gap_to_the_end_of_data() -> None:
    t = 0.5 + 0.8 * np.arange(10)
    assert _codes(t, "N" * 10, end_s=t[-1] + 1.0)[-1] == "N"  # data ends: no pause
    assert _codes(t, "N" * 10, end_s=t[-1] + 6.0)[-1] == "ASYS"  # 6 s of nothing


def test_af_and_supraventricular_run() -> None:
    t = 0.5 + 0.7 * np.arange(20)
    af = np.zeros(20, bool)
    af[5:15] = True
    codes = _codes(t, "N" * 20, af=af)
    assert codes[5:15] == ["AFIB"] * 10 and codes[4] == "N"
    t = np.r_[0.5 + 0.8 * np.arange(10), 7.7 + 0.45 * np.arange(1, 6), 10.0 + 0.8 * np.arange(8)]
    codes = _codes(t, "N" * 10 + "S" * 5 + "N" * 8)
    assert codes[10:15] == ["SVTA"] * 5


def test_paint_priorities() -> None:
    segs = [
        Segment(0, 250, missing=False, noise=False, vf=None),
        Segment(250, 500, missing=False, noise=False, vf="VF"),
        Segment(500, 750, missing=False, noise=True, vf=None),
        Segment(750, 1000, missing=True, noise=False, vf="VF"),
    ]
    pieces = paint(
        0, 1000, beat_t=[0, 600], beat_code=["N", "ASYS"], beat_regular_vt=[False, False],
        lead_code="N", segments=segs,
    )  # fmt: skip
    assert pieces == [
        Episode("N", 0, 250),
        Episode("VF", 250, 500),
        Episode("NOISE", 500, 1000),
    ]
    # a fast regular monomorphic rhythm keeps VT inside a flutter-like segment, a
    # fast irregular one does not; a disorganised (VF) segment stays VF
    flutter = [segs[1]._replace(vf="VFL")]
    for regular, seg, code in (
        (True, flutter, "VT"),
        (False, flutter, "VFL"),
        (True, segs[1:2], "VF"),
    ):
        pieces = paint(
            250, 500, beat_t=[200], beat_code=["STACH"], beat_regular_vt=[regular],
            lead_code="N", segments=seg,
        )  # fmt: skip
        assert pieces == [Episode(code, 250, 500)]


@pytest.mark.parametrize(
    ("beat_t", "beat_code", "regular_vt", "expected"),
    [
        # a ventricular run above 100 bpm over the whole segment: VT
        ([200, 330, 450], ["VT", "VT", "VT"], [False] * 3, "VT"),
        # a fast regular monomorphic rhythm counts like a run
        ([200, 330, 450], ["STACH", "VT", "VT"], [True, False, False], "VT"),
        # the run starts inside the segment: the flutter waveform decides it all
        ([200, 330, 450], ["N", "VT", "VT"], [False] * 3, "VFL"),
        # the run ends inside the segment: likewise
        ([200, 330, 450], ["VT", "VT", "N"], [False] * 3, "VFL"),
        # no beat before the segment
        ([300, 400], ["VT", "VT"], [False] * 2, "VFL"),
    ],
)
def test_flutter_like_segment_is_vt_only_when_the_beats_are_vt_throughout(
    beat_t: list[int], beat_code: list[str], regular_vt: list[bool], expected: str
) -> None:
    seg = [Segment(250, 500, missing=False, noise=False, vf="VFL")]
    pieces = paint(
        250, 500, beat_t=beat_t, beat_code=beat_code, beat_regular_vt=regular_vt,
        lead_code="N", segments=seg,
    )  # fmt: skip
    assert pieces == [Episode(expected, 250, 500)]
    # a disorganised VF-like segment is fibrillation whatever the beats say
    pieces = paint(
        250, 500, beat_t=beat_t, beat_code=beat_code, beat_regular_vt=regular_vt,
        lead_code="N", segments=[seg[0]._replace(vf="VF")],
    )  # fmt: skip
    assert pieces == [Episode("VF", 250, 500)]
    # and so is a flutter-like segment of a run that was disorganised before
    pieces = paint(
        250, 500, beat_t=beat_t, beat_code=beat_code, beat_regular_vt=regular_vt,
        lead_code="N", segments=[seg[0]._replace(fibrillated=True)],
    )  # fmt: skip
    assert pieces == [Episode("VFL", 250, 500)]
    # outside VF-like segments the beat codes paint as before
    pieces = paint(
        250, 500, beat_t=beat_t, beat_code=beat_code, beat_regular_vt=regular_vt,
        lead_code="N", segments=[seg[0]._replace(vf=None)],
    )  # fmt: skip
    assert pieces[0].start_idx == 250 and pieces[-1].end_idx == 500
    k = int(np.searchsorted(beat_t, 499, side="right")) - 1
    assert pieces[-1].rhythm == beat_code[k]


def test_episode_builder_merges_and_closes() -> None:
    b = EpisodeBuilder()
    assert b.extend([Episode("N", 0, 10), Episode("N", 10, 20)]) == []
    assert b.current == Episode("N", 0, 20)
    assert b.extend([Episode("AFIB", 20, 30)]) == [Episode("N", 0, 20)]
    assert b.close() == [Episode("AFIB", 20, 30)]
    assert b.closed == [Episode("N", 0, 20), Episode("AFIB", 20, 30)]


@pytest.mark.parametrize("fs", [250.0, 360.0])
def test_episode_seconds(fs: float) -> None:
    ep = Episode("N", int(fs), int(3 * fs))
    assert ep.start_s(fs) == 1.0 and ep.end_s(fs) == 3.0
