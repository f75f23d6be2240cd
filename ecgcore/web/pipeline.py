"""Adapter from the live pipeline (:mod:`ecgcore.stream`) to monitor frames.

PROVISIONAL: composes filters + detect until ecgcore.stream lands.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from ecgcore.drivers import DeviceInfo, SampleBlock
from ecgcore.errors import DeviceError
from ecgcore.recording import UNIT_SCALE_TO_MV

__all__ = ["LivePipeline", "LiveRecorder", "LiveUpdate", "recorder_factory"]


@dataclasses.dataclass(frozen=True)
class LiveUpdate:
    first_sample: int
    data: np.ndarray
    meta: dict[str, Any]

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[0])


class LivePipeline:
    def __init__(self, info: DeviceInfo) -> None:
        from ecgcore.detect import RPeakDetector  # noqa: PLC0415
        from ecgcore.filters import StreamingFilter  # noqa: PLC0415

        self.info = info
        self.display_filter = "monitoring"
        self._filter = StreamingFilter("monitoring", info.fs, info.n_channels)
        names = [n.upper() for n in info.lead_names]
        self._peak_col = names.index("II") if "II" in names else 0
        self.peak_lead = info.lead_names[self._peak_col]
        self._det = RPeakDetector(info.fs)
        self._scale = np.array([UNIT_SCALE_TO_MV.get(u, 1.0) for u in info.units])
        self.next_sample = 0
        self._peaks: list[int] = []

    def process(self, block: SampleBlock) -> LiveUpdate:
        mv = block.data * self._scale
        shown = self._filter.process(mv) if block.n_samples else mv
        peaks = self._det.process(mv[:, self._peak_col]) if block.n_samples else []
        self._peaks.extend(int(p) for p in peaks)
        self._peaks = self._peaks[-12:]
        hr = None
        if len(self._peaks) >= 3:
            hr = float(60.0 * self.info.fs / np.median(np.diff(self._peaks)))
        lead_off = (
            [bool(x) for x in block.lead_off.any(axis=0)]
            if block.lead_off is not None and block.n_samples
            else [False] * self.info.n_channels
        )
        self.next_sample = block.stop_sample
        meta = {
            "peaks": [int(p) for p in peaks],
            "hr_bpm": hr,
            "rhythm": None,
            "alarms": [],
            "lead_off": lead_off,
            "quality": [None] * self.info.n_channels,
        }
        return LiveUpdate(block.first_sample, np.asarray(shown), meta)


class LiveRecorder:
    done = False

    def write(self, block: SampleBlock) -> None:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        raise NotImplementedError

    def finish(self) -> dict[str, Any]:
        raise NotImplementedError


def recorder_factory(settings: Any, log: Any, **fields: Any) -> Callable[[Any], LiveRecorder]:
    raise DeviceError("recording needs ecgcore.stream")
