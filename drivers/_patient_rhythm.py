"""Rhythms of the simulated patient: which beat happens when.

A rhythm *schedule* is a list of episodes (``sinus`` for 20 s, then ``vf``,
...). :class:`BeatScheduler` walks it and produces beats one after the other
from one random stream, so the beat sequence is the same however far ahead it
is asked for (chunked generation equals whole-record generation).

Rhythms are registered in :data:`RHYTHMS` (name -> :class:`RhythmSpec`). Each
has a MIT-BIH rhythm code for the ground truth, a default rate and a rule for
the next RR interval.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import numpy as np

from ecgcore.drivers._patient_morphology import BEAT_TEMPLATES
from ecgcore.drivers._patient_waves import flutter_block
from ecgcore.errors import SignalError

BEAT_SYMBOLS: Mapping[str, str] = MappingProxyType(
    {k: t.symbol for k, t in BEAT_TEMPLATES.items()}
)

__all__ = [
    "RHYTHMS",
    "Beat",
    "BeatScheduler",
    "Episode",
    "RhythmSpec",
    "Schedule",
    "parse_schedule",
    "resolve_schedule",
]


def _sinus_code(hr: float) -> str:
    if hr < 60.0:
        return "SBR"
    if hr > 100.0:
        return "STACH"
    return "N"


@dataclasses.dataclass(frozen=True)
class RhythmSpec:
    """One selectable rhythm.

    Parameters
    ----------
    name : str
        Registry name (``"sinus"``, ``"afib"``, ...).
    description : str
        One line for help texts.
    default_hr : float or None
        Mean ventricular rate in bpm when none is given (None: no beats).
    beat : str or None
        Beat template of the regular beats (see ``BEAT_TEMPLATES``); None = no QRS.
    rr_cv : float
        Coefficient of variation of the RR intervals (beat-to-beat irregularity).
    atrial : str
        Atrial activity: ``"p"`` (P wave with each conducted beat), ``"f"``
        (fibrillatory waves), ``"F"`` (flutter waves locked to the beats),
        ``"none"``.
    ventricular : str
        Continuous ventricular activity: ``"none"`` or ``"vf"``.
    code : callable
        ``code(hr) -> str`` MIT-BIH rhythm code for the truth (``"N"``, ``"AFIB"``, ...).
    ectopy : bool
        Whether premature ventricular beats (``pvc_rate``) may interrupt it.
    default_pvc_rate : float
        Fraction of beats replaced by PVCs when ``pvc_rate`` is not given.
    """

    name: str
    description: str
    default_hr: float | None
    beat: str | None
    rr_cv: float
    atrial: str
    ventricular: str
    code: Callable[[float], str]
    ectopy: bool = False
    default_pvc_rate: float = 0.0


_SPECS = (
    RhythmSpec("sinus", "sinus rhythm (brady/tachy via hr)", 72.0, "sinus", 0.0, "p", "none",
               _sinus_code, ectopy=True),
    RhythmSpec("pvc", "sinus rhythm with premature ventricular beats (pvc_rate)", 72.0, "sinus",
               0.0, "p", "none", _sinus_code, ectopy=True, default_pvc_rate=0.15),
    RhythmSpec("afib", "atrial fibrillation: irregular RR, no P, f-waves", 85.0, "conducted",
               0.22, "f", "none", lambda hr: "AFIB", ectopy=True),
    RhythmSpec("aflutter", "atrial flutter: sawtooth flutter waves near 300 /min, conducted "
               "2:1 at 150 bpm, 4:1 at 75 bpm, one beat in four a wave later (variable block)",
               150.0, "conducted", 0.0, "F", "none", lambda hr: "AFL"),
    RhythmSpec("vt", "monomorphic ventricular tachycardia, wide QRS", 170.0, "vt", 0.015, "none",
               "none", lambda hr: "VT"),
    RhythmSpec("paced", "ventricular pacing: a stimulus spike before each wide QRS", 70.0, "paced",
               0.0, "none", "none", lambda hr: "P"),
    RhythmSpec("vf", "ventricular fibrillation: chaotic 4-8 Hz waves, no QRS", None, None, 0.0,
               "none", "vf", lambda hr: "VF"),
    RhythmSpec("asystole", "asystole: no electrical activity", None, None, 0.0, "none", "none",
               lambda hr: "ASYS"),
    RhythmSpec("pause", "sinus arrest: no beats in the episode (alone: 7 s sinus, pause_s pause)",
               None, None, 0.0, "none", "none", lambda hr: "PAUSE"),
)  # fmt: skip

#: Share of flutter beats conducted one flutter wave later than the block says.
FLUTTER_SKIP = 0.25

#: Rhythm name -> :class:`RhythmSpec`.
RHYTHMS: Mapping[str, RhythmSpec] = MappingProxyType({s.name: s for s in _SPECS})

#: Alternative names accepted for rhythms.
_ALIASES = MappingProxyType({"af": "afib", "nsr": "sinus", "pvcs": "pvc", "afl": "aflutter"})


def _rhythm(name: str) -> RhythmSpec:
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return RHYTHMS[key]
    except KeyError:
        raise SignalError(
            f"unknown rhythm {name!r}; expected one of {', '.join(RHYTHMS)}"
        ) from None


@dataclasses.dataclass(frozen=True)
class Episode:
    """One entry of a rhythm schedule.

    Parameters
    ----------
    rhythm : str
        Name in :data:`RHYTHMS`.
    start_s, end_s : float
        Time span in seconds (``end_s`` may be ``inf`` for the last episode).
    hr : float or None
        Mean ventricular rate in bpm (None: the rhythm's default or no beats).
    """

    rhythm: str
    start_s: float
    end_s: float
    hr: float | None

    @property
    def spec(self) -> RhythmSpec:
        """The rhythm's :class:`RhythmSpec`."""
        return RHYTHMS[self.rhythm]

    @property
    def code(self) -> str:
        """MIT-BIH rhythm code of the episode."""
        return self.spec.code(self.hr if self.hr is not None else 0.0)


def parse_schedule(text: str) -> list[tuple[str, float | None, float | None]]:
    """Parse ``"sinus:20,vt@180:10,vf"`` into ``[(rhythm, hr, duration_s), ...]``.

    Each item is ``RHYTHM[@HR][:DURATION_S]``; a duration may be omitted only
    for the last item (which lasts until the end).
    """
    items: list[tuple[str, float | None, float | None]] = []
    parts = [p.strip() for p in text.split(",")]
    for i, part in enumerate(parts):
        if not part:
            raise SignalError(f"schedule {text!r}: empty item at position {i + 1}")
        head, _, dur_text = part.partition(":")
        name, _, hr_text = head.partition("@")
        try:
            hr = float(hr_text) if hr_text else None
            dur = float(dur_text.rstrip("s")) if dur_text else None
        except ValueError:
            raise SignalError(
                f"schedule {text!r}: item {part!r} is not RHYTHM[@HR][:SECONDS]"
            ) from None
        items.append((_rhythm(name).name, hr, dur))
    return items


class Schedule:
    """Contiguous rhythm episodes from 0 s, optionally repeated forever.

    Parameters
    ----------
    episodes : sequence of Episode
        One cycle of episodes from 0 s; the last one ends at ``inf`` unless
        ``repeat`` is true.
    repeat : bool
        Repeat the cycle forever (every episode then has a finite duration).
    """

    def __init__(self, episodes: Sequence[Episode], *, repeat: bool = False) -> None:
        self.cycle = tuple(episodes)
        self.repeat = bool(repeat)
        self.period_s = self.cycle[-1].end_s if repeat else math.inf
        self._ends = [ep.end_s for ep in self.cycle]

    def episode_at(self, t_s: float) -> Episode:
        """The episode containing time ``t_s`` (seconds; times before 0 count as 0)."""
        t_s = max(t_s, 0.0)
        k = 0
        if self.repeat:
            k = math.floor(t_s / self.period_s)
            t_s -= k * self.period_s
        i = min(bisect.bisect_right(self._ends, t_s), len(self.cycle) - 1)
        ep = self.cycle[i]
        if k:
            shift = k * self.period_s
            ep = dataclasses.replace(ep, start_s=ep.start_s + shift, end_s=ep.end_s + shift)
        return ep

    def next_episode(self, ep: Episode) -> Episode | None:
        """The episode after ``ep`` (None after the last one)."""
        return None if math.isinf(ep.end_s) else self.episode_at(ep.end_s)

    def between(self, t0_s: float, t1_s: float) -> list[Episode]:
        """Episodes overlapping ``[t0_s, t1_s)``, clipped to it."""
        out = []
        ep: Episode | None = self.episode_at(t0_s)
        while ep is not None and ep.start_s < t1_s:
            out.append(
                dataclasses.replace(ep, start_s=max(ep.start_s, t0_s), end_s=min(ep.end_s, t1_s))
            )
            ep = self.next_episode(ep)
        return out


def resolve_schedule(
    rhythm: str,
    schedule: str | Sequence[tuple] | None,
    hr: float | None,
    *,
    pause_s: float = 3.0,
    repeat: bool = False,
) -> Schedule:
    """Build the schedule from ``rhythm``/``schedule`` and the default rate.

    Parameters
    ----------
    rhythm : str
        Rhythm of the whole record when ``schedule`` is None.
    schedule : str or sequence of (rhythm, duration_s) or (rhythm, duration_s, hr), optional
        Episodes in order (string form ``"sinus:20,vt@180:10,vf"``).
    hr : float or None
        Mean rate in bpm for every beat-producing episode that gives none.
    pause_s : float
        Length of each pause of the stand-alone ``"pause"`` rhythm (7 s of
        sinus rhythm, then a pause of ``pause_s``, repeated).
    repeat : bool
        Repeat the schedule forever (every episode needs a duration).
    """
    if schedule is None:
        name = _rhythm(rhythm).name
        if name == "pause":
            items: list[tuple[str, float | None, float | None]] = [
                ("sinus", None, 7.0),
                ("pause", None, pause_s),
            ]
            repeat = True
        else:
            items = [(name, None, None)]
    elif isinstance(schedule, str):
        items = parse_schedule(schedule)
    else:
        items = []
        for entry in schedule:
            if len(entry) == 2:
                name, dur = entry
                ep_hr = None
            elif len(entry) == 3:
                name, dur, ep_hr = entry
            else:
                raise SignalError(f"schedule entry {entry!r}: expected (rhythm, duration_s[, hr])")
            items.append((_rhythm(name).name, ep_hr, dur))
    if not items:
        raise SignalError("schedule has no episodes")
    episodes = []
    t = 0.0
    for i, (name, ep_hr, dur) in enumerate(items):
        last = i == len(items) - 1
        if dur is None and (repeat or not last):
            raise SignalError(f"schedule: episode {i + 1} ({name}) needs a duration")
        if dur is not None and not (math.isfinite(dur) and dur > 0):
            raise SignalError(f"schedule: episode {i + 1} ({name}) duration must be > 0 s")
        spec = RHYTHMS[name]
        rate = ep_hr if ep_hr is not None else (hr if spec.beat is not None else None)
        if rate is None:
            rate = spec.default_hr
        if spec.beat is not None and not (rate is not None and 15.0 <= rate <= 300.0):
            raise SignalError(f"schedule: rate of {name} must be 15-300 bpm, got {rate!r}")
        end = math.inf if last and not repeat else t + float(dur)  # type: ignore[arg-type]
        episodes.append(Episode(name, t, end, rate))
        t = end
    return Schedule(episodes, repeat=repeat)


@dataclasses.dataclass(frozen=True)
class Beat:
    """One simulated beat.

    Parameters
    ----------
    t_s : float
        Time of the R peak (QRS fiducial point), seconds.
    template : str
        Beat template key (``"sinus"``, ``"conducted"``, ``"pvc"``, ``"vt"``).
    symbol : str
        MIT-BIH beat symbol (``"N"`` or ``"V"``).
    rr_s : float
        Interval from the previous beat, seconds (drives the QT stretch).
    scale : float
        Amplitude factor of this beat (beat-to-beat variability).
    """

    t_s: float
    template: str
    symbol: str
    rr_s: float
    scale: float


class BeatScheduler:
    """Produce the beats of a schedule in time order from one random stream.

    Parameters
    ----------
    schedule : Schedule
        The rhythm episodes.
    rng : numpy.random.Generator
        Random stream used for every beat, in order.
    pvc_rate : float or None
        Probability that a beat of a rhythm allowing ectopy is replaced by a
        premature ventricular beat (None: each rhythm's default).
    first_beat_s : float
        Earliest time of the first beat, seconds.
    keep_history : bool
        Keep every beat ever produced (for ground truth) instead of only the recent ones.
    """

    #: Respiratory sinus arrhythmia and Mayer waves: (frequency Hz, relative RR amplitude).
    HRV = ((0.25, 0.03), (0.1, 0.02))

    def __init__(
        self,
        schedule: Schedule,
        rng: np.random.Generator,
        *,
        pvc_rate: float | None = None,
        first_beat_s: float = 0.3,
        keep_history: bool = False,
    ) -> None:
        self.schedule = schedule
        self._rng = rng
        self.pvc_rate = pvc_rate
        self._phases = rng.uniform(0, 2 * np.pi, len(self.HRV))
        self._first_beat_s = float(first_beat_s)
        self._t_last = -math.inf
        self._last_symbol = ""
        self._resume_at: float | None = 0.0  # start of a stretch of beats
        self._pending_sinus: float | None = None  # sinus beat after a compensatory pause
        self._beats: deque[Beat] = deque()
        self._history: list[Beat] | None = [] if keep_history else None
        self._horizon = -math.inf  # every beat up to this time is known

    def _pvc_rate(self, ep: Episode) -> float:
        if not ep.spec.ectopy:
            return 0.0
        return ep.spec.default_pvc_rate if self.pvc_rate is None else self.pvc_rate

    def _rr(self, ep: Episode, t_s: float) -> float:
        mean_rr = 60.0 / float(ep.hr)  # type: ignore[arg-type]
        spec = ep.spec
        if spec.atrial == "f":  # irregularly irregular (AF): gamma-distributed RR
            shape = 1.0 / spec.rr_cv**2
            rr = float(self._rng.gamma(shape, mean_rr / shape))
            return max(rr, 0.3, 0.45 * mean_rr)
        if spec.atrial == "F":  # flutter waves conducted 1 in block, now and then 1 in block + 1
            cycle = mean_rr / flutter_block(float(ep.hr))  # type: ignore[arg-type]
            extra = float(self._rng.uniform()) < FLUTTER_SKIP
            return cycle * (round(mean_rr / cycle) + int(extra))
        mod = 1.0
        if spec.atrial == "p":  # sinus node: respiratory and Mayer modulation
            for (f, a), ph in zip(self.HRV, self._phases, strict=True):
                mod += a * math.sin(2 * math.pi * f * t_s + ph)
        jitter = float(self._rng.normal(0.0, max(spec.rr_cv, 0.008)))
        return mean_rr * (mod + jitter)

    # --------------------------------------------------------------- produce
    def _emit(self, t: float, template: str) -> None:
        rr = t - self._t_last if math.isfinite(self._t_last) else 60.0 / 72.0
        scale = 1.0 + float(self._rng.normal(0.0, 0.02))
        symbol = BEAT_SYMBOLS[template]
        beat = Beat(t, template, symbol, rr, scale)
        self._beats.append(beat)
        if self._history is not None:
            self._history.append(beat)
        self._t_last = t
        self._last_symbol = symbol
        self._horizon = t

    def _step(self) -> None:
        """Produce the next beat, or mark the end when no episode has beats any more."""
        while True:
            t_ref = self._resume_at if self._resume_at is not None else self._t_last
            ep = self.schedule.episode_at(t_ref)
            if ep.spec.beat is None:  # VF, asystole, pause: skip to the next episode
                nxt = self.schedule.next_episode(ep)
                if nxt is None:
                    self._horizon = math.inf
                    return
                self._resume_at = nxt.start_s
                self._pending_sinus = None
                continue
            mean_rr = 60.0 / float(ep.hr)  # type: ignore[arg-type]
            if self._resume_at is not None:  # first beat of a stretch
                if self._resume_at <= 0.0:
                    t = self._first_beat_s + float(self._rng.uniform(0.0, 0.5 * mean_rr))
                else:
                    t = self._resume_at
                if t >= ep.end_s:
                    self._resume_at = ep.end_s
                    continue
                self._resume_at = None
                self._emit(t, ep.spec.beat)
                return
            rr = self._rr(ep, self._t_last)
            template = ep.spec.beat
            if self._pending_sinus is not None:
                t, self._pending_sinus = self._pending_sinus, None
            elif (
                self._last_symbol != "V"
                and (rate := self._pvc_rate(ep)) > 0
                and float(self._rng.uniform()) < rate
            ):
                t = self._t_last + rr * float(self._rng.uniform(0.55, 0.68))
                template = "pvc"
                if ep.spec.atrial == "p":  # sinus node undisturbed: full compensatory pause
                    self._pending_sinus = self._t_last + 2.0 * rr
            else:
                t = self._t_last + rr
            if t >= ep.end_s:  # the next episode takes over from the last beat
                self._pending_sinus = None
                nxt = self.schedule.next_episode(ep)
                assert nxt is not None  # the last episode never ends
                if nxt.spec.beat is None:
                    self._resume_at = nxt.start_s
                    continue
                t = max(self._t_last + self._rr(nxt, self._t_last), nxt.start_s)
                template = nxt.spec.beat
            self._emit(t, template)
            return

    def beats_until(self, t_s: float) -> None:
        """Make sure every beat at ``t_s`` or earlier has been produced."""
        while self._horizon < t_s:
            self._step()

    def beats_between(self, t0_s: float, t1_s: float) -> list[Beat]:
        """Beats with ``t0_s <= t < t1_s`` among those kept."""
        self.beats_until(t1_s)
        return [b for b in self._beats if t0_s <= b.t_s < t1_s]

    def forget_before(self, t_s: float) -> None:
        """Drop kept beats earlier than ``t_s`` (their waves are finished)."""
        while self._beats and self._beats[0].t_s < t_s:
            self._beats.popleft()

    @property
    def history(self) -> list[Beat]:
        """Every beat produced so far (requires ``keep_history=True``)."""
        if self._history is None:
            raise RuntimeError("beat history was not kept")
        return list(self._history)
