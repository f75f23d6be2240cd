"""Recording a connected device from the station (PROVISIONAL until the writer lands)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecgcore.drivers import SampleBlock
from ecgcore.errors import DeviceError

__all__ = ["LiveRecorder", "recorder_factory"]


class LiveRecorder:
    done = False

    def write(self, block: SampleBlock) -> None:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        raise NotImplementedError

    def finish(self) -> dict[str, Any]:
        raise NotImplementedError


def recorder_factory(settings: Any, log: Any, **fields: Any) -> Callable[[Any], LiveRecorder]:
    raise DeviceError("recording needs the stream record writer")
