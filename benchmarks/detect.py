"""Side-by-side R-peak detector benchmark (``ecg bench detect``, ``ecg bench noise``).

A task is one record (optionally with added noise) and every detector; the
task function reads the record itself, runs each detector on the same signal
in the same process, and scores it EC57 beat by beat
(:func:`ecgcore.benchmarks.ec57.compare_beats`). Only counts and timings come
back, so memory stays flat and tasks can run anywhere (see
:mod:`ecgcore.benchmarks.executors`).

Timing: each detector is warmed up once per process on the first 10 s of the
first record it sees (imports, numba compilation); that warm-up is reported
separately (``warmup_s``) and excluded from ``seconds``.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass

import numpy as np

from ecgcore.benchmarks.ec57 import compare_beats
from ecgcore.benchmarks.noise import add_noise_ec57
from ecgcore.benchmarks.peers import DetectFn, as_indices, build_detector
from ecgcore.benchmarks.results import DetectRow
from ecgcore.datasets import get_database
from ecgcore.errors import DataError

__all__ = ["NoiseCondition", "RecordTask", "run_record_task"]

_WARMUP_S = 10.0
_WARM: dict[str, tuple[DetectFn, float]] = {}  # per process: detector -> (fn, warm-up s)


@dataclass(frozen=True)
class NoiseCondition:
    """Noise added to a clean record, nstdb/nst style.

    Attributes
    ----------
    noise : str
        nstdb noise record: ``bw`` (baseline wander), ``ma`` (muscle), ``em``
        (electrode motion).
    snr_db : float
        Target SNR in dB.
    """

    noise: str
    snr_db: float

    @property
    def label(self) -> str:
        return f"{self.noise} {self.snr_db:g} dB"


@dataclass(frozen=True)
class RecordTask:
    """One record to run every detector on (small: names only, no data)."""

    database: str
    data_dir: str
    record: str
    lead: int
    detectors: tuple[str, ...]
    start_s: float = 300.0
    max_duration_s: float | None = None
    noise: NoiseCondition | None = None
    condition: str = "clean"
    snr_db: float | None = None
    cpu: int | None = None
    repeat: int = 1


#: Timed runs of one detector on one record stop repeating after this much time, s.
REPEAT_BUDGET_S = 2.0


def _warm_detector(name: str, signal: np.ndarray, fs: float) -> tuple[DetectFn, float]:
    """Build and warm up a detector once per process; return (fn, warm-up s paid now)."""
    if name in _WARM:
        return _WARM[name][0], 0.0
    t0 = time.perf_counter()
    fn = build_detector(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warm-up output is discarded
        fn(np.ascontiguousarray(signal[: round(_WARMUP_S * fs)]), fs)
    warm = time.perf_counter() - t0
    _WARM[name] = (fn, warm)
    return fn, warm


def _load(task: RecordTask) -> tuple[np.ndarray, float, np.ndarray, list[str]]:
    """Signal (mV), fs, and reference annotation samples/symbols of the task."""
    db = get_database(task.database, task.data_dir)
    rec = db.load_record(task.record, leads=[task.lead])
    if rec.annotations is None or rec.beat_idx.size == 0:
        raise DataError(
            f"{task.database}/{task.record}: no beat reference annotations "
            f"({db.info.reference_extension}) to score against"
        )
    fs = float(rec.recording.fs)
    signal = np.ascontiguousarray(rec.recording.lead_mv(0), dtype=np.float64)
    ann_idx = np.asarray(rec.annotations.sample, dtype=np.int64)
    ann_sym = list(rec.annotations.symbol)
    if task.max_duration_s is not None:
        n = round(task.max_duration_s * fs)
        signal = signal[:n]
        keep = ann_idx < n
        ann_idx = ann_idx[keep]
        ann_sym = [s for s, k in zip(ann_sym, keep, strict=True) if k]
    if task.noise is not None:
        signal = _add_noise(task, signal, fs, rec.beat_idx, rec.beat_symbols)
    return signal, fs, ann_idx, ann_sym


def _add_noise(
    task: RecordTask,
    signal: np.ndarray,
    fs: float,
    beat_idx: np.ndarray,
    beat_symbols: tuple[str, ...],
) -> np.ndarray:
    assert task.noise is not None
    nstdb = get_database("nstdb", task.data_dir)
    noise_rec, _ = nstdb.load(task.noise.noise)
    if abs(noise_rec.fs - fs) > 1e-6:
        raise DataError(
            f"nstdb/{task.noise.noise} is sampled at {noise_rec.fs:g} Hz but "
            f"{task.database}/{task.record} at {fs:g} Hz; resample one of them first"
        )
    channel = task.lead % noise_rec.n_leads  # nst adds noise signal i % n to ECG signal i
    noise = noise_rec.lead_mv(channel)
    keep = beat_idx < signal.size
    return add_noise_ec57(
        signal,
        noise,
        fs,
        task.noise.snr_db,
        beat_idx[keep],
        beat_symbols=[s for s, k in zip(beat_symbols, keep, strict=True) if k],
    )


def run_record_task(task: RecordTask) -> tuple[DetectRow, ...]:
    """Run every detector of ``task`` on its record and score it (EC57).

    A detector that raises is reported in its row's ``error``; the others
    still run. A record that cannot be read raises (the whole task fails).
    """
    if task.repeat < 1:
        raise ValueError(f"repeat: expected >= 1 timed runs, got {task.repeat}")
    if task.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {task.cpu})
    signal, fs, ann_idx, ann_sym = _load(task)
    rows = []
    for name in task.detectors:
        base = {
            "database": task.database,
            "record": task.record,
            "condition": task.condition,
            "snr_db": task.snr_db,
            "detector": name,
            "fs": fs,
            "n_samples": int(signal.size),
        }
        try:
            fn, warm = _warm_detector(name, signal, fs)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                # best of up to `repeat` timed runs (as timeit does): the one
                # least disturbed by other work on the machine; a slow detector
                # stops repeating after REPEAT_BUDGET_S, where such disturbances
                # average out anyway. Peaks of the first run.
                seconds, spent = math.inf, 0.0
                for run in range(task.repeat):
                    t0 = time.perf_counter()
                    out = fn(signal, fs)
                    took = time.perf_counter() - t0
                    seconds, spent = min(seconds, took), spent + took
                    if run == 0:
                        peaks = as_indices(out)
                    if spent > REPEAT_BUDGET_S:
                        break
        except Exception as exc:  # a failing peer is reported, not fatal
            rows.append(
                DetectRow(
                    **base,
                    n_ref=0,
                    tp=0,
                    fn=0,
                    fp=0,
                    seconds=0.0,
                    error=f"{type(exc).__name__}: {exc}",
                )
            )
            continue
        comp = compare_beats(ann_idx, peaks, fs, start_s=task.start_s, ref_symbols=ann_sym)
        messages = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
        rows.append(
            DetectRow(
                **base,
                n_ref=comp.tp + comp.fn,
                tp=comp.tp,
                fn=comp.fn,
                fp=comp.fp,
                seconds=seconds,
                warmup_s=warm,
                warnings=messages,
            )
        )
    return tuple(rows)
