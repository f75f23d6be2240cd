"""Helpers shared by the record readers: units, lead selection, integer storage."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ecgcore.errors import DataError, FormatError
from ecgcore.recording import UNIT_SCALE_TO_MV

__all__ = ["LeadSelection", "adc_dtype", "normalise_unit", "select_leads"]

#: Spellings of voltage units met in files, mapped to the names Recording knows.
_UNIT_ALIASES: dict[str, str] = {
    "v": "V",
    "volt": "V",
    "volts": "V",
    "mv": "mV",
    "millivolt": "mV",
    "millivolts": "mV",
    "uv": "uV",
    "µv": "uV",
    "μv": "uV",
    "microvolt": "uV",
    "microvolts": "uV",
    "nv": "nV",
}

LeadSelection = Sequence[int | str] | None


def normalise_unit(unit: str, path: str | Path, field: str) -> str:
    """Return ``unit`` as one of :data:`ecgcore.recording.UNIT_SCALE_TO_MV`'s keys.

    Raises
    ------
    FormatError
        Naming ``path`` and ``field`` when the unit is not a voltage.
    """
    text = unit.strip()
    if text in UNIT_SCALE_TO_MV:
        return "uV" if text in ("µV", "μV") else text
    try:
        return _UNIT_ALIASES[text.lower()]
    except KeyError:
        raise FormatError(path, field, "a voltage unit (V, mV, uV, nV)", unit) from None


def select_leads(names: Sequence[str], leads: LeadSelection, path: str | Path) -> list[int]:
    """Column indices of ``leads`` (names or indices) among ``names``.

    ``None`` selects every lead. A name that occurs more than once in the
    file is ambiguous and must be selected by index.
    """
    if leads is None:
        return list(range(len(names)))
    if isinstance(leads, str | int):
        raise DataError(f"{path}: leads must be a sequence of names or indices, got {leads!r}")
    out: list[int] = []
    for lead in leads:
        if isinstance(lead, str):
            hits = [i for i, n in enumerate(names) if n == lead]
            if not hits:
                raise DataError(f"{path}: no lead {lead!r}; leads are {list(names)}")
            if len(hits) > 1:
                raise DataError(
                    f"{path}: lead name {lead!r} occurs {len(hits)} times (columns {hits}); "
                    "select it by index"
                )
            out.append(hits[0])
        else:
            idx = int(lead)
            if not -len(names) <= idx < len(names):
                raise DataError(f"{path}: lead index {idx} is out of range for {len(names)} leads")
            out.append(idx % len(names))
    if not out:
        raise DataError(f"{path}: leads selects no lead")
    return out


def adc_dtype(values: np.ndarray) -> np.dtype:
    """int32 when ``values`` fit (every WFDB, EDF and BDF format does), else int64.

    int32 rather than the narrowest type so that arithmetic on ``Recording.adc``
    (differences, sums of leads) does not overflow silently.
    """
    if values.size == 0:
        return np.dtype(np.int32)
    info = np.iinfo(np.int32)
    if info.min <= int(values.min()) and int(values.max()) <= info.max:
        return np.dtype(np.int32)
    return np.dtype(np.int64)
