"""``file://PATH?speed=1`` - play back any record :func:`ecgcore.io.read_record` reads.

Samples come out in mV at ``speed`` times real time (``loop=1`` repeats the
record forever); missing samples of the record stay NaN. The stream ends with
an ``end`` event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ecgcore._ring import ring_read
from ecgcore.drivers.base import ChannelInfo, DeviceInfo
from ecgcore.drivers.paced import PacedDevice
from ecgcore.drivers.registry import DeviceURL, common_options, register_scheme
from ecgcore.errors import DeviceError
from ecgcore.recording import UNIT_SCALE_TO_MV

__all__ = ["FilePlaybackDevice"]


class FilePlaybackDevice(PacedDevice):
    """Real-time playback of a recorded file."""

    def __init__(self, url: str, path: str, *, loop: bool = False, **options: Any) -> None:
        super().__init__(url, **options)
        self.path = path
        self.loop = bool(loop)
        self._mv: np.ndarray | None = None

    @classmethod
    def from_url(cls, url: DeviceURL) -> FilePlaybackDevice:
        """Build from ``file://PATH?speed=1&loop=0``."""
        if not url.target:
            raise DeviceError(f"{url.raw}: no file path")
        return cls(
            url.raw,
            url.target,
            loop=url.get_bool("loop", False),
            speed=url.get_float("speed", 1.0),
            **common_options(url),
        )

    def _open_source(self) -> DeviceInfo:
        try:
            from ecgcore.io import read_record  # noqa: PLC0415 - io is optional at import
        except ImportError as exc:
            raise DeviceError(f"{self.url}: record reading is unavailable: {exc}") from exc
        if not Path(self.path).exists() and not Path(self.path + ".hea").exists():
            raise DeviceError(f"{self.url}: no such file {self.path!r}")
        rec = read_record(self.path)
        self._mv = rec.physical("mV")
        if rec.n_samples == 0:
            raise DeviceError(f"{self.url}: record {rec.name!r} has no samples")
        channels = tuple(
            ChannelInfo(
                name,
                "mV",
                float(rec.gain[j]) / UNIT_SCALE_TO_MV[rec.units[j]],
                "ecg",
                f"from {rec.name}",
            )
            for j, name in enumerate(rec.lead_names)
        )
        return DeviceInfo(
            model="file playback",
            serial_number="",
            firmware="",
            channels=channels,
            fs=rec.fs,
            extra={"path": self.path, "record": rec.name, "n_samples": rec.n_samples},
        )

    def _n_samples(self) -> int | None:
        assert self._mv is not None
        return None if self.loop else self._mv.shape[0]

    def _generate(self, start_sample: int, n: int) -> tuple[np.ndarray, None]:
        assert self._mv is not None
        return ring_read(self._mv, start_sample, n), None


register_scheme(
    "file",
    FilePlaybackDevice.from_url,
    description="real-time playback of a record file (WFDB, EDF, CSV, ...), samples in mV",
    example="file:///data/mitdb/100?speed=1",
)
