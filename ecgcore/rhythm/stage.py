"""Rhythm analysis as a stage of the live pipeline (:class:`ecgcore.stream.LivePipeline`).

:class:`RhythmStage` follows the pipeline's stage protocol: ``process(data)``
with the block's samples (a :class:`~ecgcore.stream.pipeline.StageInput`) and
``finish()``, each returning events. It runs a :class:`RhythmAnalyzer` on one
lead (II by default) with its own R-peak detector, treats lead-off samples as
missing, and reports on the device's sample counter:

* :class:`BeatClassEvent`: a beat's AAMI class, final about 4-6 s after it;
* :class:`RhythmEpisodeEvent`: a rhythm episode that closed (about 9 s after
  its end at most);
* :class:`RhythmAlarmEvent`: VF/VFL, VT, asystole, pause (within 10 s of onset).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from ecgcore.rhythm.alarms import Alarm
from ecgcore.rhythm.analyzer import RhythmAnalyzer, RhythmConfig, RhythmUpdate

__all__ = ["BeatClassEvent", "RhythmAlarmEvent", "RhythmEpisodeEvent", "RhythmStage"]

#: Leads tried, in order, when none is given.
LEAD_PREFERENCE: Final = ("II", "MLII", "ECG", "I", "V5", "V1")


@dataclass(frozen=True)
class BeatClassEvent:
    """A beat and its AAMI class (``N``, ``S``, ``V``, ``F``, ``Q``)."""

    sample: int
    aami: str


@dataclass(frozen=True)
class RhythmEpisodeEvent:
    """A closed rhythm episode ``[sample, end_sample)`` (device sample counter)."""

    sample: int
    end_sample: int
    rhythm: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class RhythmAlarmEvent:
    """An alarm; ``sample`` is its onset on the device sample counter."""

    sample: int
    alarm: Alarm


class RhythmStage:
    """Beat classes, rhythm episodes and alarms of one lead in the live pipeline.

    Parameters
    ----------
    lead : str or int, optional
        Lead name or column; the first of :data:`LEAD_PREFERENCE` present by default.
    config : RhythmConfig, optional
        Analysis settings.
    """

    def __init__(self, *, lead: str | int | None = None, config: RhythmConfig | None = None):
        self.lead = lead
        self.config = config
        self._analyzer: RhythmAnalyzer | None = None
        self._origin = 0
        self._column = 0

    def _setup(self, data: Any) -> RhythmAnalyzer:
        names = tuple(data.lead_names)
        if isinstance(self.lead, int):
            if not 0 <= self.lead < len(names):
                raise ValueError(f"lead {self.lead} out of range for {len(names)} leads")
            self._column = self.lead
        elif isinstance(self.lead, str):
            if self.lead not in names:
                raise ValueError(f"lead {self.lead!r} not among {names}")
            self._column = names.index(self.lead)
        else:
            upper = [n.upper() for n in names]
            pref = [p for p in LEAD_PREFERENCE if p.upper() in upper]
            self._column = upper.index(pref[0].upper()) if pref else 0
        self._origin = int(data.first_sample)
        return RhythmAnalyzer(data.fs, config=self.config)

    def _events(self, update: RhythmUpdate, fs: float) -> list[Any]:
        o = self._origin
        out: list[Any] = [BeatClassEvent(o + b.sample, b.aami) for b in update.beats]
        for e in update.episodes:
            s0, s1 = e.start_s(fs), e.end_s(fs)
            out.append(RhythmEpisodeEvent(o + e.start_idx, o + e.end_idx, e.rhythm, s0, s1))
        out += [RhythmAlarmEvent(o + round(a.onset_s * fs), a) for a in update.alarms]
        return out

    def process(self, data: Any) -> list[Any]:
        """Analyse one block; return the events it made final."""
        if self._analyzer is None:
            if data.mv.shape[0] == 0:
                return []
            self._analyzer = self._setup(data)
        x = np.array(data.mv[:, self._column], dtype=np.float64)
        if data.lead_off is not None:
            x[np.asarray(data.lead_off)[:, self._column]] = np.nan
        return self._events(self._analyzer.process(x), data.fs)

    def finish(self) -> list[Any]:
        """End of stream: the remaining beats and episodes."""
        if self._analyzer is None:
            return []
        return self._events(self._analyzer.finish(), self._analyzer.fs)
