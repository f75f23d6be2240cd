"""Shared validation helpers and the logging switch (one source for each)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np

from ecgcore.errors import SignalError

logger = logging.getLogger("ecgcore")

__all__ = ["as_signal_1d", "check_fs", "check_option", "logger", "set_log_level"]


def check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError`` naming both."""
    allowed = tuple(allowed)
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"invalid value for {name!r}: {value!r}; expected one of {choices}")
    return value


def check_fs(fs: float, *, low: float = 0.0, high: float = np.inf, what: str = "fs") -> float:
    """Validate a sampling rate in Hz and return it as float."""
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        raise SignalError(f"{what} must be a number in Hz, got {fs!r}") from None
    if not np.isfinite(fs) or fs <= 0:
        raise SignalError(f"{what} must be a positive finite number in Hz, got {fs!r}")
    if not low <= fs <= high:
        raise SignalError(f"{what}={fs:g} Hz is outside the supported range {low:g}-{high:g} Hz")
    return fs


def as_signal_1d(signal: Any, name: str = "signal") -> np.ndarray:
    """Return ``signal`` as a contiguous 1-D float64 array or raise ``SignalError``."""
    arr = np.asarray(signal)
    if arr.ndim != 1:
        raise SignalError(f"{name} must be 1-D (n_samples,), got shape {arr.shape}")
    if arr.dtype.kind not in "fiu":  # real floating point or integer
        raise SignalError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def set_log_level(verbose: bool | str | int | None) -> None:
    """Set the level of the ``ecgcore`` logger (the ``verbose`` switch).

    ``True`` means INFO, ``False``/``None`` means WARNING, a string or int is
    passed to :meth:`logging.Logger.setLevel` (e.g. ``"DEBUG"``).
    """
    if verbose is True:
        level: int | str = logging.INFO
    elif verbose is False or verbose is None:
        level = logging.WARNING
    else:
        level = verbose.upper() if isinstance(verbose, str) else verbose
    logger.setLevel(level)
