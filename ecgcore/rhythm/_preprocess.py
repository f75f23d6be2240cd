"""Causal conditioning of the analysed lead and fixed-grid beat windows.

Everything downstream of this module (templates, features, VF windows) sees
the signal through two things only:

* :class:`CausalBandpass`: a causal Butterworth band-pass (0.5-40 Hz) whose
  state is carried between chunks, so chunked and whole-array processing give
  the same samples bit for bit; NaN (missing) samples stay NaN and restart the
  state on the next valid sample (:func:`ecgcore.filters._iir_numba.sosfilt_nan_1d`);
* :func:`beat_windows`: each beat resampled on a fixed time grid (4 ms steps,
  -0.30 to +0.50 s around the fiducial point) by linear interpolation, so the
  features do not depend on the sampling rate of the source.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from scipy import signal as sps

from ecgcore.filters._iir_numba import sosfilt_nan_1d

__all__ = [
    "GRID_DT_S",
    "GRID_N",
    "GRID_R",
    "GRID_START_S",
    "GRID_STOP_S",
    "P_SLICE",
    "CausalBandpass",
    "beat_windows",
]

#: Beat-window grid: step (s), first and last offset from the fiducial point (s).
GRID_DT_S: Final = 0.004
GRID_START_S: Final = -0.30
GRID_STOP_S: Final = 0.50
#: Number of grid points and the index of the fiducial point on the grid.
GRID_N: Final = round((GRID_STOP_S - GRID_START_S) / GRID_DT_S) + 1
GRID_R: Final = round(-GRID_START_S / GRID_DT_S)

#: Grid points of the P-wave region (-248 to -68 ms before the fiducial point).
P_SLICE: Final = slice(GRID_R - 62, GRID_R - 17)

_GRID_S = GRID_START_S + GRID_DT_S * np.arange(GRID_N)


def bandpass_sos(fs: float, low_hz: float = 0.5, high_hz: float = 40.0) -> np.ndarray:
    """Second-order sections of the conditioning band-pass (order 2 high, 4 low)."""
    high_hz = min(high_hz, 0.45 * fs)
    hp = sps.butter(2, low_hz, btype="highpass", fs=fs, output="sos")
    lp = sps.butter(4, high_hz, btype="lowpass", fs=fs, output="sos")
    return np.ascontiguousarray(np.vstack([hp, lp]), dtype=np.float64)


class CausalBandpass:
    """Causal 0.5-40 Hz band-pass of one lead with state kept between chunks.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz.
    """

    def __init__(self, fs: float) -> None:
        self.sos = bandpass_sos(fs)
        self._zi_unit = np.ascontiguousarray(sps.sosfilt_zi(self.sos))
        self.reset()

    def reset(self) -> None:
        """Forget the state (the next valid sample starts in steady state)."""
        self._zi = np.zeros_like(self._zi_unit)
        self._waiting = np.ones(1, dtype=np.bool_)

    def process(self, x_mv: np.ndarray) -> np.ndarray:
        """Filter one chunk (mV, NaN = missing) and return it (mV)."""
        x = np.ascontiguousarray(x_mv, dtype=np.float64)
        return sosfilt_nan_1d(self.sos, self._zi_unit, x, self._zi, self._waiting)


def beat_windows(y: np.ndarray, first_idx: int, beats_idx: np.ndarray, fs: float) -> np.ndarray:
    """Sample each beat of ``y`` on the fixed grid.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Conditioned signal (mV); ``y[0]`` is absolute sample ``first_idx``.
    first_idx : int
        Absolute sample index of ``y[0]``.
    beats_idx : ndarray of int
        Absolute sample indices of the fiducial points.
    fs : float
        Sampling rate in Hz.

    Returns
    -------
    ndarray, shape (n_beats, GRID_N)
        Windows in mV; NaN where the window leaves ``y`` or covers missing samples.
    """
    beats = np.asarray(beats_idx, dtype=np.int64)
    # Integer and fractional parts kept apart, so the weights do not depend on
    # where the buffer starts (chunked == whole, bit for bit).
    offset = _GRID_S * fs
    whole = np.floor(offset)
    frac = np.broadcast_to(offset - whole, (beats.size, offset.size))
    i0 = (beats - first_idx)[:, None] + whole.astype(np.int64)[None, :]
    inside = (i0 >= 0) & (i0 + 1 < y.size)
    i0c = np.clip(i0, 0, max(y.size - 2, 0))
    if y.size < 2:
        return np.full(i0.shape, np.nan)
    out = y[i0c] * (1.0 - frac) + y[i0c + 1] * frac
    out[~inside] = np.nan
    return out
