"""Beat classes, rhythm episodes and alarms of one ECG lead, live or whole.

:class:`RhythmAnalyzer` is a streaming engine: feed it chunks of one lead (mV)
and it returns, for each chunk, the beats whose class became final, the rhythm
episodes that closed and the alarms raised. :func:`analyze_rhythm` runs the
same engine over a whole signal in one go, so a stream and a record give the
same beats and episodes, whatever the chunking.

Stages, each final a fixed time after its data (``fs`` = sampling rate):

1. R-peaks: from :class:`~ecgcore.detect.RPeakDetector` (or given). A peak is
   assumed final ``peak_delay_s`` after it (after ``detector_learn_s`` more at
   the start of the signal and after a gap, while the detector learns).
2. Beat features and AAMI class (:mod:`ecgcore.rhythm.features`,
   :mod:`ecgcore.rhythm.beats`), once the next beat (or ``rr_cap_s`` without
   one) is known.
3. Rhythm of each beat (:class:`~ecgcore.rhythm.episodes.BeatRhythm`) and AF
   (:mod:`ecgcore.rhythm.af`), looking ``lookahead_s`` ahead; in AF a beat
   called supraventricular is normal, and a beat that continues a fast
   supraventricular run at the same rate is supraventricular; atrial flutter
   (:mod:`ecgcore.rhythm.flutter`, from the lead 4 s either side of the beat)
   replaces sinus, AF and SVTA labels.
4. Waveform segments of 1 s: missing samples, unreadable signal (any
   :mod:`ecgcore.quality` limit of level ``off`` hit on a 4 s window) and
   VF/VFL (:mod:`ecgcore.rhythm.vf` on an 8 s window, at least
   ``vf_min_segments`` consecutive segments, each confirmed by the model of
   the central 4 s when the VF model has one).
5. Episodes painted from stages 3 and 4 (:func:`~ecgcore.rhythm.episodes.paint`).

With the defaults a beat's class is final about 3.5-6 s after it, its rhythm
and the episodes about 8.5 s after (``lookahead_s + peak_delay_s`` plus the
0.5 s beat window), within the 10 s budget of a live monitor. A VF-like
segment is painted whole (VT or VF/VFL, see :func:`~ecgcore.rhythm.episodes.paint`)
once every beat inside it is final, up to one segment (1 s) later for its
start: 9.5 s.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecgcore._validate import as_signal_1d, check_fs
from ecgcore.detect.pacing import PACED_AFTER_S, PACED_BEFORE_S, paced_beats
from ecgcore.errors import SignalError
from ecgcore.quality import QUALITY_INDICES, QUALITY_LIMITS, compute_indices
from ecgcore.quality.indices import true_runs
from ecgcore.rhythm._preprocess import GRID_R, P_SLICE, CausalBandpass
from ecgcore.rhythm.af import (
    AF_ECTOPIC_CLASSES,
    AFModel,
    af_features,
    default_af_model,
    sinus_p_consistency,
)
from ecgcore.rhythm.alarms import Alarm
from ecgcore.rhythm.beats import BeatClassifier, default_beat_classifier
from ecgcore.rhythm.episodes import BeatRhythm, Episode, EpisodeBuilder, Segment, paint
from ecgcore.rhythm.features import FEATURE_NAMES, BeatFeatureExtractor
from ecgcore.rhythm.flutter import (
    AFL_OVERRIDES,
    FLUTTER_MIN_BEATS,
    FLUTTER_QRS_BLANK_S,
    FlutterEvidence,
    flutter_evidence,
    is_flutter,
)
from ecgcore.rhythm.paced import (
    PACED_CLASS,
    PACED_OVERRIDES,
    is_paced_rhythm,
    recording_pacing_spikes,
)
from ecgcore.rhythm.trees import TreeModel
from ecgcore.rhythm.vf import (
    VF_FEATURE_NAMES,
    VF_WINDOW_S,
    VFModel,
    default_vf_model,
    vf_short_features,
    vf_window_features,
)

__all__ = [
    "LabelledBeat",
    "RhythmAnalysis",
    "RhythmAnalyzer",
    "RhythmConfig",
    "RhythmUpdate",
    "analyze_rhythm",
]

logger = logging.getLogger("ecgcore")

_PRE_AVG = FEATURE_NAMES.index("pre_over_avg")
_RR_PRE = FEATURE_NAMES.index("rr_pre_s")
_QRS = slice(GRID_R - 25, GRID_R + 38)
_REGULARITY = VF_FEATURE_NAMES.index("regularity")
_N_P = P_SLICE.stop - P_SLICE.start
_FLAT_MV = 0.02  # a range below 20 uV is no signal (lead off), as the quality "flat" index


@dataclass(frozen=True)
class RhythmConfig:
    """Settings of the rhythm analysis (seconds unless stated).

    Attributes
    ----------
    pause_s : float
        RR interval above which the interval is a ``PAUSE``.
    asystole_s : float
        Time without QRS above which it is ``ASYS``.
    lookahead_s : float
        How far after a beat its rhythm label may look; raised to
        ``asystole_s + 0.5`` if smaller.
    peak_delay_s : float
        Longest time after which an R-peak is known (detector latency).
    detector_learn_s : float
        Time the detector needs at the start and after a gap before its peaks
        follow ``peak_delay_s``.
    rr_cap_s : float
        Cap of RR intervals in the beat features.
    vf_threshold : float
        VF probability above which a segment is VF-like (and, for the short
        window, confirmed).
    vf_min_segments : int
        Consecutive VF-like segments needed for a VF/VFL episode.
    vfl_regularity : float
        Median waveform regularity above which VF is called flutter (``VFL``).
    segment_s : float
        Length of the waveform segments.
    noise_window_s : float
        Window of the noise verdict around each segment.
    svta_continuation : bool
        Let a beat continue a supraventricular run (see the module notes).
    af_hysteresis : float
        AF starts when its probability exceeds the model threshold plus this,
        and ends when it falls below the threshold minus this.
    af_hold_s : float
        Beats with too few usable intervals around them (mostly ventricular
        ectopy) keep the AF state this long after the last decided beat, then
        end it.
    flutter : bool
        Paint atrial flutter (``AFL``, :mod:`ecgcore.rhythm.flutter`) over
        sinus, AF and SVTA intervals whose window shows flutter waves.
    """

    pause_s: float = 2.0
    asystole_s: float = 4.0
    lookahead_s: float = 5.0
    peak_delay_s: float = 3.0
    detector_learn_s: float = 9.0
    rr_cap_s: float = 3.0
    vf_threshold: float = 0.5
    vf_min_segments: int = 3
    vfl_regularity: float = 0.5
    segment_s: float = 1.0
    noise_window_s: float = 4.0
    svta_continuation: bool = True
    af_hysteresis: float = 0.1
    af_hold_s: float = 10.0
    flutter: bool = True

    def __post_init__(self) -> None:
        for name in ("pause_s", "asystole_s", "lookahead_s", "rr_cap_s", "segment_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 s, got {getattr(self, name)!r}")
        if self.asystole_s < self.pause_s:
            raise ValueError(
                f"asystole_s ({self.asystole_s}) must not be below pause_s ({self.pause_s})"
            )
        if self.peak_delay_s < 0 or self.detector_learn_s < 0:
            raise ValueError("peak_delay_s and detector_learn_s must be >= 0 s")
        if self.vf_min_segments < 1:
            raise ValueError(f"vf_min_segments must be >= 1, got {self.vf_min_segments}")

    @property
    def effective_lookahead_s(self) -> float:
        """Lookahead actually used (at least ``asystole_s + 0.5``)."""
        return max(self.lookahead_s, self.asystole_s + 0.5)


@dataclass(frozen=True)
class LabelledBeat:
    """A beat and its AAMI class (``N``, ``S``, ``V``, ``F`` or ``Q``)."""

    sample: int
    aami: str


@dataclass(frozen=True)
class RhythmUpdate:
    """What one chunk made final.

    Attributes
    ----------
    beats : tuple of LabelledBeat
        Beats whose class became final.
    episodes : tuple of Episode
        Episodes that closed (sample indices).
    current : Episode or None
        The open episode so far (may still grow).
    alarms : tuple of Alarm
        Alarms raised.
    """

    beats: tuple[LabelledBeat, ...]
    episodes: tuple[Episode, ...]
    current: Episode | None
    alarms: tuple[Alarm, ...]


@dataclass(frozen=True, eq=False)
class RhythmAnalysis:
    """Beats, episodes, burden and alarms of an analysed signal.

    Attributes
    ----------
    fs : float
        Sampling rate (Hz).
    n_samples : int
        Analysed length (samples).
    beats_idx : ndarray of int64
        Beat sample indices.
    beat_classes : ndarray of str
        AAMI class per beat.
    episodes : tuple of Episode
        Non-overlapping episodes covering ``[0, n_samples)``.
    alarms : tuple of Alarm
        Alarms a live monitor would have raised.
    models : dict
        Versions and checksums of the models used.
    beats_paced : ndarray of bool or None
        Whether each beat follows a pacing spike (its class is then ``Q``);
        None when pacing was not looked for.
    """

    fs: float
    n_samples: int
    beats_idx: np.ndarray
    beat_classes: np.ndarray
    episodes: tuple[Episode, ...]
    alarms: tuple[Alarm, ...]
    models: dict[str, str] = dataclasses.field(default_factory=dict)
    beats_paced: np.ndarray | None = None

    @property
    def duration_s(self) -> float:
        """Analysed duration (s)."""
        return self.n_samples / self.fs

    def burden(self) -> dict[str, float]:
        """Percentage of the analysed time spent in each rhythm (sums to 100)."""
        total = max(self.n_samples, 1)
        out: dict[str, float] = {}
        for ep in self.episodes:
            out[ep.rhythm] = out.get(ep.rhythm, 0.0) + 100.0 * (ep.end_idx - ep.start_idx) / total
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def episodes_of(self, codes: Sequence[str]) -> list[tuple[float, float]]:
        """``(start_s, end_s)`` of the episodes whose code is in ``codes``."""
        wanted = set(codes)
        return [
            (ep.start_s(self.fs), ep.end_s(self.fs)) for ep in self.episodes if ep.rhythm in wanted
        ]

    def to_json(self) -> dict[str, Any]:
        """``beats``, ``episodes``, ``burden``, ``alarms`` and ``rhythm_models`` (plain types)."""
        return {
            "beats": [
                {"sample": int(s), "aami": str(c)}
                for s, c in zip(self.beats_idx.tolist(), self.beat_classes.tolist(), strict=True)
            ],
            "episodes": [
                {
                    "rhythm": ep.rhythm,
                    "start_s": round(ep.start_s(self.fs), 4),
                    "end_s": round(ep.end_s(self.fs), 4),
                }
                for ep in self.episodes
            ],
            "burden": {k: round(v, 3) for k, v in self.burden().items()},
            "alarms": [a.to_json() for a in self.alarms],
            "rhythm_models": dict(self.models),
        }


class _Beats:
    """Growing per-beat arrays (amortised appends)."""

    def __init__(self) -> None:
        self.n = 0
        cap = 256
        self.t = np.zeros(cap, dtype=np.int64)
        self.raw = np.zeros(cap, dtype="<U1")
        self.cls = np.zeros(cap, dtype="<U1")
        self.pwin = np.zeros((cap, _N_P))
        self.regular = np.zeros(cap, dtype=bool)
        self.af = np.zeros(cap, dtype=bool)
        self.rr_pre = np.zeros(cap)
        self.pre_avg = np.zeros(cap)
        self.code = np.zeros(cap, dtype="<U5")
        self.regular_vt = np.zeros(cap, dtype=bool)
        self.paced = np.zeros(cap, dtype=bool)

    def _grow(self, need: int) -> None:
        cap = self.t.shape[0]
        if need <= cap:
            return
        new = max(need, 2 * cap)
        names = (
            "t", "raw", "cls", "regular", "af", "rr_pre", "pre_avg", "code", "regular_vt", "paced",
        )  # fmt: skip
        for name in names:
            arr = getattr(self, name)
            grown = np.zeros(new, dtype=arr.dtype)
            grown[:cap] = arr
            setattr(self, name, grown)
        p = np.zeros((new, _N_P))
        p[:cap] = self.pwin
        self.pwin = p

    def append(self, **cols: np.ndarray) -> None:
        m = len(cols["t"])
        self._grow(self.n + m)
        sl = slice(self.n, self.n + m)
        for name, values in cols.items():
            getattr(self, name)[sl] = values
        self.n += m


class RhythmAnalyzer:
    """Streaming beat, rhythm and alarm analysis of one lead.

    Parameters
    ----------
    fs : float
        Sampling rate (Hz), 100-2000.
    config : RhythmConfig, optional
        Settings (defaults of :class:`RhythmConfig`).
    detect : bool
        Run an internal :class:`~ecgcore.detect.RPeakDetector` (default). With
        ``False`` the caller gives the R-peaks of each chunk to :meth:`process`.
    beat_classifier, af_model, vf_model : optional
        Models (the shipped ones by default).

    Notes
    -----
    Feeding the same samples (and peaks) in any chunking, then calling
    :meth:`finish`, gives the same beats, episodes and alarm onsets. A peak
    that arrives later than ``peak_delay_s`` (after its data was used) is
    logged and left out (counted in :attr:`late_peaks`).
    """

    def __init__(
        self,
        fs: float,
        *,
        config: RhythmConfig | None = None,
        detect: bool = True,
        beat_classifier: BeatClassifier | None = None,
        af_model: AFModel | None = None,
        vf_model: VFModel | TreeModel | None = None,
    ) -> None:
        self.fs = check_fs(fs, low=100.0, high=2000.0)
        self.config = config if config is not None else RhythmConfig()
        self._detect = detect
        self.beat_classifier = beat_classifier or default_beat_classifier()
        self.af_model = af_model or default_af_model()
        self.vf_model = vf_model or default_vf_model()
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget everything: the next sample is sample 0 of a new stream."""
        cfg = self.config
        fs = self.fs
        self._detector = None
        if self._detect:
            from ecgcore.detect import RPeakDetector  # noqa: PLC0415 - optional stage

            self._detector = RPeakDetector(fs)
        self._filter = CausalBandpass(fs)
        self._fx = BeatFeatureExtractor(fs, rr_cap_s=cfg.rr_cap_s)
        self._rules = BeatRhythm(
            fs, pause_s=cfg.pause_s, asystole_s=cfg.asystole_s,
            lookahead_s=cfg.effective_lookahead_s,
        )  # fmt: skip
        self._la = round(cfg.effective_lookahead_s * fs)
        self._delay = round(cfg.peak_delay_s * fs)
        self._learn = round(cfg.detector_learn_s * fs)
        self._cap = round(cfg.rr_cap_s * fs)
        self._after = round(0.5 * fs) + 2  # beat window end
        # signal buffers (raw mV and conditioned), from absolute sample _buf0
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self._buf0 = 0
        self.n_samples = 0
        self._nan_start: int | None = None  # start of the current run of missing samples
        self._nan_runs: list[list[int]] = []  # [start, end) of every run of missing samples
        self._gap_prev: int | None = None  # last beat whose following gap is being watched
        self._gap_level = 0  # 1: PAUSE raised for the current gap, 2: ASYS too
        self._signal_start = 0  # where valid signal last resumed
        self._h = 0  # all peaks before this sample are known
        self._pending: list[int] = []
        self._last_peak = -1
        self.late_peaks = 0
        self._pace: np.ndarray = np.zeros(0, dtype=np.int64)  # pacing spikes not yet used up
        self._pace_used = -1  # spikes up to this sample were looked at
        self.late_spikes = 0
        self._beats = _Beats()
        self._n_c = 0  # beats with final rhythm
        self._af_state = False
        self._af_seen = 0  # last beat with an AF decision
        self._afl_run = 0  # consecutive beats with flutter evidence
        self._prev_window: np.ndarray | None = None
        self._v_run: list[int] = []  # current run of ventricular beats (A stage)
        self._vt_alarmed = False
        # segments
        self._seg_p: list[float] = []
        self._seg_reg: list[float] = []
        self._seg_short: list[bool] = []
        self._seg_missing: list[bool] = []
        self._seg_noise: list[bool] = []
        self._segments: list[Segment] = []
        self._vf_alarmed = False  # VF alarm raised for the current run
        self._vf_fibrillated = False  # the current VF-like run had a disorganised segment
        self._painted_last: str | None = None  # code of the last painted piece
        self._t_done = 0
        self._builder = EpisodeBuilder()
        self._alarms: list[Alarm] = []
        self._finished = False

    # ------------------------------------------------------------------ API
    def process(self, chunk_mv: Any, peaks: Any = None, pace_idx: Any = None) -> RhythmUpdate:
        """Analyse the next chunk of the lead.

        Parameters
        ----------
        chunk_mv : array_like, shape (n,)
            Samples in mV (NaN = missing).
        peaks : array_like of int, optional
            R-peaks (absolute sample indices) confirmed with this chunk; only
            when the analyzer was created with ``detect=False``.
        pace_idx : array_like of int, optional
            Pacing spikes (absolute sample indices) confirmed with this chunk
            (:class:`~ecgcore.detect.PacingSpikeDetector`); a beat with a spike
            from 300 ms before to 20 ms after its R peak is paced (see
            :mod:`ecgcore.rhythm.paced`). A spike that arrives after its beats
            were classified is logged and left out (:attr:`late_spikes`).

        Returns
        -------
        RhythmUpdate
        """
        if self._finished:
            raise SignalError("RhythmAnalyzer.process() after finish(); call reset() first")
        x = as_signal_1d(chunk_mv, "chunk_mv")
        if np.isinf(x).any():
            raise SignalError("chunk_mv contains infinite values; use NaN for missing samples")
        start = self.n_samples
        y = self._filter.process(x)
        self._x = np.concatenate([self._x, x])
        self._y = np.concatenate([self._y, y])
        if self._detector is not None:
            if peaks is not None:
                raise ValueError("peaks given to an analyzer that detects its own (detect=True)")
            new = self._detector.process(x)
        else:
            new = np.zeros(0, dtype=np.int64) if peaks is None else np.asarray(peaks)
        self.n_samples += x.size
        self._track_gaps(x, start)
        self._add_pace(pace_idx)
        self._add_peaks(new)
        self._update_horizon()
        return self._advance(final=False, alarms_from=len(self._alarms))

    def finish(self) -> RhythmUpdate:
        """End of the stream: make everything final and close the last episode."""
        if self._finished:
            return RhythmUpdate((), (), None, ())
        n_alarms = len(self._alarms)
        if self._detector is not None:
            self._add_peaks(self._detector.finish())
        self._h = self.n_samples
        update = self._advance(final=True, alarms_from=n_alarms)
        closed = self._builder.close()
        self._finished = True
        return RhythmUpdate(update.beats, update.episodes + tuple(closed), None, update.alarms)

    def result(self) -> RhythmAnalysis:
        """Everything final so far (call after :meth:`finish` for the whole signal)."""
        b = self._beats
        episodes = list(self._builder.closed)
        if self._builder.current is not None:
            episodes.append(self._builder.current)
        return RhythmAnalysis(
            fs=self.fs,
            n_samples=self.n_samples if self._finished else self._t_done,
            beats_idx=b.t[: self._n_c].copy(),
            beat_classes=b.cls[: self._n_c].copy(),
            episodes=tuple(episodes),
            alarms=tuple(self._alarms),
            beats_paced=b.paced[: self._n_c].copy(),
            models={
                "beats": f"{self.beat_classifier.version} sha256:{self.beat_classifier.sha256}",
                "af": f"{self.af_model.version} sha256:{self.af_model.sha256}",
                "vf": f"{self.vf_model.version} sha256:{self.vf_model.sha256}",
            },
        )

    # ------------------------------------------------------------------ input
    def _track_gaps(self, x: np.ndarray, start: int) -> None:
        """Follow runs of missing samples (the detector relearns after each)."""
        nan = np.isnan(x)
        if nan.any():
            starts, stops = true_runs(nan)
            for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
                runs = self._nan_runs
                if runs and runs[-1][1] == start + a:
                    runs[-1][1] = start + b
                else:
                    runs.append([start + a, start + b])
        if not nan.any():
            if self._nan_start is not None:
                self._signal_start = start
                self._nan_start = None
            return
        valid = np.flatnonzero(~nan)
        if nan[-1]:  # the chunk ends inside a run of missing samples
            if valid.size:
                self._nan_start = start + int(valid[-1]) + 1
            elif self._nan_start is None:
                self._nan_start = start
        else:
            self._nan_start = None
            self._signal_start = start + int(np.flatnonzero(nan)[-1]) + 1

    def _add_peaks(self, peaks: np.ndarray) -> None:
        p = np.asarray(peaks)
        if p.size == 0:
            return
        if p.ndim != 1 or not np.issubdtype(p.dtype, np.integer):
            raise SignalError(f"peaks must be a 1-D array of sample indices, got {p.dtype}")
        for v in p.tolist():
            if v <= self._last_peak:
                raise SignalError(f"peak {v} is not after the previous peak {self._last_peak}")
            self._last_peak = v
            if v < self._h:
                self.late_peaks += 1
                logger.warning(
                    "rhythm: R-peak at sample %d arrived after its data was analysed "
                    "(later than peak_delay_s); left out",
                    v,
                )
                continue
            self._pending.append(int(v))

    def _add_pace(self, pace_idx: Any) -> None:
        if pace_idx is None:
            return
        s = np.asarray(pace_idx)
        if s.size == 0:
            return
        if s.ndim != 1 or not np.issubdtype(s.dtype, np.integer):
            raise SignalError(f"pace_idx must be a 1-D array of sample indices, got {s.dtype}")
        late = s <= self._pace_used
        if late.any():
            self.late_spikes += int(late.sum())
            logger.warning(
                "rhythm: %d pacing spike(s) arrived after their beats were classified; left out",
                int(late.sum()),
            )
        self._pace = np.sort(np.concatenate((self._pace, s[~late].astype(np.int64))))

    def _update_horizon(self) -> None:
        n = self.n_samples
        if self._nan_start is not None:
            cand = min(self._nan_start, n) - self._delay
        elif n - self._signal_start < self._learn + self._delay:
            cand = self._signal_start
        else:
            cand = n - self._delay
        self._h = max(self._h, cand)

    # ------------------------------------------------------------------ stages
    def _advance(self, *, final: bool, alarms_from: int) -> RhythmUpdate:
        n_c0 = self._n_c
        closed: list[Episode] = []
        self._stage_beats(final)
        self._gap_alarms(final)
        self._stage_rhythm(final)
        self._stage_segments(final)
        closed += self._stage_paint(final)
        self._trim()
        b = self._beats
        beats = tuple(LabelledBeat(int(b.t[k]), str(b.cls[k])) for k in range(n_c0, self._n_c))
        return RhythmUpdate(
            beats, tuple(closed), self._builder.current, tuple(self._alarms[alarms_from:])
        )

    def _stage_beats(self, final: bool) -> None:
        fs, cap = self.fs, self._cap
        ready: list[int] = []
        rr_post: list[float] = []
        pend = self._pending
        for i, p in enumerate(pend):
            if not final and p + self._after > self.n_samples:
                break
            nxt = pend[i + 1] if i + 1 < len(pend) else None
            if nxt is not None and (final or nxt <= self._h):
                rr = min((nxt - p) / fs, self.config.rr_cap_s)
            elif final:
                rr = self.config.rr_cap_s if self.n_samples - p >= cap else np.nan
            elif self._h >= p + cap:
                rr = self.config.rr_cap_s
            else:
                break
            ready.append(p)
            rr_post.append(rr)
        if not ready:
            return
        del pend[: len(ready)]
        idx = np.asarray(ready, dtype=np.int64)
        feats, windows = self._fx.compute_with_windows(
            idx, np.asarray(rr_post), self._y, self._buf0
        )
        raw = self.beat_classifier.classify(feats)
        paced = paced_beats(self._pace, idx, fs)
        raw[paced] = PACED_CLASS
        after = round(PACED_AFTER_S * fs)
        self._pace_used = max(self._pace_used, int(idx[-1]) + after)
        self._pace = self._pace[self._pace > self._pace_used - after - round(PACED_BEFORE_S * fs)]
        regular = np.zeros(idx.size, dtype=bool)
        prev = self._prev_window
        for j in range(idx.size):
            w = windows[j, _QRS]
            if prev is not None and not (np.isnan(w).any() or np.isnan(prev).any()):
                c = np.corrcoef(w, prev)[0, 1]
                regular[j] = bool(c >= 0.9)
            prev = w
        self._prev_window = prev
        self._beats.append(
            t=idx, raw=raw, cls=raw, pwin=windows[:, P_SLICE], regular=regular,
            rr_pre=feats[:, _RR_PRE], pre_avg=feats[:, _PRE_AVG], paced=paced,
        )  # fmt: skip
        self._vt_alarms(idx, raw)

    def _vt_alarms(self, idx: np.ndarray, raw: np.ndarray) -> None:
        for t, c in zip(idx.tolist(), raw.tolist(), strict=True):
            if c != "V":
                self._v_run = []
                self._vt_alarmed = False
                continue
            self._v_run.append(t)
            run = self._v_run
            if len(run) >= 3 and not self._vt_alarmed:
                # the last three ventricular beats faster than 100 bpm: the onset is the first
                rate = 60.0 * self.fs / np.median(np.diff(run[-3:]))
                if rate > 100.0:
                    self._vt_alarmed = True
                    self._raise("VT", run[-3], f"ventricular run at {rate:.0f} bpm")

    def _raise(self, kind: str, onset_idx: int, message: str) -> None:
        self._alarms.append(Alarm(kind, onset_idx / self.fs, self.n_samples / self.fs, message))

    def _beats_final_until(self) -> int:
        """All beats before this sample have a final class (stage 2)."""
        if self._pending:
            return min(self._pending[0], self._h)
        return self._h

    def _stage_rhythm(self, final: bool) -> None:
        b = self._beats
        limit = self._beats_final_until()
        k0 = self._n_c
        k1 = k0
        while k1 < b.n and (final or b.t[k1] + self._la < limit):
            k1 += 1
        if k1 == k0:
            return
        fs = self.fs
        cfg = self.config
        # one beat before the first window, so every interval in a window is defined
        lo = max(int(np.searchsorted(b.t[: b.n], b.t[k0] - round(12.0 * fs))) - 1, 0)
        hi = b.n
        which = np.arange(k0, k1) - lo
        t_s, raw, pwin = b.t[lo:hi] / fs, b.raw[lo:hi], b.pwin[lo:hi]
        ahead_s = cfg.effective_lookahead_s
        feats = af_features(
            t_s, np.isin(raw, AF_ECTOPIC_CLASSES), pwin, which, back_s=12.0, ahead_s=ahead_s
        )
        p_sinus = sinus_p_consistency(t_s, raw == "N", pwin, which, back_s=12.0, ahead_s=ahead_s)
        p_af = self.af_model.probability(feats, p_sinus)
        state = self._af_state
        hold = round(cfg.af_hold_s * fs)
        # hysteresis around the model's threshold; a beat with too few usable
        # intervals keeps the state for af_hold_s after the last one that had them
        for i, p in enumerate(p_af.tolist()):
            tk = int(b.t[k0 + i])
            if np.isnan(p):
                if state and tk - self._af_seen > hold:
                    state = False
            else:
                self._af_seen = tk
                if state and p < self.af_model.threshold - cfg.af_hysteresis:
                    state = False
                elif not state and p > self.af_model.threshold + cfg.af_hysteresis:
                    state = True
            b.af[k0 + i] = state
        self._af_state = state
        t = b.t[: b.n]
        horizon = self.n_samples if final else limit
        for k in range(k0, k1):
            c = b.cls[k]
            if c == "S" and b.af[k]:
                c = "N"
            elif (
                cfg.svta_continuation
                and c == "N"
                and k > 0
                and b.cls[k - 1] == "S"
                and not b.af[k]
                and b.regular[k]
                and b.rr_pre[k] <= 1.15 * b.rr_pre[k - 1]
                and b.pre_avg[k] < 0.8
            ):
                c = "S"
            b.cls[k] = c
            code, reg_vt = self._rules.label(
                k, t, cls=b.cls[: b.n], af=b.af[: b.n], regular=b.regular[: b.n], horizon=horizon
            )
            if code in PACED_OVERRIDES:
                near = int(np.searchsorted(t, t[k] + self._la, side="right"))
                if is_paced_rhythm(b.paced, k, near):
                    code = "P"
            flutter = cfg.flutter and code in AFL_OVERRIDES and is_flutter(self._flutter(k, t))
            self._afl_run = self._afl_run + 1 if flutter else 0
            if self._afl_run >= FLUTTER_MIN_BEATS:
                code = "AFL"
            b.code[k] = code
            b.regular_vt[k] = reg_vt
        self._n_c = k1

    def _flutter(self, k: int, t: np.ndarray) -> FlutterEvidence:
        """Flutter evidence around beat ``k`` (:mod:`ecgcore.rhythm.flutter`).

        The window ends before the lookahead by the QRS blanking span, so every beat
        that blanks part of it is known and a stream decides as the whole record.
        """
        tk = int(t[k])
        end = tk + self._la - int(np.ceil(-FLUTTER_QRS_BLANK_S[0] * self.fs)) - 1
        return flutter_evidence(
            self._y, self._buf0, self.fs, center_idx=tk, beats_idx=t,
            n_samples=min(self.n_samples, end),
        )  # fmt: skip

    def _missing_in(self, a: int, b: int) -> int:
        """Number of missing samples in ``[a, b)``."""
        total = 0
        for s0, s1 in self._nan_runs:
            total += max(0, min(b, s1) - max(a, s0))
        return total

    def _gap_alarms(self, final: bool) -> None:
        """PAUSE/ASYS alarms as soon as a gap after a beat is long enough."""
        cfg = self.config
        fs = self.fs
        b = self._beats
        new = [int(v) for v in b.t[: b.n] if self._gap_prev is None or v > self._gap_prev]
        new += [v for v in self._pending if self._gap_prev is None or v > self._gap_prev]
        pause, asys = cfg.pause_s * fs, cfg.asystole_s * fs

        def signal_present(start: int, span: float) -> bool:
            """Signal during ``[start, start + span)``: not mostly missing, not flat at its end.

            The window depends on the threshold only, not on when the gap is
            seen, so a stream and a whole record decide alike.
            """
            end = start + round(span)
            if self._missing_in(start, end) * 2 > end - start:
                return False
            a = max(end - round(1.0 * fs), start) - self._buf0
            tail = self._x[max(a, 0) : max(end - self._buf0, 0)]
            tail = tail[~np.isnan(tail)]
            return tail.size == 0 or float(np.ptp(tail)) >= _FLAT_MV

        def check(start: int, gap: int) -> None:
            if self._gap_level < 1 and gap > pause:
                self._gap_level = 1
                if signal_present(start, pause):
                    self._raise("PAUSE", start, f"RR above {cfg.pause_s:g} s")
            if self._gap_level < 2 and gap > asys:
                self._gap_level = 2
                if signal_present(start, asys):
                    self._raise("ASYS", start, f"no QRS for more than {cfg.asystole_s:g} s")

        for t in sorted(set(new)):
            if self._gap_prev is not None:
                check(self._gap_prev, t - self._gap_prev)
            self._gap_prev = t
            self._gap_level = 0
        if self._gap_prev is not None:
            horizon = self.n_samples if final else self._h
            check(self._gap_prev, horizon - self._gap_prev)

    def _segment_bounds(self, j: int) -> tuple[int, int]:
        step = self.config.segment_s * self.fs
        return round(j * step), round((j + 1) * step)

    def _stage_segments(self, final: bool) -> None:
        cfg = self.config
        fs = self.fs
        half_vf = round(VF_WINDOW_S / 2 * fs)
        half_noise = round(cfg.noise_window_s / 2 * fs)
        n = self.n_samples

        while True:
            j = len(self._seg_p)
            a, b = self._segment_bounds(j)
            if a >= n:
                break
            mid = (a + b) // 2
            if not final and mid + half_vf > n:
                break
            b = min(b, n)
            wa, wb = max(mid - half_vf, 0), min(mid + half_vf, n)
            y = self._y[wa - self._buf0 : wb - self._buf0]
            f = vf_window_features(y, fs)
            p = 0.0
            confirmed = True
            if not np.isnan(f).any():
                p = float(self.vf_model.predict_proba(f[None, :])[0, 1])
                if p >= cfg.vf_threshold and isinstance(self.vf_model, VFModel):
                    fsh = vf_short_features(y, fs, mid - wa)
                    ps = float(self.vf_model.short_proba(fsh[None, :])[0, 1])
                    confirmed = bool(ps >= cfg.vf_threshold)
            x = self._x
            seg_x = x[a - self._buf0 : b - self._buf0]
            missing = bool(np.isnan(seg_x).any())
            na, nb = max(mid - half_noise, 0), min(mid + half_noise, n)
            xw = x[na - self._buf0 : nb - self._buf0]
            noise = False
            if not missing and xw.size >= fs:
                noise = _unreadable(xw, fs)
            self._seg_p.append(p)
            self._seg_reg.append(float(f[_REGULARITY]))
            self._seg_short.append(confirmed)
            self._seg_missing.append(missing)
            self._seg_noise.append(noise)
        # VF smoothing: a segment is VF inside a run of >= m VF-like segments,
        # when its own short window confirms it
        m = cfg.vf_min_segments
        computed = len(self._seg_p)
        vf_like = np.asarray(self._seg_p) >= cfg.vf_threshold
        while True:
            j = len(self._segments)
            if j >= computed or (not final and j + m - 1 >= computed):
                break
            a, b = self._segment_bounds(j)
            b = min(b, n)
            in_run = False
            if vf_like[j]:
                lo = j
                while lo > 0 and lo > j - m + 1 and vf_like[lo - 1]:
                    lo -= 1
                hi = j
                while hi + 1 < computed and hi < j + m - 1 and vf_like[hi + 1]:
                    hi += 1
                in_run = hi - lo + 1 >= m
            code = None
            if in_run and self._seg_short[j]:
                ra, rb = max(0, j - m + 1), min(computed, j + m)
                reg = np.nanmedian(self._seg_reg[ra:rb])
                code = "VFL" if reg >= cfg.vfl_regularity else "VF"
                if not self._vf_alarmed:
                    self._raise("VF", a, "ventricular fibrillation/flutter waveform")
                    self._vf_alarmed = True
            elif not in_run:
                self._vf_alarmed = False
            self._segments.append(
                Segment(a, b, self._seg_missing[j], self._seg_noise[j], code, self._vf_fibrillated)
            )
            # a disorganised segment makes the rest of its VF-like run fibrillation
            self._vf_fibrillated = code is not None and (self._vf_fibrillated or code == "VF")

    def _stage_paint(self, final: bool) -> list[Episode]:
        b = self._beats
        fs = self.fs
        asys = round(self.config.asystole_s * fs)
        n = self.n_samples
        if final:
            t_beats = n
        elif self._n_c < b.n:
            t_beats = int(b.t[self._n_c])
        elif self._pending:
            t_beats = min(self._pending[0], self._h)
        else:
            t_beats = self._h
        if self._n_c == 0 and not final:
            # before the first beat: asystole if it comes late, else its rhythm (not known yet)
            first = int(b.t[0]) if b.n else (self._pending[0] if self._pending else None)
            if (first is not None and first <= asys) or (first is None and t_beats <= asys):
                t_beats = 0
        t_seg = self._segments[-1].end_idx if self._segments else 0
        if final:
            t_seg = n
        end = min(t_beats, t_seg)
        if not final and self._segments:
            # a VF-like segment is painted whole, once every beat inside it is final
            done = self._segments
            j = min(int(end / (self.config.segment_s * fs)), len(done) - 1)
            while j > 0 and done[j].start_idx > end:
                j -= 1
            while j + 1 < len(done) and done[j].end_idx <= end:
                j += 1
            seg = done[j]
            if seg.vf is not None and seg.start_idx < end < seg.end_idx:
                end = seg.start_idx
        if end <= self._t_done:
            return []
        start = self._t_done
        nc = self._n_c
        t = b.t[:nc]
        k0 = max(int(np.searchsorted(t, start, side="right")) - 1, 0)
        k1 = int(np.searchsorted(t, end, side="left"))
        lead = "ASYS" if nc == 0 or int(t[0]) > asys else str(b.code[0])
        segs = [s for s in self._segments if s.end_idx > start and s.start_idx < end]
        pieces = paint(
            start, end, beat_t=t[k0:k1].tolist(), beat_code=b.code[k0:k1].tolist(),
            beat_regular_vt=b.regular_vt[k0:k1].tolist(), lead_code=lead, segments=segs,
        )  # fmt: skip
        for piece in pieces:
            # VF/VFL again after a VT stretch of the same VF-like run (the VT cleared the VF
            # alarm of a live display, and the segment stage raises it once per run)
            if piece.rhythm in ("VF", "VFL") and self._painted_last == "VT":
                self._raise("VF", piece.start_idx, "ventricular fibrillation/flutter waveform")
            self._painted_last = piece.rhythm
        self._t_done = end
        return self._builder.extend(pieces)

    def _trim(self) -> None:
        """Drop buffered samples no stage needs any more."""
        keep_back = round((VF_WINDOW_S / 2 + 1.0) * self.fs)
        needs = [self.n_samples]
        if self._gap_prev is not None:
            needs.append(self._gap_prev)
        if self._n_c < self._beats.n:
            needs.append(int(self._beats.t[self._n_c]))
        if self._pending:
            needs.append(self._pending[0])
        a, _ = self._segment_bounds(len(self._seg_p))
        needs.append(a)
        cut = min(needs) - keep_back - round(0.5 * self.fs)
        if cut > self._buf0:
            drop = cut - self._buf0
            self._x = self._x[drop:]
            self._y = self._y[drop:]
            self._buf0 = cut


#: Quality limits that make a segment unreadable (``NOISE``): the registered
#: limits of level ``off`` (flat line, no data, lead off). Lesser artefacts
#: (``poor``: motion, clipping) leave the rhythm readable from the beats.
def _unreadable_limits() -> tuple[Any, ...]:
    return tuple(lim for lim in QUALITY_LIMITS if lim.level == "off")


def _unreadable(x_mv: np.ndarray, fs: float) -> bool:
    """Whether a window of the raw lead hits a ``poor``/``off`` quality limit."""
    limits = _unreadable_limits()
    names = tuple(sorted({lim.index for lim in limits} & set(QUALITY_INDICES)))
    values = compute_indices(x_mv[:, None], fs, names=names)
    return any(lim.hit(float(values[lim.index][0])) for lim in limits if lim.index in values)


def _lead_signal(
    recording: Any, fs: float | None, lead: int | str | None
) -> tuple[np.ndarray, float]:
    from ecgcore.recording import Recording  # noqa: PLC0415

    if isinstance(recording, Recording):
        if fs is not None and float(fs) != recording.fs:
            raise ValueError(f"fs={fs} given for a recording sampled at {recording.fs} Hz")
        if lead is None:
            from ecgcore.analysis import default_analysis_lead  # noqa: PLC0415

            lead = default_analysis_lead(recording)
        return recording.lead_mv(lead), recording.fs
    if fs is None:
        raise ValueError("fs is required when a signal array is given")
    if lead is not None:
        raise ValueError("lead applies to a Recording only")
    return as_signal_1d(recording, "signal"), check_fs(fs)


def analyze_rhythm(
    recording: Any,
    fs: float | None = None,
    peaks: Any = None,
    *,
    lead: int | str | None = None,
    config: RhythmConfig | None = None,
    beat_classifier: BeatClassifier | None = None,
    af_model: AFModel | None = None,
    vf_model: VFModel | TreeModel | None = None,
    pace_idx: Any = None,
) -> RhythmAnalysis:
    """Beat classes, rhythm episodes, burden and alarms of a whole signal.

    Parameters
    ----------
    recording : Recording or array_like
        A :class:`~ecgcore.recording.Recording` (the lead ``lead``, by default
        II/MLII if present) or one lead in mV.
    fs : float, optional
        Sampling rate (Hz); required for an array.
    peaks : array_like of int, optional
        R-peak sample indices; detected with :func:`ecgcore.detect.detect_r_peaks`
        when omitted.
    lead : int or str, optional
        Lead of a Recording.
    config : RhythmConfig, optional
        Settings.
    beat_classifier, af_model, vf_model : optional
        Models (the shipped ones by default).
    pace_idx : array_like of int, optional
        Pacing-spike sample indices. By default they are detected
        (:func:`~ecgcore.rhythm.paced.recording_pacing_spikes`) when ``recording`` is a Recording
        sampled at 250 Hz or more with at least four independent leads, and
        there are none otherwise; give an empty array to leave pacing out.

    Returns
    -------
    RhythmAnalysis
    """
    if pace_idx is None:
        pace_idx = recording_pacing_spikes(recording)
    x, fs = _lead_signal(recording, fs, lead)
    if peaks is None:
        from ecgcore.detect import detect_r_peaks  # noqa: PLC0415 - optional stage

        peaks = detect_r_peaks(x, fs)
    peaks = np.asarray(peaks)
    if peaks.size and not np.issubdtype(peaks.dtype, np.integer):
        raise SignalError(f"peaks must hold integer sample indices, got dtype {peaks.dtype}")
    if peaks.size and (peaks[0] < 0 or peaks[-1] >= x.size):
        raise SignalError(f"peaks must lie within the signal (0..{x.size - 1})")
    analyzer = RhythmAnalyzer(
        fs, config=config, detect=False, beat_classifier=beat_classifier,
        af_model=af_model, vf_model=vf_model,
    )  # fmt: skip
    analyzer.process(x, peaks.astype(np.int64), np.asarray(pace_idx, dtype=np.int64))
    analyzer.finish()
    return analyzer.result()
