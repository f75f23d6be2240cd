"""Noise stress test: add MIT-BIH NSTDB noise to a clean ECG, EC57 style.

This follows the WFDB ``nst`` program (Moody, Muldrow & Mark 1984), which made
the nstdb stress records and which EC57 names for noise testing:

* signal size ``S`` = trimmed mean (5 % off each end) of the peak-to-peak
  amplitude in +-50 ms around the first 300 normal beats (``sigamp -a``);
* noise size ``N`` = trimmed mean of the RMS in the first 300 one-second
  windows of the noise record, each window's mean removed (``sigamp``);
* noise gain ``g = 10**(-snr_db / 20) * sqrt(2) / 4 * S / N``;
* the noise is off for the first 5 minutes, then on and off in alternating
  2-minute blocks; at each switch an offset keeps the output continuous;
  the noise record wraps around when shorter than the ECG.

No maintained Python library implements the nst protocol; this module is a
direct transcription of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ecgcore.benchmarks.aami import aami_class

__all__ = [
    "add_noise_ec57",
    "noise_blocks",
    "noise_gain",
    "noise_rms",
    "qrs_amplitude",
]

_NMAX = 300  # measurements per signal, as in sigamp
_TRIM = 20  # 1/20 = 5 % trimmed off each end


def _trimmed_mean(values: np.ndarray) -> float:
    n = values.size
    lo = n // _TRIM
    v = np.sort(values)[lo : n - lo]
    return float(v.mean())


def qrs_amplitude(
    signal: np.ndarray,
    fs: float,
    beat_idx: Sequence[int] | np.ndarray,
    beat_symbols: Sequence[str] | None = None,
    *,
    half_window_s: float = 0.05,
) -> float:
    """Typical QRS peak-to-peak amplitude (``sigamp -a`` rules), in signal units.

    Parameters
    ----------
    signal : ndarray, shape (n,)
        One ECG lead (mV).
    fs : float
        Sampling rate in Hz.
    beat_idx : array_like of int
        Reference beat sample indices.
    beat_symbols : sequence of str, optional
        Beat symbols; only AAMI class N beats are measured (all beats when None).
    half_window_s : float
        Measurement window either side of each beat (s).
    """
    x = np.asarray(signal, dtype=np.float64)
    idx = np.asarray(beat_idx, dtype=np.int64)
    if beat_symbols is not None:
        keep = np.array([aami_class(s) == "N" for s in beat_symbols], dtype=bool)
        idx = idx[keep]
    half = round(half_window_s * fs)
    idx = idx[(idx - half >= 0) & (idx + half < x.size)][:_NMAX]
    if idx.size == 0:
        raise ValueError("qrs_amplitude: no normal beats inside the signal to measure")
    amps = np.array([np.ptp(x[i - half : i + half]) for i in idx])
    return _trimmed_mean(amps)


def noise_rms(noise: np.ndarray, fs: float, *, window_s: float = 1.0) -> float:
    """Typical noise RMS (``sigamp`` rules): trimmed mean over 1-s windows."""
    x = np.asarray(noise, dtype=np.float64)
    w = max(1, round(window_s * fs))
    n_win = min(_NMAX, x.size // w)
    if n_win == 0:
        raise ValueError(f"noise_rms: noise shorter than one {window_s} s window")
    seg = x[: n_win * w].reshape(n_win, w)
    rms = np.sqrt(np.mean((seg - seg.mean(axis=1, keepdims=True)) ** 2, axis=1))
    return _trimmed_mean(rms)


def noise_gain(snr_db: float, signal_amplitude: float, noise_amplitude: float) -> float:
    """Gain applied to the noise record for a target SNR (dB), as ``nst`` computes it."""
    if not (signal_amplitude > 0 and noise_amplitude > 0):
        raise ValueError("noise_gain: signal and noise amplitudes must be > 0")
    return 10.0 ** (-snr_db / 20.0) * math.sqrt(2.0) / 4.0 * signal_amplitude / noise_amplitude


def noise_blocks(
    n_samples: int, fs: float, *, start_s: float = 300.0, block_s: float = 120.0
) -> list[tuple[int, int]]:
    """``[start, stop)`` sample ranges where the noise is on (nst protocol)."""
    start, block = round(start_s * fs), round(block_s * fs)
    return [(s, min(s + block, n_samples)) for s in range(start, n_samples, 2 * block)]


def add_noise_ec57(
    signal: np.ndarray,
    noise: np.ndarray,
    fs: float,
    snr_db: float,
    beat_idx: Sequence[int] | np.ndarray,
    *,
    beat_symbols: Sequence[str] | None = None,
    start_s: float = 300.0,
    block_s: float = 120.0,
) -> np.ndarray:
    """Return ``signal`` with nstdb noise added at ``snr_db`` in the nst protocol.

    Parameters
    ----------
    signal : ndarray, shape (n,)
        Clean ECG lead (mV).
    noise : ndarray, shape (m,)
        Noise lead at the same sampling rate (mV), e.g. nstdb ``ma`` or ``bw``.
    fs : float
        Sampling rate in Hz of both.
    snr_db : float
        Target signal-to-noise ratio in dB (nstdb uses 24, 18, 12, 6, 0, -6).
    beat_idx, beat_symbols
        Reference beats of ``signal`` (for the QRS amplitude).
    start_s, block_s : float
        Noise-free lead-in and on/off block length (nst: 5 min, 2 min).

    Returns
    -------
    ndarray, shape (n,)
        The noisy signal (float64); identical to ``signal`` outside the noise blocks
        up to a constant offset that keeps it continuous.
    """
    x = np.asarray(signal, dtype=np.float64)
    nz = np.asarray(noise, dtype=np.float64)
    if x.ndim != 1 or nz.ndim != 1:
        raise ValueError("add_noise_ec57: signal and noise must be 1-D")
    if nz.size == 0 or not np.all(np.isfinite(nz)):
        raise ValueError("add_noise_ec57: noise must be non-empty and finite")
    gain = noise_gain(snr_db, qrs_amplitude(x, fs, beat_idx, beat_symbols), noise_rms(nz, fs))
    reps = -(-x.size // nz.size)
    n = np.tile(nz, reps)[: x.size]

    g = np.zeros(x.size)
    for lo, hi in noise_blocks(x.size, fs, start_s=start_s, block_s=block_s):
        g[lo:hi] = gain
    raw = x + g * n
    # nst keeps the output continuous at every gain switch: the new segment is
    # shifted so its first sample follows the previous output sample smoothly.
    out = raw.copy()
    switches = np.flatnonzero(np.diff(g) != 0) + 1
    offset = 0.0
    bounds = [0, *switches.tolist(), x.size]
    for k in range(1, len(bounds) - 1):
        b = bounds[k]
        prev_out = raw[b - 1] - offset
        # offset z = vin + g_new * noise (at the last sample) - vout
        offset = x[b - 1] + g[b] * n[b - 1] - prev_out
        out[b : bounds[k + 1]] = raw[b : bounds[k + 1]] - offset
    return out
