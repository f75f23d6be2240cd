"""The simulated patient: a reproducible 12-lead ECG with ground truth.

:func:`simulate_ecg` returns a :class:`SimulatedECG` (a
:class:`~ecgcore.recording.Recording` plus its :class:`SimTruth`); the
``sim://`` device streams exactly the same samples from a
:class:`PatientModel` (``simulate_ecg(..., seed=s)`` equals what ``sim://...&seed=s``
sends, sample for sample).

Pipeline of one chunk of samples:

1. beats from the rhythm schedule (:mod:`._patient_rhythm`) -> dipole lobes
   (:mod:`._patient_morphology`), plus continuous f-waves or VF (:mod:`._patient_waves`);
2. dipole -> 9 electrode potentials (Dower projection, WCT reference);
3. + electrode noise (:mod:`._patient_noise`), lead-off (electrode pulled far
   off, so every lead that uses it saturates);
4. leads as integer ADC counts at :data:`GAIN` counts/mV: I and II are quantised
   to even counts and III, aVR, aVL, aVF are computed from them in integers, so
   ``III == II - I``, ``aVR == -(I + II) / 2``, ``aVL == I - II / 2`` and
   ``aVF == II - I / 2`` hold exactly (outside saturation and the calibration pulse);
5. optional 1 mV, 200 ms calibration pulse on every lead, saturation at
   :data:`RAIL_COUNTS`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from ecgcore.drivers._patient_morphology import (
    BEAT_TEMPLATES,
    ELECTRODES,
    LEAD_ELECTRODE_WEIGHTS,
    PACING_SPIKE,
    STANDARD_LEADS,
    electrodes_from_dipole,
)
from ecgcore.drivers._patient_noise import NoiseModel
from ecgcore.drivers._patient_rhythm import BeatScheduler, Schedule, resolve_schedule
from ecgcore.drivers._patient_waves import f_waves, flutter_waves, vf_waves
from ecgcore.errors import SignalError
from ecgcore.recording import Recording

__all__ = [
    "CALIBRATION_S",
    "GAIN",
    "LEAD_SETS",
    "RAIL_COUNTS",
    "LeadOff",
    "PatientModel",
    "PatientParams",
    "RhythmEpisode",
    "SimTruth",
    "SimulatedECG",
    "parse_lead_off",
    "simulate_ecg",
]

#: ADC counts per mV of every simulated lead (0.5 µV per count).
GAIN = 2000.0
#: Saturation of the simulated amplifier, counts (±15 mV).
RAIL_COUNTS = 30000
#: Potential of a detached electrode, mV (drives its leads into saturation).
LEAD_OFF_MV = 1000.0
#: Calibration pulse: start and end, seconds from the start of the record.
CALIBRATION_S = (0.1, 0.3)
#: Electrodes that can come off (``RL`` is the driven right-leg reference).
LEAD_OFF_ELECTRODES = (*ELECTRODES, "RL")

#: Number of leads -> lead names.
LEAD_SETS: Mapping[int, tuple[str, ...]] = MappingProxyType(
    {
        12: STANDARD_LEADS,
        8: ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6"),
        6: STANDARD_LEADS[:6],
        3: ("I", "II", "III"),
        2: ("I", "II"),
        1: ("II",),
    }
)

# Support of a beat's waves around its R peak, seconds (P before, T after).
_PRE_S, _POST_S = 0.4, 1.0
_FLUTTER_SCALE = 2.0  # flutter waves against the f_wave amplitude of AF


@dataclasses.dataclass(frozen=True)
class LeadOff:
    """An electrode detached from ``start_s`` to ``end_s`` (seconds)."""

    electrode: str
    start_s: float = 0.0
    end_s: float = math.inf

    def __post_init__(self) -> None:
        if self.electrode not in LEAD_OFF_ELECTRODES:
            raise SignalError(
                f"lead_off: unknown electrode {self.electrode!r}; expected one of "
                f"{', '.join(LEAD_OFF_ELECTRODES)}"
            )
        if not (self.start_s >= 0 and self.end_s > self.start_s):
            raise SignalError(
                f"lead_off {self.electrode}: need 0 <= start_s < end_s, "
                f"got {self.start_s}-{self.end_s}"
            )


def parse_lead_off(value: Any) -> tuple[LeadOff, ...]:
    """Parse lead-off settings.

    Accepts None, a :class:`LeadOff`, a string ``"LA"``, ``"LA:5-10"``,
    ``"V2:3-"`` (comma-separated for several) or a sequence of those or of
    ``(electrode, start_s, end_s)`` tuples.
    """
    if value is None or value == "":
        return ()
    if isinstance(value, LeadOff):
        return (value,)
    if isinstance(value, str):
        out = []
        for item in (v.strip() for v in value.split(",")):
            name, _, span = item.partition(":")
            start, end = 0.0, math.inf
            if span:
                a, sep, b = span.partition("-")
                try:
                    start = float(a) if a else 0.0
                    end = float(b) if b else math.inf
                except ValueError:
                    raise SignalError(
                        f"lead_off {item!r}: expected ELECTRODE[:START-END] (seconds)"
                    ) from None
                if not sep:
                    raise SignalError(f"lead_off {item!r}: expected ELECTRODE[:START-END]")
            canon = name.strip().upper()
            out.append(LeadOff(canon, start, end))
        return tuple(out)
    if (
        isinstance(value, Sequence)
        and len(value) == 3
        and isinstance(value[0], str)
        and (not isinstance(value[1], str))
    ):
        return (LeadOff(value[0], float(value[1]), float(value[2])),)
    out = []
    for item in value:
        if isinstance(item, LeadOff):
            out.append(item)
        elif isinstance(item, str):
            out.extend(parse_lead_off(item))
        else:
            out.append(LeadOff(str(item[0]), float(item[1]), float(item[2])))
    return tuple(out)


def _resolve_leads(leads: int | Sequence[str]) -> tuple[str, ...]:
    if isinstance(leads, int | np.integer):
        try:
            return LEAD_SETS[int(leads)]
        except KeyError:
            raise SignalError(
                f"leads={leads}: expected one of {sorted(LEAD_SETS)} or a list of lead names"
            ) from None
    names = tuple(str(n) for n in leads)
    unknown = [n for n in names if n not in STANDARD_LEADS]
    if unknown or not names:
        raise SignalError(
            f"leads: unknown lead name(s) {unknown}; expected some of {', '.join(STANDARD_LEADS)}"
        )
    return names


def _check_level(name: str, value: float, high: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and 0.0 <= value <= high):
        raise SignalError(f"{name} must be between 0 and {high:g}, got {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class PatientParams:
    """Everything that defines a simulated patient (see :func:`simulate_ecg`)."""

    fs: float = 500.0
    leads: tuple[str, ...] = STANDARD_LEADS
    hr: float | None = None
    rhythm: str = "sinus"
    schedule: str | tuple | None = None
    repeat: bool = False
    pvc_rate: float | None = None
    pause_s: float = 3.0
    noise: float = 0.01
    emg: float = 0.0
    wander: float = 0.05
    mains: float = 0.0
    mains_hz: float = 50.0
    motion: float = 0.0
    f_wave: float = 0.1
    lead_off: tuple[LeadOff, ...] = ()
    calibration: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        fs = float(self.fs)
        if not (math.isfinite(fs) and 100.0 <= fs <= 10000.0):
            raise SignalError(f"fs must be 100-10000 Hz, got {self.fs!r}")
        set_(self, "fs", fs)
        set_(self, "leads", _resolve_leads(self.leads))
        if self.mains_hz not in (50.0, 60.0):
            raise SignalError(f"mains_hz must be 50 or 60, got {self.mains_hz!r}")
        for name, high in (("noise", 5.0), ("emg", 5.0), ("wander", 10.0), ("mains", 10.0),
                           ("motion", 120.0), ("f_wave", 1.0)):  # fmt: skip
            set_(self, name, _check_level(name, getattr(self, name), high))
        if self.pvc_rate is not None:
            set_(self, "pvc_rate", _check_level("pvc_rate", self.pvc_rate, 0.5))
        if not (math.isfinite(self.pause_s) and 0.5 <= self.pause_s <= 60.0):
            raise SignalError(f"pause_s must be 0.5-60 s, got {self.pause_s!r}")
        if isinstance(self.schedule, list):
            set_(self, "schedule", tuple(tuple(e) for e in self.schedule))
        set_(self, "lead_off", parse_lead_off(self.lead_off))
        if not (isinstance(self.seed, int | np.integer) and self.seed >= 0):
            raise SignalError(f"seed must be a non-negative integer, got {self.seed!r}")
        set_(self, "seed", int(self.seed))
        self.make_schedule()  # validate rhythm/schedule/hr now

    def make_schedule(self) -> Schedule:
        """The rhythm :class:`Schedule` of these parameters."""
        return resolve_schedule(
            self.rhythm, self.schedule, self.hr, pause_s=self.pause_s, repeat=self.repeat
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly description (for headers and metadata)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "lead_off":
                value = [f"{lo.electrode}:{lo.start_s:g}-{lo.end_s:g}" for lo in value]
            elif f.name == "leads":
                value = list(value)
            elif isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            out[f.name] = value
        return out


class PatientModel:
    """Sample generator of a simulated patient, forward in time.

    Parameters
    ----------
    params : PatientParams
        The patient.
    keep_history : bool
        Keep every beat for :meth:`truth` (otherwise only recent beats are kept,
        for endless streaming).

    Notes
    -----
    :meth:`generate` must be called for non-decreasing start samples (it
    forgets beats whose waves are over). Sample ``k`` always gets the same
    value, whatever the chunking.
    """

    def __init__(self, params: PatientParams, *, keep_history: bool = False) -> None:
        self.params = params
        fs = params.fs
        self.schedule = params.make_schedule()
        seed = params.seed
        rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
        first_beat = CALIBRATION_S[1] + 0.3 if params.calibration else 0.3
        self._beats = BeatScheduler(
            self.schedule,
            rng,
            pvc_rate=params.pvc_rate,
            first_beat_s=first_beat,
            keep_history=keep_history,
        )
        prng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
        self.resp_hz = float(prng.uniform(0.2, 0.3))
        self._resp_phase = float(prng.uniform(0, 2 * np.pi))
        self._noise = NoiseModel(
            fs,
            len(ELECTRODES),
            seed,
            noise=params.noise,
            emg=params.emg,
            wander=params.wander,
            mains=params.mains,
            mains_hz=params.mains_hz,
            motion=params.motion,
            resp_hz=self.resp_hz,
        )
        self._rl_phase = prng.uniform(0, 2 * np.pi, len(ELECTRODES))
        self._cols = [STANDARD_LEADS.index(n) for n in params.leads]
        weights = np.array([LEAD_ELECTRODE_WEIGHTS[n] for n in STANDARD_LEADS])  # (12, 9)
        self._uses = np.abs(weights) > 0  # lead depends on electrode
        self._low = 0

    @property
    def lead_names(self) -> tuple[str, ...]:
        """Names of the generated leads, in column order."""
        return self.params.leads

    # ------------------------------------------------------------- dipole
    def _dipole(self, t: np.ndarray) -> np.ndarray:
        t0, t1 = float(t[0]), float(t[-1])
        dipole = np.zeros((t.size, 3))
        fs = self.params.fs
        first = round(t0 * fs)
        self._beats.beats_until(t1 + _PRE_S)
        for beat in self._beats.beats_between(t0 - _POST_S, t1 + _PRE_S):
            stretch = min(max(math.sqrt(beat.rr_s), 0.55), 1.25)
            resp = 1.0 + 0.05 * math.sin(2 * math.pi * self.resp_hz * beat.t_s + self._resp_phase)
            scale = beat.scale * resp
            for lobe in BEAT_TEMPLATES[beat.template].lobes:
                k = stretch if lobe.repol else 1.0
                centre = beat.t_s + lobe.offset_s * k
                width = lobe.width_s * k
                lo = max(math.ceil((centre - 5 * width) * fs) - first, 0)
                hi = min(math.floor((centre + 5 * width) * fs) - first + 1, t.size)
                if hi <= lo:
                    continue
                g = scale * np.exp(-0.5 * ((t[lo:hi] - centre) / width) ** 2)
                dipole[lo:hi] += g[:, None] * np.asarray(lobe.vector)[None, :]
            if beat.template == "paced":  # the stimulus: one sample, then the recharge
                at = round((beat.t_s + PACING_SPIKE[0]) * fs) - first
                for k, share in ((at, 1.0), (at + 1, -0.3)):
                    if 0 <= k < t.size:
                        dipole[k] += share * np.asarray(PACING_SPIKE[1])
        ep = self.schedule.episode_at(t0)
        while ep is not None and ep.start_s <= t1:
            spec = ep.spec
            if spec.atrial in ("f", "F") or spec.ventricular == "vf":
                sel = (t >= ep.start_s) & (t < ep.end_s)
                if spec.atrial == "f" and self.params.f_wave > 0:
                    dipole[sel] += f_waves(
                        t[sel], ep.start_s, ep.end_s, self.params.seed, self.params.f_wave
                    )
                if spec.atrial == "F" and self.params.f_wave > 0:
                    dipole[sel] += flutter_waves(
                        t[sel], ep.start_s, ep.end_s, float(ep.hr or 0.0),
                        _FLUTTER_SCALE * self.params.f_wave,
                    )  # fmt: skip
                if spec.ventricular == "vf":
                    dipole[sel] += vf_waves(t[sel], ep.start_s, ep.end_s, self.params.seed)
            ep = self.schedule.next_episode(ep)
        return dipole

    # ------------------------------------------------------------- public
    def generate(self, first: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Samples ``first .. first+n-1``.

        Returns
        -------
        counts : ndarray of int16, shape (n, n_leads)
            ADC counts (:data:`GAIN` counts per mV).
        lead_off : ndarray of bool, shape (n, n_leads)
            True where an electrode the lead uses is detached.
        """
        if first < self._low:
            raise SignalError(f"samples before {self._low} are no longer available")
        n_leads = len(self._cols)
        if n <= 0:
            return np.zeros((0, n_leads), np.int16), np.zeros((0, n_leads), bool)
        p = self.params
        fs = p.fs
        t = np.arange(first, first + n) / fs
        elec = electrodes_from_dipole(self._dipole(t))
        elec += self._noise.electrodes(first, n)
        off = np.zeros((n, 12), dtype=bool)
        for lo_spec in p.lead_off:
            sel = (t >= lo_spec.start_s) & (t < lo_spec.end_s)
            if not sel.any():
                continue
            if lo_spec.electrode == "RL":  # no reference: heavy mains on every electrode
                hum = 3.0 * np.sin(2 * np.pi * p.mains_hz * t[sel, None] + self._rl_phase)
                elec[sel] += hum
                off[sel] = True
            else:
                e = ELECTRODES.index(lo_spec.electrode)
                elec[sel, e] = LEAD_OFF_MV
                off[sel] |= self._uses[:, e][None, :]
        counts = _leads_as_counts(elec)
        if p.calibration:
            c0, c1 = (round(s * fs) for s in CALIBRATION_S)
            lo, hi = max(c0 - first, 0), min(c1 - first, n)
            if hi > lo:
                counts[lo:hi] += round(GAIN)
        np.clip(counts, -RAIL_COUNTS, RAIL_COUNTS, out=counts)
        self._low = first
        self._beats.forget_before(t[0] - _POST_S - 1.0)
        return counts[:, self._cols].astype(np.int16), off[:, self._cols]

    def truth(self, n_samples: int, lead_off: np.ndarray) -> SimTruth:
        """Ground truth of the first ``n_samples`` (needs ``keep_history=True``)."""
        fs = self.params.fs
        beats = [b for b in self._beats.history if 0 <= round(b.t_s * fs) < n_samples]
        episodes: list[RhythmEpisode] = []
        for ep in self.schedule.between(0.0, n_samples / fs):
            start, stop = round(ep.start_s * fs), round(ep.end_s * fs)
            if stop <= start:
                continue
            if episodes and episodes[-1].code == ep.code and episodes[-1].stop_idx == start:
                prev = episodes.pop()
                start = prev.start_idx
            episodes.append(RhythmEpisode(ep.code, ep.rhythm, start, stop, fs))
        cal = None
        if self.params.calibration:
            c0, c1 = (min(round(s * fs), n_samples) for s in CALIBRATION_S)
            cal = (c0, c1) if c1 > c0 else None
        return SimTruth(
            fs=fs,
            r_peak_idx=np.array([round(b.t_s * fs) for b in beats], dtype=np.int64),
            beat_symbols=tuple(b.symbol for b in beats),
            episodes=tuple(episodes),
            lead_off=lead_off,
            calibration_idx=cal,
        )


def _leads_as_counts(elec: np.ndarray) -> np.ndarray:
    """The 12 standard leads in integer counts from electrode potentials (mV), shape (n, 12)."""
    ra, la, ll = elec[:, 0], elec[:, 1], elec[:, 2]
    half = GAIN / 2.0
    lead_i = 2 * np.round((la - ra) * half).astype(np.int64)
    lead_ii = 2 * np.round((ll - ra) * half).astype(np.int64)
    wct = (ra + la + ll) / 3.0
    out = np.empty((elec.shape[0], 12), dtype=np.int64)
    out[:, 0] = lead_i
    out[:, 1] = lead_ii
    out[:, 2] = lead_ii - lead_i
    out[:, 3] = -(lead_i + lead_ii) // 2
    out[:, 4] = lead_i - lead_ii // 2
    out[:, 5] = lead_ii - lead_i // 2
    out[:, 6:] = np.round((elec[:, 3:] - wct[:, None]) * GAIN).astype(np.int64)
    return out


@dataclasses.dataclass(frozen=True)
class RhythmEpisode:
    """A rhythm episode of the ground truth.

    ``code`` is the MIT-BIH rhythm code (``N``, ``SBR``, ``STACH``, ``AFIB``, ``VT``,
    ``VF``, ``ASYS``, ``PAUSE``); ``start_idx``/``stop_idx`` are sample indices
    (stop exclusive).
    """

    code: str
    rhythm: str
    start_idx: int
    stop_idx: int
    fs: float

    @property
    def start_s(self) -> float:
        """Start, seconds."""
        return self.start_idx / self.fs

    @property
    def end_s(self) -> float:
        """End, seconds."""
        return self.stop_idx / self.fs


@dataclasses.dataclass(frozen=True, eq=False)
class SimTruth:
    """What the simulator knows about its record.

    Attributes
    ----------
    fs : float
        Sampling rate, Hz.
    r_peak_idx : ndarray of int64
        Sample index of every beat's R peak (QRS fiducial point).
    beat_symbols : tuple of str
        MIT-BIH symbol per beat (``"N"`` or ``"V"``).
    episodes : tuple of RhythmEpisode
        Rhythm episodes covering the record.
    lead_off : ndarray of bool, shape (n_samples, n_leads)
        True where a lead's electrode was detached.
    calibration_idx : (int, int) or None
        Sample span of the calibration pulse (where the lead relations do not hold).
    """

    fs: float
    r_peak_idx: np.ndarray
    beat_symbols: tuple[str, ...]
    episodes: tuple[RhythmEpisode, ...]
    lead_off: np.ndarray
    calibration_idx: tuple[int, int] | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class SimulatedECG:
    """A simulated record and its ground truth."""

    recording: Recording
    truth: SimTruth


def simulate_ecg(
    duration_s: float,
    fs: float = 500.0,
    *,
    leads: int | Sequence[str] = 12,
    hr: float | None = None,
    rhythm: str = "sinus",
    schedule: str | Sequence[tuple] | None = None,
    repeat: bool = False,
    pvc_rate: float | None = None,
    pause_s: float = 3.0,
    noise: float = 0.01,
    emg: float = 0.0,
    wander: float = 0.05,
    mains: float = 0.0,
    mains_hz: float = 50.0,
    motion: float = 0.0,
    f_wave: float = 0.1,
    lead_off: Any = None,
    calibration: bool = False,
    seed: int = 0,
) -> SimulatedECG:
    """Simulate a multi-lead ECG with ground truth.

    Parameters
    ----------
    duration_s : float
        Length in seconds.
    fs : float
        Sampling rate in Hz (100-10000).
    leads : int or sequence of str
        12 (I..V6), 8 (I, II, V1-V6), 6 (limb leads), 3 (I-III), 2 (I, II), 1 (II),
        or lead names.
    hr : float, optional
        Mean ventricular rate in bpm; default per rhythm (sinus 72, afib 85, vt 170).
        Sinus rhythm below 60 bpm is sinus bradycardia, above 100 sinus tachycardia.
    rhythm : str
        ``sinus``, ``pvc``, ``afib``, ``vt``, ``paced``, ``vf``, ``asystole`` or ``pause``.
    schedule : str or sequence, optional
        Rhythm changes, e.g. ``"sinus:20,vf"`` or ``[("sinus", 20), ("vt", 10, 180), ("vf", 5)]``
        (``RHYTHM[@HR]:SECONDS``; the last lasts until the end). Overrides ``rhythm``.
    repeat : bool
        Repeat the schedule forever.
    pvc_rate : float, optional
        Fraction of beats replaced by premature ventricular beats (wide, no P,
        compensatory pause); default 0.15 for ``rhythm="pvc"``, else 0.
    pause_s : float
        Pause length of the stand-alone ``pause`` rhythm, seconds.
    noise, emg : float
        Broadband and muscle (20-150 Hz) noise, mV RMS.
    wander : float
        Baseline wander amplitude, mV.
    mains : float
        Power-line interference amplitude, mV, at ``mains_hz`` (50 or 60 Hz).
    motion : float
        Motion-artifact bursts per minute.
    f_wave : float
        Amplitude of AF fibrillatory waves, mV (dipole magnitude); atrial
        flutter waves are twice as large.
    lead_off : str or sequence, optional
        Detached electrodes: ``"LA"``, ``"V2:5-10"`` (from 5 s to 10 s), several
        comma-separated, or :class:`LeadOff` objects. Electrodes RA, LA, LL,
        V1..V6, RL. Every lead that uses the electrode saturates and is flagged
        in ``truth.lead_off``.
    calibration : bool
        Add a 1 mV, 200 ms calibration pulse at 0.1 s on every lead.
    seed : int
        Seed; the same arguments always give the same record.

    Returns
    -------
    SimulatedECG
        ``.recording`` (int16 counts at 2000 counts/mV, mV units) and ``.truth``.
    """
    params = PatientParams(
        fs=fs, leads=leads, hr=hr, rhythm=rhythm, schedule=schedule, repeat=repeat,
        pvc_rate=pvc_rate, pause_s=pause_s, noise=noise, emg=emg, wander=wander, mains=mains,
        mains_hz=mains_hz, motion=motion, f_wave=f_wave, lead_off=lead_off,
        calibration=calibration, seed=seed,
    )  # fmt: skip
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise SignalError(f"duration_s must be positive, got {duration_s!r}")
    n = round(duration_s * params.fs)
    model = PatientModel(params, keep_history=True)
    n_leads = len(params.leads)
    counts = np.empty((n, n_leads), dtype=np.int16)
    off = np.empty((n, n_leads), dtype=bool)
    step = max(1, round(10.0 * params.fs))
    for a in range(0, n, step):
        b = min(a + step, n)
        counts[a:b], off[a:b] = model.generate(a, b - a)
    rec = Recording(
        adc=counts,
        fs=params.fs,
        lead_names=params.leads,
        gain=np.full(n_leads, GAIN),
        baseline=np.zeros(n_leads, dtype=np.int64),
        units=("mV",) * n_leads,
        name="sim",
        metadata={"source": "simulator", "simulator": params.as_dict()},
    )
    return SimulatedECG(rec, model.truth(n, off))
