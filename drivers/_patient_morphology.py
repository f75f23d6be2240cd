"""Beat morphology of the simulated patient: a cardiac dipole projected onto electrodes.

The heart is one electrical dipole ``d(t) = (x, y, z)`` in mV (Frank axes: x to
the patient's left, y to the feet, z to the back). Every wave of a beat (P, Q,
R, S, T, ...) is a Gaussian lobe in time with a fixed direction, in the manner
of the ECGSYN/dipole models (McSharry et al. 2003; Sameni et al. 2007). The
dipole is projected onto the 8 independent leads I, II, V1..V6 with the Dower
matrix (Dower et al., Clin. Cardiol. 3:87, 1980), which reproduces a normal
R-wave progression V1->V6 from a plausible vectorcardiogram.

From those 8 leads the *electrode* potentials (RA, LA, LL, V1..V6, with the
Wilson central terminal as reference) follow exactly, so noise and lead-off can
be applied per electrode and every derived lead is a difference of electrode
potentials: Einthoven's and Goldberger's relations hold by construction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

__all__ = [
    "BEAT_TEMPLATES",
    "DOWER",
    "ELECTRODES",
    "LEAD_ELECTRODE_WEIGHTS",
    "STANDARD_LEADS",
    "BeatTemplate",
    "Lobe",
    "electrodes_from_dipole",
]

#: Dower matrix: rows I, II, V1..V6; columns Frank x, y, z (Dower et al. 1980).
DOWER = np.array(
    [
        [0.632, -0.235, 0.059],  # I
        [0.235, 1.066, -0.132],  # II
        [-0.515, 0.157, -0.917],  # V1
        [0.044, 0.164, -1.387],  # V2
        [0.882, 0.098, -1.277],  # V3
        [1.213, 0.127, -0.601],  # V4
        [1.125, 0.127, -0.086],  # V5
        [0.831, 0.076, 0.230],  # V6
    ]
)

#: Electrodes, in column order of the electrode-potential arrays.
ELECTRODES: tuple[str, ...] = ("RA", "LA", "LL", "V1", "V2", "V3", "V4", "V5", "V6")

#: The 12 standard leads, in their usual order.
STANDARD_LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)  # fmt: skip


def _lead_weights() -> Mapping[str, np.ndarray]:
    """Each lead as weights over :data:`ELECTRODES` (Einthoven, Goldberger, Wilson)."""
    e = {name: np.eye(len(ELECTRODES))[i] for i, name in enumerate(ELECTRODES)}
    wct = (e["RA"] + e["LA"] + e["LL"]) / 3.0
    weights = {
        "I": e["LA"] - e["RA"],
        "II": e["LL"] - e["RA"],
        "III": e["LL"] - e["LA"],
        "aVR": e["RA"] - (e["LA"] + e["LL"]) / 2.0,
        "aVL": e["LA"] - (e["RA"] + e["LL"]) / 2.0,
        "aVF": e["LL"] - (e["RA"] + e["LA"]) / 2.0,
    }
    for k in range(1, 7):
        weights[f"V{k}"] = e[f"V{k}"] - wct
    return MappingProxyType(weights)


#: Lead name -> weights over :data:`ELECTRODES`; a lead depends on an electrode
#: where its weight is non-zero (used for lead-off).
LEAD_ELECTRODE_WEIGHTS: Mapping[str, np.ndarray] = _lead_weights()


def electrodes_from_dipole(dipole: np.ndarray) -> np.ndarray:
    """Electrode potentials (mV, WCT reference) for dipole samples.

    Parameters
    ----------
    dipole : ndarray, shape (n, 3)
        Heart vector in mV (Frank x, y, z).

    Returns
    -------
    ndarray, shape (n, 9)
        Potentials of :data:`ELECTRODES`; ``LA - RA`` is lead I, ``LL - RA`` lead
        II and ``Vk`` lead Vk of the Dower projection, and ``RA + LA + LL = 0``.
    """
    # Written out element-wise (no BLAS) so a sample's value never depends on
    # how many samples are computed together.
    x, y, z = dipole[:, 0:1], dipole[:, 1:2], dipole[:, 2:3]
    eight = x * DOWER[:, 0] + y * DOWER[:, 1] + z * DOWER[:, 2]  # I, II, V1..V6
    lead_i, lead_ii = eight[:, 0], eight[:, 1]
    out = np.empty((dipole.shape[0], len(ELECTRODES)))
    out[:, 0] = -(lead_i + lead_ii) / 3.0
    out[:, 1] = out[:, 0] + lead_i
    out[:, 2] = out[:, 0] + lead_ii
    out[:, 3:] = eight[:, 2:]
    return out


@dataclasses.dataclass(frozen=True)
class Lobe:
    """One Gaussian lobe of a beat.

    Parameters
    ----------
    name : str
        Wave name (``"P"``, ``"R"``, ``"T"``, ...).
    offset_s : float
        Centre relative to the beat's fiducial point (the R peak), seconds.
    width_s : float
        Standard deviation of the Gaussian, seconds.
    vector : tuple of float
        Peak dipole (x, y, z) in mV.
    repol : bool
        A repolarisation (T) lobe: its offset and width stretch with the RR
        interval (QT adaptation, Bazett-like ``sqrt(RR)``).
    """

    name: str
    offset_s: float
    width_s: float
    vector: tuple[float, float, float]
    repol: bool = False


@dataclasses.dataclass(frozen=True)
class BeatTemplate:
    """A beat shape: the lobes of one beat kind.

    Parameters
    ----------
    symbol : str
        MIT-BIH beat symbol of this beat kind (``"N"``, ``"V"``).
    lobes : tuple of Lobe
        Waves of the beat (P waves included when the beat is conducted from the atria).
    """

    symbol: str
    lobes: tuple[Lobe, ...]

    def without(self, *names: str) -> BeatTemplate:
        """Return the template without the lobes called ``names`` (e.g. no P wave in AF)."""
        return BeatTemplate(self.symbol, tuple(lb for lb in self.lobes if lb.name not in names))


# Normal sinus beat: right then left atrial activation (biphasic P in V1), septal
# depolarisation to the right and front (q in I/V6, r in V1), the main left
# ventricular R to the left, feet and back, the late basal S to the right and
# back, and a T wave concordant with the QRS axis. Frontal QRS axis about +60 deg,
# R in II about 1.2 mV, transition zone V3/V4.
_NORMAL = BeatTemplate(
    "N",
    (
        Lobe("P1", -0.175, 0.020, (0.03, 0.08, -0.06)),
        Lobe("P2", -0.140, 0.022, (0.07, 0.06, 0.05)),
        Lobe("Q", -0.022, 0.008, (-0.10, 0.00, -0.12)),
        Lobe("R", 0.000, 0.010, (1.10, 0.95, 0.30)),
        Lobe("S", 0.024, 0.010, (-0.15, -0.15, 0.60)),
        Lobe("T1", 0.230, 0.055, (0.20, 0.16, -0.09), repol=True),
        Lobe("T2", 0.290, 0.032, (0.10, 0.08, -0.05), repol=True),
    ),
)

# Premature ventricular beat from a right-ventricular focus: no P wave, wide
# (~150 ms) slurred QRS with a left-bundle-branch-block-like shape (QS in V1,
# broad R in I/V6), large amplitude and a T wave opposite to the QRS.
_PVC = BeatTemplate(
    "V",
    (
        Lobe("R1", -0.030, 0.022, (1.00, 0.60, 1.05)),
        Lobe("R2", 0.015, 0.026, (1.30, 1.20, 0.75)),
        Lobe("S", 0.065, 0.020, (-0.30, -0.35, -0.35)),
        Lobe("T", 0.300, 0.065, (-0.42, -0.40, -0.40), repol=True),
    ),
)

# Monomorphic ventricular tachycardia: the same focus as the PVC, a little
# wider and with a shorter repolarisation (the T stretch follows the short RR).
_VT = BeatTemplate(
    "V",
    (
        Lobe("R1", -0.035, 0.025, (0.90, 0.55, 1.10)),
        Lobe("R2", 0.015, 0.028, (1.25, 1.10, 0.80)),
        Lobe("S", 0.070, 0.022, (-0.35, -0.40, -0.40)),
        Lobe("T", 0.300, 0.060, (-0.40, -0.35, -0.35), repol=True),
    ),
)

# Right-ventricular apical pacing: the stimulus (:data:`PACING_SPIKE`) starts a
# wide (~160 ms) QRS that spreads from the apex up and to the left (superior
# axis: negative in II, III and aVF; left-bundle-branch-block-like in V1), with
# a discordant T wave; no P wave (the atria are not sensed in this mode).
_PACED = BeatTemplate(
    "/",
    (
        Lobe("R1", -0.010, 0.028, (0.95, -0.70, 1.00)),
        Lobe("R2", 0.040, 0.026, (0.80, -0.55, 0.60)),
        Lobe("T", 0.320, 0.070, (-0.40, 0.35, -0.35), repol=True),
    ),
)

#: A pacemaker stimulus: (offset from the beat's fiducial point in s, dipole in mV).
#: It lasts well under a sample, so the recorder shows it as a one-sample pulse
#: (and a smaller opposite one as the output capacitor recharges); the vector
#: points from the right-ventricular tip to the pectoral generator (unipolar).
PACING_SPIKE: tuple[float, tuple[float, float, float]] = (-0.085, (-1.0, 2.0, -1.5))

#: Beat kind -> template.
BEAT_TEMPLATES: Mapping[str, BeatTemplate] = MappingProxyType(
    {
        "sinus": _NORMAL,
        "conducted": _NORMAL.without("P1", "P2"),
        "pvc": _PVC,
        "vt": _VT,
        "paced": _PACED,
    }
)
