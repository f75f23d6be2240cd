"""ANSI/AAMI EC57 episode comparison for AF and VF (the ``epicmp`` rules).

An episode is a ``(start_s, end_s)`` interval in seconds. :func:`compare_episodes`
makes the two passes of WFDB ``epicmp``:

* sensitivity pass: each reference episode that ends after the start of the
  test period (clipped to it, 5 min by default) is a true positive when any
  test episode overlaps it, else a false negative; the overlap durations over
  the reference durations give the duration sensitivity;
* positive-predictivity pass: the same with the roles swapped. For AF, the
  intervals of reference atrial flutter are excluded from the test episodes
  (EC57: AFL is not AF, but calling it AF is not penalised).

Episodes shorter than ``min_duration_s`` (default 0, the standard's value) are
ignored. :func:`episodes_from_annotations` turns MIT-BIH rhythm aux notes
(``(AFIB``, ``(VFL``...) and ``[``/``]`` VF markers into episodes.

Like :mod:`ecgcore.benchmarks.ec57`, this is a transcription of the standard's
reference program; no maintained Python library implements it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple, Protocol

import numpy as np

from ecgcore.benchmarks.aami import rhythm_label

__all__ = [
    "AFL_CODES",
    "AF_CODES",
    "VF_CODES",
    "Episode",
    "EpisodeComparison",
    "af_episodes",
    "compare_episodes",
    "episodes_from_annotations",
    "summarize_episodes",
    "vf_episodes",
]

#: Rhythm codes (aux note without ``(``) counted as each episode type.
AF_CODES: Final[frozenset[str]] = frozenset({"AFIB"})
AFL_CODES: Final[frozenset[str]] = frozenset({"AFL"})
VF_CODES: Final[frozenset[str]] = frozenset({"VF", "VFL", "VFIB"})


_EPS = 1e-9  # seconds; below this, a float overlap is round-off


class Episode(NamedTuple):
    """A rhythm episode: start and end in seconds from the record start."""

    start_s: float
    end_s: float


class AnnotationLike(Protocol):
    """What :func:`episodes_from_annotations` needs from an annotation set."""

    sample: np.ndarray
    symbol: Sequence[str]
    aux_note: Sequence[str]
    fs: float


def _merge(intervals: Iterable[tuple[float, float]]) -> tuple[Episode, ...]:
    out: list[list[float]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple(Episode(s, e) for s, e in out)


def episodes_from_annotations(
    annotations: AnnotationLike,
    codes: Iterable[str],
    *,
    record_end_s: float,
    vf_markers: bool = False,
) -> tuple[Episode, ...]:
    """Episodes of the given rhythm codes from MIT-BIH style annotations.

    An episode starts at a rhythm annotation whose code is in ``codes`` and
    ends at the next rhythm annotation whose code is not; an episode still open
    at the end lasts to ``record_end_s`` (or the last annotation if later).

    Parameters
    ----------
    annotations : Annotations
        Needs ``sample`` (sample indices), ``symbol``, ``aux_note`` and ``fs``.
    codes : iterable of str
        Rhythm codes without the ``(``, e.g. ``{"AFIB"}``.
    record_end_s : float
        Record duration in seconds.
    vf_markers : bool
        Also count ``[`` ... ``]`` (ventricular flutter/fibrillation on/off).

    Returns
    -------
    tuple of Episode
        Sorted, non-overlapping episodes in seconds.
    """
    wanted = frozenset(codes)
    fs = float(annotations.fs)
    samples = np.asarray(annotations.sample, dtype=np.int64)
    last_s = float(samples[-1]) / fs if samples.size else 0.0
    open_end = max(record_end_s, last_s)
    intervals: list[tuple[float, float]] = []
    rhythm_on: float | None = None
    vf_on: float | None = None
    for t, sym, aux in zip(
        samples.tolist(), annotations.symbol, annotations.aux_note, strict=True
    ):
        time_s = t / fs
        if vf_markers and sym == "[" and vf_on is None:
            vf_on = time_s
        elif vf_markers and sym == "]" and vf_on is not None:
            intervals.append((vf_on, time_s))
            vf_on = None
        code = rhythm_label(aux) if aux else None
        if code is None:
            continue
        if code in wanted:
            if rhythm_on is None:
                rhythm_on = time_s
        elif rhythm_on is not None:
            intervals.append((rhythm_on, time_s))
            rhythm_on = None
    if rhythm_on is not None:
        intervals.append((rhythm_on, open_end))
    if vf_on is not None:
        intervals.append((vf_on, open_end))
    return _merge(intervals)


def af_episodes(annotations: AnnotationLike, *, record_end_s: float) -> tuple[Episode, ...]:
    """Atrial fibrillation episodes (``(AFIB``)."""
    return episodes_from_annotations(annotations, AF_CODES, record_end_s=record_end_s)


def vf_episodes(annotations: AnnotationLike, *, record_end_s: float) -> tuple[Episode, ...]:
    """Ventricular flutter/fibrillation episodes (``(VF``, ``(VFL``, ``(VFIB``, ``[``...``]``)."""
    return episodes_from_annotations(
        annotations, VF_CODES, record_end_s=record_end_s, vf_markers=True
    )


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


@dataclass(frozen=True)
class EpisodeComparison:
    """Result of an EC57 episode comparison (one record, or summed).

    Attributes
    ----------
    ref_matched, ref_missed : int
        Reference episodes overlapped / not overlapped by a test episode.
    test_matched, test_false : int
        Test episodes overlapping / not overlapping a reference episode.
    ref_duration_s, test_duration_s : float
        Total duration of the counted reference / test episodes (s).
    ref_overlap_s, test_overlap_s : float
        Overlap found in the sensitivity / positive-predictivity pass (s).
    """

    ref_matched: int
    ref_missed: int
    test_matched: int
    test_false: int
    ref_duration_s: float
    test_duration_s: float
    ref_overlap_s: float
    test_overlap_s: float

    @property
    def episode_se(self) -> float:
        """Episode sensitivity, 0..1 (NaN without reference episodes)."""
        return _ratio(self.ref_matched, self.ref_matched + self.ref_missed)

    @property
    def episode_ppv(self) -> float:
        """Episode positive predictivity, 0..1 (NaN without test episodes)."""
        return _ratio(self.test_matched, self.test_matched + self.test_false)

    @property
    def duration_se(self) -> float:
        """Duration sensitivity: overlap / reference duration, 0..1."""
        return _ratio(self.ref_overlap_s, self.ref_duration_s)

    @property
    def duration_ppv(self) -> float:
        """Duration positive predictivity: overlap / test duration, 0..1."""
        return _ratio(self.test_overlap_s, self.test_duration_s)

    def stats(self) -> dict[str, float | int]:
        """Counts, durations and statistics as a flat dict."""
        return {
            "ref_matched": self.ref_matched,
            "ref_missed": self.ref_missed,
            "test_matched": self.test_matched,
            "test_false": self.test_false,
            "ref_duration_s": self.ref_duration_s,
            "test_duration_s": self.test_duration_s,
            "episode_se": self.episode_se,
            "episode_ppv": self.episode_ppv,
            "duration_se": self.duration_se,
            "duration_ppv": self.duration_ppv,
        }

    def __add__(self, other: EpisodeComparison) -> EpisodeComparison:
        """Gross statistics: counts and durations add."""
        if not isinstance(other, EpisodeComparison):
            return NotImplemented
        return EpisodeComparison(
            self.ref_matched + other.ref_matched,
            self.ref_missed + other.ref_missed,
            self.test_matched + other.test_matched,
            self.test_false + other.test_false,
            self.ref_duration_s + other.ref_duration_s,
            self.test_duration_s + other.test_duration_s,
            self.ref_overlap_s + other.ref_overlap_s,
            self.test_overlap_s + other.test_overlap_s,
        )


def _as_episodes(episodes: Iterable[tuple[float, float]], name: str) -> list[Episode]:
    out = []
    for k, (start, end) in enumerate(episodes):
        s, e = float(start), float(end)
        if not (math.isfinite(s) and math.isfinite(e)) or e < s:
            raise ValueError(f"{name}[{k}]: expected start_s <= end_s (finite), got ({s}, {e})")
        out.append(Episode(s, e))
    out.sort()
    return out


def _overlap(a: Episode, others: Sequence[Episode]) -> float:
    total = 0.0
    for b in others:
        lo, hi = max(a.start_s, b.start_s), min(a.end_s, b.end_s)
        if hi > lo:
            total += hi - lo
    return total


def _overlap_outside(
    window: Episode, others: Sequence[Episode], exclude: Sequence[Episode]
) -> float:
    """Overlap of ``window`` with ``others``, not counting time inside ``exclude``."""
    total = 0.0
    for b in others:
        seg = Episode(max(window.start_s, b.start_s), min(window.end_s, b.end_s))
        if seg.end_s > seg.start_s:
            total += seg.end_s - seg.start_s - _overlap(seg, exclude)
    return total


def _one_pass(
    episodes: list[Episode],
    others: list[Episode],
    *,
    start_s: float,
    end_s: float | None,
    exclude: list[Episode],
    min_duration_s: float,
) -> tuple[int, int, float, float]:
    matched = missed = 0
    duration_total = overlap_total = 0.0
    for ep in episodes:
        if ep.end_s < start_s:
            continue
        if end_s is not None and ep.start_s >= end_s:
            break
        window = Episode(
            max(ep.start_s, start_s), ep.end_s if end_s is None else min(ep.end_s, end_s)
        )
        excluded = _overlap(window, exclude)
        duration = window.end_s - window.start_s - excluded
        if duration <= _EPS and excluded > 0.0:
            continue  # wholly inside an exclusion
        if duration < min_duration_s:
            continue
        duration_total += duration
        overlap = _overlap_outside(window, others, exclude)
        if overlap > _EPS:
            matched += 1
            overlap_total += overlap
        else:
            missed += 1
    return matched, missed, duration_total, overlap_total


def compare_episodes(
    ref_episodes: Iterable[tuple[float, float]],
    test_episodes: Iterable[tuple[float, float]],
    *,
    start_s: float = 300.0,
    end_s: float | None = None,
    exclude_from_ppv: Iterable[tuple[float, float]] = (),
    min_duration_s: float = 0.0,
) -> EpisodeComparison:
    """Compare test episodes with reference episodes (EC57 ``epicmp`` rules).

    Parameters
    ----------
    ref_episodes, test_episodes : iterable of (start_s, end_s)
        Episodes in seconds.
    start_s : float
        Start of the test period in seconds (EC57: 300 s); episodes are clipped to it.
    end_s : float or None
        End of the test period in seconds (None: no limit).
    exclude_from_ppv : iterable of (start_s, end_s)
        Intervals removed from the test episodes in the positive-predictivity
        pass: for AF, the reference atrial-flutter episodes.
    min_duration_s : float
        Ignore episodes shorter than this (EC57 default: 0).
    """
    if start_s < 0:
        raise ValueError(f"start_s: expected >= 0 s, got {start_s!r}")
    if end_s is not None and end_s < start_s:
        raise ValueError(f"end_s: expected >= start_s ({start_s} s), got {end_s!r}")
    ref = _as_episodes(ref_episodes, "ref_episodes")
    test = _as_episodes(test_episodes, "test_episodes")
    excl = list(_merge(_as_episodes(exclude_from_ppv, "exclude_from_ppv")))
    se = _one_pass(
        ref, test, start_s=start_s, end_s=end_s, exclude=[], min_duration_s=min_duration_s
    )
    pp = _one_pass(
        test, ref, start_s=start_s, end_s=end_s, exclude=excl, min_duration_s=min_duration_s
    )
    return EpisodeComparison(
        ref_matched=se[0],
        ref_missed=se[1],
        test_matched=pp[0],
        test_false=pp[1],
        ref_duration_s=se[2],
        test_duration_s=pp[2],
        ref_overlap_s=se[3],
        test_overlap_s=pp[3],
    )


def summarize_episodes(per_record: Mapping[str, EpisodeComparison]) -> dict[str, float]:
    """Gross (summed) and average (mean of per-record) episode statistics."""
    if not per_record:
        raise ValueError("per_record: expected at least one record comparison")
    comps = list(per_record.values())
    gross = sum(comps[1:], comps[0])
    out: dict[str, float] = {f"gross_{k}": float(v) for k, v in gross.stats().items()}
    for key in ("episode_se", "episode_ppv", "duration_se", "duration_ppv"):
        vals = [getattr(c, key) for c in comps if not math.isnan(getattr(c, key))]
        out[f"average_{key}"] = float(np.mean(vals)) if vals else math.nan
    return out
