"""Rhythm and beat-classification benchmarks on PhysioNet data (needs scikit-learn).

Three kinds, each a set of per-record tasks and a summary, in the shape of
:class:`ecgcore.benchmarks.runner.BenchmarkKind` (:func:`register_kinds` adds
them to the runner). The command line is ``ecg bench rhythm --db
mitdb|vfdb|cinc2017`` and ``ecg bench beats --db mitdb``
(:mod:`ecgcore.cli._bench_rhythm`); ``python -m ecgcore.rhythm.bench KIND``
runs the same command. Tables, CSV/JSON and the RESULTS.md block:
:mod:`ecgcore.rhythm.bench_report`.

``rhythm --db mitdb``
    AF episodes against the reference ``(AFIB`` episodes, EC57 ``epicmp``
    rules (5-minute learning period, reference AFL removed from the
    positive-predictivity pass): episode and duration Se/+P.
``rhythm --db vfdb``
    VF/VFL episodes (``(VF``, ``(VFL``, ``(VFIB``, ``[``...``]``) against the
    detector's ``VF``/``VFL`` episodes (whole record, no learning period):
    episode and duration Se/+P; specificity on the reference non-shockable
    time (everything but VF/VFL/VT, noise included); ventricular tachycardia
    reported separately (time labelled VT, time labelled VF).
``beats --db mitdb``
    AAMI beat classes scored with the EC57 ``bxb`` rules (gross VEB/SVEB,
    confusion matrix) on the DS1 records, at the reference beats or the
    detected R-peaks.
``rhythm --db cinc2017`` (kind ``cinc``)
    Record classification Normal/AF/Other/Noisy of the CinC 2017 records from
    rhythm-analysis summaries, stratified 5-fold cross-validation; the
    challenge score is the mean F1 of Normal, AF and Other.

Honesty: with ``loo=True`` (the default) every model trained on the database
under test is refitted without the record under test (beats on mitdb DS1,
VF on vfdb and mitdb), so no record is scored by a model that saw it. The AF
model was fitted on CinC 2017 only; the CinC summary does not use it (it
learns from the raw AF features inside each fold).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # reproducible fits (see training)

import dataclasses
import math
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ecgcore.rhythm.analyzer import RhythmAnalysis, analyze_rhythm

__all__ = [
    "BeatsBenchConfig",
    "CincBenchConfig",
    "RhythmBenchConfig",
    "main",
    "register_kinds",
    "run_beats_task",
    "run_cinc_task",
    "run_rhythm_task",
]

_DEFAULT_CACHE = "/tmp/ecgcore-rhythm"
_VF_DATABASES = ("vfdb", "mitdb")
_NONSHOCKABLE_EXCLUDE = frozenset({"VF", "VFL", "VFIB", "VT"})
_NO_LOO_HINT = "or use --no-loo to score the shipped models as they are"


# --------------------------------------------------------------------- configs
@dataclass(frozen=True)
class RhythmBenchConfig:
    """``rhythm``: AF episodes (mitdb) or VF/VT (vfdb).

    Attributes
    ----------
    database : str
        ``mitdb`` (AF) or ``vfdb`` (VF/VFL, VT).
    records : tuple of str or None
        Records (default: all present).
    loo : bool
        Refit models trained on this database without the record under test.
    peaks : str
        ``detected`` (R-peaks of :func:`ecgcore.detect.detect_r_peaks`) or
        ``reference`` (mitdb reference beats).
    data_dir, cache : str or None
        Data root; folder for cached training features.
    detectors : tuple of str
        R-peak detector (only ``ecgcore``; for the runner's detector check).
    """

    database: str = "mitdb"
    records: tuple[str, ...] | None = None
    loo: bool = True
    peaks: str = "detected"
    data_dir: str | None = None
    cache: str | None = _DEFAULT_CACHE
    detectors: tuple[str, ...] = ("ecgcore",)


@dataclass(frozen=True)
class BeatsBenchConfig:
    """``beats``: AAMI classes on the mitdb DS1 records (EC57 ``bxb``)."""

    database: str = "mitdb"
    records: tuple[str, ...] | None = None
    loo: bool = True
    peaks: str = "reference"
    data_dir: str | None = None
    cache: str | None = _DEFAULT_CACHE
    detectors: tuple[str, ...] = ("ecgcore",)


@dataclass(frozen=True)
class CincBenchConfig:
    """``cinc``: CinC 2017 record classes by cross-validation."""

    database: str = "cinc2017"
    records: tuple[str, ...] | None = None
    folds: int = 5
    data_dir: str | None = None
    cache: str | None = _DEFAULT_CACHE
    detectors: tuple[str, ...] = ("ecgcore",)


@dataclass(frozen=True)
class _Task:
    database: str
    record: str
    data_dir: str | None
    cache: str | None
    loo: bool = True
    peaks: str = "detected"
    folds: int = 5


# --------------------------------------------------------------------- models
def _cache(path: str | None) -> Path | None:
    return None if path is None else Path(path)


def _loo_beat_classifier(task: _Task, tmp: Path) -> Any:
    from ecgcore.datasets import get_database  # noqa: PLC0415
    from ecgcore.rhythm.beats import load_beat_classifier  # noqa: PLC0415
    from ecgcore.rhythm.training import DS1, beat_rows, export_beats, fit_beats  # noqa: PLC0415

    if not (task.loo and task.database == "mitdb" and task.record in DS1):
        return None
    db = get_database("mitdb", task.data_dir)
    train = [r for r in DS1 if r != task.record]
    rows = [beat_rows(db, r, cache=_cache(task.cache)) for r in train]
    path = tmp / "beats.npz"
    sha = export_beats(fit_beats(rows), path, train)
    return load_beat_classifier(path, sha256=sha)


def _loo_vf_model(task: _Task, tmp: Path) -> Any:
    from ecgcore.datasets import get_database  # noqa: PLC0415
    from ecgcore.rhythm.training import export_vf, fit_vf, vf_rows  # noqa: PLC0415
    from ecgcore.rhythm.vf import load_vf_model  # noqa: PLC0415

    if not (task.loo and task.database in _VF_DATABASES):
        return None
    rows, names = [], []
    for name in _VF_DATABASES:
        db = get_database(name, task.data_dir)
        for r in db.records():
            if name == task.database and r == task.record:
                continue
            rows.append(vf_rows(db, r, cache=_cache(task.cache)))
            names.append(f"{name}/{r}")
    path = tmp / "vf.npz"
    sha = export_vf(fit_vf(rows), path, names)
    return load_vf_model(path, sha256=sha)


def _analyze(task: _Task) -> tuple[Any, RhythmAnalysis, float]:
    """Load the record and analyse it (with leave-one-out models when asked)."""
    from ecgcore.datasets import get_database  # noqa: PLC0415
    from ecgcore.rhythm.training import record_lead  # noqa: PLC0415

    rd = get_database(task.database, task.data_dir).load_record(task.record)
    rec = rd.recording
    with tempfile.TemporaryDirectory() as tmp:
        bc = _loo_beat_classifier(task, Path(tmp))
        vf = _loo_vf_model(task, Path(tmp))
        peaks = rd.beat_idx if task.peaks == "reference" else None
        t0 = time.perf_counter()
        result = analyze_rhythm(
            rec, peaks=peaks, lead=record_lead(rec), beat_classifier=bc, vf_model=vf
        )
        seconds = time.perf_counter() - t0
    return rd, result, seconds


# --------------------------------------------------------------------- rhythm
def _intervals(rd: Any, codes: Iterable[str], markers: bool) -> list[tuple[float, float]]:
    from ecgcore.benchmarks.episodes import episodes_from_annotations  # noqa: PLC0415

    if rd.annotations is None:
        return []
    return list(
        episodes_from_annotations(
            rd.annotations, codes, record_end_s=rd.recording.duration_s, vf_markers=markers
        )
    )


def _overlap_s(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> float:
    total = 0.0
    for s0, e0 in a:
        for s1, e1 in b:
            lo, hi = max(s0, s1), min(e0, e1)
            if hi > lo:
                total += hi - lo
    return total


def _complement(
    intervals: Sequence[tuple[float, float]], end_s: float
) -> list[tuple[float, float]]:
    out, t = [], 0.0
    for s, e in sorted(intervals):
        if s > t:
            out.append((t, s))
        t = max(t, e)
    if t < end_s:
        out.append((t, end_s))
    return out


@dataclass(frozen=True)
class RhythmRow:
    """One record of the rhythm benchmark (times in seconds)."""

    database: str
    record: str
    duration_s: float
    seconds: float
    af: Any = None  # EpisodeComparison (mitdb)
    vf: Any = None  # EpisodeComparison (vfdb)
    vt: Any = None  # EpisodeComparison of VT episodes (vfdb)
    nonshockable_s: float = 0.0
    nonshockable_as_vf_s: float = 0.0
    vt_ref_s: float = 0.0
    vt_as_vt_s: float = 0.0
    vt_as_vf_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "database": self.database,
            "record": self.record,
            "duration_s": self.duration_s,
            "seconds": self.seconds,
        }
        for name in ("af", "vf", "vt"):
            comp = getattr(self, name)
            if comp is not None:
                out.update({f"{name}_{k}": v for k, v in comp.stats().items()})
        for f in dataclasses.fields(self)[7:]:
            out[f.name] = getattr(self, f.name)
        return out


def run_rhythm_task(task: _Task) -> tuple[RhythmRow, ...]:
    """Analyse one record and compare its AF or VF/VT episodes with the reference."""
    from ecgcore.benchmarks.episodes import (  # noqa: PLC0415
        AF_CODES,
        AFL_CODES,
        VF_CODES,
        compare_episodes,
    )

    rd, result, seconds = _analyze(task)
    dur = rd.recording.duration_s
    row = RhythmRow(task.database, task.record, dur, seconds)
    if task.database == "vfdb":
        ref_vf = _intervals(rd, VF_CODES, True)
        ref_vt = _intervals(rd, ("VT",), False)
        test_vf = result.episodes_of(("VF", "VFL"))
        test_vt = result.episodes_of(("VT",))
        shock = _intervals(rd, _NONSHOCKABLE_EXCLUDE, True)
        nonshock = _complement(shock, dur)
        return (
            dataclasses.replace(
                row,
                vf=compare_episodes(ref_vf, test_vf, start_s=0.0),
                vt=compare_episodes(ref_vt, test_vt, start_s=0.0),
                nonshockable_s=sum(e - s for s, e in nonshock),
                nonshockable_as_vf_s=_overlap_s(nonshock, test_vf),
                vt_ref_s=sum(e - s for s, e in ref_vt),
                vt_as_vt_s=_overlap_s(ref_vt, test_vt),
                vt_as_vf_s=_overlap_s(ref_vt, test_vf),
            ),
        )
    ref_af = _intervals(rd, AF_CODES, False)
    ref_afl = _intervals(rd, AFL_CODES, False)
    test_af = result.episodes_of(("AFIB",))
    af = compare_episodes(ref_af, test_af, exclude_from_ppv=ref_afl)
    return (dataclasses.replace(row, af=af),)


@dataclass(frozen=True)
class RhythmGross:
    """Summed rhythm statistics (fractions 0..1)."""

    database: str
    n_records: int
    af: Any = None
    vf: Any = None
    vt: Any = None
    nonshockable_specificity: float = math.nan
    vt_as_vt: float = math.nan
    vt_as_vf: float = math.nan
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"database": self.database, "n_records": self.n_records}
        for name in ("af", "vf", "vt"):
            comp = getattr(self, name)
            if comp is not None:
                out.update({f"{name}_{k}": v for k, v in comp.stats().items()})
        out["nonshockable_specificity"] = self.nonshockable_specificity
        out["vt_as_vt"] = self.vt_as_vt
        out["vt_as_vf"] = self.vt_as_vf
        out["seconds"] = self.seconds
        return out


def _sum(comps: Sequence[Any]) -> Any:
    comps = [c for c in comps if c is not None]
    return sum(comps[1:], comps[0]) if comps else None


def summarize_rhythm(rows: Sequence[RhythmRow]) -> tuple[RhythmGross, ...]:
    """Gross statistics per database."""
    out = []
    for db in dict.fromkeys(r.database for r in rows):
        rs = [r for r in rows if r.database == db]
        ns = sum(r.nonshockable_s for r in rs)
        vt = sum(r.vt_ref_s for r in rs)
        out.append(
            RhythmGross(
                database=db,
                n_records=len(rs),
                af=_sum([r.af for r in rs]),
                vf=_sum([r.vf for r in rs]),
                vt=_sum([r.vt for r in rs]),
                nonshockable_specificity=(
                    1.0 - sum(r.nonshockable_as_vf_s for r in rs) / ns if ns else math.nan
                ),
                vt_as_vt=sum(r.vt_as_vt_s for r in rs) / vt if vt else math.nan,
                vt_as_vf=sum(r.vt_as_vf_s for r in rs) / vt if vt else math.nan,
                seconds=sum(r.seconds for r in rs),
            )
        )
    return tuple(out)


# --------------------------------------------------------------------- beats
@dataclass(frozen=True)
class BeatsRow:
    """One record of the beat benchmark (EC57 ``bxb`` comparison)."""

    database: str
    record: str
    comparison: Any  # BeatComparison
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "record": self.record,
            **self.comparison.stats(),
            "seconds": self.seconds,
        }


_SYMBOL = {"N": "N", "S": "A", "V": "V", "F": "F", "Q": "Q"}


def run_beats_task(task: _Task) -> tuple[BeatsRow, ...]:
    """Classify the beats of one record and compare them with the reference."""
    from ecgcore.benchmarks.ec57 import compare_beats  # noqa: PLC0415

    rd, result, seconds = _analyze(task)
    ann = rd.annotations
    comp = compare_beats(
        ann.sample, result.beats_idx, rd.recording.fs, ref_symbols=ann.symbol,
        test_symbols=[_SYMBOL[c] for c in result.beat_classes.tolist()],
    )  # fmt: skip
    return (BeatsRow(task.database, task.record, comp, seconds),)


@dataclass(frozen=True)
class BeatsGross:
    """Gross EC57 statistics and confusion matrix."""

    n_records: int
    comparison: Any

    def as_dict(self) -> dict[str, Any]:
        from ecgcore.benchmarks.ec57 import REF_ROWS, TEST_COLUMNS  # noqa: PLC0415

        out: dict[str, Any] = {"n_records": self.n_records, **self.comparison.stats()}
        out["confusion"] = {
            r: dict(zip(TEST_COLUMNS, row, strict=True))
            for r, row in zip(REF_ROWS, self.comparison.matrix, strict=True)
        }
        return out


def summarize_beats_rows(rows: Sequence[BeatsRow]) -> tuple[BeatsGross, ...]:
    """Gross (summed) comparison; paced records are not in the task list."""
    return (BeatsGross(len(rows), _sum([r.comparison for r in rows])),)


# --------------------------------------------------------------------- CinC 2017
#: Record-level summary features for the CinC 2017 classification.
CINC_FEATURES: tuple[str, ...] = ()


def _cinc_vector(rd: Any) -> dict[str, float]:
    """Summary numbers of one short record (no AF model output: it saw CinC 2017)."""
    from ecgcore.detect import detect_r_peaks  # noqa: PLC0415
    from ecgcore.rhythm._preprocess import P_SLICE, CausalBandpass  # noqa: PLC0415
    from ecgcore.rhythm.af import (  # noqa: PLC0415
        AF_ECTOPIC_CLASSES,
        AF_FEATURE_NAMES,
        af_features,
    )
    from ecgcore.rhythm.beats import default_beat_classifier  # noqa: PLC0415
    from ecgcore.rhythm.features import (  # noqa: PLC0415
        FEATURE_NAMES,
        BeatFeatureExtractor,
        rr_post_intervals,
    )
    from ecgcore.rhythm.vf import VF_FEATURE_NAMES, default_vf_model, vf_window_features  # noqa: PLC0415

    rec = rd.recording
    fs = rec.fs
    x = rec.lead_mv(0)
    y = CausalBandpass(fs).process(x)
    out: dict[str, float] = {"duration_s": x.size / fs}
    idx = detect_r_peaks(x, fs)
    out["n_beats_per_min"] = 60.0 * idx.size / (x.size / fs)
    # waveform windows (8 s, every 2 s)
    half = int(4 * fs)
    vf = default_vf_model()
    wf = [
        vf_window_features(y[max(m - half, 0) : m + half], fs)
        for m in range(half, max(x.size - half, half + 1), int(2 * fs))
    ]
    wf_arr = np.vstack(wf) if wf else np.full((1, len(VF_FEATURE_NAMES)), np.nan)
    ok = ~np.isnan(wf_arr).any(axis=1)
    pv = vf.predict_proba(wf_arr[ok])[:, 1] if ok.any() else np.array([np.nan])
    out["vf_prob_max"] = float(np.nanmax(pv))
    for j, name in enumerate(VF_FEATURE_NAMES):
        out[f"wave_{name}_med"] = float(np.nanmedian(wf_arr[:, j])) if ok.any() else np.nan
    out["unreadable_fraction"] = float(np.mean(~ok))
    if idx.size < 4:
        return out
    rr = np.diff(idx) / fs
    out["rr_median"] = float(np.median(rr))
    out["rr_iqr_ratio"] = float(np.subtract(*np.percentile(rr, [75, 25])) / np.median(rr))
    out["rr_min_ratio"] = float(rr.min() / np.median(rr))
    out["rr_max_ratio"] = float(rr.max() / np.median(rr))
    d = np.diff(rr)
    out["rr_nrmssd"] = float(np.sqrt(np.mean(d * d)) / np.mean(rr)) if d.size else np.nan
    out["rr_cv"] = float(np.std(rr) / np.mean(rr))
    out["rr_pnn50"] = float(np.mean(np.abs(d) > 0.05)) if d.size else np.nan
    out["hr_bpm"] = float(60.0 / np.mean(rr))
    rr_post = rr_post_intervals(idx, fs, x.size, 3.0)
    feats, windows = BeatFeatureExtractor(fs).compute_with_windows(idx, rr_post, y, 0)
    cls = default_beat_classifier().classify(feats)
    for c in "SVQ":
        out[f"frac_{c}"] = float(np.mean(cls == c))
    for name in (
        "qrs_width_s", "corr_qrs", "corr_full", "corr_p", "corr_t", "amp_ratio",
        "p_energy_ratio", "t_amp_ratio", "in_dominant", "rr_irregularity", "pre_over_local",
    ):  # fmt: skip
        col = feats[:, FEATURE_NAMES.index(name)]
        if np.isfinite(col).any():
            q = np.nanpercentile(col, [10, 50, 90])
            out[f"{name}_p10"], out[f"{name}_p50"], out[f"{name}_p90"] = (float(v) for v in q)
    af = af_features(
        idx / fs, np.isin(cls, AF_ECTOPIC_CLASSES), windows[:, P_SLICE], np.arange(idx.size)
    )
    for j, name in enumerate(AF_FEATURE_NAMES):
        col = af[:, j]
        if np.isfinite(col).any():
            out[f"af_{name}_p50"] = float(np.nanmedian(col))
            out[f"af_{name}_max"] = float(np.nanmax(col))
            out[f"af_{name}_min"] = float(np.nanmin(col))
    # average beat: P-wave and T-wave size relative to the QRS
    good = ~np.isnan(windows).any(axis=1)
    if good.sum() >= 3:
        avg = np.median(windows[good], axis=0)
        qrs = np.ptp(avg[50:113])
        if qrs > 0:
            out["avg_p_rel"] = float(np.ptp(avg[P_SLICE]) / qrs)
            out["avg_t_rel"] = float(np.ptp(avg[113:187]) / qrs)
            out["avg_qrs_mv"] = float(qrs)
            base = float(np.median(avg[P_SLICE]))
            r_sign = 1.0 if avg[75] - base >= 0 else -1.0  # polarity of the fiducial wave
            t_region = avg[113:187] - base
            out["avg_t_polarity"] = float(r_sign * t_region[np.argmax(np.abs(t_region))] / qrs)
            out["avg_st_rel"] = float(r_sign * (np.mean(avg[95:105]) - base) / qrs)
        out["in_dominant_mean"] = float(np.nanmean(feats[:, FEATURE_NAMES.index("in_dominant")]))
    if idx.size >= 6:
        out.update(_cinc_rhythm_pattern(rr))
        out.update(_cinc_beat_consistency(windows))
    return out


def _cinc_rhythm_pattern(rr: np.ndarray) -> dict[str, float]:
    """Patterns of the RR series (s) that set ectopy and rate changes apart from sinus rhythm.

    Lag-1/2 autocorrelation of the RR deviations (bigeminy, trigeminy:
    negative), the share of short-long pairs (a premature beat then a
    compensatory pause), of short and long intervals (below 0.8 and above 1.25
    times the median) and the fastest and slowest 5-beat mean rate (bpm).
    """
    r = rr / np.median(rr)
    dv = rr - rr.mean()
    den = float(np.sum(dv * dv))
    out = {
        "rr_ac1": float(np.sum(dv[1:] * dv[:-1]) / den) if den > 0 else 0.0,
        "rr_ac2": float(np.sum(dv[2:] * dv[:-2]) / den) if den > 0 and dv.size > 3 else 0.0,
        "frac_short_long": float(np.mean((r[:-1] < 0.85) & (r[1:] > 1.1))),
        "frac_rr_short": float(np.mean(r < 0.8)),
        "frac_rr_long": float(np.mean(r > 1.25)),
    }
    if rr.size >= 5:
        k = np.convolve(rr, np.ones(5) / 5, "valid")
        out["hr5_max"] = float(60.0 / k.min())
        out["hr5_min"] = float(60.0 / k.max())
    return out


def _cinc_beat_consistency(windows: np.ndarray) -> dict[str, float]:
    """How alike the beats are, and the QRS, T and P waves of the average beat.

    ``windows`` are the beats on the fixed grid (mV, 4 ms steps,
    :func:`ecgcore.rhythm._preprocess.beat_windows`). Returns the 10th
    percentile of each beat's correlation with the median beat (QRS part and
    whole window), the share of beats whose QRS correlates below 0.9, the
    coefficient of variation of the QRS amplitude, the QRS width of the median
    beat (ms, where its slope exceeds 15 % of the largest), the time of its
    T-wave extremum (ms after the fiducial point), the median correlation of
    each beat's P region with the median P region and the share above 0.5, the
    P-wave size over the beat-to-beat P residual, and the residual of the beats
    around the median beat relative to its QRS.
    """
    from ecgcore.rhythm._preprocess import GRID_DT_S, GRID_R, P_SLICE  # noqa: PLC0415

    good = ~np.isnan(windows).any(axis=1)
    if good.sum() < 4:
        return {}
    w = windows[good]
    avg = np.median(w, axis=0)
    qrs = slice(GRID_R - 25, GRID_R + 38)
    ms = GRID_DT_S * 1000.0

    def corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a = a - a.mean(axis=-1, keepdims=True)
        b = b - b.mean()
        return (a @ b) / (np.sqrt((a * a).sum(-1) * (b @ b)) + 1e-12)

    cq = corr(w[:, qrs], avg[qrs])
    amp = np.ptp(w[:, qrs], axis=1)
    slope = np.abs(np.diff(avg[qrs]))
    steep = np.nonzero(slope > 0.15 * slope.max())[0]
    base = float(np.median(avg[P_SLICE]))
    t_reg = avg[GRID_R + 38 : GRID_R + 112] - base
    cp = corr(w[:, P_SLICE], avg[P_SLICE])
    p_resid = np.median(np.std(w[:, P_SLICE] - avg[P_SLICE], axis=1))
    return {
        "beat_corr_qrs_p10": float(np.percentile(cq, 10)),
        "beat_corr_full_p10": float(np.percentile(corr(w, avg), 10)),
        "frac_beats_corr_lt09": float(np.mean(cq < 0.9)),
        "qrs_amp_cv": float(np.std(amp) / (np.mean(amp) + 1e-12)),
        "avg_qrs_width_ms": float((steep[-1] - steep[0] + 1) * ms) if steep.size else np.nan,
        "t_peak_ms": float((np.argmax(np.abs(t_reg)) + 38) * ms),
        "p_corr_med": float(np.median(cp)),
        "frac_p_corr_gt05": float(np.mean(cp > 0.5)),
        "p_snr": float(np.ptp(avg[P_SLICE]) / (p_resid + 1e-9)),
        "beat_resid_rel": float(np.median(np.std(w - avg, axis=1)) / (np.ptp(avg[qrs]) + 1e-9)),
    }


@dataclass(frozen=True)
class CincRow:
    """Summary numbers and reference label of one CinC 2017 record."""

    database: str
    record: str
    label: str
    values: tuple[tuple[str, float], ...]
    seconds: float
    folds: int = 5

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "record": self.record,
            "label": self.label,
            "seconds": self.seconds,
        }


def run_cinc_task(task: _Task) -> tuple[CincRow, ...]:
    """Summary numbers of one CinC 2017 record."""
    from ecgcore.datasets import get_database  # noqa: PLC0415

    rd = get_database(task.database, task.data_dir).load_record(task.record)
    t0 = time.perf_counter()
    values = _cinc_vector(rd)
    return (
        CincRow(
            task.database, task.record, str(rd.label), tuple(sorted(values.items())),
            time.perf_counter() - t0, task.folds,
        ),
    )  # fmt: skip


@dataclass(frozen=True)
class CincGross:
    """Cross-validated F1 per class and the challenge score.

    ``f1`` and ``confusion`` are those of the first of ``fold_seeds`` (the
    shuffling seeds of the folds); ``seed_scores`` holds the score of each
    (how records fall into folds moves the score by about a point on a few
    hundred records).
    """

    n_records: int
    folds: int
    f1: dict[str, float]
    confusion: dict[str, dict[str, int]]
    fold_seeds: tuple[int, ...] = ()
    seed_scores: tuple[float, ...] = ()

    @property
    def score(self) -> float:
        """Mean F1 of Normal, AF and Other (the CinC 2017 score)."""
        return _challenge_score(self.f1)

    @property
    def seed_mean_score(self) -> float:
        """The score averaged over the fold seeds (NaN without any)."""
        return float(np.mean(self.seed_scores)) if self.seed_scores else math.nan

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_records": self.n_records,
            "folds": self.folds,
            "score": self.score,
            "seed_mean_score": self.seed_mean_score,
            **{
                f"score_fold_seed_{k}": v
                for k, v in zip(self.fold_seeds, self.seed_scores, strict=True)
            },
            **{f"f1_{k}": v for k, v in self.f1.items()},
            "confusion": self.confusion,
        }


CINC_CLASSES = ("N", "A", "O", "~")
#: Shuffling seeds of the stratified folds; the first one gives the tables.
CINC_FOLD_SEEDS: tuple[int, ...] = (0, 1, 2, 3)
#: Trees of the CinC classifier: small (7 leaves) and each split choosing among
#: a random half of the summaries, so that the fit on a few hundred records
#: does not hinge on one summary or on how the records fall into folds.
CINC_HGB: dict[str, Any] = {
    "max_iter": 300,
    "learning_rate": 0.05,
    "max_leaf_nodes": 7,
    "min_samples_leaf": 10,
    "max_features": 0.5,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}


def _challenge_score(f1: dict[str, float]) -> float:
    return float(np.mean([f1[c] for c in ("N", "A", "O")]))


def _f1(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    out = {}
    for c in CINC_CLASSES:
        tp = np.sum((pred == c) & (y == c))
        den = np.sum(pred == c) + np.sum(y == c)
        out[c] = float(2 * tp / den) if den else math.nan
    return out


def summarize_cinc(
    rows: Sequence[CincRow], folds: int | None = None, seeds: Sequence[int] = CINC_FOLD_SEEDS
) -> tuple[CincGross, ...]:
    """Stratified k-fold cross-validation of a tree ensemble on the summaries.

    ``folds`` defaults to the number the rows were made for (the config's);
    the cross-validation runs once per shuffling seed of ``seeds``.
    """
    if folds is None:
        asked = {r.folds for r in rows}
        if len(asked) != 1:
            raise ValueError(f"CinC rows made for different fold counts: {sorted(asked)}")
        folds = asked.pop()
    if not seeds:
        raise ValueError("seeds: expected at least one fold seed")
    require_sklearn("the CinC 2017 cross-validation")
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: PLC0415
    from sklearn.model_selection import StratifiedKFold  # noqa: PLC0415

    names = sorted({k for r in rows for k, _ in r.values})
    x = np.full((len(rows), len(names)), np.nan)
    col = {n: j for j, n in enumerate(names)}
    for i, r in enumerate(rows):
        for k, v in r.values:
            x[i, col[k]] = v
    y = np.asarray([r.label for r in rows])
    counts = {c: max(int(np.sum(y == c)), 1) for c in CINC_CLASSES}
    weight = np.asarray([np.sqrt(len(y) / (len(counts) * counts[c])) for c in y])
    preds = []
    for seed in seeds:
        pred = np.empty_like(y)
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
            clf = HistGradientBoostingClassifier(**CINC_HGB)
            clf.fit(x[train], y[train], sample_weight=weight[train])
            pred[test] = clf.predict(x[test])
        preds.append(pred)
    pred = preds[0]
    confusion = {
        a: {b: int(np.sum((y == a) & (pred == b))) for b in CINC_CLASSES} for a in CINC_CLASSES
    }
    f1s = [_f1(y, p) for p in preds]
    seed_scores = tuple(_challenge_score(f1) for f1 in f1s)
    gross = CincGross(len(rows), folds, f1s[0], confusion, tuple(seeds), seed_scores)
    return (gross,)


# --------------------------------------------------------------------- tasks
def require_sklearn(what: str, hint: str = "") -> None:
    """Raise :class:`~ecgcore.errors.DependencyError` when scikit-learn is missing."""
    import importlib.util  # noqa: PLC0415

    if importlib.util.find_spec("sklearn") is None:
        from ecgcore.errors import DependencyError  # noqa: PLC0415

        raise DependencyError(
            f"{what} needs scikit-learn, which is not installed: pip install 'ecgcore[bench]'"
            + (f" ({hint})" if hint else "")
        )


def _records(database: str, wanted: Sequence[str] | None, data_dir: str | None) -> list[str]:
    from ecgcore.datasets import get_database  # noqa: PLC0415

    present = get_database(database, data_dir).records()
    if wanted is None:
        return present
    missing = [r for r in wanted if r not in present]
    if missing:
        from ecgcore.errors import DataError  # noqa: PLC0415

        raise DataError(f"{database}: records not present: {', '.join(missing)}")
    return list(wanted)


def make_rhythm_tasks(config: RhythmBenchConfig, _detectors: Any = None) -> list[_Task]:
    """One task per record."""
    if config.database not in ("mitdb", "vfdb"):
        raise ValueError(
            f"rhythm benchmark: database must be mitdb or vfdb, not {config.database!r}"
        )
    if config.peaks not in ("detected", "reference"):
        raise ValueError(f"peaks: expected 'detected' or 'reference', not {config.peaks!r}")
    if config.loo:
        require_sklearn("the leave-one-record-out rhythm benchmark", _NO_LOO_HINT)
    recs = _records(config.database, config.records, config.data_dir)
    return [
        _Task(config.database, r, config.data_dir, config.cache, config.loo, config.peaks)
        for r in recs
    ]


def make_beats_tasks(config: BeatsBenchConfig, _detectors: Any = None) -> list[_Task]:
    """One task per DS1 record present (paced records are not scored for classes)."""
    from ecgcore.rhythm.training import DS1  # noqa: PLC0415

    if config.database != "mitdb":
        raise ValueError(f"beats benchmark: database must be mitdb, not {config.database!r}")
    if config.peaks not in ("detected", "reference"):
        raise ValueError(f"peaks: expected 'detected' or 'reference', not {config.peaks!r}")
    if config.loo:
        require_sklearn("the leave-one-record-out beat benchmark", _NO_LOO_HINT)
    wanted = config.records if config.records is not None else DS1
    recs = _records("mitdb", wanted, config.data_dir)
    return [
        _Task("mitdb", r, config.data_dir, config.cache, config.loo, config.peaks) for r in recs
    ]


def make_cinc_tasks(config: CincBenchConfig, _detectors: Any = None) -> list[_Task]:
    """One task per CinC 2017 record."""
    if config.database != "cinc2017":
        raise ValueError(f"cinc benchmark: database must be cinc2017, not {config.database!r}")
    if config.folds < 2:
        raise ValueError(f"folds: expected >= 2, got {config.folds}")
    require_sklearn("the CinC 2017 cross-validation")
    recs = _records(config.database, config.records, config.data_dir)
    return [
        _Task(config.database, r, config.data_dir, config.cache, folds=config.folds) for r in recs
    ]


def register_kinds() -> None:
    """Add ``rhythm``, ``beats`` and ``cinc`` to the ``ecg bench`` benchmark kinds."""
    from ecgcore.benchmarks.runner import (  # noqa: PLC0415
        BENCHMARK_KINDS,
        BenchmarkKind,
        register_benchmark_kind,
    )

    kinds = (
        BenchmarkKind("rhythm", "AF episodes on mitdb, VF/VFL and VT on vfdb (EC57 epicmp)",
                      RhythmBenchConfig, make_rhythm_tasks, run_rhythm_task, summarize_rhythm),
        BenchmarkKind("beats", "AAMI beat classes on mitdb DS1, leave-one-record-out (EC57 bxb)",
                      BeatsBenchConfig, make_beats_tasks, run_beats_task, summarize_beats_rows),
        BenchmarkKind("cinc", "CinC 2017 Normal/AF/Other/Noisy, cross-validated mean F1",
                      CincBenchConfig, make_cinc_tasks, run_cinc_task, summarize_cinc),
    )  # fmt: skip
    for kind in kinds:
        if kind.name not in BENCHMARK_KINDS:
            register_benchmark_kind(kind)


# --------------------------------------------------------------------- command line
#: ``python -m ecgcore.rhythm.bench KIND`` -> ``ecg bench ...`` arguments.
_CLI_KIND = {"rhythm": ["rhythm"], "beats": ["beats"], "cinc": ["rhythm", "--db", "cinc2017"]}


def main(argv: list[str] | None = None) -> int:
    """``python -m ecgcore.rhythm.bench {rhythm,beats,cinc} [options]``.

    The same as ``ecg bench rhythm|beats [options]`` (``cinc`` is
    ``ecg bench rhythm --db cinc2017``): it runs the command line.
    """
    from ecgcore.cli.main import main as ecg_main  # noqa: PLC0415

    args = list(sys.argv[1:] if argv is None else argv)
    head = _CLI_KIND.get(args[0], args[:1]) if args else []
    return ecg_main(["bench", *head, *args[1:]])


if __name__ == "__main__":
    sys.exit(main())
