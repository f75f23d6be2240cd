"""Noise of the simulated patient, per electrode and reproducible for any sample range.

Every random quantity is drawn from fixed blocks of samples (or seconds) whose
generator is seeded by ``(seed, stream, block)``, so the noise of sample ``k``
does not depend on how the record is cut into chunks. All noise is added to
electrode potentials (never to a derived lead), which keeps Einthoven's and
Goldberger's relations exact.

Components (amplitudes in mV as seen in a limb lead):

* ``noise``  - broadband amplifier/thermal noise, RMS;
* ``emg``    - muscle noise, band-limited 20-150 Hz, RMS;
* ``wander`` - baseline wander from respiration and electrode drift, amplitude;
* ``mains``  - power-line interference at ``mains_hz`` (and its 3rd harmonic), amplitude;
* ``motion`` - motion-artifact bursts per minute (0.3-1.2 s, 0.5-2.5 mV, 1-3 electrodes).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import signal as sps

__all__ = ["NoiseModel", "block_normal"]

#: Samples per seeded block of white noise.
BLOCK = 1024
#: Seconds per seeded block of motion bursts.
MOTION_BLOCK_S = 10.0
#: Longest motion burst, seconds.
MOTION_MAX_S = 1.2

_WHITE, _EMG, _MOTION = 1, 2, 3


def block_normal(seed: int, stream: int, first: int, n: int, width: int) -> np.ndarray:
    """Standard normal rows ``first .. first+n-1`` of an endless seeded stream.

    Row ``k`` comes from block ``k // BLOCK``, whose generator is seeded with
    ``(seed, stream, block)``: the value of a row never depends on ``first`` or ``n``.
    """
    out = np.empty((n, width))
    if n == 0:
        return out
    b0, b1 = first // BLOCK, (first + n - 1) // BLOCK
    pos = 0
    for b in range(b0, b1 + 1):
        rng = np.random.default_rng(np.random.SeedSequence([seed, stream, b]))
        block = rng.standard_normal((BLOCK, width))
        lo = max(first, b * BLOCK) - b * BLOCK
        hi = min(first + n, (b + 1) * BLOCK) - b * BLOCK
        out[pos : pos + hi - lo] = block[lo:hi]
        pos += hi - lo
    return out


class NoiseModel:
    """Electrode noise for one simulated patient.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz.
    n_electrodes : int
        Number of electrodes (columns).
    seed : int
        Seed of every random stream.
    noise, emg, wander, mains, motion : float
        Component levels (see the module docstring); 0 disables a component.
    mains_hz : float
        Mains frequency, 50 or 60 Hz.
    resp_hz : float
        Respiration frequency in Hz (shared with the beat amplitude modulation).
    """

    def __init__(
        self,
        fs: float,
        n_electrodes: int,
        seed: int,
        *,
        noise: float,
        emg: float,
        wander: float,
        mains: float,
        mains_hz: float,
        motion: float,
        resp_hz: float,
    ) -> None:
        self.fs = float(fs)
        self.width = int(n_electrodes)
        self.seed = int(seed)
        self.noise, self.emg, self.wander = float(noise), float(emg), float(wander)
        self.mains, self.mains_hz, self.motion = float(mains), float(mains_hz), float(motion)
        rng = np.random.default_rng(np.random.SeedSequence([seed, 4]))
        w = self.width
        # Baseline wander: respiration plus a slower electrode drift, per electrode.
        drift_hz = rng.uniform(0.03, 0.08)
        self._wander = (
            (resp_hz, wander * rng.uniform(0.4, 0.8, w), rng.uniform(0, 2 * np.pi, w)),
            (drift_hz, wander * rng.uniform(0.3, 0.7, w), rng.uniform(0, 2 * np.pi, w)),
        )
        # Mains: mostly common-mode, so a lead sees the electrodes' imbalance.
        harmonics = [(1, 1.0), (3, 0.2)]
        self._mains = tuple(
            (h * mains_hz, mains * a * rng.uniform(0.35, 0.75, w), rng.uniform(0, 2 * np.pi, w))
            for h, a in harmonics
            if h * mains_hz < 0.45 * fs
        )
        if emg > 0:
            high = min(150.0, 0.45 * fs)
            if high <= 25.0:
                self._fir = np.array([1.0])
            else:
                taps = int(2 * round(0.05 * fs) + 1)
                fir = sps.firwin(taps, [20.0, high], pass_zero=False, fs=fs)
                self._fir = fir / math.sqrt(float(np.sum(fir**2)))
        else:
            self._fir = np.array([1.0])

    def electrodes(self, first: int, n: int) -> np.ndarray:
        """Noise of samples ``first .. first+n-1`` for every electrode, mV, shape (n, width)."""
        t = np.arange(first, first + n) / self.fs
        out = np.zeros((n, self.width))
        per_electrode = 1.0 / math.sqrt(2.0)  # a lead is the difference of two electrodes
        if self.noise > 0:
            out += (self.noise * per_electrode) * block_normal(
                self.seed, _WHITE, first, n, self.width
            )
        if self.emg > 0:
            pad = self._fir.size - 1
            if first >= pad:
                raw = block_normal(self.seed, _EMG, first - pad, n + pad, self.width)
            else:
                raw = self._emg_from_start(first, n, pad)
            filtered = sps.lfilter(self._fir, [1.0], raw, axis=0)[pad:]
            out += (self.emg * per_electrode) * filtered
        for comps, enabled in ((self._wander, self.wander > 0), (self._mains, self.mains > 0)):
            if enabled:
                for f, amp, phase in comps:
                    out += amp * np.sin(2 * np.pi * f * t[:, None] + phase)
        if self.motion > 0:
            out += self._motion(t)
        return out

    def _emg_from_start(self, first: int, n: int, pad: int) -> np.ndarray:
        """White EMG input with zeros before sample 0 (the stream starts at 0)."""
        lead = pad - first
        raw = np.zeros((n + pad, self.width))
        raw[lead:] = block_normal(self.seed, _EMG, 0, n + first, self.width)
        return raw

    def _motion(self, t: np.ndarray) -> np.ndarray:
        out = np.zeros((t.size, self.width))
        if t.size == 0:
            return out
        b0 = math.floor((t[0] - MOTION_MAX_S) / MOTION_BLOCK_S)
        b1 = math.floor(t[-1] / MOTION_BLOCK_S)
        for b in range(max(b0, 0), b1 + 1):
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, _MOTION, b]))
            count = rng.poisson(self.motion * MOTION_BLOCK_S / 60.0)
            for _ in range(count):
                start = (b + rng.uniform()) * MOTION_BLOCK_S
                dur = rng.uniform(0.3, MOTION_MAX_S)
                f = rng.uniform(0.7, 3.0)
                phase = rng.uniform(0, 2 * np.pi)
                n_el = int(rng.integers(1, 4))
                cols = rng.choice(self.width, size=n_el, replace=False)
                amps = rng.uniform(0.5, 2.5, n_el) * rng.choice([-1.0, 1.0], n_el)
                sel = (t >= start) & (t < start + dur)
                if not sel.any():
                    continue
                u = (t[sel] - start) / dur
                wave = np.sin(np.pi * u) ** 2 * np.sin(2 * np.pi * f * (t[sel] - start) + phase)
                out[np.ix_(sel, cols)] += wave[:, None] * amps[None, :]
        return out
