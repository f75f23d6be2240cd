"""Rhythm analysis as a stage of the live pipeline (:class:`ecgcore.stream.LivePipeline`).

:class:`RhythmStage` follows the pipeline's stage protocol: ``process(data)``
with the block's samples (a :class:`~ecgcore.stream.pipeline.StageInput`) and
``finish()``, each returning events. It runs a
:class:`~ecgcore.rhythm.analyzer.RhythmAnalyzer` on one lead, treating lead-off
samples as missing. By default that lead is the pipeline's detection lead and
the analyzer takes the pipeline's own R-peaks (one detector for the display,
the heart rate and the rhythm); on another lead, or when the pipeline detects
on a combination of leads, the stage runs its own detector on its lead. Either
way its beats and episodes are those of :func:`~ecgcore.rhythm.analyze_rhythm`
on the same samples, whatever the chunking.

Events, on the device's sample counter:

* :class:`BeatClassEvent`: a beat's AAMI class, final about 3.5-6 s after it;
* :class:`RhythmEpisodeEvent`: a rhythm episode that closed;
* :class:`RhythmLabelEvent`: the rhythm now (the latest analysed episode) changed;
* :class:`RhythmAlarmEvent`: an alarm (VF/VFL, VT, asystole, pause) raised or
  cleared.

Alarms latch, as on a bedside monitor: a raised alarm stays active until the
analysed episodes show, from ``clear_grace_s`` after its onset on, a rhythm
that is not the alarm's (:data:`~ecgcore.rhythm.alarms.ALARM_RHYTHMS`); it is
then cleared at the start of that rhythm. Raising and clearing are logged on
the ``ecgcore`` logger.

:class:`RhythmStatus` is the display side: fed the pipeline's events, it keeps
the rhythm label and the active alarms a monitor shows (``ecg monitor``, the
web station).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from ecgcore.rhythm.af import AFModel
from ecgcore.rhythm.alarms import ALARM_KINDS, ALARM_RHYTHMS, NO_RATE_ALARMS
from ecgcore.rhythm.analyzer import RhythmAnalyzer, RhythmConfig, RhythmUpdate
from ecgcore.rhythm.beats import BeatClassifier
from ecgcore.rhythm.episodes import Episode
from ecgcore.rhythm.paced import pacing_detector
from ecgcore.rhythm.trees import TreeModel
from ecgcore.rhythm.vf import VFModel

__all__ = [
    "ALARM_CLEAR_GRACE_S",
    "LEAD_PREFERENCE",
    "RHYTHM_NAMES",
    "BeatClassEvent",
    "RhythmAlarmEvent",
    "RhythmEpisodeEvent",
    "RhythmLabelEvent",
    "RhythmStage",
    "RhythmStatus",
    "live_rhythm_stages",
]

logger = logging.getLogger("ecgcore")

#: Leads tried, in order, when neither a lead nor the pipeline's detection lead is known.
LEAD_PREFERENCE: Final = ("II", "MLII", "ECG", "I", "V5", "V1")

#: Readable names of the rhythm codes (MIT-BIH aux-note vocabulary).
RHYTHM_NAMES: Final = {
    "N": "sinus rhythm", "SBR": "sinus bradycardia", "STACH": "sinus tachycardia",
    "AFIB": "atrial fibrillation", "AFL": "atrial flutter",
    "SVTA": "supraventricular tachyarrhythmia", "B": "ventricular bigeminy",
    "T": "ventricular trigeminy", "VT": "ventricular tachycardia",
    "IVR": "idioventricular rhythm", "VFL": "ventricular flutter",
    "VF": "ventricular fibrillation", "PAUSE": "pause", "ASYS": "asystole",
    "P": "paced rhythm", "NOISE": "noise",
}  # fmt: skip

#: Seconds after an alarm's onset during which other rhythms do not clear it:
#: the episodes may place the start of the alarm's rhythm a beat or a 1 s
#: segment away from the alarm's onset.
ALARM_CLEAR_GRACE_S: Final = 2.0

#: Seconds of closed episodes kept to decide the clearing of alarms raised late.
_KEEP_EPISODES_S = 60.0


@dataclass(frozen=True)
class BeatClassEvent:
    """A beat and its AAMI class (``N``, ``S``, ``V``, ``F``, ``Q``)."""

    sample: int
    aami: str


@dataclass(frozen=True)
class RhythmEpisodeEvent:
    """A closed rhythm episode ``[sample, end_sample)`` (device sample counter).

    ``rhythm`` is the MIT-BIH code (``N``, ``AFIB``, ``VT``, ...); ``start_s``
    and ``end_s`` are seconds from the start of the stream.
    """

    sample: int
    end_sample: int
    rhythm: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class RhythmLabelEvent:
    """The rhythm now changed: an episode of ``rhythm`` (code) began at ``sample``.

    ``label`` is its readable name (:data:`RHYTHM_NAMES`).
    """

    sample: int
    rhythm: str
    label: str


@dataclass(frozen=True)
class RhythmAlarmEvent:
    """An alarm raised (``active``) or cleared.

    Attributes
    ----------
    sample : int
        Raised: the onset. Cleared: where the alarm's rhythm ended.
    alarm : str
        Kind, one of :data:`~ecgcore.rhythm.alarms.ALARM_KINDS`.
    active : bool
        True when raised, False when cleared.
    message : str
        Human-readable summary.
    onset_sample : int
        Onset of the alarm's condition (device sample counter).
    decided_sample : int
        Stream position when raised or cleared (device sample counter).
    onset_s, decided_s : float
        The same, seconds from the start of the stream; for a raised alarm
        ``decided_s - onset_s`` is the alarm delay.
    """

    sample: int
    alarm: str
    active: bool
    message: str
    onset_sample: int
    decided_sample: int
    onset_s: float
    decided_s: float

    @property
    def delay_s(self) -> float:
        """Seconds from the onset to the decision (the alarm delay when raised)."""
        return self.decided_s - self.onset_s


def _choose_column(names: tuple[str, ...], lead: str | int | None, detection: str | None) -> int:
    if isinstance(lead, int):
        if not 0 <= lead < len(names):
            raise ValueError(f"lead {lead} out of range for {len(names)} leads")
        return lead
    if isinstance(lead, str):
        if lead not in names:
            raise ValueError(f"lead {lead!r} not among {names}")
        return names.index(lead)
    if detection in names:
        return names.index(detection)
    upper = [n.upper() for n in names]
    pref = [p for p in LEAD_PREFERENCE if p.upper() in upper]
    return upper.index(pref[0].upper()) if pref else 0


def _columns_mv(data: Any, cols: int | list[int]) -> np.ndarray:
    """Columns ``cols`` of a block in mV, lead-off samples set to NaN (missing)."""
    x = np.array(data.mv[:, cols], dtype=np.float64)
    if data.lead_off is not None:
        x[np.asarray(data.lead_off)[:, cols]] = np.nan
    return x


class RhythmStage:
    """Beat classes, rhythm episodes, the rhythm label and alarms in the live pipeline.

    Parameters
    ----------
    lead : str or int, optional
        Lead name or column. Default: the pipeline's detection lead (with its
        R-peaks), else the first of :data:`LEAD_PREFERENCE` present.
    config : RhythmConfig, optional
        Analysis settings.
    clear_grace_s : float
        See :data:`ALARM_CLEAR_GRACE_S` (seconds).
    beat_classifier, af_model, vf_model : optional
        Models of the analyzer (the shipped ones by default).
    """

    def __init__(
        self,
        *,
        lead: str | int | None = None,
        config: RhythmConfig | None = None,
        clear_grace_s: float = ALARM_CLEAR_GRACE_S,
        beat_classifier: BeatClassifier | None = None,
        af_model: AFModel | None = None,
        vf_model: VFModel | TreeModel | None = None,
    ) -> None:
        if not clear_grace_s >= 0:
            raise ValueError(f"clear_grace_s must be >= 0 s, got {clear_grace_s!r}")
        self.lead = lead
        self.config = config
        self.clear_grace_s = float(clear_grace_s)
        self.beat_classifier = beat_classifier
        self.af_model = af_model
        self.vf_model = vf_model
        self.reset()

    def reset(self) -> None:
        """Forget the stream (the next block starts a new one)."""
        self.analyzer: RhythmAnalyzer | None = None
        self.lead_name: str | None = None
        self.own_detector = False
        self._origin = 0
        self._column = 0
        self._active: dict[str, RhythmAlarmEvent] = {}
        self._label: str | None = None
        self._closed: deque[Episode] = deque()
        self._pacer: Any = None  # PacingSpikeDetector over the independent leads
        self._pace_cols: list[int] = []

    @property
    def active_alarms(self) -> dict[str, RhythmAlarmEvent]:
        """Alarm kind -> the event that raised it, for the alarms active now."""
        return dict(self._active)

    def _setup(self, data: Any) -> RhythmAnalyzer:
        names = tuple(data.lead_names)
        detection = getattr(data, "detection_lead", None)
        self._column = _choose_column(names, self.lead, detection)
        self.lead_name = names[self._column]
        self.own_detector = self.lead_name != detection
        self._origin = int(data.first_sample)
        source = "its own detector" if self.own_detector else "the pipeline's detector"
        logger.info("rhythm analysis on lead %s, R-peaks from %s", self.lead_name, source)
        pacing = pacing_detector(data.fs, names)
        if pacing is not None:
            self._pacer, self._pace_cols = pacing
        return RhythmAnalyzer(
            data.fs, config=self.config, detect=self.own_detector,
            beat_classifier=self.beat_classifier, af_model=self.af_model, vf_model=self.vf_model,
        )  # fmt: skip

    def process(self, data: Any) -> list[Any]:
        """Analyse one block; return the events it made final."""
        if self.analyzer is None:
            self.analyzer = self._setup(data)
        n = data.mv.shape[0]
        spikes = self._spikes(data)
        if self.own_detector:
            if n == 0 and spikes.size == 0:
                return []
            return self._events(self.analyzer.process(self._lead(data), pace_idx=spikes))
        peaks = np.asarray(data.peaks, dtype=np.int64) - self._origin
        if n == 0 and peaks.size == 0 and spikes.size == 0:
            return []
        return self._events(self.analyzer.process(self._lead(data), peaks, spikes))

    def finish(self) -> list[Any]:
        """End of stream: the remaining beats, episodes and alarms."""
        if self.analyzer is None:
            return []
        events: list[Any] = []
        if self._pacer is not None:
            rest = self._pacer.finish().spike_idx
            if rest.size:
                events += self._events(self.analyzer.process(np.zeros(0), pace_idx=rest))
        return events + self._events(self.analyzer.finish())

    def _spikes(self, data: Any) -> np.ndarray:
        """Pacing spikes confirmed with this block (stream samples from 0)."""
        if self._pacer is None or data.mv.shape[0] == 0:
            return np.zeros(0, dtype=np.int64)
        return self._pacer.process(_columns_mv(data, self._pace_cols)).spike_idx

    def _lead(self, data: Any) -> np.ndarray:
        return _columns_mv(data, self._column)

    # ---------------------------------------------------------------- events
    def _events(self, update: RhythmUpdate) -> list[Any]:
        assert self.analyzer is not None
        fs, o = self.analyzer.fs, self._origin
        now = self.analyzer.n_samples
        out: list[Any] = [BeatClassEvent(o + b.sample, b.aami) for b in update.beats]
        for a in update.alarms:
            onset = round(a.onset_s * fs)
            if a.kind in self._active:
                logger.info("alarm %s again at %.1f s (still raised)", a.kind, a.onset_s)
                continue
            ev = RhythmAlarmEvent(
                o + onset, a.kind, True, a.message, o + onset, o + now, onset / fs, now / fs
            )
            self._active[a.kind] = ev
            logger.warning(
                "ALARM %s raised: %s; onset %.1f s, raised at %.1f s",
                a.kind, a.message, ev.onset_s, ev.decided_s,
            )  # fmt: skip
            out.append(ev)
        for e in update.episodes:
            out.append(RhythmEpisodeEvent(o + e.start_idx, o + e.end_idx, e.rhythm,
                                          e.start_idx / fs, e.end_idx / fs))  # fmt: skip
            self._closed.append(e)
        while self._closed and self._closed[0].end_idx < now - round(_KEEP_EPISODES_S * fs):
            self._closed.popleft()
        painted = [*self._closed, *([update.current] if update.current is not None else [])]
        out += self._clear_alarms(painted, now)
        if painted and painted[-1].rhythm != self._label:
            last = painted[-1]
            self._label = last.rhythm
            label = RHYTHM_NAMES.get(last.rhythm, last.rhythm)
            logger.info("rhythm: %s from %.1f s", label, last.start_idx / fs)
            out.append(RhythmLabelEvent(o + last.start_idx, last.rhythm, label))
        return out

    def _clear_alarms(self, painted: list[Episode], now: int) -> list[RhythmAlarmEvent]:
        """Clear the alarms whose rhythm the episodes show has ended."""
        assert self.analyzer is not None
        fs, o = self.analyzer.fs, self._origin
        grace = round(self.clear_grace_s * fs)
        out = []
        for kind, raised in list(self._active.items()):
            after = raised.onset_sample - o + grace
            for ep in painted:
                if ep.rhythm in ALARM_RHYTHMS.get(kind, ()):
                    continue
                start = max(ep.start_idx, after)
                if start < ep.end_idx:
                    del self._active[kind]
                    name = ALARM_KINDS.get(kind, kind)
                    message = f"{name} ended ({RHYTHM_NAMES.get(ep.rhythm, ep.rhythm)})"
                    ev = RhythmAlarmEvent(
                        o + start, kind, False, message, raised.onset_sample, o + now,
                        raised.onset_s, now / fs,
                    )  # fmt: skip
                    logger.warning(
                        "ALARM %s cleared: %s at %.1f s (onset %.1f s)",
                        kind, message, start / fs, raised.onset_s,
                    )  # fmt: skip
                    out.append(ev)
                    break
        return out


def live_rhythm_stages(
    fs: float, *, lead: str | int | None = None, config: RhythmConfig | None = None
) -> tuple[RhythmStage, ...]:
    """The rhythm stage for a live pipeline at ``fs``, or none (logged) if it cannot run.

    Parameters
    ----------
    fs : float
        Sampling rate of the device, Hz (the analysis needs 100-2000 Hz).
    lead, config
        As for :class:`RhythmStage`.
    """
    if not 100.0 <= float(fs) <= 2000.0:
        logger.warning("no live rhythm analysis at %g Hz (it needs 100-2000 Hz)", fs)
        return ()
    return (RhythmStage(lead=lead, config=config),)


class RhythmStatus:
    """What a monitor shows of the rhythm: the rhythm label and the active alarms.

    Feed it every pipeline event with :meth:`feed`. It reads the events of
    :class:`RhythmStage` and, from any other stage, events by their fields: an
    ``alarm`` (str kind) with ``active`` (bool) and ``message`` raises or clears
    that alarm; a ``rhythm`` (str) sets the label shown.
    """

    def __init__(self) -> None:
        self.label: str | None = None
        self.alarms: dict[str, Any] = {}  # kind -> the event that raised it

    def feed(self, event: Any) -> bool:
        """Take one event; True when it changed the rhythm label or the alarms."""
        if isinstance(event, (BeatClassEvent, RhythmEpisodeEvent)):
            return False
        if isinstance(event, RhythmLabelEvent):
            self.label = event.label
            return True
        changed = False
        label = getattr(event, "rhythm", None)
        if isinstance(label, str):
            self.label = label
            changed = True
        kind = getattr(event, "alarm", None)
        if isinstance(kind, str):
            if bool(getattr(event, "active", True)):
                self.alarms[kind] = event
            else:
                self.alarms.pop(kind, None)
            changed = True
        return changed

    def active_alarms(self) -> list[str]:
        """Kinds of the active alarms, gravest first (:data:`ALARM_KINDS` order)."""
        order = list(ALARM_KINDS)
        return sorted(self.alarms, key=lambda k: order.index(k) if k in order else len(order))

    def rate_blanked(self) -> bool:
        """True while an alarm of :data:`NO_RATE_ALARMS` (VF/VFL, asystole) is active.

        No heart rate is shown then: there is no organised QRS to count.
        """
        return any(kind in NO_RATE_ALARMS for kind in self.alarms)

    def shown_rhythm(self) -> str | None:
        """The rhythm to show: the gravest active alarm's, else the latest label.

        Episode labels become final seconds after the beats (the analysis looks
        ahead); alarms come sooner, so while one is raised its rhythm is shown.
        """
        for kind in self.active_alarms():
            if kind in ALARM_RHYTHMS:
                return RHYTHM_NAMES[ALARM_RHYTHMS[kind][0]]
        return self.label
