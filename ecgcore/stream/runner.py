"""Drive a device through the live pipeline: an iterator and a callback API.

:func:`stream_device` reads blocks from an open device, runs them through a
:class:`~ecgcore.stream.pipeline.LivePipeline` and yields one
:class:`~ecgcore.stream.pipeline.StreamUpdate` per block, with the device's
counters (:class:`~ecgcore.stream.events.CountersEvent`) added whenever they
change. It stops after ``duration_s`` of samples (cutting the last block at
exactly that many samples), when ``stop`` is set, or at the end of a finite
source, and always ends with an update carrying an
:class:`~ecgcore.stream.events.EndEvent`. :func:`run_device` is the same loop
with a callback.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ecgcore.drivers import Device, SampleBlock
from ecgcore.errors import DeviceError
from ecgcore.stream.events import CountersEvent
from ecgcore.stream.pipeline import LivePipeline, PipelineConfig, StreamUpdate

__all__ = ["COUNTER_FIELDS", "run_device", "stream_device", "trim_block"]

#: Device counters watched for changes (reported as CountersEvent).
COUNTER_FIELDS = (
    "corrupt_bytes", "corrupt_frames", "dropped_frames", "missing_samples",
    "overflow_samples", "disconnects", "reconnects",
)  # fmt: skip


def trim_block(block: SampleBlock, n: int) -> SampleBlock:
    """The first ``n`` rows of ``block`` (events at later samples are dropped)."""
    if n >= block.n_samples:
        return block
    stop = block.first_sample + n
    return dataclasses.replace(
        block,
        data=block.data[:n],
        host_time_s=block.host_time_s[:n],
        lead_off=None if block.lead_off is None else block.lead_off[:n],
        events=tuple(e for e in block.events if e.sample < stop),
    )


def _counters(device: Device) -> tuple[int, ...]:
    status = device.status()
    return tuple(getattr(status, f) for f in COUNTER_FIELDS)


def stream_device(
    device: Device,
    *,
    config: PipelineConfig | None = None,
    pipeline: LivePipeline | None = None,
    duration_s: float | None = None,
    stop: threading.Event | None = None,
    read_timeout_s: float = 0.1,
    min_block_s: float = 0.02,
    start: bool = True,
) -> Iterator[StreamUpdate]:
    """Yield a :class:`StreamUpdate` per block read from ``device``.

    Parameters
    ----------
    device : Device
        An open device (see :func:`ecgcore.drivers.open_device`).
    config : PipelineConfig, optional
        Pipeline settings (ignored when ``pipeline`` is given).
    pipeline : LivePipeline, optional
        A pipeline to use (e.g. with extra stages).
    duration_s : float, optional
        Stop after exactly ``round(duration_s * fs)`` samples.
    stop : threading.Event, optional
        Stop when set (Ctrl-C handlers, other threads).
    read_timeout_s : float
        Longest wait for a block, seconds (also the reaction time to ``stop``).
    min_block_s : float
        Read at most every ``min_block_s`` seconds, so samples arriving a few at
        a time are processed in blocks (adds at most this much latency).
    start : bool
        Call ``device.start()`` first (and ``device.stop()`` at the end).

    Notes
    -----
    While no samples arrive, updates without samples are yielded every
    ``read_timeout_s`` so a display stays responsive; they carry the counters
    and device notices, if any.
    """
    info = device.info
    pipe = pipeline or LivePipeline(info, config)
    limit = None
    if duration_s is not None:
        if not (math.isfinite(duration_s) and duration_s > 0):
            raise DeviceError(f"duration must be a positive number of seconds, got {duration_s!r}")
        limit = round(duration_s * info.fs)
    if start:
        device.start()
    counters = _counters(device)
    done = 0
    reason = "stopped"
    last_read = 0.0
    try:
        while True:
            if stop is not None and stop.is_set():
                reason = "stop requested"
                break
            wait = last_read + min_block_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            last_read = time.monotonic()
            block = device.read(read_timeout_s)
            ended = False
            if block is None:
                if device.status().state in ("finished", "disconnected", "closed"):
                    reason = f"device {device.status().state}"
                    break
                block = SampleBlock(done, np.zeros((0, info.n_channels)), np.zeros(0), info.units)
            if limit is not None and block.first_sample + block.n_samples >= limit:
                block = trim_block(block, max(0, limit - block.first_sample))
                ended = True
                reason = f"duration of {duration_s:g} s reached"
            if any(e.kind == "end" for e in block.events):
                ended = True
                reason = "end of source"
            update = pipe.process(block)
            done = block.stop_sample if block.n_samples else done
            now_counters = _counters(device)
            if now_counters != counters:
                counters = now_counters
                update = dataclasses.replace(
                    update, events=(*update.events, CountersEvent(done, device.status()))
                )
            yield update
            if ended:
                break
    finally:
        if start and device.is_open:
            device.stop()
    info_ch = info.n_channels
    final = pipe.finish(reason)
    yield StreamUpdate(done, np.zeros((0, info_ch)), None, tuple(final), None)


def run_device(
    device: Device,
    on_update: Callable[[StreamUpdate], Any],
    **kwargs: Any,
) -> int:
    """Run :func:`stream_device` and call ``on_update`` for every update.

    Returns the number of samples processed. Keyword arguments are those of
    :func:`stream_device`.
    """
    n = 0
    for update in stream_device(device, **kwargs):
        n += update.n_samples
        on_update(update)
    return n
