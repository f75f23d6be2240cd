"""Causal streaming filter with explicit state."""

from __future__ import annotations

from typing import Any

import numpy as np

from ecgcore.filters._iir_numba import sosfilt_nan_2d
from ecgcore.filters._signal import as_samples_2d
from ecgcore.filters.design import get_design
from ecgcore.filters.spec import FilterSpec

__all__ = ["StreamingFilter"]


class StreamingFilter:
    """Causal IIR filter for data that arrives in chunks (devices, live streams).

    Chunked processing equals whole-array processing: feeding a signal in
    any chunking gives the same output as one call on the whole signal.

    Parameters
    ----------
    spec_or_preset : FilterSpec or str
        What to remove; a preset name such as ``"monitoring"`` or a spec.
    fs : float
        Sampling rate in Hz.
    n_channels : int
        Number of channels (leads) filtered in parallel, each with its own state.

    Notes
    -----
    *Start-up.* The state of each channel is initialised at its first sample
    ``x0`` to the steady state the filter would have reached had the input been
    ``x0`` forever (``scipy.signal.sosfilt_zi(sos) * x0``). A DC offset or
    electrode potential therefore causes no start-up transient: the
    high-pass output starts at 0 instead of swinging by the offset.

    *Missing samples.* NaN input gives NaN output at the same samples and is
    never interpolated. The state of that channel is then re-initialised, as
    at the start, from the first valid sample after the gap, so a gap never
    poisons the state; :func:`ecgcore.filters.filter_signal` with
    ``zero_phase=False`` behaves identically. Infinite values are rejected
    with :class:`SignalError`.

    Examples
    --------
    >>> filt = StreamingFilter("monitoring", fs=500.0, n_channels=2)
    >>> for block in blocks:                      # doctest: +SKIP
    ...     clean = filt.process(block.data)      # (n, 2) in, (n, 2) out
    """

    def __init__(self, spec_or_preset: FilterSpec | str, fs: float, n_channels: int = 1) -> None:
        if isinstance(n_channels, bool) or not isinstance(n_channels, int | np.integer):
            raise TypeError(f"n_channels must be an integer, got {n_channels!r}")
        if n_channels < 1:
            raise ValueError(f"n_channels must be at least 1, got {n_channels}")
        self._design = get_design(spec_or_preset, fs, zero_phase=False)
        self._n_channels = int(n_channels)
        n_sections = self._design.sos.shape[0]
        self._zi = np.zeros((self._n_channels, n_sections, 2))
        self._waiting = np.ones(self._n_channels, dtype=np.bool_)
        self._n_samples = 0

    @property
    def spec(self) -> FilterSpec:
        """The filter spec."""
        return self._design.spec

    @property
    def fs(self) -> float:
        """Sampling rate in Hz."""
        return self._design.fs

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return self._n_channels

    @property
    def sos(self) -> np.ndarray:
        """Copy of the second-order sections, shape (n_sections, 6)."""
        return self._design.sos.copy()

    @property
    def zi(self) -> np.ndarray:
        """Copy of the filter state, shape (n_channels, n_sections, 2), scipy's layout."""
        return self._zi.copy()

    @property
    def waiting(self) -> np.ndarray:
        """Copy of the per-channel flag: state is set from the next valid sample."""
        return self._waiting.copy()

    @property
    def n_samples(self) -> int:
        """Samples processed since creation or the last :meth:`reset`."""
        return self._n_samples

    def process(self, chunk: Any) -> np.ndarray:
        """Filter the next ``chunk`` of samples.

        Parameters
        ----------
        chunk : array_like, shape (n,) or (n, n_channels)
            Next samples (any real dtype; NaN = missing); ``(n,)`` only when
            ``n_channels == 1``. An empty chunk is allowed and returns an empty array.

        Returns
        -------
        ndarray of float64, same shape as ``chunk``
            Filtered samples, in the units of the input.
        """
        x, was_1d = as_samples_2d(chunk, "chunk", n_channels=self._n_channels, allow_empty=True)
        if x.shape[0] == 0:
            y = x.copy()
        else:
            y = sosfilt_nan_2d(self._design.sos, self._design.zi_unit, x, self._zi, self._waiting)
        self._n_samples += x.shape[0]
        return y[:, 0] if was_1d else y

    def reset(self) -> None:
        """Forget the state: the next sample initialises it again, as at the start."""
        self._zi[:] = 0.0
        self._waiting[:] = True
        self._n_samples = 0

    def __repr__(self) -> str:
        return (
            f"StreamingFilter({self.spec.describe()}, fs={self.fs:g}, "
            f"n_channels={self._n_channels})"
        )
