"""Documented fault transforms for validating the grading on clean 12-lead records.

Each fault turns a clean record (the 12 standard leads in mV, in standard
order) into what a technician's mistake would have recorded, and names the
finding codes that must be raised:

==================  ==========================================================
fault               transform
==================  ==========================================================
swap_<X>            electrode swap by lead algebra (:mod:`ecgcore.grading.swaps`):
                    LA_RA, LA_LL, RA_LL, two rotations, RA_RL, LA_RL, and the
                    15 chest-lead interchanges V<i>_V<j>
leadoff_V3          V3 electrode off: V3 flat at 0 mV (+2 uV noise)
leadoff_LA          LA electrode off: I, III, aVR, aVL, aVF at the amplifier
                    rail (+10 mV), as saturating recorders show it
bw_<snr>dB          NSTDB baseline-wander noise, every lead, SNR as the nst
                    program defines it (QRS p-p vs noise RMS) at 6 or 0 dB
ma_<snr>dB          NSTDB muscle-artefact noise, same rules
mains_<a>mV         50 Hz sinusoid of amplitude a mV on every lead
gain_III_x2         lead III recorded at twice the gain of the others
gain_aVL_x0.5       aVL at half gain
gain_all_x0.5_cal   whole recording at half gain, with a calibration pulse
                    (1 mV at the true gain, so it reads 0.5 mV)
cal_ok              correct 1 mV calibration pulse added (a negative control:
                    no NO_CALIBRATION and no WRONG_GAIN may be raised)
truncate_6s         only the first 6 s kept
drop_V4             lead V4 not recorded
fs_250, fs_200      resampled (polyphase, scipy) to 250 Hz / 200 Hz
==================  ==========================================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import signal as sps

from ecgcore.benchmarks.noise import noise_gain, noise_rms
from ecgcore.filters import filter_signal
from ecgcore.grading.beats import beat_peaks
from ecgcore.grading.leads import STANDARD_LEADS
from ecgcore.grading.swaps import LIMB_PERMUTATIONS, NEUTRAL_SWAPS, PRECORDIAL_SWAPS, apply_swap

__all__ = ["FAULTS", "Fault", "FaultedRecord", "apply_fault"]


@dataclasses.dataclass(frozen=True)
class FaultedRecord:
    """Signals after a fault: (n, k) mV, the lead names, fs and extra metadata."""

    signals: np.ndarray
    lead_names: tuple[str, ...]
    fs: float
    metadata: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class Fault:
    """A fault: name, group for the table, expected codes (any of), the transform."""

    name: str
    group: str
    expected: frozenset[str]
    transform: Callable[[np.ndarray, float, np.random.Generator, Any], FaultedRecord]
    #: Codes that must NOT be raised (negative controls).
    forbidden: frozenset[str] = frozenset()


def _plain(x: np.ndarray, fs: float, **meta: Any) -> FaultedRecord:
    return FaultedRecord(x, STANDARD_LEADS, fs, meta)


def _swap(name: str) -> Callable:
    return lambda x, fs, rng, data: _plain(apply_swap(x, name), fs)


def _leadoff_v3(x, fs, rng, data):
    y = x.copy()
    y[:, STANDARD_LEADS.index("V3")] = rng.normal(0.0, 0.002, x.shape[0])
    return _plain(y, fs)


def _leadoff_la(x, fs, rng, data):
    y = x.copy()
    for lead in ("I", "III", "aVR", "aVL", "aVF"):
        y[:, STANDARD_LEADS.index(lead)] = 10.0
    return _plain(y, fs, rail_mv=(-10.0, 10.0))


@lru_cache(maxsize=4)
def _nstdb(name: str, fs: float, data_dir: str | None) -> np.ndarray:
    from ecgcore.datasets import get_database

    rec, _ = get_database("nstdb", data_dir).load(name)
    noise = rec.physical("mV")
    ratio = Fraction(fs / rec.fs).limit_denominator(1000)
    return sps.resample_poly(noise, ratio.numerator, ratio.denominator, axis=0)


def _qrs_amplitude(x: np.ndarray, fs: float, peaks: np.ndarray) -> float:
    half = round(0.05 * fs)
    amps = [np.ptp(x[i - half : i + half]) for i in peaks if half <= i < x.size - half]
    return float(np.median(amps)) if amps else float(np.ptp(x))


def _noise(name: str, snr_db: float) -> Callable:
    def transform(x, fs, rng, data_dir):
        noise = _nstdb(name, fs, data_dir)
        start = int(rng.integers(0, noise.shape[0] - x.shape[0]))
        seg = noise[start : start + x.shape[0]]
        peaks = beat_peaks(filter_signal(x, fs, "monitoring"), fs)
        y = x.copy()
        for j in range(x.shape[1]):
            ch = seg[:, j % seg.shape[1]]
            s_amp = _qrs_amplitude(x[:, j], fs, peaks)
            gain = noise_gain(snr_db, max(s_amp, 1e-3), noise_rms(ch, fs))
            y[:, j] = x[:, j] + gain * (ch - ch[0])
        return _plain(y, fs)

    return transform


def _mains(amp: float) -> Callable:
    def transform(x, fs, rng, data):
        t = np.arange(x.shape[0]) / fs
        phase = rng.uniform(0, 2 * np.pi)
        return _plain(x + amp * np.sin(2 * np.pi * 50.0 * t + phase)[:, None], fs)

    return transform


def _gain(lead: str, factor: float) -> Callable:
    def transform(x, fs, rng, data):
        y = x.copy()
        y[:, STANDARD_LEADS.index(lead)] *= factor
        return _plain(y, fs)

    return transform


def _with_pulse(factor: float) -> Callable:
    """Prepend 0.6 s with a calibration pulse (1 mV at the true gain), all scaled by ``factor``."""

    def transform(x, fs, rng, data):
        n0 = round(0.6 * fs)
        pre = np.repeat(x[:1], n0, axis=0)
        a, b = round(0.1 * fs), round(0.3 * fs)
        pre[a:b] += 1.0
        return _plain(factor * np.vstack([pre, x]), fs)

    return transform


def _truncate(x, fs, rng, data):
    return _plain(x[: round(6.0 * fs)], fs)


def _drop_v4(x, fs, rng, data):
    keep = [j for j, n in enumerate(STANDARD_LEADS) if n != "V4"]
    return FaultedRecord(x[:, keep], tuple(STANDARD_LEADS[j] for j in keep), fs, {})


def _resample(target: float) -> Callable:
    def transform(x, fs, rng, data):
        ratio = Fraction(target / fs).limit_denominator(1000)
        return _plain(sps.resample_poly(x, ratio.numerator, ratio.denominator, axis=0), target)

    return transform


def _build() -> dict[str, Fault]:
    faults: list[Fault] = [Fault("clean", "clean", frozenset(), lambda x, fs, r, d: _plain(x, fs))]
    codes = {
        "LA_RA": "LIMB_REVERSAL_LA_RA",
        "LA_LL": "LIMB_REVERSAL_LA_LL",
        "RA_LL": "LIMB_REVERSAL_RA_LL",
    }
    for name in (*LIMB_PERMUTATIONS, *NEUTRAL_SWAPS):
        code = codes.get(name, "LIMB_REVERSAL_OTHER")
        faults.append(Fault(f"swap_{name}", "limb", frozenset({code}), _swap(name)))
    for name in PRECORDIAL_SWAPS:
        faults.append(
            Fault(f"swap_{name}", "precordial", frozenset({"PRECORDIAL_SWAP"}), _swap(name))
        )
    faults += [
        Fault("leadoff_V3", "contact", frozenset({"LEAD_OFF"}), _leadoff_v3),
        Fault("leadoff_LA", "contact", frozenset({"LEAD_OFF"}), _leadoff_la),
    ]
    for snr in (6.0, 0.0):
        faults.append(
            Fault(f"bw_{snr:g}dB", "noise", frozenset({"BASELINE_WANDER"}), _noise("bw", snr))
        )
        faults.append(
            Fault(
                f"ma_{snr:g}dB",
                "noise",
                frozenset({"MUSCLE_NOISE", "MOTION_ARTIFACT"}),
                _noise("ma", snr),
            )
        )
    for amp in (0.1, 0.3):
        faults.append(
            Fault(f"mains_{amp:g}mV", "noise", frozenset({"POWERLINE_NOISE"}), _mains(amp))
        )
    faults += [
        Fault("gain_III_x2", "settings", frozenset({"WRONG_GAIN"}), _gain("III", 2.0)),
        Fault("gain_aVL_x0.5", "settings", frozenset({"WRONG_GAIN"}), _gain("aVL", 0.5)),
        Fault("gain_all_x0.5_cal", "settings", frozenset({"WRONG_GAIN"}), _with_pulse(0.5)),
        Fault(
            "cal_ok",
            "settings",
            frozenset(),
            _with_pulse(1.0),
            forbidden=frozenset({"NO_CALIBRATION", "WRONG_GAIN"}),
        ),
        Fault("truncate_6s", "settings", frozenset({"SHORT_DURATION"}), _truncate),
        Fault("drop_V4", "settings", frozenset({"MISSING_LEAD"}), _drop_v4),
        Fault("fs_250", "settings", frozenset({"LOW_SAMPLING_RATE"}), _resample(250.0)),
        Fault("fs_200", "settings", frozenset({"LOW_SAMPLING_RATE"}), _resample(200.0)),
    ]
    return {f.name: f for f in faults}


#: Every fault, by name.
FAULTS: Mapping[str, Fault] = _build()


def apply_fault(
    name: str, signals: np.ndarray, fs: float, *, seed: int = 0, data_dir: str | None = None
) -> FaultedRecord:
    """Apply fault ``name`` to the 12 standard leads ``signals`` (n, 12) in mV."""
    fault = FAULTS[name]
    x = np.asarray(signals, dtype=np.float64)
    return fault.transform(x, fs, np.random.default_rng(seed), data_dir)
