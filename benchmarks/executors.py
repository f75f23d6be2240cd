"""Where benchmark tasks run: this process, local worker processes, or Dask.

An executor maps a picklable module-level function over small task objects
and yields results as tasks complete; the runner restores task order, so the
results are identical whichever executor ran them. Tasks carry record names,
not data: each worker reads its own record, so memory stays flat however large
the database.

=========== ==============================================================
``local``   ``--jobs 1``: in this process (best for timing); ``--jobs N``:
            :class:`concurrent.futures.ProcessPoolExecutor` with N workers
``dask``    an existing Dask distributed cluster (``--scheduler ADDRESS``)
=========== ==============================================================
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Protocol, TypeVar

__all__ = [
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs ``fn(task)`` for every task; yields ``(index, result)`` as they finish."""

    @property
    def description(self) -> str: ...

    def map_unordered(
        self, fn: Callable[[T], R], tasks: Iterable[T]
    ) -> Iterator[tuple[int, R]]: ...


@dataclass(frozen=True)
class LocalExecutor:
    """Run in this process (``jobs=1``) or in ``jobs`` local worker processes."""

    jobs: int = 1

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(f"jobs: expected >= 1, got {self.jobs}")

    @property
    def description(self) -> str:
        return "local, in-process" if self.jobs == 1 else f"local, {self.jobs} processes"

    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[tuple[int, R]]:
        items = list(tasks)
        if self.jobs == 1:
            for k, task in enumerate(items):
                yield k, fn(task)
            return
        # spawn: workers start clean (no inherited threads or locks from the parent)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx) as pool:
            futures = {pool.submit(fn, task): k for k, task in enumerate(items)}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()


@dataclass(frozen=True)
class DaskExecutor:
    """Run on a Dask distributed cluster.

    Parameters
    ----------
    scheduler : str
        Scheduler address, e.g. ``tcp://10.0.0.5:8786`` (``dask scheduler``
        prints it). Every worker needs ecgcore installed and the data root
        reachable at the same path (shared file system or ``--data-dir``).
    """

    scheduler: str

    @property
    def description(self) -> str:
        return f"dask, scheduler {self.scheduler}"

    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[tuple[int, R]]:
        from distributed import Client
        from distributed import as_completed as dask_as_completed

        items = list(tasks)
        with Client(self.scheduler, set_as_default=False) as client, client.as_current():
            futures = [client.submit(fn, task, pure=False) for task in items]
            index = {f.key: k for k, f in enumerate(futures)}
            for fut in dask_as_completed(futures):
                yield index[fut.key], fut.result()


def _local(**options: Any) -> Executor:
    if options.get("scheduler"):
        raise ValueError("--scheduler is for --executor dask; the local executor takes --jobs")
    return LocalExecutor(jobs=int(options.get("jobs") or 1))


def _dask(**options: Any) -> Executor:
    scheduler = options.get("scheduler")
    if (options.get("jobs") or 1) != 1:
        raise ValueError("--jobs is for --executor local; a Dask cluster sets its own workers")
    if not scheduler:
        raise ValueError("the dask executor needs --scheduler ADDRESS (e.g. tcp://host:8786)")
    return DaskExecutor(scheduler=str(scheduler))


#: Executor factories by name.
EXECUTORS: Final = MappingProxyType({"local": _local, "dask": _dask})


def make_executor(name: str, **options: Any) -> Executor:
    """Build an executor by name (``local``: ``jobs``; ``dask``: ``scheduler``)."""
    try:
        factory = EXECUTORS[name]
    except KeyError:
        raise ValueError(f"unknown executor {name!r}; known: {', '.join(EXECUTORS)}") from None
    return factory(**options)
