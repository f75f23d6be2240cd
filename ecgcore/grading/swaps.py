"""Electrode swaps as lead algebra: what a misplaced electrode does to the 12 leads.

The limb leads are differences of the electrode potentials RA, LA, LL::

    I = LA - RA      II = LL - RA      III = LL - LA
    aVR = RA - (LA + LL)/2   aVL = LA - (RA + LL)/2   aVF = LL - (RA + LA)/2

and the chest leads are ``Vk = Ek - WCT`` with Wilson's central terminal
``WCT = (RA + LA + LL)/3``. Interchanging two of RA, LA, LL permutes the
potentials, so every limb lead becomes plus or minus another limb lead and
WCT (hence V1-V6) is unchanged:

* LA/RA: I -> -I, II <-> III, aVR <-> aVL, aVF unchanged
* LA/LL: I <-> II, III -> -III, aVL <-> aVF, aVR unchanged
* RA/LL: I -> -III, II -> -II, III -> -I, aVR <-> aVF, aVL unchanged
* rotations (RA->LA->LL->RA and back): each limb lead becomes another one

The neutral electrode RL is assumed to sit at the potential of the left leg
(both legs are far from the heart, the usual approximation). Swapping RA or
LA with RL then gives a near-flat lead II or III and shifts WCT:

* RA/RL: I -> -III, II -> 0, aVR, aVF -> III/2, aVL -> -III, Vk -> Vk - II/3
* LA/RL: I -> II, III -> 0, aVR -> -II, aVL, aVF -> II/2, Vk -> Vk - III/3

A chest-lead swap interchanges two of V1-V6.

These transforms are used to inject faults into clean records (validation,
tests) and, inverted, as the hypotheses the reversal check tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ecgcore.grading.leads import PRECORDIAL_LEADS, STANDARD_LEADS

__all__ = [
    "LIMB_PERMUTATIONS",
    "NEUTRAL_SWAPS",
    "PRECORDIAL_SWAPS",
    "SWAPS",
    "apply_swap",
    "swap_finding_code",
]

_I, _II, _III, _AVR, _AVL, _AVF = range(6)

#: Signed column maps of the limb-electrode permutations: new lead k = sign * old lead idx.
#: Names give the interchanged electrodes; ROT_* are the two cyclic rotations.
LIMB_PERMUTATIONS: Mapping[str, tuple[tuple[int, int], ...]] = MappingProxyType(
    {
        "LA_RA": ((-1, _I), (1, _III), (1, _II), (1, _AVL), (1, _AVR), (1, _AVF)),
        "LA_LL": ((1, _II), (1, _I), (-1, _III), (1, _AVR), (1, _AVF), (1, _AVL)),
        "RA_LL": ((-1, _III), (-1, _II), (-1, _I), (1, _AVF), (1, _AVL), (1, _AVR)),
        # RA cable on the LA electrode, LA cable on LL, LL cable on RA
        "ROT_RA_LA_LL": ((1, _III), (-1, _I), (-1, _II), (1, _AVL), (1, _AVF), (1, _AVR)),
        # RA cable on LL, LA cable on RA, LL cable on LA
        "ROT_RA_LL_LA": ((-1, _II), (-1, _III), (1, _I), (1, _AVF), (1, _AVR), (1, _AVL)),
    }
)

#: Arm-electrode swaps with the neutral (right-leg) electrode.
NEUTRAL_SWAPS: tuple[str, ...] = ("RA_RL", "LA_RL")

#: The 15 interchanges of two chest leads, e.g. ``"V1_V2"``.
PRECORDIAL_SWAPS: tuple[str, ...] = tuple(
    f"{a}_{b}" for i, a in enumerate(PRECORDIAL_LEADS) for b in PRECORDIAL_LEADS[i + 1 :]
)

#: Every swap :func:`apply_swap` knows.
SWAPS: tuple[str, ...] = (*LIMB_PERMUTATIONS, *NEUTRAL_SWAPS, *PRECORDIAL_SWAPS)

_CODES = {
    "LA_RA": "LIMB_REVERSAL_LA_RA",
    "LA_LL": "LIMB_REVERSAL_LA_LL",
    "RA_LL": "LIMB_REVERSAL_RA_LL",
    "ROT_RA_LA_LL": "LIMB_REVERSAL_OTHER",
    "ROT_RA_LL_LA": "LIMB_REVERSAL_OTHER",
    "RA_RL": "LIMB_REVERSAL_OTHER",
    "LA_RL": "LIMB_REVERSAL_OTHER",
}


def swap_finding_code(swap: str) -> str:
    """The finding code a swap should raise (``"LA_RA"`` -> ``"LIMB_REVERSAL_LA_RA"``)."""
    if swap in _CODES:
        return _CODES[swap]
    if swap in PRECORDIAL_SWAPS:
        return "PRECORDIAL_SWAP"
    raise ValueError(f"unknown swap {swap!r}; expected one of {', '.join(SWAPS)}")


def apply_swap(signals: np.ndarray, swap: str) -> np.ndarray:
    """Return the 12 leads as they would read with the electrodes of ``swap`` interchanged.

    Parameters
    ----------
    signals : ndarray, shape (..., 12)
        The standard leads in :data:`~ecgcore.grading.leads.STANDARD_LEADS`
        order (mV); the last axis is the lead axis.
    swap : str
        One of :data:`SWAPS`.

    Returns
    -------
    ndarray, same shape
        A new array; ``signals`` is not modified.
    """
    x = np.asarray(signals, dtype=np.float64)
    if x.shape[-1] != len(STANDARD_LEADS):
        raise ValueError(f"expected the 12 standard leads on the last axis, got shape {x.shape}")
    out = x.copy()
    if swap in LIMB_PERMUTATIONS:
        for k, (sign, idx) in enumerate(LIMB_PERMUTATIONS[swap]):
            out[..., k] = sign * x[..., idx]
        return out
    if swap == "RA_RL":
        iii, ii = x[..., _III], x[..., _II]
        out[..., _I] = -iii
        out[..., _II] = 0.0
        out[..., _III] = iii
        out[..., _AVR] = iii / 2
        out[..., _AVL] = -iii
        out[..., _AVF] = iii / 2
        out[..., 6:] = x[..., 6:] - ii[..., None] / 3
        return out
    if swap == "LA_RL":
        ii, iii = x[..., _II], x[..., _III]
        out[..., _I] = ii
        out[..., _II] = ii
        out[..., _III] = 0.0
        out[..., _AVR] = -ii
        out[..., _AVL] = ii / 2
        out[..., _AVF] = ii / 2
        out[..., 6:] = x[..., 6:] - iii[..., None] / 3
        return out
    if swap in PRECORDIAL_SWAPS:
        a, b = (STANDARD_LEADS.index(n) for n in swap.split("_"))
        out[..., a], out[..., b] = x[..., b], x[..., a]
        return out
    raise ValueError(f"unknown swap {swap!r}; expected one of {', '.join(SWAPS)}")


def undo_swap(signals: np.ndarray, swap: str) -> np.ndarray:
    """Invert :func:`apply_swap` for the limb permutations and chest swaps.

    Interchanges are their own inverse; the two rotations invert each other.
    Neutral swaps lose a lead and cannot be undone (``ValueError``).
    """
    if swap == "ROT_RA_LA_LL":
        return apply_swap(signals, "ROT_RA_LL_LA")
    if swap == "ROT_RA_LL_LA":
        return apply_swap(signals, "ROT_RA_LA_LL")
    if swap in NEUTRAL_SWAPS:
        raise ValueError(f"swap {swap!r} flattens a lead and cannot be undone")
    return apply_swap(signals, swap)
