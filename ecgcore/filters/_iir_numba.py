"""Numba kernels for IIR filtering with explicit state.

Plain functions over arrays, compiled through :func:`ecgcore._jit.jit`.
The state layout is scipy's: ``zi`` has shape ``(n_sections, 2)`` per channel
(transposed direct form II), so ``scipy.signal.sosfilt_zi`` and
``scipy.signal.sosfilt`` are valid references in tests.
"""

from __future__ import annotations

import numpy as np

from ecgcore._jit import jit


@jit
def sosfilt_1d(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """Filter ``x`` (1-D float64) through second-order sections, updating ``zi`` in place.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        Second-order sections ``[b0, b1, b2, a0, a1, a2]`` with ``a0 == 1``.
    x : ndarray, shape (n_samples,)
        Input samples.
    zi : ndarray, shape (n_sections, 2)
        Filter state; holds the final state on return.
    """
    n_sections = sos.shape[0]
    y = np.empty_like(x)
    for i in range(x.shape[0]):
        v = x[i]
        for s in range(n_sections):
            out = sos[s, 0] * v + zi[s, 0]
            zi[s, 0] = sos[s, 1] * v - sos[s, 4] * out + zi[s, 1]
            zi[s, 1] = sos[s, 2] * v - sos[s, 5] * out
            v = out
        y[i] = v
    return y


@jit
def sosfilt_2d(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """Filter every column of ``x`` (n_samples, n_channels); ``zi`` is (n_channels, n_sections, 2)."""
    y = np.empty_like(x)
    for c in range(x.shape[1]):
        y[:, c] = sosfilt_1d(sos, np.ascontiguousarray(x[:, c]), zi[c])
    return y
