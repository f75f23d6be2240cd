"""Helpers shared by the routers: the station object, JSON-safe numbers, tracings."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from fastapi import Request

if TYPE_CHECKING:
    from ecgcore.recording import Recording
    from ecgcore.web.app import Station

__all__ = ["json_safe", "station", "tracing_json"]

#: Longest tracing sent to the browser, seconds (longer records are cut, and say so).
MAX_TRACING_S = 60.0


def station(request: Request) -> Station:
    """The :class:`~ecgcore.web.app.Station` of the app serving ``request``."""
    return request.app.state.station


def json_safe(value: Any) -> Any:
    """``value`` with NaN/inf floats as None and numpy scalars/arrays as Python types."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def tracing_json(
    rec: Recording, *, max_s: float = MAX_TRACING_S, marks: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A record as the browser's tracing view wants it: mV per lead, rounded to 1 uV.

    The samples are the record's own (no filtering); NaN (missing) becomes None.
    """
    n = min(rec.n_samples, round(max_s * rec.fs))
    mv = rec.physical("mV")[:n]
    leads = []
    for j, name in enumerate(rec.lead_names):
        col = np.round(mv[:, j], 3)
        leads.append({"name": name, "mv": json_safe(col)})
    return {
        "record": rec.name,
        "fs": rec.fs,
        "n_samples": int(n),
        "total_samples": int(rec.n_samples),
        "truncated": bool(n < rec.n_samples),
        "leads": leads,
        "marks": json_safe(marks or {}),
    }
