"""Benchmark kinds and the runner that executes them.

A benchmark kind turns a config into small tasks and sums the rows that come
back; :func:`run_benchmark` runs the tasks on an executor with a progress bar.
Kinds are registered in :data:`BENCHMARK_KINDS` (``detect``, ``noise``; rhythm
and beat-classification benchmarks plug in the same way).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, cast

from tqdm.auto import tqdm

from ecgcore.benchmarks.detect import NoiseCondition, RecordTask, run_record_task
from ecgcore.benchmarks.executors import Executor, LocalExecutor
from ecgcore.benchmarks.machine import machine_info
from ecgcore.benchmarks.peers import DEFAULT_DETECTORS, detector_status
from ecgcore.benchmarks.results import BenchmarkResult, DetectorState, gross_rows
from ecgcore.datasets import Database, get_database
from ecgcore.errors import DataError

__all__ = [
    "BENCHMARK_KINDS",
    "BenchmarkKind",
    "DetectConfig",
    "NoiseConfig",
    "register_benchmark_kind",
    "run_benchmark",
]


@dataclass(frozen=True)
class DetectConfig:
    """``ecg bench detect``: every detector on the records of one database.

    Attributes
    ----------
    database : str
        Database with a beat reference (mitdb, nstdb stress records, svdb...).
    records : tuple of str or None
        Records to run (default: every record present).
    detectors : tuple of str
        Detector names (:mod:`ecgcore.benchmarks.peers`).
    lead : int
        Lead index fed to the detectors.
    start_s : float
        Start of EC57 scoring (s; 300 = after the 5-minute learning period).
    max_duration_s : float or None
        Use only the first seconds of each record (quick runs).
    data_dir : str or None
        Data root.
    cpu : int or None
        Pin each worker process to this CPU (single-core timing).
    repeat : int
        Timed runs of every detector on every record, at most; the shortest
        counts (as :mod:`timeit` does: the run least disturbed by other work).
        A detector stops repeating once its runs on the record took 2 s
        (:data:`ecgcore.benchmarks.detect.REPEAT_BUDGET_S`).
    """

    database: str = "mitdb"
    records: tuple[str, ...] | None = None
    detectors: tuple[str, ...] = DEFAULT_DETECTORS
    lead: int = 0
    start_s: float = 300.0
    max_duration_s: float | None = None
    data_dir: str | None = None
    cpu: int | None = None
    repeat: int = 1


@dataclass(frozen=True)
class NoiseConfig:
    """``ecg bench noise``: detectors under noise, two ways in one run.

    * ``stress``: the nstdb stress records present (118/119 + electrode
      motion at the SNR in their name), scored against their reference;
    * ``noises`` x ``snrs``: clean ``records`` of ``database`` with nstdb
      noise records added at each SNR with the nst protocol.

    Attributes mirror :class:`DetectConfig`; ``records`` default to 118 and 119.
    """

    database: str = "mitdb"
    records: tuple[str, ...] | None = ("118", "119")
    noises: tuple[str, ...] = ("bw", "ma")
    snrs: tuple[float, ...] = (24.0, 18.0, 12.0, 6.0, 0.0, -6.0)
    stress: bool = True
    detectors: tuple[str, ...] = DEFAULT_DETECTORS
    lead: int = 0
    start_s: float = 300.0
    max_duration_s: float | None = None
    data_dir: str | None = None
    cpu: int | None = None


@dataclass(frozen=True)
class BenchmarkKind:
    """A kind of benchmark: how to make tasks, run one, and sum the rows.

    Attributes
    ----------
    name, description : str
        ``ecg bench <name>`` and its help line.
    config_type : type
        Frozen dataclass holding the options (``config.detectors`` names what
        runs; detectors that are not installed are reported and dropped).
    make_tasks : callable
        ``make_tasks(config, runnable_detectors) -> list of picklable tasks``.
    run_task : callable
        Module-level ``run_task(task) -> tuple of rows`` (runs on any executor).
    summarize : callable
        ``summarize(rows) -> tuple of gross rows``. Rows and gross rows need an
        ``as_dict()``; the default suits :class:`DetectRow`. A rhythm or beat
        classification kind brings its own row types and summary.
    """

    name: str
    description: str
    config_type: type
    make_tasks: Callable[[Any, tuple[str, ...]], list[Any]]
    run_task: Callable[[Any], tuple[Any, ...]]
    summarize: Callable[[Sequence[Any]], tuple[Any, ...]] = gross_rows


_KINDS: dict[str, BenchmarkKind] = {}
#: Registered benchmark kinds by name.
BENCHMARK_KINDS: Final = MappingProxyType(_KINDS)


def register_benchmark_kind(kind: BenchmarkKind) -> None:
    """Add a benchmark kind (``ecg bench <name>``)."""
    if kind.name in _KINDS:
        raise ValueError(f"benchmark kind {kind.name!r} is already registered")
    _KINDS[kind.name] = kind


def _select_records(db: Database, wanted: Sequence[str] | None) -> list[str]:
    present = db.records()
    if wanted is None:
        if not present:
            raise DataError(
                f"{db.info.name}: no records under {db.path} "
                f"(`ecg datasets download {db.info.name}` fetches them)"
            )
        return present
    have = set(present)
    missing = [r for r in wanted if r not in have]
    if missing:
        raise DataError(
            f"{db.info.name}: record(s) {', '.join(missing)} not found under {db.path} "
            f"({len(present)} of {db.info.expected_count} records present)"
        )
    return list(wanted)


def _scored_records(db: Database, wanted: Sequence[str] | None) -> list[str]:
    """Records to score: those with a reference file (all of ``wanted`` must have one)."""
    records = _select_records(db, wanted)
    lacking = [r for r in records if not db.has_reference(r)]
    if wanted is not None and lacking:
        raise DataError(
            f"{db.info.name}: record(s) {', '.join(lacking)} have no reference annotations "
            f"(.{db.info.reference_extension}) to score against"
        )
    scored = [r for r in records if r not in set(lacking)]
    if not scored:
        raise DataError(f"{db.info.name}: no record with reference annotations under {db.path}")
    return scored


def _detect_tasks(config: DetectConfig, detectors: tuple[str, ...]) -> list[RecordTask]:
    db = get_database(config.database, config.data_dir)
    if not db.info.beat_reference:
        raise DataError(
            f"{db.info.name} has no beat-by-beat reference annotations; "
            "QRS detection needs one (e.g. mitdb, svdb, incartdb, nstdb, ltafdb)"
        )
    return [
        RecordTask(
            database=db.info.name,
            data_dir=str(db.root),
            record=r,
            lead=config.lead,
            detectors=detectors,
            start_s=config.start_s,
            max_duration_s=config.max_duration_s,
            cpu=config.cpu,
            repeat=config.repeat,
        )
        for r in _scored_records(db, config.records)
    ]


def _stress_snr(record: str) -> float:
    """SNR of an nstdb stress record from its name (``118e_6`` -> -6 dB)."""
    code = record.split("e", 1)[1]
    return -float(code[1:]) if code.startswith("_") else float(code)


def _noise_tasks(config: NoiseConfig, detectors: tuple[str, ...]) -> list[RecordTask]:
    nstdb = get_database("nstdb", config.data_dir)
    root = str(nstdb.root)
    common = {
        "lead": config.lead,
        "detectors": detectors,
        "start_s": config.start_s,
        "max_duration_s": config.max_duration_s,
        "cpu": config.cpu,
    }
    tasks = []
    if config.stress:
        stress = [r for r in nstdb.records() if "e" in r]
        if config.records is not None:
            stress = [r for r in stress if r.split("e", 1)[0] in config.records]
        for r in stress:
            snr = _stress_snr(r)
            tasks.append(
                RecordTask(
                    database="nstdb",
                    data_dir=root,
                    record=r,
                    condition=f"em {snr:g} dB (nstdb)",
                    snr_db=snr,
                    **common,
                )
            )
    if config.noises and config.snrs:
        db = get_database(config.database, config.data_dir)
        records = _scored_records(db, config.records)
        missing = [n for n in config.noises if not nstdb.is_present(n)]
        if missing:
            raise DataError(
                f"nstdb noise record(s) {', '.join(missing)} not found under {nstdb.path}"
            )
        for noise in config.noises:
            for snr in config.snrs:
                cond = NoiseCondition(noise=noise, snr_db=float(snr))
                for r in records:
                    tasks.append(
                        RecordTask(
                            database=db.info.name,
                            data_dir=str(db.root),
                            record=r,
                            noise=cond,
                            condition=cond.label,
                            snr_db=float(snr),
                            **common,
                        )
                    )
    if not tasks:
        raise DataError("noise benchmark: nothing to run (no stress records and no noise/SNR)")
    return tasks


register_benchmark_kind(
    BenchmarkKind(
        name="detect",
        description="R-peak detectors side by side, EC57 QRS Se/+P/F1 and throughput",
        config_type=DetectConfig,
        make_tasks=_detect_tasks,
        run_task=run_record_task,
    )
)
register_benchmark_kind(
    BenchmarkKind(
        name="noise",
        description="R-peak detectors under nstdb noise: stress records and added noise by SNR",
        config_type=NoiseConfig,
        make_tasks=_noise_tasks,
        run_task=run_record_task,
    )
)


def _partial_notes(tasks: Sequence[Any]) -> tuple[str, ...]:
    """Say which databases behind the tasks are only partly present."""
    seen = dict.fromkeys((t.database, t.data_dir) for t in tasks if hasattr(t, "data_dir"))
    notes = []
    for name, root in seen:
        status = get_database(name, root).status()
        if status.state == "partial":
            notes.append(
                f"{name} is partial here: {status.present} of {status.expected} records "
                "present; figures cover the records listed only"
            )
    return tuple(notes)


def run_benchmark(
    kind: str,
    config: Any,  # the kind's config dataclass
    *,
    executor: Executor | None = None,
    progress: bool = True,
    command: str = "",
) -> BenchmarkResult:
    """Run a benchmark kind and collect its rows, in task order.

    Detectors that cannot run here (peer not installed) are reported in
    ``result.detectors`` and left out; the others run.
    """
    try:
        spec = _KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown benchmark {kind!r}; known: {', '.join(_KINDS)}") from None
    if not isinstance(config, spec.config_type):
        raise TypeError(f"{kind}: expected a {spec.config_type.__name__}")
    config = cast(Any, config)  # isinstance above narrows to object
    states = tuple(DetectorState(n, *detector_status(n)) for n in config.detectors)
    runnable = tuple(s.name for s in states if s.available)
    if not runnable:
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in states)
        raise DataError(f"no requested detector can run here ({reasons})")
    tasks = spec.make_tasks(config, runnable)
    notes = _partial_notes(tasks)
    executor = executor or LocalExecutor()
    results: list[tuple[Any, ...] | None] = [None] * len(tasks)
    t0 = time.perf_counter()
    with tqdm(total=len(tasks), unit="record", disable=not progress, desc=kind) as bar:
        for k, rows in executor.map_unordered(spec.run_task, tasks):
            results[k] = rows
            bar.update(1)
    wall = time.perf_counter() - t0
    rows = tuple(r for task_rows in results if task_rows is not None for r in task_rows)
    return BenchmarkResult(
        kind=kind,
        config=dataclasses.asdict(config),
        detectors=states,
        rows=rows,
        gross=spec.summarize(rows),
        executor=executor.description,
        wall_s=wall,
        machine=machine_info(),
        command=command,
        notes=notes,
    )
