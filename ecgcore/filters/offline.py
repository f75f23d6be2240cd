"""Whole-signal filtering: zero-phase (forward-backward) or causal."""

from __future__ import annotations

from typing import Any

import numpy as np

from ecgcore.filters._iir_numba import sosfilt_nan_2d, sosfiltfilt_nan_2d
from ecgcore.filters._signal import as_samples_2d
from ecgcore.filters.design import get_design
from ecgcore.filters.spec import FilterSpec

__all__ = ["filter_signal"]


def filter_signal(
    signal: Any,
    fs: float,
    preset: FilterSpec | str = "monitoring",
    *,
    zero_phase: bool = True,
) -> np.ndarray:
    """Filter a whole signal.

    Parameters
    ----------
    signal : array_like, shape (n_samples,) or (n_samples, n_channels)
        Samples (e.g. mV); NaN marks missing samples.
    fs : float
        Sampling rate in Hz.
    preset : FilterSpec or str
        Preset name (``"diagnostic"``, ``"monitoring"``, ``"detection"``) or a spec.
    zero_phase : bool
        True (default): forward-backward filtering, no phase shift or delay,
        for offline analysis; the design is adjusted so the two passes
        together meet the spec's -3 dB corners. False: the causal filter of
        :class:`~ecgcore.filters.StreamingFilter`, bit-for-bit identical to
        streaming the signal in any chunking.

    Returns
    -------
    ndarray of float64, same shape as ``signal``
        Filtered signal in the units of the input.

    Notes
    -----
    Zero-phase filtering follows ``scipy.signal.sosfiltfilt`` exactly: odd
    extension at both ends (scipy's default length, ``3 * (2 * n_sections + 1)``
    less the sections' trailing zeros), state initialised to the steady state
    of the first sample of each pass.

    Missing samples stay NaN and nothing is interpolated across them. Each
    run of valid samples between gaps is filtered on its own: zero-phase runs
    each get their own edge extension (shortened to ``run_length - 1`` for
    short runs); the causal filter restarts from the steady state of the
    first valid sample after each gap, as the streaming filter does.

    Raises
    ------
    SignalError
        Empty signal, wrong shape or dtype, infinite values, ``fs`` too low
        for the preset.
    """
    design = get_design(preset, fs, zero_phase=zero_phase)
    x, was_1d = as_samples_2d(signal, "signal")
    if zero_phase:
        y = sosfiltfilt_nan_2d(design.sos, design.zi_unit, x, design.padlen)
    else:
        n_channels = x.shape[1]
        zi = np.zeros((n_channels, design.sos.shape[0], 2))
        waiting = np.ones(n_channels, dtype=np.bool_)
        y = sosfilt_nan_2d(design.sos, design.zi_unit, x, zi, waiting)
    return y[:, 0] if was_1d else y
