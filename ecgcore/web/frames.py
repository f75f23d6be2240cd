"""The live monitor's WebSocket frame: samples in binary, analysis as JSON.

One frame carries one batch (50-100 ms) of every lead plus what the
streaming pipeline found in it. Layout (little-endian)::

    offset  size  field
    0       4     magic b"ECGF"
    4       2     version (1)
    6       2     n_leads
    8       4     n_samples
    12      4     json_bytes
    16      8     first_sample (float64: exact up to 2**53)
    24      8     fs (Hz, float64)
    32      4*L*N samples, float32, lead-major (lead 0's N samples, then lead 1's...),
                  display-filtered mV, NaN where missing
    ...     J     UTF-8 JSON: peaks, heart rate, rhythm, alarms, lead-off, quality, events

12 leads x 500 Hz x 100 ms is 2.4 kB of samples per frame. The browser reads
it with a ``DataView`` and one ``Float32Array`` view (no parsing per sample).
"""

from __future__ import annotations

import dataclasses
import json
import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["FRAME_MAGIC", "FRAME_VERSION", "Frame", "decode_frame", "encode_frame"]

FRAME_MAGIC = b"ECGF"
FRAME_VERSION = 1
_HEADER = struct.Struct("<4sHHIIdd")


@dataclasses.dataclass(frozen=True, eq=False)
class Frame:
    """A decoded frame (see the module docstring for the wire layout).

    Attributes
    ----------
    first_sample : int
        Device sample index of the first column.
    fs : float
        Sampling rate, Hz.
    data : ndarray of float32, shape (n_leads, n_samples)
        Display signal in mV (NaN = missing).
    meta : dict
        The JSON part.
    """

    first_sample: int
    fs: float
    data: np.ndarray
    meta: Mapping[str, Any]

    @property
    def n_samples(self) -> int:
        """Samples per lead."""
        return int(self.data.shape[1])


def encode_frame(first_sample: int, fs: float, data: np.ndarray, meta: Mapping[str, Any]) -> bytes:
    """Pack a batch into the binary frame.

    Parameters
    ----------
    first_sample : int
        Device sample index of row 0 of ``data``.
    fs : float
        Sampling rate, Hz.
    data : ndarray, shape (n_samples, n_leads)
        Samples in mV as the pipeline delivers them (sample-major).
    meta : mapping
        JSON-serialisable analysis of the batch (NaN is not allowed: use None).
    """
    arr = np.asarray(data, dtype=np.float32)
    if arr.ndim != 2:
        raise ValueError(f"data must have shape (n_samples, n_leads), got {arr.shape}")
    n, n_leads = arr.shape
    text = json.dumps(meta, separators=(",", ":"), allow_nan=False).encode("utf-8")
    header = _HEADER.pack(
        FRAME_MAGIC, FRAME_VERSION, n_leads, n, len(text), float(first_sample), float(fs)
    )
    return header + np.ascontiguousarray(arr.T).astype("<f4").tobytes() + text


def decode_frame(payload: bytes) -> Frame:
    """Unpack a binary frame (raises ``ValueError`` for anything malformed)."""
    if len(payload) < _HEADER.size:
        raise ValueError(f"frame of {len(payload)} bytes is shorter than its header")
    magic, version, n_leads, n, n_json, first, fs = _HEADER.unpack_from(payload)
    if magic != FRAME_MAGIC or version != FRAME_VERSION:
        raise ValueError(f"not an ECG frame (magic {magic!r}, version {version})")
    n_data = 4 * n_leads * n
    if len(payload) != _HEADER.size + n_data + n_json:
        raise ValueError(
            f"frame length {len(payload)} != {_HEADER.size} + {n_data} + {n_json} bytes"
        )
    data = np.frombuffer(payload, dtype="<f4", count=n_leads * n, offset=_HEADER.size)
    meta = json.loads(payload[_HEADER.size + n_data :].decode("utf-8"))
    return Frame(int(first), float(fs), data.reshape(n_leads, n), meta)
