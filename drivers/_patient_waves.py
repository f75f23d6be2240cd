"""Continuous (non-beat) cardiac activity: atrial fibrillatory waves and ventricular fibrillation.

Both are dipoles written as closed-form functions of time (frequency- and
amplitude-modulated sinusoids with seeded parameters per episode), so any
sample range is computed without state:

* f-waves (AF): 5-7 Hz (300-420 /min) with slow frequency and amplitude
  modulation and a second harmonic, directed towards V1 (largest in V1, II);
* flutter waves (atrial flutter): a regular sawtooth (slow fall, quick
  rise) at ``hr * block / 60`` Hz, ``block`` the whole number of waves per
  beat that brings it nearest 300 /min (2:1 at 150 bpm, 4:1 at 75 bpm); each
  beat falls a whole number of waves after the last one; directed upwards (negative
  waves in II, III and aVF, as in typical flutter);
* VF: three modulated 4-7 Hz components along different directions, giving
  the chaotic, QRS-less waveform with its spectral peak in 4-8 Hz; coarse at
  onset (about 0.6 mV), slowly becoming finer.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "FLUTTER_RATE_PER_MIN",
    "RAMP_S",
    "f_waves",
    "flutter_block",
    "flutter_waves",
    "vf_waves",
]

#: Onset/offset ramp of an episode's continuous activity, seconds.
RAMP_S = 0.3

_F_DIRECTION = np.array([-0.35, 0.45, -0.82])
_FLUTTER_DIRECTION = np.array([0.1, -0.95, -0.3]) / np.linalg.norm([0.1, -0.95, -0.3])


def _ramp(t: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    up = np.clip((t - start_s) / RAMP_S, 0.0, 1.0)
    down = np.clip((end_s - t) / RAMP_S, 0.0, 1.0)
    return np.minimum(up, down)


def _fm_phase(t: np.ndarray, f0: float, depth: float, fm: float, phase: float) -> np.ndarray:
    """Phase (rad) of a tone at ``f0 + depth * sin(2 pi fm t + phase)`` Hz."""
    return 2 * np.pi * f0 * t - (depth / fm) * np.cos(2 * np.pi * fm * t + phase)


def f_waves(
    t: np.ndarray, start_s: float, end_s: float, seed: int, amplitude: float
) -> np.ndarray:
    """Atrial fibrillatory dipole (mV, shape (n, 3)) over times ``t`` (s) of one AF episode."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 21, round(start_s * 1000)]))
    f0 = rng.uniform(5.0, 7.0)
    ph = _fm_phase(t, f0, 0.7, rng.uniform(0.08, 0.2), rng.uniform(0, 2 * np.pi))
    am = 1.0 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.15, 0.3) * t + rng.uniform(0, 2 * np.pi))
    wave = amplitude * am * (np.sin(ph) + 0.35 * np.sin(2 * ph + 0.7)) * _ramp(t, start_s, end_s)
    return wave[:, None] * _F_DIRECTION[None, :]


#: Atrial rate that the flutter conduction ratio is chosen for (/min).
FLUTTER_RATE_PER_MIN = 300.0


def flutter_block(hr: float) -> int:
    """Flutter waves per conducted beat at a ventricular rate ``hr`` (bpm): 2 or more."""
    return max(2, round(FLUTTER_RATE_PER_MIN / hr))


def flutter_waves(
    t: np.ndarray, start_s: float, end_s: float, hr: float, amplitude: float
) -> np.ndarray:
    """Atrial flutter dipole (mV, shape (n, 3)) over times ``t`` (s) of one episode.

    A sawtooth of three harmonics, falling slowly and rising quickly, at
    ``hr * flutter_block(hr) / 60`` Hz from ``start_s``.
    """
    f0 = hr * flutter_block(hr) / 60.0
    ph = 2 * np.pi * f0 * (t - start_s)
    saw = sum(np.sin(k * ph) / k for k in (1, 2, 3)) / 1.5
    wave = amplitude * saw * _ramp(t, start_s, end_s)
    return wave[:, None] * _FLUTTER_DIRECTION[None, :]


def vf_waves(t: np.ndarray, start_s: float, end_s: float, seed: int) -> np.ndarray:
    """Ventricular fibrillation dipole (mV, shape (n, 3)) over times ``t`` (s) of one episode."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 22, round(start_s * 1000)]))
    out = np.zeros((t.size, 3))
    envelope = 0.6 * (0.5 + 0.5 * np.exp(-(t - start_s) / 90.0)) * _ramp(t, start_s, end_s)
    for weight in (1.0, 0.6, 0.4):
        direction = rng.normal(size=3) + np.array([0.4, 0.5, 0.0])
        direction /= np.linalg.norm(direction)
        ph = _fm_phase(t, rng.uniform(4.0, 7.0), 1.2, rng.uniform(0.2, 0.6), rng.uniform(0, 6.3))
        am = 1.0 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.2, 0.8) * t + rng.uniform(0, 6.3))
        out += (weight * envelope * am * np.sin(ph))[:, None] * direction[None, :]
    return out
