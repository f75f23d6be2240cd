"""Median beats of the 12 leads and the P, QRS and T measurements taken on them.

Electrode-placement checks compare the leads' waveforms, so they work on one
representative beat per lead: the sample-wise median of every beat aligned
on the common R-peak (beats are found once, on the lead where the detector
finds the most regular rhythm, so every lead is cut at the same instants).

Fiducial points are taken on the spatial velocity of the median beats (the
root sum of squares of the leads' first differences), the usual multi-lead
approach: the QRS is where it is high, the PR segment just before is the
isoelectric reference, P is the largest deflection in the 240 ms before the
QRS and T the largest after it.

Before the medians every lead is band-passed (0.5-40 Hz) and notched at 50 Hz
and at 60 Hz: the mains frequency of a recording is not known, and the 40 Hz
low-pass alone (forward-backward) passes 27 % of 50 Hz hum and 7 % of 60 Hz
hum, which the median over the few beats of a 10 s record does not remove: the
residue of 0.3 mV of hum is as large as a P wave and misled the reversal
checks. Both notches lie above the band, so they change the beats very little.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ecgcore.detect import detect_r_peaks
from ecgcore.filters import filter_signal, get_preset
from ecgcore.filters.spec import FilterSpec

__all__ = ["MedianBeats", "beat_peaks", "median_beats"]

_PRE_S = 0.35  # window before the R-peak, s
_POST_S = 0.50  # window after the R-peak, s
#: Band-pass of the median beats with a 50 Hz notch; a 60 Hz notch follows.
_BAND_50 = get_preset("monitoring").replace(notch_hz=50.0, notch_harmonics=1)
_NOTCH_60 = FilterSpec(highpass_hz=None, lowpass_hz=None, notch_hz=60.0, notch_harmonics=1)


def beat_filter(lead: np.ndarray, fs: float) -> np.ndarray:
    """Band-pass one lead (mV) for the median beats: 0.5-40 Hz, notches at 50 and 60 Hz.

    A notch at or above the Nyquist frequency ``fs / 2`` is left out (nothing to remove).
    """
    y = filter_signal(lead, fs, _BAND_50 if fs > 100.0 else "monitoring")
    return filter_signal(y, fs, _NOTCH_60) if fs > 120.0 else y


@dataclasses.dataclass(frozen=True)
class MedianBeats:
    """Median beats of the 12 standard leads and their wave measurements.

    Attributes
    ----------
    fs : float
        Sampling rate in Hz.
    beats : ndarray, shape (n_window, 12)
        Median beat per lead (mV), baseline (PR segment) subtracted; NaN
        columns for absent leads.
    r_idx : int
        Index of the R-peak inside the window.
    qrs_on, qrs_off : int
        QRS onset and offset, window indices.
    p_idx, t_idx : int
        Index of the largest P and T deflection (spatial magnitude), window indices.
    n_beats : int
        Beats the medians were taken over.
    p : ndarray, shape (12,)
        Signed P amplitude per lead at ``p_idx`` (mV).
    qrs_area : ndarray, shape (12,)
        Net QRS area per lead between onset and offset (mV*s).
    qrs_pp : ndarray, shape (12,)
        QRS peak-to-peak amplitude per lead (mV).
    t : ndarray, shape (12,)
        Signed T amplitude per lead at ``t_idx`` (mV).
    peaks_idx : ndarray of int or None
        Sample indices (in the signals given) of the R-peaks of the beats the
        medians were taken over.
    """

    fs: float
    beats: np.ndarray
    r_idx: int
    qrs_on: int
    qrs_off: int
    p_idx: int
    t_idx: int
    n_beats: int
    p: np.ndarray
    qrs_area: np.ndarray
    qrs_pp: np.ndarray
    t: np.ndarray
    peaks_idx: np.ndarray | None = None

    @property
    def qrs_ms(self) -> float:
        """QRS duration in ms."""
        return (self.qrs_off - self.qrs_on) / self.fs * 1e3

    @property
    def qrs_t(self) -> np.ndarray:
        """The median beats from QRS onset to 400 ms after it, shape (n, 12)."""
        stop = min(self.beats.shape[0], self.qrs_on + round(0.40 * self.fs))
        return self.beats[self.qrs_on : stop]

    @property
    def qrs(self) -> np.ndarray:
        """The median beats over the QRS, shape (n, 12)."""
        return self.beats[self.qrs_on : self.qrs_off + 1]


def beat_peaks(filtered: np.ndarray, fs: float) -> np.ndarray:
    """R-peaks common to all leads: detected on the lead with the most regular RR.

    Parameters
    ----------
    filtered : ndarray, shape (n_samples, n_leads)
        Band-passed leads in mV (NaN columns are skipped).
    fs : float
        Sampling rate in Hz.
    """
    best: tuple[float, np.ndarray] | None = None
    counts = []
    found = []
    for j in range(filtered.shape[1]):
        x = filtered[:, j]
        if not np.isfinite(x).all() or np.ptp(x) < 0.05:
            continue
        peaks = detect_r_peaks(x, fs)
        if peaks.size >= 3:
            counts.append(peaks.size)
            found.append(peaks)
    if not found:
        return np.empty(0, dtype=np.int64)
    median_count = float(np.median(counts))
    for peaks in found:
        if abs(peaks.size - median_count) > max(1.0, 0.1 * median_count):
            continue
        rr = np.diff(peaks)
        cv = float(np.std(rr) / np.mean(rr))
        if best is None or cv < best[0]:
            best = (cv, peaks)
    return found[0] if best is None else best[1]


def _realign(x: np.ndarray, peaks: np.ndarray, fs: float) -> np.ndarray:
    """Move each peak to the largest spatial-velocity sample within +-40 ms."""
    sv = np.sqrt(np.nansum(np.diff(x, axis=0, prepend=x[:1]) ** 2, axis=1))
    half = round(0.04 * fs)
    out = peaks.copy()
    for k, i in enumerate(peaks):
        a, b = max(0, i - half), min(sv.size, i + half + 1)
        out[k] = a + int(np.argmax(sv[a:b]))
    return out


def median_beats(
    signals_mv: np.ndarray, fs: float, *, peaks: np.ndarray | None = None
) -> MedianBeats | None:
    """Median beat of every lead and its P/QRS/T measurements.

    Parameters
    ----------
    signals_mv : ndarray, shape (n_samples, 12)
        The standard leads in mV (NaN columns for absent leads).
    fs : float
        Sampling rate in Hz.
    peaks : ndarray of int, optional
        R-peak sample indices; detected with :func:`beat_peaks` when omitted.

    Returns
    -------
    MedianBeats or None
        None when fewer than 3 whole beats are found.
    """
    x = np.asarray(signals_mv, dtype=np.float64)
    cols = [j for j in range(x.shape[1]) if np.isfinite(x[:, j]).any()]
    filt = np.full_like(x, np.nan)
    for j in cols:
        lead = x[:, j]
        if np.isnan(lead).any():
            lead = np.where(np.isnan(lead), np.nanmedian(lead), lead)
        filt[:, j] = beat_filter(lead, fs)
    if peaks is None:
        peaks = beat_peaks(filt, fs)
    pre, post = round(_PRE_S * fs), round(_POST_S * fs)
    peaks = np.asarray(peaks, dtype=np.int64)
    if peaks.size:
        peaks = _realign(filt[:, cols], peaks, fs)
    peaks = peaks[(peaks - pre >= 0) & (peaks + post < x.shape[0])]
    if peaks.size < 3:
        return None
    segs = np.stack([filt[i - pre : i + post] for i in peaks])  # (beats, window, leads)
    beats = np.median(segs, axis=0)
    return dataclasses.replace(_measure(beats, pre, fs, int(peaks.size)), peaks_idx=peaks)


def _first_below(
    sv: np.ndarray, start: int, stop: int, *, step: int, level: float, run: int
) -> int:
    """Walk from ``start`` towards ``stop`` until ``run`` samples in a row are below ``level``."""
    count = 0
    i = start
    while i != stop:
        count = count + 1 if sv[i] < level else 0
        if count >= run:
            return i - step * (run - 1)
        i += step
    return stop


def _measure(beats: np.ndarray, r_idx: int, fs: float, n_beats: int) -> MedianBeats:
    finite = np.isfinite(beats).all(axis=0)
    b = np.where(finite, beats, 0.0)
    sv = np.sqrt(np.sum(np.diff(b, axis=0, prepend=b[:1]) ** 2, axis=1))
    peak = max(0, r_idx - round(0.04 * fs)) + int(
        np.argmax(sv[max(0, r_idx - round(0.04 * fs)) : r_idx + round(0.04 * fs)])
    )
    level = 0.15 * sv[peak]
    run = max(2, round(0.008 * fs))
    lo = max(1, r_idx - round(0.12 * fs))
    hi = min(sv.size - 2, r_idx + round(0.16 * fs))
    qrs_on = _first_below(sv, peak, lo, step=-1, level=level, run=run)
    qrs_off = _first_below(sv, peak, hi, step=+1, level=level, run=run)
    # isoelectric reference: the 20 ms just before QRS onset
    ref_a = max(0, qrs_on - round(0.02 * fs))
    base = np.median(beats[ref_a : qrs_on + 1], axis=0)
    beats = beats - base
    b = np.where(finite, beats, 0.0)
    mag = np.sqrt(np.sum(b**2, axis=1))
    p_a = max(0, qrs_on - round(0.24 * fs))
    p_b = max(p_a + 1, qrs_on - round(0.03 * fs))
    p_idx = p_a + int(np.argmax(mag[p_a:p_b]))
    t_a = min(mag.size - 1, qrs_off + round(0.06 * fs))
    t_b = min(mag.size, qrs_off + round(0.40 * fs))
    t_idx = t_a + int(np.argmax(mag[t_a:t_b])) if t_b > t_a else t_a
    qrs = beats[qrs_on : qrs_off + 1]
    area = np.sum(qrs, axis=0) / fs
    pp = np.ptp(qrs, axis=0)
    return MedianBeats(
        fs=fs,
        beats=beats,
        r_idx=r_idx,
        qrs_on=int(qrs_on),
        qrs_off=int(qrs_off),
        p_idx=int(p_idx),
        t_idx=int(t_idx),
        n_beats=n_beats,
        p=beats[p_idx].copy(),
        qrs_area=area,
        qrs_pp=pp,
        t=beats[t_idx].copy(),
    )
