"""Validation of signal arrays given to the filters."""

from __future__ import annotations

from typing import Any

import numpy as np

from ecgcore.errors import SignalError

__all__ = ["as_samples_2d"]


def as_samples_2d(
    x: Any, name: str, *, n_channels: int | None = None, allow_empty: bool = False
) -> tuple[np.ndarray, bool]:
    """Return ``x`` as a C-contiguous float64 (n_samples, n_channels) array and whether it was 1-D.

    Accepts 1-D ``(n_samples,)`` or 2-D ``(n_samples, n_channels)`` real
    numeric arrays; NaN marks missing samples, infinities are rejected.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu":  # real floating point or integer (not bool, complex...)
        raise SignalError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim not in (1, 2):
        raise SignalError(
            f"{name} must be 1-D (n_samples,) or 2-D (n_samples, n_channels), "
            f"got shape {arr.shape}"
        )
    was_1d = arr.ndim == 1
    arr2 = arr[:, np.newaxis] if was_1d else arr
    if n_channels is not None and arr2.shape[1] != n_channels:
        expected = (
            "(n_samples,) or (n_samples, 1)" if n_channels == 1 else f"(n_samples, {n_channels})"
        )
        raise SignalError(f"{name} must have shape {expected}, got shape {arr.shape}")
    if arr2.shape[1] == 0:
        raise SignalError(f"{name} has no channels: shape {arr.shape}")
    if arr2.shape[0] == 0 and not allow_empty:
        raise SignalError(f"{name} is empty: shape {arr.shape}, expected at least one sample")
    out = np.ascontiguousarray(arr2, dtype=np.float64)
    inf = np.isinf(out)
    if inf.any():
        sample, channel = np.argwhere(inf)[0]
        raise SignalError(
            f"{name} contains an infinite value at sample {sample}, channel {channel}; "
            "mark missing samples with NaN"
        )
    return out, was_1d
