"""R-peak detection: batch :func:`detect_r_peaks` and streaming :class:`RPeakDetector`.

Both run the same numba kernel (:mod:`ecgcore.detect._rpeaks_numba`); batch
detection is the streaming detector fed the whole record at once, so the two
give identical peaks for any chunking.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.signal

from ecgcore._validate import as_signal_1d, check_fs
from ecgcore.detect import _rpeaks_numba as _k
from ecgcore.detect import _rpeaks_state as _s
from ecgcore.errors import SignalError
from ecgcore.filters import FilterSpec, design_filter

__all__ = ["FS_MAX_HZ", "FS_MIN_HZ", "RPeakDetector", "detect_r_peaks"]

FS_MIN_HZ = 100.0
FS_MAX_HZ = 2000.0


@dataclass(frozen=True)
class _Tuning:
    """Detector constants in physical units; the same for every record and fs."""

    band: FilterSpec | str = "detection"  # band-pass of the feature (ecgcore.filters preset)
    min_rate_hz: float = 100.0  # internal rate fs / D, D = floor(fs / min_rate_hz): 100-200 Hz
    window_s: float = 0.100  # moving average of |derivative|
    deriv_s: float = 1.0 / 30.0  # derivative lag: first zero at the 30 Hz band edge
    preblank_s: float = 0.250
    preblank_strong_s: float = 0.0  # pre-blanking of candidates that already look like a QRS
    strong: float = 0.3125  # strong level between the noise and QRS levels
    strong_slope: float = 0.5  # least slope of a strong candidate, relative to the last QRS
    strong_early_s: float = 0.1  # a strong candidate comes at most this much before the median RR
    peak_timeout_s: float = 0.095
    twave_s: float = 0.360
    twave_ratio: float = 0.5
    bls_win_s: float = 0.220
    bls_pair_s: float = 0.150
    threshold: float = 0.3125
    refine_before_s: float = 0.120
    refine_after_s: float = 0.060
    base_span_s: float = 0.300  # isoelectric level from +/- this around the QRS
    floor_mv: float = 0.02  # smallest feature peak considered (mean |d|, mV): no beats in noise
    # under ~15 uV RMS (flat line, lead-off), 5x under the weakest QRS level of mitdb
    searchback_factor: float = 0.5
    refractory_s: float = 0.200
    learn_s: float = 8.0  # initial levels from the first 8 s (one per second)
    rr_init_s: float = 1.0
    rr_max_s: float = 2.0
    searchback_min_gap_s: float = 0.360
    ring_s: float = 5.0  # history kept for search-back and peak placement (after learning)


def _decimator(dec: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights of a block's samples in the current and the next internal sample.

    Together they form a triangular window over ``2 dec - 1`` samples (two
    cascaded ``dec``-sample moving averages), normalised to unit DC gain.
    """
    p = np.arange(dec, dtype=np.float64)
    return (p + 1.0) / dec**2, (dec - 1.0 - p) / dec**2


def _decimate(x: np.ndarray, w_cur: np.ndarray, w_next: np.ndarray) -> np.ndarray:
    """Reference (NumPy) version of the kernel's decimator, for calibration."""
    dec = w_cur.shape[0]
    blocks = x[: x.shape[0] // dec * dec].reshape(-1, dec)
    nxt = blocks @ w_next
    return blocks @ w_cur + np.concatenate([[0.0], nxt[:-1]])


def _feature_delay(
    sos: np.ndarray, fs: float, *, k: int, w: int, w_cur: np.ndarray, w_next: np.ndarray
) -> int:
    """Samples (at ``fs``) from a QRS-like pulse to the candidate it produces.

    Measured on a Gaussian pulse (10 ms standard deviation) run through the
    same decimator, band-pass, derivative and moving average, averaged over
    the pulse's phase within a block, so the compensation follows the filter's
    group delay at every fs.
    """
    dec = w_cur.shape[0]
    n = round(2.0 * fs)
    t = np.arange(n) / fs
    delays = []
    for phase in range(dec):
        centre = n // 4 // dec * dec + phase
        pulse = np.exp(-0.5 * ((t - centre / fs) / 0.010) ** 2)
        y = scipy.signal.sosfilt(sos, _decimate(pulse, w_cur, w_next))
        d = np.abs(y - np.concatenate([np.zeros(k), y[:-k]]))
        feature = np.convolve(d, np.ones(w), mode="full")[: y.shape[0]]
        delays.append(int(np.argmax(feature)) * dec + dec - 1 - centre)
    return round(float(np.mean(delays)))


def _sections(sos: np.ndarray) -> np.ndarray:
    """The band-pass as exactly the kernel's two sections (a pass-through one added)."""
    if sos.shape[0] > _s.N_SECTIONS:
        raise SignalError(
            f"detector band-pass: expected at most {_s.N_SECTIONS} second-order sections "
            f"(a 4th-order band-pass), got {sos.shape[0]}"
        )
    through = np.tile([1.0, 0.0, 0.0, 1.0, 0.0, 0.0], (_s.N_SECTIONS - sos.shape[0], 1))
    return np.ascontiguousarray(np.vstack([sos, through]))


@functools.lru_cache(maxsize=32)
def _parameters(fs: float, tuning: _Tuning) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Kernel parameters (ring sizes included) and the filter arrays.

    Cached per (fs, tuning); the arrays are read-only (each detector copies
    them into its state record).
    """
    dec = max(1, int(fs // tuning.min_rate_hz))
    fs_i = fs / dec
    sos = _sections(design_filter(tuning.band, fs_i))
    zi_unit = np.ascontiguousarray(scipy.signal.sosfilt_zi(sos))
    w_cur, w_next = _decimator(dec)

    def full(seconds: float) -> float:
        return float(max(1, round(seconds * fs)))

    def internal(seconds: float) -> float:
        return float(max(1, round(seconds * fs_i)))

    w = int(internal(tuning.window_s))
    k = int(internal(tuning.deriv_s))
    p = np.zeros(_s.N_PARAMS)
    p[_s.P_D] = dec
    p[_s.P_W] = w
    p[_s.P_K] = k
    p[_s.P_PREBLANK] = internal(tuning.preblank_s)
    p[_s.P_PREBLANK_STRONG] = internal(tuning.preblank_strong_s)
    p[_s.P_STRONG] = tuning.strong
    p[_s.P_STRONG_SLOPE] = tuning.strong_slope
    p[_s.P_STRONG_EARLY] = full(tuning.strong_early_s)
    p[_s.P_PEAK_TIMEOUT] = internal(tuning.peak_timeout_s)
    p[_s.P_BLS_WIN] = internal(tuning.bls_win_s)
    p[_s.P_BLS_PAIR] = tuning.bls_pair_s * fs_i
    p[_s.P_TWAVE] = full(tuning.twave_s)
    p[_s.P_TWAVE_RATIO] = tuning.twave_ratio
    p[_s.P_TH] = tuning.threshold
    p[_s.P_DELAY] = _feature_delay(sos, fs, k=k, w=w, w_cur=w_cur, w_next=w_next)
    p[_s.P_REFINE_BEFORE] = full(tuning.refine_before_s)
    p[_s.P_REFINE_AFTER] = full(tuning.refine_after_s)
    p[_s.P_BASE_SPAN] = full(tuning.base_span_s)
    p[_s.P_FLOOR] = tuning.floor_mv
    p[_s.P_SB_FACTOR] = tuning.searchback_factor
    p[_s.P_REFRACT] = full(tuning.refractory_s)
    p[_s.P_LEARN] = full(tuning.learn_s)
    p[_s.P_LEARN_BIN] = full(tuning.learn_s / _s.NBUF)
    p[_s.P_RR_INIT] = full(tuning.rr_init_s)
    p[_s.P_RR_MAX] = full(tuning.rr_max_s)
    p[_s.P_SB_MIN_GAP] = full(tuning.searchback_min_gap_s)
    # the learning queue is decided at its end: its peaks must still be in the ring
    ring_raw = 1 << int(np.ceil(np.log2(full(max(tuning.ring_s, tuning.learn_s + 2.0)))))
    ring_int = 1 << int(np.ceil(np.log2(internal(2.0) + w + k)))
    for name, size, cap in (
        ("decimation factor", dec, _s.DEC_CAP),
        ("internal ring", ring_int, _s.RING_CAP),
        ("raw ring", ring_raw, _s.RAW_CAP),
    ):
        if size > cap:
            raise SignalError(f"R-peak detector at fs={fs} Hz: {name} {size} exceeds {cap}")
    p[_s.P_RING_SIZE] = ring_int
    p[_s.P_RAW_SIZE] = ring_raw
    filt = (sos, zi_unit, w_cur, w_next)
    for a in (p, *filt):
        a.setflags(write=False)
    return p, filt


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
    int64, increasing) confirmed by that chunk. Regular beats are confirmed
    about 150-200 ms after the R-peak, beats that could still yield to a larger
    peak (a P-wave to its QRS) after the 250 ms pre-blanking interval, about
    400 ms, and beats found by search-back up to about 1.5 RR intervals later;
    the beats of the first 8 s (while the detector learns the signal's levels)
    are confirmed together at their end. :meth:`finish`
    returns the peaks still pending at the end of the stream. NaN or inf
    samples mean "no signal": no peak is placed there and the detector restarts
    cleanly when the signal returns. The peaks of ``process`` over any chunking
    followed by ``finish`` equal :func:`detect_r_peaks` on the whole signal.

    The kernel is compiled for each decimation factor ``D = floor(fs / 100)``
    it meets (about 2 s the first time, then cached on disk).
    """

    def __init__(self, fs: float) -> None:
        self._setup(fs, _Tuning())

    def _setup(self, fs: float, tuning: _Tuning) -> None:
        self.fs = check_fs(fs, low=FS_MIN_HZ, high=FS_MAX_HZ)
        self._tuning = tuning
        self._par, self._filt = _parameters(self.fs, tuning)
        self._state = np.empty(1, dtype=_s.STATE_DTYPE)
        # decimator weights as tuples: the kernel is compiled (unrolled) per factor
        self._weights = (tuple(self._filt[2].tolist()), tuple(self._filt[3].tolist()))
        self.reset()  # fills every field

    def reset(self) -> None:
        """Forget the stream: the next sample is sample 0 of a new stream."""
        self._state[:] = 0  # every field, rings and buffers included
        st = self._state[0]
        sos, zi_unit, _, _ = self._filt
        st["par"][:] = self._par
        st["sos"][:] = sos
        st["zi_unit"][:] = zi_unit
        i = st["ist"]
        i[_s.I_RESTART] = 1
        i[_s.I_LAST_QRS] = -1
        i[_s.I_SB_REF] = -1
        i[_s.I_LAST_EMIT] = -(1 << 40)
        i[_s.I_LEARNING] = 1
        i[_s.I_LEARN_END] = -1
        i[_s.I_HOLD_AT] = -1
        i[_s.I_SLOPE_POS] = -1
        i[_s.I_NEXT_EVENT] = 1 << 62
        st["fst"][_s.F_SB_INTERVAL] = 1.5 * self._par[_s.P_RR_INIT]
        self._finished = False

    @property
    def n_samples(self) -> int:
        """Number of samples processed since the start (or the last reset)."""
        return int(self._state[0]["ist"][_s.I_N])

    def _out(self, n: int) -> np.ndarray:
        """Room for the peaks ``n`` new samples can confirm.

        Emitted peaks are at least half the refractory period apart and lie
        within the raw ring or the new samples; the end of the stream confirms
        at most PEAK_CAP.
        """
        spacing = max(1, int(self._par[_s.P_REFRACT]) // 2)
        size = (n + int(self._par[_s.P_RAW_SIZE])) // spacing + 8
        return np.empty(max(size, _s.PEAK_CAP), dtype=np.int64)

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
        out = self._out(x.shape[0])
        n = _k.rpeaks_process(x, self._state, out, *self._weights)
        return out[:n].copy()

    def finish(self) -> np.ndarray:
        """End of stream: return the R-peaks still pending (int64 sample indices)."""
        if self._finished:
            return np.empty(0, dtype=np.int64)
        out = self._out(0)
        n = _k.rpeaks_finish(self._state, out)
        self._finished = True
        return out[:n].copy()


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
