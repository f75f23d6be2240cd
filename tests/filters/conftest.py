"""Helpers for the filter tests: measured amplitude responses."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import scipy.signal
from scipy.optimize import brentq


def _gain_db(sos: np.ndarray, freqs_hz: np.ndarray, fs: float, passes: int) -> np.ndarray:
    _, h = scipy.signal.sosfreqz(sos, worN=np.atleast_1d(np.asarray(freqs_hz, float)), fs=fs)
    with np.errstate(divide="ignore"):
        return passes * 20.0 * np.log10(np.abs(h))


@pytest.fixture
def gain_db() -> Callable[..., np.ndarray]:
    """``gain_db(sos, freqs_hz, fs, passes)``: amplitude response in dB.

    ``passes=2`` is the response of forward-backward filtering.
    """
    return _gain_db


@pytest.fixture
def minus3db() -> Callable[..., float]:
    """``minus3db(sos, fs, passes, lo_hz, hi_hz)``: the -3 dB frequency inside [lo, hi]."""

    def find(sos: np.ndarray, fs: float, passes: int, lo_hz: float, hi_hz: float) -> float:
        return brentq(lambda f: _gain_db(sos, f, fs, passes)[0] + 3.0, lo_hz, hi_hz, xtol=1e-9)

    return find
