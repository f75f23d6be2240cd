"""Rhythm of each beat, and episodes painted from beats and waveform segments.

Two sources describe the rhythm:

* beats (:class:`BeatRhythm`): each beat ``k`` labels the interval
  ``[t_k, t_{k+1})`` from its own class and the beats around it (at most
  ``lookahead_s`` ahead): ventricular runs (``VT`` above 100 bpm, ``IVR``
  otherwise), ``AFIB``, atrial flutter (``AFL``, set by the analyzer from
  :mod:`ecgcore.rhythm.flutter`), ventricular ``B``igeminy and ``T``rigeminy,
  supraventricular runs (``SVTA``), sinus rhythm by rate (``N``, ``SBR``
  below 60 bpm, ``STACH`` above 100 bpm, with 2 bpm hysteresis), and gaps
  (``PAUSE`` when the next beat comes after ``pause_s``, ``ASYS`` after
  ``asystole_s``);
* 1 s waveform segments: missing samples and unreadable signal (``NOISE``),
  ventricular flutter/fibrillation (``VFL``/``VF``, from the R-peak-free
  detector of :mod:`ecgcore.rhythm.vf`).

:func:`paint` combines them over a time span with a fixed priority (missing
signal, then VF/VFL, then noise, then the beat rhythm) and
:class:`EpisodeBuilder` merges the painted pieces into episodes. A
disorganised VF-like waveform (``VF``) is fibrillation whatever beats the
detector finds in it, and so is the rest of a run of VF-like segments once it
has been (ventricular tachycardia degenerates into fibrillation, not the other
way round within one run). An organised one (``VFL``, regular by the waveform)
is flutter or a fast ventricular tachycardia, and what tells them apart is
whether distinct ventricular complexes are seen: the segment is ``VT`` when
every beat interval in it is ventricular tachycardia by the beats (a run of
three or more ventricular beats above 100 bpm, or a fast, steady, monomorphic
rhythm). The whole segment is decided at once, so a burst of flutter in which the detector
finds a short run is not split into VT and VFL pieces. Every decision depends
on data up to a fixed distance ahead, so a stream and a whole record give the
same episodes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np

__all__ = [
    "RHYTHM_CODES",
    "BeatRhythm",
    "Episode",
    "EpisodeBuilder",
    "Segment",
    "paint",
]

#: Rhythm codes produced (MIT-BIH aux-note vocabulary, without the ``(``).
RHYTHM_CODES: Final[tuple[str, ...]] = (
    "N",
    "SBR",
    "STACH",
    "AFIB",
    "AFL",
    "SVTA",
    "B",
    "T",
    "VT",
    "IVR",
    "VFL",
    "VF",
    "PAUSE",
    "ASYS",
    "P",
    "NOISE",
)


class Episode(NamedTuple):
    """A rhythm episode ``[start_idx, end_idx)`` in samples."""

    rhythm: str
    start_idx: int
    end_idx: int

    def start_s(self, fs: float) -> float:
        """Start in seconds."""
        return self.start_idx / fs

    def end_s(self, fs: float) -> float:
        """End in seconds."""
        return self.end_idx / fs


class Segment(NamedTuple):
    """Waveform verdict of one analysis segment ``[start_idx, end_idx)``."""

    start_idx: int
    end_idx: int
    missing: bool
    noise: bool
    vf: str | None  # "VF", "VFL" or None
    #: An earlier segment of the same run of VF-like segments was disorganised (``VF``).
    fibrillated: bool = False


@dataclass
class BeatRhythm:
    """Sequential rhythm labelling of final beats (state: sinus-rate hysteresis).

    Parameters
    ----------
    fs : float
        Sampling rate (Hz).
    pause_s, asystole_s : float
        Gap thresholds (s).
    lookahead_s : float
        How far after a beat its label may look (s).
    """

    fs: float
    pause_s: float = 2.0
    asystole_s: float = 4.0
    lookahead_s: float = 5.0
    _sinus: str = "N"

    def reset(self) -> None:
        """Forget the hysteresis state."""
        self._sinus = "N"

    def _sinus_code(self, rate_bpm: float) -> str:
        s = self._sinus
        if np.isnan(rate_bpm):
            return s
        if s == "SBR":
            s = "SBR" if rate_bpm <= 62.0 else "N"
        elif s == "STACH":
            s = "STACH" if rate_bpm >= 98.0 else "N"
        if s == "N":
            if rate_bpm < 60.0:
                s = "SBR"
            elif rate_bpm > 100.0:
                s = "STACH"
        self._sinus = s
        return s

    def label(
        self,
        k: int,
        t: np.ndarray,
        *,
        cls: np.ndarray,
        af: np.ndarray,
        regular: np.ndarray,
        horizon: int,
    ) -> tuple[str, bool]:
        """Rhythm label of the interval starting at beat ``k``.

        Parameters
        ----------
        k : int
            Position of the beat in the arrays.
        t : ndarray of int
            Beat sample indices (every beat up to ``lookahead_s`` after beat
            ``k`` must be present; later ones are ignored).
        cls : ndarray of str
            AAMI class of each beat (V and S used).
        af : ndarray of bool
            AF decision of each beat (only ``af[k]`` is used).
        regular : ndarray of bool
            Beat resembles the previous one (for regular ventricular runs).
        horizon : int
            Sample up to which every beat is known (the end of the data, or at
            least ``lookahead_s`` after beat ``k``).

        Returns
        -------
        (code, regular_vt)
            The code, and whether the rhythm there is a fast regular
            monomorphic one (a regular ventricular run, or above 100 bpm with
            steady intervals and alike beats within 2 s). Like a ``VT`` code,
            it marks the interval as ventricular tachycardia for
            :func:`paint`.
        """
        fs = self.fs
        hi = int(np.searchsorted(t, t[k] + self.lookahead_s * fs, side="right"))
        lo = int(np.searchsorted(t, t[k] - 12.0 * fs))
        is_v = cls[lo:hi] == "V"
        kk = k - lo
        # gap after the beat (to the end of the data when no beat follows)
        has_next = k + 1 < hi
        gap = (t[k + 1] - t[k]) / fs if has_next else (horizon - t[k]) / fs
        code: str | None = None
        regular_vt = False
        if is_v[kk]:
            a = kk
            while a > 0 and is_v[a - 1]:
                a -= 1
            b = kk
            while b + 1 < is_v.size and is_v[b + 1]:
                b += 1
            if b - a + 1 >= 3:
                run_t = t[lo + a : lo + b + 1]
                rr = np.diff(run_t) / fs
                rate = 60.0 / np.median(rr)
                code = "VT" if rate > 100.0 else "IVR"
                cv = np.std(rr) / np.mean(rr)
                regular_vt = bool(cv < 0.2 and np.mean(regular[lo + a + 1 : lo + b + 1]) >= 0.8)
        if not regular_vt:
            # fast, steady and monomorphic around the beat, whatever its class:
            # inside a VF-like segment this is ventricular tachycardia
            near = slice(
                int(np.searchsorted(t, t[k] - 2.0 * fs)),
                min(int(np.searchsorted(t, t[k] + 2.0 * fs, side="right")), hi),
            )
            tn = t[near]
            if tn.size >= 4:
                rr = np.diff(tn) / fs
                regular_vt = bool(
                    60.0 / np.median(rr) > 100.0
                    and np.std(rr) / np.mean(rr) < 0.15
                    and np.mean(regular[near][1:]) >= 0.8
                )
        if code is None and af[k]:
            code = "AFIB"
        if code is None:
            code = self._pattern(is_v, kk)
        if code is None and cls[k] == "S":
            a = kk
            s = cls[lo:hi] == "S"
            while a > 0 and s[a - 1]:
                a -= 1
            b = kk
            while b + 1 < s.size and s[b + 1]:
                b += 1
            if b - a + 1 >= 3:
                rr = np.diff(t[lo + a : lo + b + 1]) / fs
                if 60.0 / np.median(rr) > 100.0:
                    code = "SVTA"
        if code is None:
            rr_all = np.diff(t[lo:hi]) / fs
            near = (t[lo + 1 : hi] >= t[k] - 5.0 * fs) & ~is_v[1:] & ~is_v[:-1]
            usable = rr_all[near & (rr_all < self.pause_s)]
            bpm = float(60.0 / np.median(usable)) if usable.size >= 2 else float("nan")
            code = self._sinus_code(bpm)
        if gap > self.asystole_s:
            code = "ASYS"
        elif has_next and gap > self.pause_s:
            code = "PAUSE"
        return code, regular_vt

    @staticmethod
    def _pattern(is_v: np.ndarray, kk: int) -> str | None:
        """``B`` or ``T`` when beat ``kk`` lies in a bigeminal/trigeminal stretch."""
        n = is_v.size
        for period, code in ((2, "B"), (3, "T")):
            span = 2 * period + 1  # three ectopic beats and the beats between
            for start in range(max(0, kk - span + 1), min(kk, n - span) + 1):
                pattern = is_v[start : start + span]
                ectopic = np.zeros(span, dtype=bool)
                ectopic[::period] = True
                if np.array_equal(pattern, ectopic):
                    return code
        return None


def paint(
    start_idx: int,
    end_idx: int,
    *,
    beat_t: Sequence[int],
    beat_code: Sequence[str],
    beat_regular_vt: Sequence[bool],
    lead_code: str,
    segments: Sequence[Segment],
) -> list[Episode]:
    """Rhythm pieces covering ``[start_idx, end_idx)``.

    Parameters
    ----------
    start_idx, end_idx : int
        Span to paint (samples).
    beat_t, beat_code, beat_regular_vt : sequences
        Beats whose intervals overlap the span, in order: beat ``k`` labels
        ``[beat_t[k], beat_t[k + 1])`` (the last one to ``end_idx``).
    lead_code : str
        Code of the part of the span before the first beat given.
    segments : sequence of Segment
        Waveform segments covering the span, in order.

    Returns
    -------
    list of Episode
        Consecutive pieces (adjacent equal codes merged).

    Notes
    -----
    A flutter-like segment (``vf`` is ``"VFL"``, not ``fibrillated``) is
    ``VT`` when every beat interval covering its part inside the span has the
    code ``VT`` or ``beat_regular_vt`` set (and a beat precedes it); otherwise,
    and for a ``"VF"`` segment, it is its ``vf`` code throughout. A caller that
    paints a stream piecewise paints such a segment in one call, once every
    beat inside it is final (as :class:`~ecgcore.rhythm.RhythmAnalyzer` does),
    so that the verdict does not depend on the chunking.
    """
    cuts = {start_idx, end_idx}
    cuts.update(int(b) for b in beat_t if start_idx < b < end_idx)
    for segment in segments:
        for c in (segment.start_idx, segment.end_idx):
            if start_idx < c < end_idx:
                cuts.add(int(c))
    points = sorted(cuts)
    bt = np.asarray(beat_t, dtype=np.int64)
    vt_like = np.asarray(
        [c == "VT" or bool(r) for c, r in zip(beat_code, beat_regular_vt, strict=True)],
        dtype=bool,
    )
    seg_starts = np.asarray([s.start_idx for s in segments], dtype=np.int64)

    def vt_throughout(seg: Segment) -> bool:
        k0 = int(np.searchsorted(bt, max(seg.start_idx, start_idx), side="right")) - 1
        k1 = int(np.searchsorted(bt, min(seg.end_idx, end_idx), side="left"))
        return k0 >= 0 and bool(vt_like[k0:k1].all())

    seg_code = [
        "VT" if s.vf == "VFL" and not s.fibrillated and vt_throughout(s) else s.vf
        for s in segments
    ]
    out: list[Episode] = []
    for p, q in itertools.pairwise(points):
        k = int(np.searchsorted(bt, p, side="right")) - 1
        base = lead_code if k < 0 else beat_code[k]
        j = int(np.searchsorted(seg_starts, p, side="right")) - 1
        seg = segments[j] if j >= 0 else None
        code = base
        if seg is not None:
            vf_code = seg_code[j]
            if seg.missing:
                code = "NOISE"
            elif vf_code is not None:
                code = vf_code
            elif seg.noise:
                code = "NOISE"
        if out and out[-1].rhythm == code and out[-1].end_idx == p:
            out[-1] = Episode(code, out[-1].start_idx, q)
        else:
            out.append(Episode(code, p, q))
    return out


class EpisodeBuilder:
    """Merges consecutive painted pieces into episodes."""

    def __init__(self) -> None:
        self.closed: list[Episode] = []
        self.current: Episode | None = None

    def extend(self, pieces: Sequence[Episode]) -> list[Episode]:
        """Add pieces (in time order); return the episodes they closed."""
        done: list[Episode] = []
        for piece in pieces:
            if piece.end_idx <= piece.start_idx:
                continue
            cur = self.current
            if cur is not None and cur.rhythm == piece.rhythm and cur.end_idx == piece.start_idx:
                self.current = Episode(cur.rhythm, cur.start_idx, piece.end_idx)
                continue
            if cur is not None:
                self.closed.append(cur)
                done.append(cur)
            self.current = piece
        return done

    def close(self) -> list[Episode]:
        """End of data: close the open episode."""
        if self.current is None:
            return []
        cur = self.current
        self.closed.append(cur)
        self.current = None
        return [cur]
