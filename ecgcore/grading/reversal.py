"""Electrode reversals from the redundancy of the 12 leads.

No single rule finds reversals reliably (a negative lead I is also dextrocardia
or a right axis), so several cues are measured on the median beats and
combined by classifiers fitted on clean records with the swaps of
:mod:`ecgcore.grading.swaps` injected (``benchmarks/grading_validation.py``):

Limb electrodes (frontal plane) - :func:`limb_features`
    * P, QRS and T axes in the frontal plane (from I and II, Einthoven);
    * P, QRS and T polarity in each limb lead (aVR is normally negative,
      lead I positive; LA/RA inverts I and makes aVR positive);
    * correlation of every limb lead with the chest leads over QRS-T. The
      chest leads are referenced to Wilson's terminal, which limb swaps do not
      change, so they anchor the frontal leads (lead I normally resembles V5/V6).
      They enter only as a set - each limb lead's six correlations sorted, and
      its correlation with the mean chest lead and with the chest leads' first
      principal component - so interchanged chest leads leave every limb
      feature unchanged and cannot raise a limb finding;
    * relative size of I, II and III (a neutral-electrode error flattens II or III);
    * the frontal direction the chest leads explain best (first canonical
      direction of the frontal plane against the span of V1-V6, over QRS,
      QRS-T and the T wave, as the angle doubled since its sign is arbitrary,
      with the largest and smallest squared canonical correlations). The chest leads
      lie near the horizontal plane, so this direction is normally close to
      lead I; LA/LL mirrors the frontal plane about +30 degrees and moves it
      towards lead II, a cue the axes alone lack (they are mirrored within the
      normal range). The span of V1-V6 does not depend on their order;
    * the correlation of each limb lead with the most lateral-looking and the
      most septal-looking chest lead (largest and smallest R/S balance, chosen
      by their waveform, not by their position): lead I normally resembles
      V5/V6.

Chest electrodes (horizontal plane) - :func:`precordial_features`
    * correlation of each chest lead with its neighbours and next neighbours,
      and how far each lead is from the mean of its two neighbours;
    * R, S, R/S balance, QRS-area and T progression from V1 to V6;
    * largest absolute correlation of each chest lead with any limb lead;
    * error of each chest lead reconstructed from the other five chest leads by
      a population regression (a swapped lead does not fit);
    * for each of the 15 interchanges, how much smoother the neighbour
      correlations (QRS-T and QRS) and the R, S and R/S progressions become if
      the two leads are put back: each hypothesis tested on the record itself;
    * the same swap-back test on cues of the continuity of V1-V6
      (:func:`continuity_gains`): the path length through the angles between
      neighbouring leads (QRS-T, QRS) and between their principal-component
      loadings (the near-dipole heart makes the chest leads' directions rotate
      steadily from V1 to V6), the rise and single fall of the QRS amplitude,
      each inner lead's distance from the mean of its neighbours, and the total
      population-reconstruction error. Adjacent leads are alike, so their
      interchange moves the correlations little; the angles do not compress
      small differences the way correlations near 1 do.

    None of these changes under a limb reversal (limb leads become plus or
    minus one another; the chest leads keep Wilson's terminal), so a limb
    reversal cannot raise a chest finding.

The classifiers give a probability per class (no swap, or one of the swaps);
a swap is reported when the probability of "no swap" is below a threshold
chosen by cross-validation for a specificity near 99.5 % on clean records, and
the swap named is the most probable one weighted by a prior (two errors at
once, the rotations, are rarer than one interchange).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from ecgcore.grading._model import ArrayModel, load_model
from ecgcore.grading.beats import MedianBeats
from ecgcore.grading.findings import FINDING_CODES, Finding, make_finding
from ecgcore.grading.leads import LIMB_LEADS, PRECORDIAL_LEADS
from ecgcore.grading.swaps import apply_swap, swap_finding_code

__all__ = [
    "LIMB_CLASSES",
    "PRECORDIAL_CLASSES",
    "PlacementResult",
    "check_placement",
    "continuity_gains",
    "limb_features",
    "neutral_swap",
    "neutral_swap_finding",
    "precordial_features",
    "swapped_beats",
]

#: Classes of the limb classifier ("none" = electrodes in place).
LIMB_CLASSES: tuple[str, ...] = (
    "none", "LA_RA", "LA_LL", "RA_LL", "ROT_RA_LA_LL", "ROT_RA_LL_LA", "RA_RL", "LA_RL",
)  # fmt: skip
#: Classes of the chest-lead classifier.
PRECORDIAL_CLASSES: tuple[str, ...] = (
    "none",
    *(f"{a}_{b}" for i, a in enumerate(PRECORDIAL_LEADS) for b in PRECORDIAL_LEADS[i + 1 :]),
)

_SWAP_LEADS = {
    "LA_RA": ("I", "II", "III", "aVR", "aVL"),
    "LA_LL": ("I", "II", "III", "aVL", "aVF"),
    "RA_LL": ("I", "II", "III", "aVR", "aVF"),
    "ROT_RA_LA_LL": LIMB_LEADS,
    "ROT_RA_LL_LA": LIMB_LEADS,
    "RA_RL": LIMB_LEADS,
    "LA_RL": LIMB_LEADS,
}

_SWAP_TEXT = {
    "LA_RA": "the left- and right-arm electrodes appear interchanged: lead I is inverted "
    "(negative P and QRS) and aVR looks like aVL",
    "LA_LL": "the left-arm and left-leg electrodes appear interchanged: leads I and II and "
    "aVL and aVF look exchanged and lead III is inverted",
    "RA_LL": "the right-arm and left-leg electrodes appear interchanged: lead II is "
    "inverted and aVR and aVF look exchanged",
    "ROT_RA_LA_LL": "the three limb electrodes appear rotated (RA cable on LA, LA on LL, "
    "LL on RA)",
    "ROT_RA_LL_LA": "the three limb electrodes appear rotated (RA cable on LL, LL on LA, "
    "LA on RA)",
    "RA_RL": "the right-arm and neutral (right-leg) electrodes appear interchanged: lead II "
    "is nearly flat",
    "LA_RL": "the left-arm and neutral (right-leg) electrodes appear interchanged: lead III "
    "is nearly flat",
}


def swapped_beats(mb: MedianBeats, swap: str) -> MedianBeats:
    """The median beats as they would read with the electrodes of ``swap`` interchanged."""
    beats = apply_swap(mb.beats, swap)
    qrs = beats[mb.qrs_on : mb.qrs_off + 1]
    return dataclasses.replace(
        mb,
        beats=beats,
        p=apply_swap(mb.p, swap),
        qrs_area=apply_swap(mb.qrs_area, swap),
        t=apply_swap(mb.t, swap),
        qrs_pp=np.ptp(qrs, axis=0),
    )


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return float(np.dot(a, b) / den) if den > 0 else 0.0


def _frontal_axis(v: np.ndarray, scale: float) -> list[float]:
    """cos and sin of the frontal axis from leads I and II, shrunk when the wave is small."""
    x, y = _frontal_xy(v[None, :2])[0]
    m = float(np.hypot(x, y))
    if m == 0:
        return [0.0, 0.0]
    w = min(1.0, m / scale)
    return [w * x / m, w * y / m]


def _frontal_xy(w: np.ndarray) -> np.ndarray:
    """Orthogonal frontal-plane components (x = lead I, y towards aVF), shape (n, 2)."""
    return np.column_stack([w[:, 0], (2.0 * w[:, 1] - w[:, 0]) / np.sqrt(3.0)])


def _chest_plane_direction(frontal: np.ndarray, chest: np.ndarray) -> list[float]:
    """Frontal direction best explained by the chest leads (canonical correlation).

    Returns cos and sin of twice its angle (the direction has no sign) and the
    largest and smallest squared canonical correlations of the two frontal
    components with the span of the chest leads. Written out with numpy (a 2 x 2
    generalised eigenproblem) rather than a library CCA, which iterates.
    """
    f = frontal - frontal.mean(axis=0)
    c = chest - chest.mean(axis=0)
    u, sv, _ = np.linalg.svd(c, full_matrices=False)
    if sv.size == 0 or sv[0] == 0:
        return [0.0, 0.0, 0.0, 0.0]
    q = u[:, sv > 1e-9 * sv[0]]
    a = f.T @ f + 1e-12 * np.eye(2)
    pf = q.T @ f
    li = np.linalg.inv(np.linalg.cholesky(a))
    lam, vec = np.linalg.eigh(li @ (pf.T @ pf) @ li.T)
    d = li.T @ vec[:, -1]
    phi = float(np.arctan2(d[1], d[0]))
    return [np.cos(2 * phi), np.sin(2 * phi), float(lam[-1]), float(lam[0])]


def _lateral_septal(qrs_chest: np.ndarray) -> tuple[int, int]:
    """Chest columns with the largest and the smallest R/S balance (order-free choice)."""
    r, s = qrs_chest.max(axis=0), -qrs_chest.min(axis=0)
    balance = (r - s) / (r + s + 1e-6)
    return int(np.argmax(balance)), int(np.argmin(balance))


def limb_features(mb: MedianBeats) -> np.ndarray:
    """Frontal-plane cues of :mod:`ecgcore.grading.reversal` (105 numbers).

    Invariant under any interchange of chest leads (they enter as a set).
    """
    w = mb.qrs_t
    f: list[float] = []
    f += _frontal_axis(mb.p, 0.05) + _frontal_axis(mb.qrs_area, 0.02) + _frontal_axis(mb.t, 0.1)
    f += list(mb.p[:6] / (np.linalg.norm(mb.p[:6]) + 1e-3))
    f += list(mb.qrs_area[:6] / (np.linalg.norm(mb.qrs_area[:6]) + 1e-4))
    f += list(mb.t[:6] / (np.linalg.norm(mb.t[:6]) + 1e-3))
    # each limb lead against the chest leads as a set: the correlations are sorted, so
    # interchanging chest leads (which permutes V1-V6) leaves every limb feature unchanged
    for i in range(6):
        f += sorted(_corr(w[:, i], w[:, j]) for j in range(6, 12))
    # the mean chest lead and the chest leads' first principal component (signed to agree
    # with the mean) do not depend on the order of V1-V6 either
    chest = w[:, 6:] - w[:, 6:].mean(axis=0)
    mean = chest.mean(axis=1)
    u, _, _ = np.linalg.svd(chest, full_matrices=False)
    pc = u[:, 0] if np.dot(u[:, 0], mean) >= 0 else -u[:, 0]
    for i in range(6):
        f += [_corr(w[:, i], mean), _corr(w[:, i], pc)]
    rms = np.sqrt((w[:, :3] ** 2).mean(axis=0))
    f += list(np.log(rms / (rms.max() + 1e-9) + 1e-3))
    q = mb.qrs
    half = round(0.10 * mb.fs)  # T wave: 100 ms either side of its peak
    t_wave = mb.beats[max(0, mb.t_idx - half) : mb.t_idx + half + 1]
    for seg in (q, w, t_wave):
        f += _chest_plane_direction(_frontal_xy(seg), seg[:, 6:])
    lateral, septal = _lateral_septal(q[:, 6:])
    for i in range(6):
        f += [
            _corr(w[:, i], w[:, 6 + lateral]),
            _corr(w[:, i], w[:, 6 + septal]),
            _corr(q[:, i], q[:, 6 + lateral]),
        ]
    return np.asarray(f, dtype=np.float64)


def precordial_features(mb: MedianBeats, recon: np.ndarray) -> np.ndarray:
    """Horizontal-plane cues (212 numbers).

    Invariant under the limb reversals of :data:`ecgcore.grading.swaps.LIMB_PERMUTATIONS`.

    Parameters
    ----------
    mb : MedianBeats
        Median beats of the 12 leads.
    recon : ndarray, shape (6, 5)
        Population regression of each chest lead on the other five chest leads,
        fitted on clean records.
    """
    w = mb.qrs_t[:, 6:]
    q = mb.qrs[:, 6:]
    f: list[float] = []
    f += [_corr(w[:, k], w[:, k + 1]) for k in range(5)]
    f += [_corr(w[:, k], w[:, k + 2]) for k in range(4)]
    norm = np.linalg.norm(w, axis=0) + 1e-6
    f += [
        float(np.linalg.norm(w[:, k] - (w[:, k - 1] + w[:, k + 1]) / 2) / norm[k])
        for k in range(1, 5)
    ]
    r, s = q.max(axis=0), -q.min(axis=0)
    area, t = mb.qrs_area[6:], mb.t[6:]
    rn = r / (r.max() + 1e-6)
    sn = s / (s.max() + 1e-6)
    f += list(np.diff(rn)) + list(np.diff(sn))
    f += list(np.diff(area / (np.abs(area).max() + 1e-6)))
    f += list(np.diff(t / (np.abs(t).max() + 1e-6)))
    f += list(rn) + list(sn)
    balance = (r - s) / (r + s + 1e-6)  # R/S balance, rises from V1 to V6
    f += list(np.diff(balance))
    whole = mb.qrs_t
    # likeness to the frontal plane, taken over the limb leads with either sign: a limb
    # reversal maps each limb lead to plus or minus another one and leaves this unchanged
    for j in range(6, 12):
        f.append(max(abs(_corr(whole[:, i], whole[:, j])) for i in range(6)))
    f += list(reconstruction_errors(whole, recon))
    f += _swap_gains(w, balance)  # QRS-T shapes, R/S balance
    f += _swap_gains(q, rn)[:15] + _swap_gains(w, sn)[15:]  # QRS shapes; R and S sizes
    f += continuity_gains(mb)
    # the same hypotheses tested on the population reconstruction: the total error of
    # the six chest leads, each from the other five, with the pair put back
    f += _pair_gains(
        lambda p: float(reconstruction_errors(whole[:, [*range(6), *(6 + p)]], recon).sum())
    )
    return np.asarray(f, dtype=np.float64)


def _pair_gains(cost: Callable[[np.ndarray], float]) -> list[float]:
    """``cost(identity) - cost(order with one pair put back)`` for each of the 15 pairs.

    ``cost`` takes an order of the six chest columns (a permutation as an integer
    array) and returns how badly that arrangement fits a normal chest sequence.
    """
    base = cost(np.arange(6))
    out = []
    for a, b in _PAIRS:
        p = np.arange(6)
        p[a], p[b] = b, a
        out.append(base - cost(p))
    return out


def _lead_angles(x: np.ndarray) -> np.ndarray:
    """Angles (radians) between the chest leads' vectors, (6, 6).

    ``x`` is samples x 6. The angle, unlike the correlation it is taken from, adds up
    along a path and does not compress small differences (cos 5 deg and cos 10 deg
    differ by 1 %): the path V1-V6 through the leads is shortest in the true order.
    """
    return np.arccos(np.clip(_lead_corr(x), -1.0, 1.0))


def _lead_corr(x: np.ndarray) -> np.ndarray:
    """Correlations between the columns of ``x`` (samples x leads); 0 where undefined."""
    c = np.corrcoef(x.T)
    return np.where(np.isfinite(c), c, 0.0)


def _loading_angles(x: np.ndarray, rank: int = 3) -> np.ndarray:
    """Angles between the chest leads' loadings on the first ``rank`` principal components.

    The heart's electrical activity is close to a dipole, so the six chest leads span
    about three dimensions; each lead's loading vector in that space is its lead
    direction, freed of the noise outside it. The loadings rotate steadily from V1 to
    V6 (the electrodes go round the chest), so an interchange shows as a step back.
    """
    xc = x - x.mean(axis=0)
    _, sv, vt = np.linalg.svd(xc, full_matrices=False)
    load = (vt[:rank] * sv[:rank, None]).T  # (6, rank)
    norm = np.linalg.norm(load, axis=1, keepdims=True)
    u = load / np.where(norm > 0, norm, 1.0)
    return np.arccos(np.clip(u @ u.T, -1.0, 1.0))


def _path_length(p: np.ndarray, angles: np.ndarray) -> float:
    """Length (radians) of the path through the chest leads in the order ``p``."""
    return float(angles[p[:-1], p[1:]].sum())


def continuity_gains(mb: MedianBeats) -> list[float]:
    """Swap-back gains of the continuity of V1-V6 (75 numbers, 15 per cue).

    Cues, each tested on the record's own rearrangements: the length of the path
    V1-V6 through the angles between the leads over QRS-T and over QRS; the same
    through the leads' principal-component loadings over QRS-T; the QRS peak-to-peak
    amplitude's departures from a single rise and fall; and how far each inner lead
    lies from the mean of its two neighbours (the electrodes are evenly spaced, so
    each chest lead is close to the interpolation of its neighbours).
    """
    w = mb.qrs_t[:, 6:]
    q = mb.qrs[:, 6:]
    out: list[float] = []
    for angles in (_lead_angles(w), _lead_angles(q), _loading_angles(w)):
        out += _pair_gains(functools.partial(_path_length, angles=angles))
    pp = np.ptp(q, axis=0)
    pp = pp / (pp.max() + 1e-6)

    def unimodal(p: np.ndarray) -> float:
        # amplitude normally rises to a peak (V2-V4) and falls: total variation
        # beyond the one rise and fall the peak needs
        v = pp[p]
        return float(np.abs(np.diff(v)).sum() - (2 * v.max() - v[0] - v[-1]))

    out += _pair_gains(unimodal)
    scale = np.linalg.norm(w) / np.sqrt(6) + 1e-6

    def interp(p: np.ndarray) -> float:
        v = w[:, p]
        return float(np.linalg.norm(v[:, 1:-1] - (v[:, :-2] + v[:, 2:]) / 2, axis=0).sum())

    out += [g / scale for g in _pair_gains(interp)]
    return out


_PAIRS = [(a, b) for a in range(6) for b in range(a + 1, 6)]


def _swap_gains(w: np.ndarray, progression: np.ndarray) -> list[float]:
    """How much more orderly V1-V6 become if each pair were interchanged back (30 numbers).

    For each of the 15 pairs: the change in the sum of the neighbour correlations of
    ``w`` (samples x 6 chest leads), then the decrease of the backward steps of
    ``progression`` (a per-lead measure such as the R/S balance, which normally rises
    from V1 to V6). Comparing the record with its own rearrangements tests each
    hypothesis directly, whatever the patient's usual waveforms.
    """
    c = _lead_corr(w)

    def rough(p: np.ndarray) -> float:  # minus the neighbour correlations
        return -float(sum(c[p[k], p[k + 1]] for k in range(5)))

    def back(p: np.ndarray) -> float:
        return float(sum(max(0.0, progression[p[k]] - progression[p[k + 1]]) for k in range(5)))

    return _pair_gains(rough) + _pair_gains(back)


def reconstruction_inputs(k: int) -> list[int]:
    """Columns (of the 12 standard leads) used to reconstruct chest lead ``k`` (0..5).

    Only the other chest leads: they share Wilson's terminal, which limb reversals do
    not change, so a limb reversal cannot make a chest lead look misplaced.
    """
    return [6 + j for j in range(6) if j != k]


def reconstruction_errors(whole: np.ndarray, recon: np.ndarray) -> np.ndarray:
    out = np.empty(6)
    for k in range(6):
        pred = whole[:, reconstruction_inputs(k)] @ recon[k]
        resid = whole[:, 6 + k] - pred
        out[k] = np.log(np.linalg.norm(resid) / (np.linalg.norm(whole[:, 6 + k]) + 1e-6) + 1e-3)
    return out


@dataclasses.dataclass(frozen=True)
class PlacementResult:
    """Outcome of the placement checks.

    Attributes
    ----------
    limb : str or None
        Detected limb swap (a :data:`LIMB_CLASSES` name other than ``"none"``),
        ``"none"``, or None when the check could not run.
    limb_probabilities : mapping
        Class -> probability from the limb classifier (empty if not run).
    precordial : str or None
        Detected chest swap (e.g. ``"V1_V2"``), ``"none"``, or None.
    precordial_probabilities : mapping
        Class -> probability from the chest classifier.
    reconstruction_error : mapping
        Chest lead -> log relative error of its reconstruction from the others.
    not_assessed : mapping
        Check (``"limb"``) -> why it was not run although its leads were readable
        (e.g. a ventricular-paced rhythm, :mod:`ecgcore.grading.pacing`).
    """

    limb: str | None
    limb_probabilities: Mapping[str, float]
    precordial: str | None
    precordial_probabilities: Mapping[str, float]
    reconstruction_error: Mapping[str, float]
    not_assessed: Mapping[str, str] = dataclasses.field(
        default_factory=lambda: MappingProxyType({})
    )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        top = lambda p: dict(sorted(p.items(), key=lambda kv: -kv[1])[:3])  # noqa: E731
        return {
            "limb": self.limb,
            "limb_top": {k: round(v, 4) for k, v in top(self.limb_probabilities).items()},
            "precordial": self.precordial,
            "precordial_top": {
                k: round(v, 4) for k, v in top(self.precordial_probabilities).items()
            },
            "reconstruction_error": {k: round(v, 3) for k, v in self.reconstruction_error.items()},
            "not_assessed": dict(self.not_assessed),
        }


def decide(probabilities: np.ndarray, classes: tuple[str, ...], model: ArrayModel) -> str:
    """Apply the model's fitted threshold and class prior to one probability vector."""
    threshold = float(model.setting("decision_threshold", 0.5))
    if probabilities[0] >= threshold:
        return "none"
    prior = np.asarray(model.setting("prior", np.ones(len(classes))), dtype=np.float64)
    weighted = probabilities[1:] * prior[1:]
    return classes[1 + int(np.argmax(weighted))]


def check_placement(
    mb: MedianBeats | None,
    *,
    limb: bool = True,
    precordial: bool = True,
    limb_model: str = "limb_reversal",
    precordial_model: str = "precordial_swap",
) -> tuple[list[Finding], PlacementResult]:
    """Look for limb reversals and chest-lead swaps or misplacements.

    Parameters
    ----------
    mb : MedianBeats or None
        Median beats of the 12 leads (None: nothing can be checked).
    limb, precordial : bool
        Run the limb / chest checks (callers switch a plane off when one of
        its leads is missing or off).
    limb_model, precordial_model : str
        Names (or ``.npz`` paths) of the fitted classifiers.

    Returns
    -------
    findings : list of Finding
    result : PlacementResult
    """
    findings: list[Finding] = []
    limb_call: str | None = None
    prec_call: str | None = None
    limb_p: dict[str, float] = {}
    prec_p: dict[str, float] = {}
    recon_err: dict[str, float] = {}
    if mb is None or not np.isfinite(mb.beats).all():
        return findings, PlacementResult(None, {}, None, {}, {})
    if limb:
        model = load_model(limb_model)
        p = model.predict_proba(limb_features(mb))[0]
        limb_p = {c: float(v) for c, v in zip(model.classes, p, strict=True)}
        limb_call = decide(p, model.classes, model)
        if limb_call != "none":
            findings.append(
                make_finding(
                    swap_finding_code(limb_call),
                    _SWAP_LEADS[limb_call],
                    f"{_SWAP_TEXT[limb_call].capitalize()}. "
                    f"{_advice(swap_finding_code(limb_call))}",
                    details={"p_no_swap": p[0], "p_swap": limb_p[limb_call]},
                )
            )
    if precordial:
        model = load_model(precordial_model)
        recon = np.asarray(model.get("recon"), dtype=np.float64)
        feats = precordial_features(mb, recon)
        p = model.predict_proba(feats)[0]
        prec_p = {c: float(v) for c, v in zip(model.classes, p, strict=True)}
        prec_call = decide(p, model.classes, model)
        errors = reconstruction_errors(mb.qrs_t, recon)
        recon_err = {name: float(e) for name, e in zip(PRECORDIAL_LEADS, errors, strict=True)}
        if prec_call != "none":
            a, b = prec_call.split("_")
            findings.append(
                make_finding(
                    "PRECORDIAL_SWAP",
                    (a, b),
                    f"Chest leads {a} and {b} appear interchanged: the R-wave progression "
                    f"and the shapes of V1-V6 fit only with {a} and {b} exchanged. "
                    f"{_advice('PRECORDIAL_SWAP')}",
                    details={"p_no_swap": p[0], "p_swap": prec_p[prec_call]},
                )
            )
        else:
            limit = np.asarray(model.setting("misplacement_limit"), dtype=np.float64)
            odd = [
                PRECORDIAL_LEADS[k]
                for k in range(6)
                if limit.shape == (6,) and errors[k] > limit[k]
            ]
            if odd:
                findings.append(
                    make_finding(
                        "PRECORDIAL_MISPLACEMENT",
                        odd,
                        f"{', '.join(odd)} {'does' if len(odd) == 1 else 'do'} not fit the "
                        "other chest leads (the waveform cannot be reconstructed from its "
                        "neighbours and the limb leads): the electrode is probably off its "
                        f"landmark. {_advice('PRECORDIAL_MISPLACEMENT')}",
                        details={f"recon_error_{n}": recon_err[n] for n in odd},
                    )
                )
    return findings, PlacementResult(
        limb_call,
        MappingProxyType(limb_p),
        prec_call,
        MappingProxyType(prec_p),
        MappingProxyType(recon_err),
    )


def _fits(measured: np.ndarray, expected: np.ndarray) -> bool:
    """``measured`` equals ``expected`` up to noise (correlation and size within 15 %)."""
    den = float(np.dot(expected, expected))
    if den == 0:
        return False
    scale = float(np.dot(measured, expected)) / den
    return _corr(measured, expected) > 0.97 and abs(scale - 1.0) < 0.15


def neutral_swap(signals_mv: np.ndarray) -> str | None:
    """An arm electrode interchanged with the neutral (RL) one, from its exact signature.

    With RA on the right leg (RA/RL interchange) lead II records the potential
    between the two legs, nearly nothing, and the other limb leads become
    ``I = -III``, ``aVL = -III``, ``aVR = aVF = III/2``; with LA on the right leg,
    III is nearly flat and ``I = II``, ``aVR = -II``, ``aVL = aVF = II/2``
    (:mod:`ecgcore.grading.swaps`). Both signatures are checked on the limb
    leads with their means removed.

    Returns
    -------
    str or None
        ``"RA_RL"``, ``"LA_RL"`` or None.
    """
    limb = np.asarray(signals_mv, dtype=np.float64)[:, :6]
    if not np.isfinite(limb).all():
        return None
    x = limb - limb.mean(axis=0)
    rms = np.sqrt(np.mean(x**2, axis=0))
    if rms.max() == 0:
        return None
    i, ii, iii, avr, avl, avf = x.T
    if rms[1] < 0.1 * rms.max() and all(
        _fits(a, b) for a, b in ((i, -iii), (avl, -iii), (avr, iii / 2), (avf, iii / 2))
    ):
        return "RA_RL"
    if rms[2] < 0.1 * rms.max() and all(
        _fits(a, b) for a, b in ((i, ii), (avr, -ii), (avl, ii / 2), (avf, ii / 2))
    ):
        return "LA_RL"
    return None


def neutral_swap_finding(swap: str) -> Finding:
    """The ``LIMB_REVERSAL_OTHER`` finding of a neutral-electrode interchange."""
    return make_finding(
        "LIMB_REVERSAL_OTHER",
        _SWAP_LEADS[swap],
        f"{_SWAP_TEXT[swap].capitalize()}; the other limb leads are exact copies of one "
        f"another, which only this error produces. {_advice('LIMB_REVERSAL_OTHER')}",
        details={"swap": swap},
    )


def _advice(code: str) -> str:
    return FINDING_CODES[code].advice
