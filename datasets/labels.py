"""AAMI EC57 beat classes and MIT-BIH rhythm labels (re-exported by ecgcore.benchmarks.aami).

The beat classes follow ANSI/AAMI EC57 Table 1 (also used by de Chazal et al. 2004):

====== =========================================================================
class  MIT-BIH beat symbols
====== =========================================================================
``N``  ``N`` normal, ``L``/``R``/``B`` bundle branch block, ``e`` atrial escape,
       ``j`` nodal escape, ``n`` supraventricular escape
``S``  ``A`` atrial premature, ``a`` aberrated APC, ``J`` nodal premature,
       ``S`` supraventricular premature
``V``  ``V`` premature ventricular, ``r`` R-on-T PVC, ``E`` ventricular escape
``F``  ``F`` fusion of ventricular and normal
``Q``  ``/`` paced, ``f`` fusion of paced and normal, ``Q`` unclassifiable,
       ``?`` learning
====== =========================================================================

Everything else (rhythm changes ``+``, noise ``~``, artefacts ``|``, VF on/off
``[``/``]``, flutter waves ``!``, comments, waveform markers...) is not a beat
and maps to ``None``.  Flutter waves only occur inside ``[``...``]`` intervals,
which EC57 removes from the beat-by-beat comparison anyway.

Note: the WFDB ``bxb`` program (SVEB mode) counts the escape beats ``e``, ``j``
and ``n`` as ``S``; the standard's table puts them in ``N``, and so does this
module.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "AAMI_CLASSES",
    "BEAT_SYMBOLS",
    "RHYTHM_LABELS",
    "AamiClass",
    "aami_class",
    "rhythm_label",
]

AamiClass = Literal["N", "S", "V", "F", "Q"]

#: The five AAMI classes, in the row order of EC57 tables.
AAMI_CLASSES: Final[tuple[AamiClass, ...]] = ("N", "S", "V", "F", "Q")

_SYMBOL_TO_CLASS: Final = MappingProxyType(
    {
        **dict.fromkeys(("N", "L", "R", "B", "e", "j", "n"), "N"),
        **dict.fromkeys(("A", "a", "J", "S"), "S"),
        **dict.fromkeys(("V", "r", "E"), "V"),
        "F": "F",
        **dict.fromkeys(("/", "f", "Q", "?"), "Q"),
    }
)

#: Every MIT-BIH annotation symbol that marks a beat.
BEAT_SYMBOLS: Final[frozenset[str]] = frozenset(_SYMBOL_TO_CLASS)

#: MIT-BIH rhythm aux-note codes (without the leading ``(``) and their meaning.
RHYTHM_LABELS: Final = MappingProxyType(
    {
        "N": "normal sinus rhythm",
        "SBR": "sinus bradycardia",
        "STACH": "sinus tachycardia",
        "AB": "atrial bigeminy",
        "AFIB": "atrial fibrillation",
        "AFL": "atrial flutter",
        "SVTA": "supraventricular tachyarrhythmia",
        "PREX": "pre-excitation (WPW)",
        "NOD": "nodal (A-V junctional) rhythm",
        "BII": "2nd degree heart block",
        "B": "ventricular bigeminy",
        "T": "ventricular trigeminy",
        "VT": "ventricular tachycardia",
        "IVR": "idioventricular rhythm",
        "VFL": "ventricular flutter",
        "VF": "ventricular fibrillation",
        "VFIB": "ventricular fibrillation",
        "HGEA": "high-grade ventricular ectopic activity",
        "VER": "ventricular escape rhythm",
        "PAUSE": "pause",
        "ASYS": "asystole",
        "BI": "1st degree heart block",
        "SAB": "sino-atrial block",
        "P": "paced rhythm",
        "NOISE": "noise",
    }
)


def aami_class(symbol: str) -> AamiClass | None:
    """Map a MIT-BIH beat annotation symbol to its AAMI EC57 class.

    Parameters
    ----------
    symbol : str
        WFDB annotation symbol, e.g. ``"N"``, ``"V"``, ``"A"``, ``"/"``.

    Returns
    -------
    {"N", "S", "V", "F", "Q"} or None
        The AAMI class, or ``None`` when the annotation is not a beat.
    """
    return _SYMBOL_TO_CLASS.get(symbol)  # type: ignore[return-value]


def rhythm_label(aux_note: str) -> str | None:
    """Return the rhythm code of a MIT-BIH rhythm aux note, or ``None``.

    ``"(AFIB"`` and ``"(AFIB\\x00"`` (as stored on disk) give ``"AFIB"``;
    aux notes that are not rhythm changes (no leading ``(``) give ``None``.
    Codes outside :data:`RHYTHM_LABELS` are returned unchanged (databases such
    as vfdb and ltafdb add their own), so nothing is silently dropped.
    """
    note = aux_note.strip("\x00").strip()
    if not note.startswith("("):
        return None
    code = note[1:].strip()
    return code or None
