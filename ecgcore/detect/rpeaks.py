"""R-peak detection: batch :func:`detect_r_peaks` and streaming :class:`RPeakDetector`.

Both run the same numba kernel (:mod:`ecgcore.detect._rpeaks_numba`); batch
detection is the streaming detector fed the whole record at once, so the two
give identical peaks for any chunking.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.signal

from ecgcore._validate import as_signal_1d, check_fs
from ecgcore.detect import _rpeaks_numba as _k
from ecgcore.errors import SignalError
from ecgcore.filters import FilterSpec
from ecgcore.filters.design import get_design

__all__ = ["FS_MAX_HZ", "FS_MIN_HZ", "RPeakDetector", "detect_r_peaks"]

FS_MIN_HZ = 100.0
FS_MAX_HZ = 2000.0

_CAND_CAPACITY = 64


@dataclass(frozen=True)
class _Tuning:
    """Detector constants in physical units; the same for every record and fs."""

    band: FilterSpec | str = "detection"  # band-pass of the feature (ecgcore.filters preset)
    highpass_hz: float = 0.5  # baseline removal of the signal the peak is placed on
    window_s: float = 0.100  # moving average of |derivative|
    deriv_s: float = 1.0 / 30.0  # derivative lag: first zero at the 30 Hz band edge
    preblank_s: float = 0.250
    peak_timeout_s: float = 0.095
    twave_s: float = 0.360
    twave_ratio: float = 0.5
    bls_win_s: float = 0.220
    bls_pair_s: float = 0.150
    threshold: float = 0.3125
    refine_before_s: float = 0.120
    refine_after_s: float = 0.060
    floor_mv: float = 0.005  # smallest feature peak considered (mean |d|, mV)
    searchback_factor: float = 0.5
    refractory_s: float = 0.200
    learn_s: float = 2.0
    rr_init_s: float = 1.0
    rr_max_s: float = 2.0
    searchback_min_gap_s: float = 0.360
    ring_s: float = 5.0  # history kept for search-back and peak placement


def _feature_delay(sos: np.ndarray, fs: float, k: int, w: int) -> int:
    """Samples from a QRS-like pulse to the peak of the detection feature.

    Measured on a Gaussian pulse (10 ms standard deviation) run through the same
    band-pass, derivative and moving average, so the compensation follows the
    filter's group delay at every fs.
    """
    n = round(fs)
    t = np.arange(n) / fs
    centre = n // 4
    pulse = np.exp(-0.5 * ((t - centre / fs) / 0.010) ** 2)
    y = scipy.signal.sosfilt(sos, pulse)
    d = np.abs(y - np.concatenate([np.zeros(k), y[:-k]]))
    m = np.convolve(d, np.ones(w), mode="full")[:n]
    return int(np.argmax(m)) - centre


def _parameters(fs: float, tuning: _Tuning) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Kernel parameter vector, band-pass sections, unit steady state and ring size."""
    design = get_design(tuning.band, fs, zero_phase=False)
    sos = np.array(design.sos)
    zi_unit = np.array(design.zi_unit)

    def samples(seconds: float) -> float:
        return float(max(1, round(seconds * fs)))

    w = int(samples(tuning.window_s))
    k = int(samples(tuning.deriv_s))
    p = np.zeros(_k.N_PARAMS)
    p[_k.P_W] = w
    p[_k.P_K] = k
    p[_k.P_PREBLANK] = samples(tuning.preblank_s)
    p[_k.P_PEAK_TIMEOUT] = samples(tuning.peak_timeout_s)
    p[_k.P_TWAVE] = samples(tuning.twave_s)
    p[_k.P_TWAVE_RATIO] = tuning.twave_ratio
    p[_k.P_BLS_WIN] = samples(tuning.bls_win_s)
    p[_k.P_BLS_PAIR] = samples(tuning.bls_pair_s)
    p[_k.P_TH] = tuning.threshold
    p[_k.P_DELAY] = _feature_delay(sos, fs, k, w)
    p[_k.P_REFINE_BEFORE] = samples(tuning.refine_before_s)
    p[_k.P_REFINE_AFTER] = samples(tuning.refine_after_s)
    p[_k.P_FLOOR] = tuning.floor_mv
    p[_k.P_SB_FACTOR] = tuning.searchback_factor
    p[_k.P_REFRACT] = samples(tuning.refractory_s)
    p[_k.P_LEARN] = samples(tuning.learn_s)
    rc = 1.0 / (2.0 * np.pi * tuning.highpass_hz)
    p[_k.P_HP_A] = rc / (rc + 1.0 / fs)
    p[_k.P_RR_INIT] = samples(tuning.rr_init_s)
    p[_k.P_RR_MAX] = samples(tuning.rr_max_s)
    p[_k.P_SB_MIN_GAP] = samples(tuning.searchback_min_gap_s)
    ring = 1 << int(np.ceil(np.log2(samples(tuning.ring_s))))
    return p, np.ascontiguousarray(sos), np.ascontiguousarray(zi_unit), ring


class RPeakDetector:
    """Streaming R-peak detector with explicit state.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz, 100 to 2000.

    Notes
    -----
    Feed consecutive chunks of one lead in mV to :meth:`process`; each call
    returns the R-peaks (absolute sample indices from the start of the stream,
    int64, increasing) confirmed by that chunk. Peaks are confirmed with a delay
    of a few hundred ms, up to about 1.5 RR intervals for beats found by
    search-back. :meth:`finish` returns the peaks still pending at the end of
    the stream. NaN or inf samples mean "no signal": no peak is placed there and
    the detector restarts cleanly when the signal returns. The peaks of
    ``process`` over any chunking followed by ``finish`` equal
    :func:`detect_r_peaks` on the whole signal.
    """

    def __init__(self, fs: float) -> None:
        self._setup(fs, _Tuning())

    def _setup(self, fs: float, tuning: _Tuning) -> None:
        self.fs = check_fs(fs, low=FS_MIN_HZ, high=FS_MAX_HZ)
        self._tuning = tuning
        par, sos, zi_unit, ring = _parameters(self.fs, tuning)
        self._par = par
        self._ring = ring
        self._filt = (sos, np.zeros_like(zi_unit), zi_unit)
        self._ist = np.zeros(_k.N_ISTATE, dtype=np.int64)
        self._fst = np.zeros(_k.N_FSTATE)
        self._cand = np.zeros((_CAND_CAPACITY, _k.N_CCOLS))
        self._bufs = np.zeros((_k.N_BUFS, _k.NBUF))
        self._rings = np.zeros((_k.N_RINGS, ring))
        self.reset()

    def reset(self) -> None:
        """Forget the stream: the next sample is sample 0 of a new stream."""
        self._filt[1][:] = 0.0
        self._fst[:] = 0.0
        self._cand[:] = 0.0
        self._bufs[:] = 0.0
        self._rings[:] = 0.0
        i = self._ist
        i[:] = 0
        i[_k.I_RESTART] = 1
        i[_k.I_LAST_QRS] = -1
        i[_k.I_SB_REF] = -1
        i[_k.I_LAST_EMIT] = -(1 << 40)
        i[_k.I_LEARNING] = 1
        i[_k.I_LEARN_END] = -1
        self._fst[_k.F_SB_INTERVAL] = 1.5 * self._par[_k.P_RR_INIT]
        self._finished = False

    @property
    def n_samples(self) -> int:
        """Number of samples processed since the start (or the last reset)."""
        return int(self._ist[_k.I_N])

    def _state(self, n: int) -> tuple[np.ndarray, ...]:
        spacing = max(1, int(self._par[_k.P_REFRACT]) // 2)
        out = np.empty((n + self._ring) // spacing + 8, dtype=np.int64)
        return (self._par, self._ist, self._fst, self._cand, self._bufs, self._rings, out)

    def process(self, chunk: Any) -> np.ndarray:
        """Feed the next samples (1-D, mV); return the R-peaks confirmed so far.

        Returns
        -------
        ndarray of int64
            Absolute sample indices of the newly confirmed R-peaks, increasing.
        """
        if self._finished:
            raise SignalError("RPeakDetector.process() after finish(); call reset() first")
        x = as_signal_1d(chunk, "chunk")
        st = self._state(x.shape[0])
        n = _k.rpeaks_process(x, st, self._filt)
        return st[-1][:n].copy()

    def finish(self) -> np.ndarray:
        """End of stream: return the R-peaks still pending (int64 sample indices)."""
        if self._finished:
            return np.empty(0, dtype=np.int64)
        st = self._state(0)
        n = _k.rpeaks_finish(st)
        self._finished = True
        return st[-1][:n].copy()


def _detector(fs: float, tuning: _Tuning | None = None, **changes: Any) -> RPeakDetector:
    """Detector with non-default constants (development and benchmarks only)."""
    det = RPeakDetector.__new__(RPeakDetector)
    base = tuning if tuning is not None else _Tuning()
    det._setup(fs, replace(base, **changes))
    return det


def detect_r_peaks(signal: Any, fs: float) -> np.ndarray:
    """Detect R-peaks in one ECG lead.

    Parameters
    ----------
    signal : array_like, shape (n_samples,)
        One lead in mV. NaN/inf samples are treated as missing (no signal).
    fs : float
        Sampling rate in Hz, 100 to 2000.

    Returns
    -------
    ndarray of int64
        Sample indices of the R-peaks, increasing. Each peak is on the dominant
        extreme (R or S) of the baseline-removed QRS.

    Raises
    ------
    SignalError
        If ``fs`` is outside 100-2000 Hz or ``signal`` is not 1-D numeric.
    """
    det = RPeakDetector(fs)
    x = as_signal_1d(signal)
    return np.concatenate([det.process(x), det.finish()])
