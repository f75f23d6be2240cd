"""Paced beats and paced rhythm (``P``) from pacemaker spikes.

The rhythm analysis sees one lead, but a pacing spike is told from noise by
its coincidence in several leads (:mod:`ecgcore.detect.pacing`), so the
spikes come from the recording's independent leads: :func:`pacing_leads`
picks them, :func:`analyze_rhythm <ecgcore.rhythm.analyze_rhythm>` and the
live rhythm stage run :class:`~ecgcore.detect.PacingSpikeDetector` over them
and hand the spikes to the analyzer.

A beat is paced when a spike lies from 300 ms before its R peak to 20 ms
after it (:func:`~ecgcore.detect.paced_beats`); its AAMI class is ``Q``, as
EC57 classes paced beats. The interval after a paced beat is paced rhythm
(``P``) when most of the five beats around it (two before, two after) are
paced, unless a pause, asystole or a ventricular rhythm says more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from ecgcore.detect.pacing import PACING_MIN_FS, PacingSpikeDetector, detect_pacing_spikes
from ecgcore.recording import Recording

__all__ = [
    "DERIVED_LEADS",
    "MIN_PACING_LEADS",
    "PACED_CLASS",
    "PACED_OVERRIDES",
    "is_paced_rhythm",
    "pacing_columns",
    "pacing_detector",
    "pacing_leads",
    "recording_pacing_spikes",
]

#: Limb leads computed from I and II (they repeat those leads' noise).
DERIVED_LEADS: Final = frozenset({"III", "AVR", "AVL", "AVF", "-AVR"})

#: AAMI class of a paced beat.
PACED_CLASS: Final = "Q"

#: Beat-rhythm codes that a paced rhythm replaces (the others, such as a pause,
#: asystole or a ventricular run of unpaced beats, stay).
PACED_OVERRIDES: Final = frozenset({"N", "SBR", "STACH", "AFIB", "SVTA", "B", "T"})

#: Independent leads needed to look for pacing spikes (three must agree).
MIN_PACING_LEADS: Final = 4

_HALF_WINDOW = 2  # beats on each side


def pacing_leads(names: Sequence[str]) -> list[int]:
    """Columns of the leads to look for pacing spikes in.

    Every lead except III, aVR, aVL and aVF when I and II are both present
    (those four are computed from I and II).

    Parameters
    ----------
    names : sequence of str
        Lead names of the recording.

    Returns
    -------
    list of int
    """
    upper = [n.strip().upper() for n in names]
    if "I" in upper and "II" in upper:
        return [j for j, n in enumerate(upper) if n not in DERIVED_LEADS]
    return list(range(len(names)))


def is_paced_rhythm(paced: np.ndarray, k: int, n_known: int) -> bool:
    """Whether the interval after beat ``k`` is paced rhythm.

    Parameters
    ----------
    paced : ndarray of bool
        Paced flag of every beat.
    k : int
        Beat index.
    n_known : int
        Beats whose flag is known (``paced[:n_known]``).

    Returns
    -------
    bool
        Beat ``k`` is paced and so are most beats from ``k - 2`` to ``k + 2``
        (of those known).
    """
    if not paced[k]:
        return False
    near = paced[max(k - _HALF_WINDOW, 0) : min(k + _HALF_WINDOW + 1, n_known)]
    return bool(2 * int(near.sum()) > near.size)


def pacing_columns(fs: float, lead_names: Sequence[str]) -> list[int] | None:
    """Columns to look for pacing spikes in, or None when they cannot be told from noise.

    Parameters
    ----------
    fs : float
        Sampling rate (Hz); pacing spikes need :data:`~ecgcore.detect.pacing.PACING_MIN_FS`.
    lead_names : sequence of str
        The recording's lead names.

    Returns
    -------
    list of int or None
        :func:`pacing_leads`; None below the minimum rate or with fewer than
        :data:`MIN_PACING_LEADS` independent leads (one or two leads cannot tell
        a spike from noise by coincidence: two noisy leads of a simulated
        recording met by chance about once a minute).
    """
    cols = pacing_leads(lead_names)
    if fs < PACING_MIN_FS or len(cols) < MIN_PACING_LEADS:
        return None
    return cols


def pacing_detector(
    fs: float, lead_names: Sequence[str]
) -> tuple[PacingSpikeDetector, list[int]] | None:
    """A streaming pacing-spike detector for a recording's leads, and the columns to feed it.

    None when :func:`pacing_columns` is None.
    """
    cols = pacing_columns(fs, lead_names)
    return None if cols is None else (PacingSpikeDetector(fs, len(cols)), cols)


def recording_pacing_spikes(recording: Any) -> np.ndarray:
    """Pacing-spike sample indices of a Recording's independent leads (none for an array)."""
    cols = None
    if isinstance(recording, Recording):
        cols = pacing_columns(recording.fs, recording.lead_names)
    if cols is None:
        return np.zeros(0, dtype=np.int64)
    return detect_pacing_spikes(recording.physical("mV", leads=cols), recording.fs).spike_idx
