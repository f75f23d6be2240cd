"""The live pipeline: device blocks -> filters -> R-peak detector -> events.

>>> from ecgcore.drivers import open_device
>>> from ecgcore.stream import stream_device
>>> with open_device("sim://ecg?leads=12&fs=500") as dev:      # doctest: +SKIP
...     for update in stream_device(dev, duration_s=10):
...         for event in update.events:
...             print(event)

:class:`LivePipeline` processes blocks (explicit state, chunking-invariant);
:func:`stream_device` / :func:`run_device` drive a device through it;
:class:`RecordWriter` writes a crash-safe WFDB record incrementally.

Rhythm analysis plugs in as a stage (``ecg monitor``, ``ecg record`` and the
web station run the same one)::

    from ecgcore.rhythm.stage import RhythmStage
    pipe = LivePipeline(dev.info, stages=(RhythmStage(),))

Benchmarks: ``python -m ecgcore.stream.bench`` (CPU, R-peak latency) and
``python -m ecgcore.stream.bench_alarms`` (alarm and label delays).
"""

from ecgcore.stream.events import (
    CountersEvent,
    DeviceNotice,
    EndEvent,
    HeartRateEvent,
    LeadStatusEvent,
    QualityEvent,
    RPeakEvent,
    StreamEvent,
)
from ecgcore.stream.pipeline import (
    LivePipeline,
    MonitorState,
    PipelineConfig,
    PipelineStage,
    StageInput,
    StreamUpdate,
)
from ecgcore.stream.recorder import RecordSummary, RecordWriter
from ecgcore.stream.runner import run_device, stream_device, trim_block

__all__ = [
    "CountersEvent",
    "DeviceNotice",
    "EndEvent",
    "HeartRateEvent",
    "LeadStatusEvent",
    "LivePipeline",
    "MonitorState",
    "PipelineConfig",
    "PipelineStage",
    "QualityEvent",
    "RPeakEvent",
    "RecordSummary",
    "RecordWriter",
    "StageInput",
    "StreamEvent",
    "StreamUpdate",
    "run_device",
    "stream_device",
    "trim_block",
]
