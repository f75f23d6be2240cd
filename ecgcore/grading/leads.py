"""The 12 standard leads: names, and the recording as a standard (n, 12) array.

Lead names in files vary (``AVR``, ``avr``, ``aVR``; ``v1``); grading works on
the standard spelling of :data:`STANDARD_LEADS`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ecgcore.recording import Recording

__all__ = [
    "LIMB_LEADS",
    "PRECORDIAL_LEADS",
    "STANDARD_LEADS",
    "standard_lead_name",
    "standard_leads_mv",
]

#: The six limb leads (frontal plane), in standard order.
LIMB_LEADS: tuple[str, ...] = ("I", "II", "III", "aVR", "aVL", "aVF")
#: The six precordial leads (horizontal plane), in standard order.
PRECORDIAL_LEADS: tuple[str, ...] = ("V1", "V2", "V3", "V4", "V5", "V6")
#: The 12 standard leads in standard order.
STANDARD_LEADS: tuple[str, ...] = LIMB_LEADS + PRECORDIAL_LEADS

_BY_KEY = {name.upper(): name for name in STANDARD_LEADS}
_BY_KEY.update({"LEAD I": "I", "LEAD II": "II", "LEAD III": "III", "MLII": "II"})


def standard_lead_name(name: str) -> str | None:
    """Return the standard spelling of ``name`` (``"avr"`` -> ``"aVR"``), or None."""
    return _BY_KEY.get(str(name).strip().upper())


def standard_leads_mv(rec: Recording) -> tuple[np.ndarray, tuple[str, ...]]:
    """The recording's standard leads in mV, in standard order.

    Returns
    -------
    signals : ndarray, shape (n_samples, 12)
        Physical values in mV; a column is all NaN when the lead is absent,
        and samples the recording marks missing are NaN.
    present : tuple of str
        Standard names of the leads the recording has.
    """
    out = np.full((rec.n_samples, len(STANDARD_LEADS)), np.nan)
    present: list[str] = []
    phys = rec.physical("mV")
    for j, name in enumerate(rec.lead_names):
        std = standard_lead_name(name)
        if std is None or std in present:
            continue
        out[:, STANDARD_LEADS.index(std)] = phys[:, j]
        present.append(std)
    order = tuple(n for n in STANDARD_LEADS if n in present)
    return out, order


def lead_columns(names: Sequence[str]) -> list[int]:
    """Column indices of standard lead ``names`` in :data:`STANDARD_LEADS` order."""
    return [STANDARD_LEADS.index(n) for n in names]
