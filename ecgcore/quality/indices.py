"""Per-lead signal-quality indices: numbers, each in a stated unit.

Every index is registered in :data:`QUALITY_INDICES` with its unit and a
function of a :class:`Window` (one stretch of samples of every lead) that
returns one value per lead. The shared intermediate results (band-passed
copies, power spectra) are computed once per window.

================  ======  =====================================================
index             unit    meaning
================  ======  =====================================================
missing           1       fraction of samples missing (NaN)
lead_off          1       fraction of samples the device flagged lead-off
flat              1       fraction of 1 s sub-windows with a range below 20 µV
clipped           1       fraction of samples in plateaus (>= 20 ms) at the
                          window's extreme value, or at/after the amplifier rail
baseline_mv       mV      peak-to-peak of the baseline (< 0.7 Hz) over the window
powerline_mv      mV      amplitude of 50 or 60 Hz interference (Welch spectrum)
emg_mv            mV      RMS above 40 Hz (mains bands excluded), median of
                          0.25 s sub-windows so QRS complexes do not count
motion_bursts     count   bursts in the 0.5-5 Hz band exceeding 4x the median
                          0.5 s range and that range + 2 mV
amplitude_mv      mV      median per-second range of the 0.5-40 Hz signal
kurtosis          1       kurtosis (Pearson) of the 0.5-40 Hz signal; clean ECG
                          is peaky (> 5), noise is near 3
================  ======  =====================================================

Hand-written on scipy.signal (filter design, Welch spectra) and the zero-phase
kernel of :mod:`ecgcore.filters`: the published SQIs (e.g. Li, Clifford
et al. 2008; Behar et al. 2013) exist as formulas, not as a maintained library
with streaming-friendly, NaN-aware, multi-lead implementations.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np
from scipy import signal as sps

from ecgcore.filters.offline import sosfiltfilt

__all__ = [
    "QUALITY_INDICES",
    "QualityIndex",
    "Window",
    "compute_indices",
    "longest_true_run",
    "register_index",
    "true_runs",
]

#: Shortest finite stretch (seconds) on which spectral and band indices are computed.
MIN_SEGMENT_S = 1.0
_MAINS = (50.0, 60.0)


@functools.lru_cache(maxsize=64)
def _band_sos(fs: float, low: float | None, high: float | None, order: int = 2) -> np.ndarray:
    nyq = 0.5 * fs
    if high is not None and high >= 0.95 * nyq:
        high = None
    if low is not None and high is not None:
        return sps.butter(order, [low, high], btype="bandpass", fs=fs, output="sos")
    if low is not None:
        return sps.butter(order, low, btype="highpass", fs=fs, output="sos")
    assert high is not None
    return sps.butter(order, high, btype="lowpass", fs=fs, output="sos")


#: scipy.signal.filtfilt's default extension for one second-order section (3 * 3 samples).
_NOTCH_PADLEN = 9


@functools.lru_cache(maxsize=64)
def _notch_sos(freq: float, fs: float) -> np.ndarray:
    """The ``scipy.signal.iirnotch`` (Q = 30) biquad as one second-order section."""
    b, a = sps.iirnotch(freq, 30.0, fs=fs)
    return np.concatenate([b, a])[None, :] / a[0]


def true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and stops (exclusive) of the runs of True in the 1-D boolean ``mask``."""
    edges = np.diff(np.concatenate([[0], np.asarray(mask, dtype=np.int8), [0]]))
    return np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]


def longest_true_run(mask: np.ndarray) -> slice:
    """The longest run of True in ``mask`` (the first of equal ones); empty when none."""
    starts, stops = true_runs(mask)
    if starts.size == 0:
        return slice(0, 0)
    k = int(np.argmax(stops - starts))
    return slice(int(starts[k]), int(stops[k]))


def _subwindows(y: np.ndarray, n: int) -> np.ndarray:
    """Non-overlapping sub-windows of ``n`` samples of ``y`` (ch, m): shape (ch, k, n)."""
    k = y.shape[1] // n
    return y[:, : k * n].reshape(y.shape[0], k, n)


class Window:
    """One stretch of samples of every lead, with cached intermediate results.

    Parameters
    ----------
    x : ndarray, shape (n, ch)
        Samples in mV (NaN = missing); the finite stretch used for spectral
        indices is the longest common run without NaN.
    fs : float
        Sampling rate, Hz.
    lead_off : ndarray of bool, shape (n, ch), optional
        Device lead-off flags.
    rail_mv : (float, float), optional
        Amplifier range in mV; samples at or beyond it count as clipped.
    """

    def __init__(
        self,
        x: np.ndarray,
        fs: float,
        *,
        lead_off: np.ndarray | None = None,
        rail_mv: tuple[float, float] | None = None,
    ) -> None:
        self.x = x
        self.fs = float(fs)
        self.lead_off = lead_off
        self.rail_mv = rail_mv
        self.n, self.ch = x.shape
        finite = np.isfinite(x)
        self.finite = finite
        # Longest run where every lead is finite (missing samples are never filled).
        ok = finite.all(axis=1)
        self.seg = x if ok.all() else x[longest_true_run(ok)]
        self.enough = self.seg.shape[0] >= MIN_SEGMENT_S * self.fs
        # Leads as rows: filters and spectra run along contiguous memory.
        self.rows = np.ascontiguousarray(self.seg.T)

    def band(self, low: float | None, high: float | None) -> np.ndarray:
        """The finite stretch filtered (zero-phase Butterworth) to ``low``-``high`` Hz, (ch, m)."""
        key = ("band", low, high)
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            sos = _band_sos(self.fs, low, high)
            pad = min(self.rows.shape[1] - 1, 3 * int(self.fs))
            centred = self.rows - self.rows.mean(axis=1, keepdims=True)
            cache[key] = sosfiltfilt(sos, centred, padlen=pad)
        return cache[key]

    @functools.cached_property
    def psd(self) -> tuple[np.ndarray, np.ndarray]:
        """Welch power spectral density of the finite stretch: (f Hz, P mV²/Hz (ch, nf))."""
        nper = min(self.rows.shape[1], int(2 ** np.ceil(np.log2(self.fs))))
        return sps.welch(self.rows, self.fs, nperseg=nper, axis=1, detrend="constant")

    @functools.cached_property
    def mains_hz(self) -> float | None:
        """Mains frequency present in the window (amplitude > 10 µV in some lead), or None."""
        if not self.enough:
            return None
        amps = _mains_amplitudes(self)
        if not amps:
            return None
        best = max(amps, key=lambda f: float(amps[f].max()))
        return best if float(amps[best].max()) > 0.01 else None

    def nan(self) -> np.ndarray:
        """One NaN per lead (index undefined on this window)."""
        return np.full(self.ch, np.nan)


# --------------------------------------------------------------------- indices
def _missing(w: Window) -> np.ndarray:
    return 1.0 - w.finite.mean(axis=0)


def _lead_off(w: Window) -> np.ndarray:
    if w.lead_off is None:
        return np.zeros(w.ch)
    return np.asarray(w.lead_off, dtype=bool).mean(axis=0)


def _flat(w: Window) -> np.ndarray:
    n = max(1, int(w.fs))
    if w.n < n:
        return w.nan()
    sub = _subwindows(np.ascontiguousarray(w.x.T), n)  # (ch, k, n)
    good = np.isfinite(sub)
    any_good = good.any(axis=2)
    lo = np.where(good, sub, np.inf).min(axis=2)
    hi = np.where(good, sub, -np.inf).max(axis=2)
    flat = any_good & ((hi - lo) < 0.02)
    counted = any_good.sum(axis=1)
    return np.where(counted > 0, flat.sum(axis=1) / np.maximum(counted, 1), np.nan)


def _clipped(w: Window) -> np.ndarray:
    out = np.zeros(w.ch)
    run = max(3, round(0.02 * w.fs))
    for j in range(w.ch):
        x = w.x[:, j]
        good = np.isfinite(x)
        if not good.any():
            out[j] = np.nan
            continue
        hit = np.zeros(w.n, dtype=bool)
        if w.rail_mv is not None:
            hit |= good & ((x <= w.rail_mv[0]) | (x >= w.rail_mv[1]))
        for extreme in (np.nanmax(x), np.nanmin(x)):
            at = good & (x == extreme)
            if at.sum() < run:
                continue
            # Plateaus: runs of at least `run` samples at the extreme.
            for a, b in zip(*true_runs(at), strict=True):
                if b - a >= run:
                    hit[a:b] = True
        out[j] = hit.sum() / good.sum()
    return out


def _baseline(w: Window) -> np.ndarray:
    if not w.enough:
        return w.nan()
    base = w.band(None, 0.7)
    return base.max(axis=1) - base.min(axis=1)


def _mains_amplitudes(w: Window) -> dict[float, np.ndarray]:
    """Mains frequency -> amplitude (mV) per lead, from the Welch spectrum."""
    f, p = w.psd
    df = f[1] - f[0]
    out = {}
    for mains in _MAINS:
        if mains + 1.0 >= 0.5 * w.fs:
            continue
        sel = np.abs(f - mains) <= max(1.0, 1.5 * df)
        # Interference power above the local noise floor (neighbouring 5 Hz).
        near = (np.abs(f - mains) > 2.0) & (np.abs(f - mains) < 7.0)
        floor = np.median(p[:, near], axis=1, keepdims=True) if near.any() else 0.0
        power = np.clip(p[:, sel] - floor, 0.0, None).sum(axis=1) * df
        out[mains] = np.sqrt(2.0 * power)
    return out


def _powerline(w: Window) -> np.ndarray:
    if not w.enough:
        return w.nan()
    amps = _mains_amplitudes(w)
    return np.max(np.vstack(list(amps.values())), axis=0) if amps else np.zeros(w.ch)


def _emg(w: Window) -> np.ndarray:
    if not w.enough or 0.5 * w.fs <= 45.0:
        return w.nan()
    high = min(150.0, 0.45 * w.fs)
    hf = w.band(40.0, high)
    mains = w.mains_hz
    if mains is not None:  # notch the interference found in the window (and harmonics)
        for h in range(1, 4):
            if 40.0 < h * mains < high:
                hf = sosfiltfilt(_notch_sos(h * mains, w.fs), hf, padlen=_NOTCH_PADLEN)
    sub = _subwindows(hf, max(1, round(0.25 * w.fs)))
    if sub.shape[1] == 0:
        return w.nan()
    return np.median(np.sqrt(np.mean(sub**2, axis=2)), axis=1)


def _motion(w: Window) -> np.ndarray:
    if not w.enough:
        return w.nan()
    sub = _subwindows(w.band(0.5, 5.0), max(1, round(0.5 * w.fs)))
    if sub.shape[1] < 3:
        return w.nan()
    rng = sub.max(axis=2) - sub.min(axis=2)  # (ch, k)
    ref = np.median(rng, axis=1, keepdims=True)
    # Wide ectopic beats (broad QRS and T) reach about +1.6 mV over the median
    # range in this band on the simulator; the +2 mV floor keeps them out.
    burst = (rng > 4.0 * ref) & (rng > ref + 2.0)
    # Count runs of consecutive burst sub-windows.
    starts = burst & ~np.hstack([np.zeros((w.ch, 1), bool), burst[:, :-1]])
    return starts.sum(axis=1).astype(float)


def _amplitude(w: Window) -> np.ndarray:
    if not w.enough:
        return w.nan()
    sub = _subwindows(w.band(0.5, 40.0), max(1, int(w.fs)))
    return np.median(sub.max(axis=2) - sub.min(axis=2), axis=1)


def _kurtosis(w: Window) -> np.ndarray:
    if not w.enough:
        return w.nan()
    d = w.band(0.5, 40.0)
    d = d - d.mean(axis=1, keepdims=True)
    d2 = d * d
    m2 = d2.mean(axis=1)
    m4 = (d2 * d2).mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = m4 / (m2 * m2)  # Pearson kurtosis, as scipy.stats.kurtosis(fisher=False)
    return np.where(np.isfinite(k), k, np.nan)


@dataclasses.dataclass(frozen=True)
class QualityIndex:
    """A registered quality index."""

    name: str
    unit: str
    description: str
    func: Callable[[Window], np.ndarray]


_REGISTRY: dict[str, QualityIndex] = {}

#: Registered indices, by name (read-only view).
QUALITY_INDICES: Mapping[str, QualityIndex] = MappingProxyType(_REGISTRY)


def register_index(index: QualityIndex) -> QualityIndex:
    """Add an index to :data:`QUALITY_INDICES` (a name may be registered once)."""
    if index.name in _REGISTRY:
        raise ValueError(f"quality index {index.name!r} is already registered")
    _REGISTRY[index.name] = index
    return index


for _spec in (
    ("missing", "1", "fraction of samples missing", _missing),
    ("lead_off", "1", "fraction of samples flagged lead-off by the device", _lead_off),
    ("flat", "1", "fraction of 1 s sub-windows with a range below 20 uV", _flat),
    ("clipped", "1", "fraction of samples in plateaus at the extreme or at the rail", _clipped),
    ("baseline_mv", "mV", "peak-to-peak of the baseline below 0.7 Hz", _baseline),
    ("powerline_mv", "mV", "amplitude of 50/60 Hz interference", _powerline),
    ("emg_mv", "mV", "RMS above 40 Hz (muscle noise), median of 0.25 s windows", _emg),
    ("motion_bursts", "count", "motion-artifact bursts in the 0.5-5 Hz band", _motion),
    ("amplitude_mv", "mV", "median per-second range of the 0.5-40 Hz signal", _amplitude),
    ("kurtosis", "1", "kurtosis of the 0.5-40 Hz signal (clean ECG > 5)", _kurtosis),
):
    register_index(QualityIndex(*_spec))


def compute_indices(
    x: np.ndarray,
    fs: float,
    *,
    lead_off: np.ndarray | None = None,
    rail_mv: tuple[float, float] | None = None,
    names: tuple[str, ...] | None = None,
) -> dict[str, np.ndarray]:
    """Every (or the named) index for each lead of ``x`` (n, ch) in mV.

    Returns
    -------
    dict
        Index name -> float64 array of shape (ch,) (NaN where undefined, e.g.
        a window with less than 1 s of samples without gaps).
    """
    w = Window(x, fs, lead_off=lead_off, rail_mv=rail_mv)
    chosen = QUALITY_INDICES if names is None else {n: QUALITY_INDICES[n] for n in names}
    return {name: np.asarray(idx.func(w), dtype=np.float64) for name, idx in chosen.items()}
