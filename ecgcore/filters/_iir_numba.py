"""Numba kernels for IIR filtering with explicit state.

Plain functions over arrays, compiled through :func:`ecgcore._jit.jit`.
The state layout is scipy's: ``zi`` has shape ``(n_sections, 2)`` per channel
(transposed direct form II), so ``scipy.signal.sosfilt_zi``,
``scipy.signal.sosfilt`` and ``scipy.signal.sosfiltfilt`` are valid references
in tests.

Missing samples (NaN) are handled by the ``*_nan_*`` kernels: a NaN input gives
a NaN output and marks the channel as waiting; the first valid sample after it
re-initialises the state to the steady state for that sample
(``zi = zi_unit * x``, as ``scipy.signal.sosfilt_zi(sos) * x[0]``), so a gap
never poisons the state and nothing is interpolated across it. Because the
decision is taken per sample, chunked and whole-array processing run exactly
the same arithmetic.
"""

from __future__ import annotations

import numpy as np

from ecgcore._jit import jit


@jit
def sosfilt_nan_2d(
    sos: np.ndarray,
    zi_unit: np.ndarray,
    x: np.ndarray,
    zi: np.ndarray,
    waiting: np.ndarray,
) -> np.ndarray:
    """Causal NaN-aware filtering of every column of ``x``, updating ``zi`` and ``waiting``.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        Second-order sections ``[b0, b1, b2, a0, a1, a2]`` with ``a0 == 1``.
    zi_unit : ndarray, shape (n_sections, 2)
        Steady-state of the cascade for a unit step (``scipy.signal.sosfilt_zi``).
    x : ndarray, shape (n_samples, n_channels)
        Input samples; NaN marks a missing sample.
    zi : ndarray, shape (n_channels, n_sections, 2)
        Filter state; holds the final state on return.
    waiting : ndarray of bool, shape (n_channels,)
        True when a channel's state must be initialised from its next valid
        sample (start of the stream, or after a NaN); updated on return.

    Notes
    -----
    The channels are stepped together, sample by sample, on the row-major
    input (no copies; their independent recursions overlap in the processor).
    """
    n, n_channels = x.shape
    n_sections = sos.shape[0]
    y = np.empty_like(x)
    for i in range(n):
        for c in range(n_channels):
            v = x[i, c]
            if np.isnan(v):
                y[i, c] = np.nan
                waiting[c] = True
                continue
            if waiting[c]:
                for s in range(n_sections):
                    zi[c, s, 0] = zi_unit[s, 0] * v
                    zi[c, s, 1] = zi_unit[s, 1] * v
                waiting[c] = False
            for s in range(n_sections):
                out = sos[s, 0] * v + zi[c, s, 0]
                zi[c, s, 0] = sos[s, 1] * v - sos[s, 4] * out + zi[c, s, 1]
                zi[c, s, 1] = sos[s, 2] * v - sos[s, 5] * out
                v = out
            y[i, c] = v
    return y


@jit
def sosfilt_nan_1d(
    sos: np.ndarray,
    zi_unit: np.ndarray,
    x: np.ndarray,
    zi: np.ndarray,
    waiting: np.ndarray,
) -> np.ndarray:
    """:func:`sosfilt_nan_2d` on one channel.

    ``x`` is (n_samples,), ``zi`` (n_sections, 2) and ``waiting`` (1,) bool;
    ``zi`` and ``waiting`` are updated in place.
    """
    n_sections = sos.shape[0]
    column = np.ascontiguousarray(x).reshape((x.shape[0], 1))
    state = zi.reshape((1, n_sections, 2))  # a view: the caller's zi is updated
    return sosfilt_nan_2d(sos, zi_unit, column, state, waiting)[:, 0].copy()


@jit
def _sos_pass_rows(sos: np.ndarray, zi_unit: np.ndarray, ext: np.ndarray, forward: bool) -> None:
    """One pass over ``ext`` (n_samples, n_rows) in place, each column on its own.

    The state of each column starts at the steady state of its first sample
    in the direction of the pass. The columns are stepped together, sample by
    sample, so their independent recursions overlap in the processor; each
    column gets the arithmetic of :func:`sosfilt_nan_2d` (transposed direct
    form II, scipy's ``sosfilt``).
    """
    m, n_rows = ext.shape
    n_sections = sos.shape[0]
    zi = np.empty((n_sections, 2, n_rows))
    first = 0 if forward else m - 1
    for r in range(n_rows):
        for s in range(n_sections):
            zi[s, 0, r] = zi_unit[s, 0] * ext[first, r]
            zi[s, 1, r] = zi_unit[s, 1] * ext[first, r]
    for k in range(m):
        i = k if forward else m - 1 - k
        v = ext[i]
        for s in range(n_sections):
            b0, b1, b2, a1, a2 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
            z0 = zi[s, 0]
            z1 = zi[s, 1]
            for r in range(n_rows):  # independent columns: a vector loop
                x = v[r]
                out = b0 * x + z0[r]
                z0[r] = b1 * x - a1 * out + z1[r]
                z1[r] = b2 * x - a2 * out
                v[r] = out


@jit
def sosfiltfilt_rows(
    sos: np.ndarray, zi_unit: np.ndarray, x: np.ndarray, padlen: int, odd: bool
) -> np.ndarray:
    """Zero-phase filtering of every row of ``x`` (n_rows, n_samples), no NaN.

    Each row as ``scipy.signal.sosfiltfilt(sos, row, padtype=..., padlen=padlen)``
    (``odd`` True: ``"odd"``, False: ``"even"``): the signal is extended by
    ``padlen`` samples at both ends (mirror image, or its point reflection
    through the end sample), each pass starts in the steady state of its
    first sample, and the extension is removed at the end; ``padlen`` <
    ``n_samples``.
    """
    n_rows, n = x.shape
    ext = np.empty((n + 2 * padlen, n_rows))
    for r in range(n_rows):
        for k in range(padlen):
            if odd:
                ext[k, r] = 2.0 * x[r, 0] - x[r, padlen - k]
                ext[n + padlen + k, r] = 2.0 * x[r, n - 1] - x[r, n - 2 - k]
            else:
                ext[k, r] = x[r, padlen - k]
                ext[n + padlen + k, r] = x[r, n - 2 - k]
        for i in range(n):
            ext[padlen + i, r] = x[r, i]
    _sos_pass_rows(sos, zi_unit, ext, True)
    _sos_pass_rows(sos, zi_unit, ext, False)
    return np.ascontiguousarray(ext[padlen : padlen + n].T)


@jit
def sosfiltfilt_nan_1d(
    sos: np.ndarray, zi_unit: np.ndarray, x: np.ndarray, padlen: int
) -> np.ndarray:
    """Zero-phase filtering of one channel, each run of valid samples on its own.

    NaN samples stay NaN; every run of consecutive valid samples is filtered
    forward-backward independently with ``min(padlen, run_length - 1)`` samples
    of even extension, so nothing leaks across a gap.
    """
    n = x.shape[0]
    y = np.empty_like(x)
    i = 0
    while i < n:
        if np.isnan(x[i]):
            y[i] = np.nan
            i += 1
            continue
        j = i
        while j < n and not np.isnan(x[j]):
            j += 1
        pad = min(padlen, j - i - 1)
        y[i:j] = sosfiltfilt_rows(sos, zi_unit, x[i:j].reshape(1, j - i), pad, False)[0]
        i = j
    return y


@jit
def sosfiltfilt_nan_2d(
    sos: np.ndarray, zi_unit: np.ndarray, x: np.ndarray, padlen: int
) -> np.ndarray:
    """:func:`sosfiltfilt_nan_1d` on every column of ``x`` (n_samples, n_channels)."""
    n = x.shape[0]
    if n > 0 and not np.isnan(x).any():  # no gaps: every column at once, same arithmetic
        pad = min(padlen, n - 1)
        return np.ascontiguousarray(sosfiltfilt_rows(sos, zi_unit, x.T.copy(), pad, False).T)
    y = np.empty_like(x)
    for c in range(x.shape[1]):
        y[:, c] = sosfiltfilt_nan_1d(sos, zi_unit, np.ascontiguousarray(x[:, c]), padlen)
    return y
