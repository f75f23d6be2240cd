"""Heart rate from R-peak positions: RR series, instantaneous and averaged rate, ectopy flags, HRV.

All functions take R-peak sample indices (``peaks_idx``, strictly increasing
non-negative integers) and the sampling rate ``fs`` in Hz. Interval-based
series have one value per RR interval, i.e. per beat from the second beat on
(value ``k`` belongs to the beat at ``peaks_idx[k + 1]``).

Nothing is dropped or corrected silently: :func:`clean_rr` flags intervals
that deviate from their neighbours and returns the flags next to the
untouched series; summaries state how many intervals were flagged.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from ecgcore._validate import check_fs
from ecgcore.errors import SignalError

__all__ = [
    "HRVResult",
    "HeartRateSummary",
    "RRCleaning",
    "clean_rr",
    "heart_rate_average",
    "heart_rate_instantaneous",
    "heart_rate_summary",
    "hrv",
    "rr_intervals",
]

#: Minimum number of beats for :func:`hrv` (two intervals: one successive difference).
HRV_MIN_BEATS = 3
#: Minimum span of beats (s) for frequency-domain HRV: two cycles of the lowest LF
#: frequency (0.04 Hz) need 50 s; the HRV Task Force (1996) recommends >= 2 min for LF.
HRV_MIN_FREQUENCY_S = 120.0


def _peaks(peaks_idx: Any) -> np.ndarray:
    arr = np.asarray(peaks_idx)
    if arr.ndim != 1:
        raise SignalError(f"peaks_idx must be 1-D (n_beats,), got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise SignalError(f"peaks_idx must hold integer sample indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr[0] < 0:
        raise SignalError(f"peaks_idx must be non-negative, got {arr[0]} at position 0")
    steps = np.diff(arr)
    bad = np.flatnonzero(steps <= 0)
    if bad.size:
        k = int(bad[0]) + 1
        raise SignalError(
            f"peaks_idx must be strictly increasing: position {k} ({arr[k]}) follows {arr[k - 1]}"
        )
    return arr


def rr_intervals(peaks_idx: Any, fs: float) -> np.ndarray:
    """RR intervals in seconds.

    Parameters
    ----------
    peaks_idx : array_like of int, shape (n_beats,)
        R-peak sample indices, strictly increasing.
    fs : float
        Sampling rate in Hz.

    Returns
    -------
    ndarray of float64, shape (max(n_beats - 1, 0),)
        ``rr_s[k] = (peaks_idx[k + 1] - peaks_idx[k]) / fs``.
    """
    fs = check_fs(fs)
    return np.diff(_peaks(peaks_idx)).astype(np.float64) / fs


def heart_rate_instantaneous(peaks_idx: Any, fs: float) -> np.ndarray:
    """Beat-to-beat heart rate in beats per minute, ``60 / rr_s``.

    One value per RR interval, belonging to the beat that ends it.
    """
    return 60.0 / rr_intervals(peaks_idx, fs)


def heart_rate_average(
    peaks_idx: Any,
    fs: float,
    *,
    n_intervals: int = 12,
    trim_extremes: bool = True,
    slow_rr_s: float | None = 1.2,
    slow_n_intervals: int = 4,
) -> np.ndarray:
    """Averaged heart rate (bpm) as a bedside monitor displays it, EC13-style.

    ANSI/AAMI EC13 asks a cardiac monitor to disclose how it averages heart
    rate rather than prescribing one method. This is the scheme commonly
    disclosed under it: at each beat,

    * if the ``3`` most recent RR intervals are all longer than ``slow_rr_s``
      (1.2 s, i.e. below 50 bpm), the rate is ``60 / mean`` of the
      ``slow_n_intervals`` (4) most recent intervals, so a sudden bradycardia
      or pause shows quickly;
    * otherwise it is ``60 / mean`` of the ``n_intervals`` (12) most recent
      intervals, the longest and the shortest excluded (``trim_extremes``),
      so one missed or premature beat barely moves it.

    Averaging intervals (not rates) gives the true beat rate on EC13's
    bigeminy test rhythms. At the start of a record fewer intervals are
    available and all of them are used (trimming needs at least 3).

    Parameters
    ----------
    peaks_idx : array_like of int, shape (n_beats,)
        R-peak sample indices, strictly increasing.
    fs : float
        Sampling rate in Hz.
    n_intervals : int
        Averaging window in RR intervals.
    trim_extremes : bool
        Exclude the longest and the shortest interval of the window.
    slow_rr_s : float or None
        Interval (s) above which three in a row switch to the short window;
        None disables the rule.
    slow_n_intervals : int
        Short window in RR intervals.

    Returns
    -------
    ndarray of float64, shape (max(n_beats - 1, 0),)
        Averaged rate at each beat from the second on, in bpm.
    """
    for name, value in (("n_intervals", n_intervals), ("slow_n_intervals", slow_n_intervals)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if slow_rr_s is not None and not (math.isfinite(slow_rr_s) and slow_rr_s > 0):
        raise ValueError(
            f"slow_rr_s must be a positive number of seconds or None, got {slow_rr_s!r}"
        )
    rr = rr_intervals(peaks_idx, fs)
    out = np.empty_like(rr)
    for k in range(rr.size):
        # Per-beat windows of at most a dozen values: a plain loop reads like the
        # disclosure text; no library implements this monitor convention.
        if slow_rr_s is not None and k >= 2 and np.all(rr[k - 2 : k + 1] > slow_rr_s):
            window = rr[max(0, k + 1 - slow_n_intervals) : k + 1]
        else:
            window = rr[max(0, k + 1 - n_intervals) : k + 1]
            if trim_extremes and window.size >= 3:
                window = np.sort(window)[1:-1]
        out[k] = 60.0 / window.mean()
    return out


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


@dataclasses.dataclass(frozen=True, eq=False)
class RRCleaning:
    """RR series with ectopy/artefact flags (result of :func:`clean_rr`).

    Attributes
    ----------
    rr_s : ndarray of float64, shape (n_intervals,)
        All RR intervals in seconds, unchanged.
    flagged : ndarray of bool, shape (n_intervals,)
        True where the interval deviates from ``reference_s`` by more than
        ``threshold`` (ectopic beats, missed or extra detections, gaps).
    reference_s : ndarray of float64, shape (n_intervals,)
        Running median the intervals were compared with, in seconds.
    threshold : float
        Relative deviation limit, e.g. 0.2 for 20 %.
    """

    rr_s: np.ndarray
    flagged: np.ndarray
    reference_s: np.ndarray
    threshold: float

    @property
    def nn_s(self) -> np.ndarray:
        """The unflagged (normal-to-normal) intervals in seconds."""
        return self.rr_s[~self.flagged]

    @property
    def n_flagged(self) -> int:
        """Number of flagged intervals."""
        return int(np.count_nonzero(self.flagged))


def clean_rr(peaks_idx: Any, fs: float, *, threshold: float = 0.2, window: int = 11) -> RRCleaning:
    """Flag RR intervals that deviate from the running median (ectopy-aware cleaning).

    An interval is flagged when ``|rr - median| > threshold * median``, the
    median being taken over the ``window`` intervals centred on it (fewer at
    the ends of the series). A premature beat flags both its short coupling
    interval and the long compensatory pause; a missed beat flags its double
    interval. Intervals are never removed or changed: the result holds the
    full series and the mask.

    Parameters
    ----------
    peaks_idx : array_like of int, shape (n_beats,)
        R-peak sample indices, strictly increasing.
    fs : float
        Sampling rate in Hz.
    threshold : float
        Relative deviation limit (0.2 = 20 %).
    window : int
        Odd number of intervals in the running median.
    """
    if not (isinstance(threshold, int | float) and 0 < threshold < 1):
        raise ValueError(f"threshold must be a fraction between 0 and 1, got {threshold!r}")
    if isinstance(window, bool) or not isinstance(window, int) or window < 1 or window % 2 == 0:
        raise ValueError(f"window must be a positive odd number of intervals, got {window!r}")
    rr = rr_intervals(peaks_idx, fs)
    half = window // 2
    # A centred running median with shrinking windows at the ends; written with
    # numpy because scipy's median filters pad the ends with zeros or reflections.
    padded = np.pad(rr, half, constant_values=np.nan)
    if rr.size:
        windows = np.lib.stride_tricks.sliding_window_view(padded, window)
        reference = np.nanmedian(windows, axis=1)
    else:
        reference = np.zeros(0)
    flagged = np.abs(rr - reference) > threshold * reference
    return RRCleaning(
        rr_s=_readonly(rr),
        flagged=_readonly(flagged),
        reference_s=_readonly(reference),
        threshold=float(threshold),
    )


def _json_number(value: float, digits: int) -> float | None:
    return None if not math.isfinite(value) else round(float(value), digits)


@dataclasses.dataclass(frozen=True)
class HeartRateSummary:
    """Heart rate and RR statistics of a record (result of :func:`heart_rate_summary`).

    Attributes
    ----------
    n_beats : int
        Number of R-peaks.
    n_intervals : int
        Number of RR intervals (``n_beats - 1``, or 0).
    n_flagged : int
        RR intervals flagged by :func:`clean_rr` (excluded from SDNN/RMSSD).
    mean_bpm : float
        ``60 / mean RR`` over all intervals (the beat rate), NaN below 2 beats.
    min_bpm, max_bpm : float
        Extremes of the EC13-style averaged rate (:func:`heart_rate_average`).
    rr_mean_ms : float
        Mean of all RR intervals in ms.
    sdnn_ms : float
        Standard deviation (ddof=1) of the unflagged intervals in ms; NaN below 2.
    rmssd_ms : float
        Root mean square of differences between successive unflagged
        intervals in ms; NaN without such a pair.
    threshold : float
        Relative deviation used to flag intervals.
    """

    n_beats: int
    n_intervals: int
    n_flagged: int
    mean_bpm: float
    min_bpm: float
    max_bpm: float
    rr_mean_ms: float
    sdnn_ms: float
    rmssd_ms: float
    threshold: float

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary; undefined values (NaN) become None."""
        return {
            "n_beats": self.n_beats,
            "n_intervals": self.n_intervals,
            "n_flagged": self.n_flagged,
            "mean_bpm": _json_number(self.mean_bpm, 2),
            "min_bpm": _json_number(self.min_bpm, 2),
            "max_bpm": _json_number(self.max_bpm, 2),
            "rr_mean_ms": _json_number(self.rr_mean_ms, 2),
            "sdnn_ms": _json_number(self.sdnn_ms, 2),
            "rmssd_ms": _json_number(self.rmssd_ms, 2),
            "flag_threshold": self.threshold,
        }

    def describe(self) -> str:
        """A few aligned text lines for terminals and reports."""
        if self.n_intervals == 0:
            return f"heart rate  not available ({self.n_beats} beat(s), need at least 2)"

        def num(value: float, unit: str) -> str:
            return "n/a" if not math.isfinite(value) else f"{value:.1f} {unit}"

        return "\n".join(
            [
                f"heart rate  {num(self.mean_bpm, 'bpm')} mean, "
                f"{self.min_bpm:.1f}-{self.max_bpm:.1f} bpm (averaged rate)",
                f"RR          mean {num(self.rr_mean_ms, 'ms')}, SDNN {num(self.sdnn_ms, 'ms')}, "
                f"RMSSD {num(self.rmssd_ms, 'ms')}",
                f"RR flagged  {self.n_flagged} of {self.n_intervals} "
                f"(> {self.threshold:.0%} from running median; excluded from SDNN/RMSSD)",
            ]
        )


def heart_rate_summary(
    peaks_idx: Any, fs: float, *, threshold: float = 0.2, n_intervals: int = 12
) -> HeartRateSummary:
    """Summarise heart rate and RR statistics of a beat sequence.

    Mean rate over all intervals (ectopic beats are beats); minimum and
    maximum of the EC13-style averaged rate (``n_intervals`` window, see
    :func:`heart_rate_average`); SDNN and RMSSD over the intervals that
    :func:`clean_rr` does not flag (``threshold``). Fewer than two beats give
    NaN statistics rather than an error, so a record without beats
    (asystole, lead off) still has a summary.

    Notes
    -----
    Gaps in the signal (missing samples) appear as long RR intervals; they
    lower the mean rate and are flagged. Split the beat sequence at gaps
    when that matters.
    """
    peaks = _peaks(peaks_idx)
    cleaning = clean_rr(peaks, fs, threshold=threshold)
    rr = cleaning.rr_s
    nan = math.nan
    if rr.size == 0:
        return HeartRateSummary(peaks.size, 0, 0, nan, nan, nan, nan, nan, nan, float(threshold))
    averaged = heart_rate_average(peaks, fs, n_intervals=n_intervals)
    nn = cleaning.nn_s
    ok = ~cleaning.flagged
    pairs = ok[1:] & ok[:-1]
    diffs = np.diff(rr)[pairs]
    return HeartRateSummary(
        n_beats=int(peaks.size),
        n_intervals=int(rr.size),
        n_flagged=cleaning.n_flagged,
        mean_bpm=float(60.0 / rr.mean()),
        min_bpm=float(averaged.min()),
        max_bpm=float(averaged.max()),
        rr_mean_ms=float(rr.mean() * 1e3),
        sdnn_ms=float(nn.std(ddof=1) * 1e3) if nn.size >= 2 else nan,
        rmssd_ms=float(np.sqrt(np.mean(diffs**2)) * 1e3) if diffs.size else nan,
        threshold=float(threshold),
    )


@dataclasses.dataclass(frozen=True)
class HRVResult:
    """Heart-rate variability indices computed by neurokit2 (result of :func:`hrv`).

    Attributes
    ----------
    time : Mapping[str, float]
        Time-domain indices of ``neurokit2.hrv_time`` without the ``HRV_``
        prefix (``MeanNN``, ``SDNN``, ``RMSSD``, ``pNN50``, ...), in ms or %.
    frequency : Mapping[str, float] or None
        Frequency-domain indices of ``neurokit2.hrv_frequency`` (``LF``,
        ``HF``, ``LFHF``, ``LFn``, ``HFn``, ...), absolute powers in ms²;
        None when not requested. Bands the record is too short for are NaN.
    n_beats : int
        Number of beats given.
    n_excluded : int
        RR intervals flagged by :func:`clean_rr` and left out.
    duration_s : float
        Time from the first to the last beat in seconds.
    """

    time: Mapping[str, float]
    frequency: Mapping[str, float] | None
    n_beats: int
    n_excluded: int
    duration_s: float

    @property
    def sdnn_ms(self) -> float:
        """SDNN in ms."""
        return self.time["SDNN"]

    @property
    def rmssd_ms(self) -> float:
        """RMSSD in ms."""
        return self.time["RMSSD"]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary; NaN becomes None."""
        return {
            "n_beats": self.n_beats,
            "n_excluded": self.n_excluded,
            "duration_s": round(self.duration_s, 3),
            "time": {k: _json_number(v, 6) for k, v in self.time.items()},
            "frequency": None
            if self.frequency is None
            else {k: _json_number(v, 6) for k, v in self.frequency.items()},
        }


def _strip(frame: Any) -> Mapping[str, float]:
    row = frame.iloc[0]
    return MappingProxyType({str(k).removeprefix("HRV_"): float(v) for k, v in row.items()})


def hrv(
    peaks_idx: Any,
    fs: float,
    *,
    frequency: bool = True,
    exclude_flagged: bool = True,
    threshold: float = 0.2,
) -> HRVResult:
    """Time- and frequency-domain heart-rate variability via neurokit2.

    Parameters
    ----------
    peaks_idx : array_like of int, shape (n_beats,)
        R-peak sample indices, strictly increasing; at least 3 beats.
    fs : float
        Sampling rate in Hz.
    frequency : bool
        Also compute frequency-domain indices (``neurokit2.hrv_frequency``
        with ``normalize=False``, so powers are in ms²); needs beats spanning
        at least :data:`HRV_MIN_FREQUENCY_S` seconds.
    exclude_flagged : bool
        Leave out intervals flagged by :func:`clean_rr` (``threshold``):
        they are passed to neurokit2 as missing, so no difference spans them
        in the time domain; the frequency analysis resamples the RR series
        over time and bridges them, as neurokit2 does for missing intervals.
    threshold : float
        Relative deviation for :func:`clean_rr`.

    Raises
    ------
    SignalError
        Fewer than 3 beats, no two consecutive usable intervals, or a span
        too short for frequency-domain indices.
    """
    import neurokit2 as nk  # noqa: PLC0415 - heavy import, only needed here

    fs = check_fs(fs)
    peaks = _peaks(peaks_idx)
    if peaks.size < HRV_MIN_BEATS:
        raise SignalError(f"HRV needs at least {HRV_MIN_BEATS} beats, got {peaks.size}")
    duration_s = float(peaks[-1] - peaks[0]) / fs
    if frequency and duration_s < HRV_MIN_FREQUENCY_S:
        raise SignalError(
            f"frequency-domain HRV needs beats spanning at least {HRV_MIN_FREQUENCY_S:g} s, "
            f"got {duration_s:.1f} s; pass frequency=False for time-domain indices only"
        )
    cleaning = clean_rr(peaks, fs, threshold=threshold)
    rri_ms = cleaning.rr_s * 1e3
    n_excluded = 0
    if exclude_flagged:
        rri_ms = np.where(cleaning.flagged, np.nan, rri_ms)
        n_excluded = cleaning.n_flagged
    usable = np.isfinite(rri_ms)
    if not np.any(usable[1:] & usable[:-1]):
        raise SignalError(
            "HRV needs at least 2 consecutive usable RR intervals (3 beats in a row); "
            f"{n_excluded} of {cleaning.rr_s.size} intervals were flagged as deviating "
            f"by more than {threshold:.0%} from the running median"
        )
    intervals = {"RRI": rri_ms, "RRI_Time": peaks[1:] / fs}
    # Ratios of a degenerate series (e.g. SDNN / RMSSD of a perfectly regular
    # paced rhythm) are 0 / 0: they are reported as NaN, not warned about.
    with np.errstate(divide="ignore", invalid="ignore"):
        time_indices = _strip(nk.hrv_time(intervals))
        freq_indices = None
        if frequency:
            freq_indices = _strip(nk.hrv_frequency(intervals, normalize=False))
    return HRVResult(
        time=time_indices,
        frequency=freq_indices,
        n_beats=int(peaks.size),
        n_excluded=n_excluded,
        duration_s=duration_s,
    )
