"""Fitting the grading classifiers and rules (used by ``grading_validation.py``).

* :func:`fit_limb_model` - multinomial logistic regression on
  :func:`ecgcore.grading.reversal.limb_features`, trained on clean median
  beats and the same beats with every limb swap applied (lead algebra is
  linear, so swapping the median beats equals taking medians of swapped
  signals; a test checks it);
* :func:`fit_precordial_model` - the chest-lead reconstruction regression
  and a strongly regularised multinomial logistic regression on
  :func:`ecgcore.grading.reversal.precordial_features` (``_export_trees``
  exports a gradient-boosted tree ensemble for the ``trees`` model kind);
* decision thresholds: the probability of "no swap" below which a swap is
  reported is the 0.5 % quantile of *out-of-fold* probabilities on the clean
  training records (inner cross-validation), so the training records'
  specificity is estimated on data the inner models did not see;
* :func:`fit_acceptability` - the acceptability rule, by exhaustive search
  over a small grid of limits, on CinC 2011 quality grades (ties broken by
  the rule's margin: the accuracy of its neighbours on the grid).

scikit-learn is used here only; the fitted models are exported as plain
arrays (:mod:`ecgcore.grading._model`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ecgcore.grading.beats import MedianBeats
from ecgcore.grading.reversal import (
    LIMB_CLASSES,
    PRECORDIAL_CLASSES,
    limb_features,
    precordial_features,
    reconstruction_errors,
    reconstruction_inputs,
    swapped_beats,
)

__all__ = [
    "ACCEPTABILITY_GRID",
    "TARGET_SPECIFICITY",
    "fit_acceptability",
    "fit_limb_model",
    "fit_placement_models",
    "fit_precordial_model",
    "save_model",
]

#: Specificity on clean records the swap thresholds aim at.
TARGET_SPECIFICITY = 0.995
#: Rotations need two errors at once: weight of their probability in naming the swap.
ROTATION_PRIOR = 0.3
#: Inverse L2 penalty of the limb classifier (standardised features). 0.3 was chosen among
#: 0.1, 0.3 and 1 on cross-validated figures of the validation records (not nested): 0.1
#: lost sensitivity for the rotations, 1 for LA/RA and LA/LL.
LIMB_C = 0.3
#: Inverse L2 penalty of the chest classifier (standardised features).
PRECORDIAL_C = 0.1


def _arrangement(mb: MedianBeats, cls: str) -> MedianBeats:
    return mb if cls == "none" else swapped_beats(mb, cls)


def _limb_xy(mbs: Sequence[MedianBeats]) -> tuple[np.ndarray, np.ndarray]:
    x, y = [], []
    for mb in mbs:
        for k, cls in enumerate(LIMB_CLASSES):
            x.append(limb_features(_arrangement(mb, cls)))
            y.append(k)
    return np.asarray(x), np.asarray(y)


def _fit_limb_arrays(mbs: Sequence[MedianBeats]) -> dict[str, np.ndarray]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x, y = _limb_xy(mbs)
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    clf = LogisticRegression(C=LIMB_C, max_iter=5000).fit((x - scaler.mean_) / scale, y)
    n_feat = x.shape[1]
    return {
        "kind": np.array("logistic"),
        "classes": np.array(LIMB_CLASSES),
        "feature_names": np.array([f"limb_{k}" for k in range(n_feat)]),
        "mean": scaler.mean_,
        "scale": scale,
        "coef": clf.coef_,
        "intercept": clf.intercept_,
    }


def fit_recon(mbs: Sequence[MedianBeats]) -> np.ndarray:
    """Population regression of each chest lead on I, II and the other chest leads, (6, 7)."""
    out = np.empty((6, len(reconstruction_inputs(0))))
    for k in range(6):
        cols = reconstruction_inputs(k)
        a, b = [], []
        for mb in mbs:
            w = mb.qrs_t
            s = np.linalg.norm(w) + 1e-9
            a.append(w[:, cols] / s)
            b.append(w[:, 6 + k] / s)
        out[k], *_ = np.linalg.lstsq(np.vstack(a), np.concatenate(b), rcond=None)
    return out


def _export_trees(clf, n_classes: int) -> dict[str, np.ndarray]:
    """Flatten a fitted HistGradientBoostingClassifier into arrays (private sklearn layout)."""
    feature, threshold, left, right, missing, value, roots, tree_class = ([] for _ in range(8))
    offset = 0
    for iteration in clf._predictors:
        for cls, predictor in enumerate(iteration):
            nodes = predictor.nodes
            n = len(nodes)
            leaf = nodes["is_leaf"].astype(bool)
            feature.append(np.where(leaf, -1, nodes["feature_idx"]).astype(np.int32))
            threshold.append(nodes["num_threshold"].astype(np.float64))
            left.append(np.where(leaf, -1, nodes["left"] + offset).astype(np.int32))
            right.append(np.where(leaf, -1, nodes["right"] + offset).astype(np.int32))
            missing.append(nodes["missing_go_to_left"].astype(bool))
            value.append(nodes["value"].astype(np.float64))
            roots.append(offset)
            tree_class.append(cls if n_classes > 2 else 0)
            offset += n
    baseline = np.asarray(clf._baseline_prediction, dtype=np.float64).reshape(-1)
    return {
        "kind": np.array("trees"),
        "feature": np.concatenate(feature),
        "threshold": np.concatenate(threshold),
        "left": np.concatenate(left),
        "right": np.concatenate(right),
        "missing_left": np.concatenate(missing),
        "value": np.concatenate(value),
        "tree_root": np.asarray(roots, dtype=np.int64),
        "tree_class": np.asarray(tree_class, dtype=np.int64),
        "baseline": baseline,
    }


def _prec_xy(mbs: Sequence[MedianBeats], recon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = [], []
    for mb in mbs:
        for k, cls in enumerate(PRECORDIAL_CLASSES):
            x.append(precordial_features(_arrangement(mb, cls), recon))
            y.append(k)
    return np.asarray(x), np.asarray(y)


def _fit_prec_arrays(mbs: Sequence[MedianBeats]) -> dict[str, np.ndarray]:
    """Chest classifier: strongly regularised multinomial logistic regression.

    A tree ensemble fitted before gave some clean training records p(no swap)
    near 0, so the out-of-fold threshold was set by one or two extreme records;
    the smoother linear model keeps the clean records' probabilities away from 0.
    """
    from sklearn.linear_model import LogisticRegression

    recon = fit_recon(mbs)
    x, y = _prec_xy(mbs, recon)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    clf = LogisticRegression(C=PRECORDIAL_C, max_iter=3000).fit((x - mean) / scale, y)
    return {
        "kind": np.array("logistic"),
        "classes": np.array(PRECORDIAL_CLASSES),
        "feature_names": np.array([f"prec_{k}" for k in range(x.shape[1])]),
        "mean": mean,
        "scale": scale,
        "coef": clf.coef_,
        "intercept": clf.intercept_,
        "recon": recon,
    }


def _oof(
    mbs: Sequence[MedianBeats], groups: np.ndarray, fit, features, n_splits: int = 3
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Out-of-fold p(no swap) on the clean records and reconstruction errors."""
    from sklearn.model_selection import GroupKFold

    from ecgcore.grading._model import ArrayModel

    p0 = np.empty(len(mbs))
    errors: list[np.ndarray] = [np.empty(0)] * len(mbs)
    for tr, te in GroupKFold(n_splits=n_splits).split(np.zeros(len(mbs)), groups=groups):
        arrays = fit([mbs[i] for i in tr])
        model = ArrayModel(arrays, "inner fold")
        for i in te:
            p0[i] = model.predict_proba(features(mbs[i], arrays))[0, 0]
            if "recon" in arrays:
                errors[i] = reconstruction_errors(mbs[i].qrs_t, arrays["recon"])
    return p0, errors


def fit_limb_model(mbs: Sequence[MedianBeats], groups: np.ndarray) -> dict[str, np.ndarray]:
    """Limb classifier arrays with the CV-fitted threshold and the class prior."""
    p0, _ = _oof(mbs, groups, _fit_limb_arrays, lambda mb, a: limb_features(mb))
    arrays = _fit_limb_arrays(mbs)
    prior = np.array([ROTATION_PRIOR if c.startswith("ROT") else 1.0 for c in LIMB_CLASSES])
    arrays.update(
        decision_threshold=np.array(float(np.quantile(p0, 1.0 - TARGET_SPECIFICITY))),
        prior=prior,
        oof_p0=p0,
    )
    return arrays


def fit_precordial_model(mbs: Sequence[MedianBeats], groups: np.ndarray) -> dict[str, np.ndarray]:
    """Chest-lead classifier arrays with the CV-fitted threshold and misplacement limits."""
    p0, errors = _oof(
        mbs, groups, _fit_prec_arrays, lambda mb, a: precordial_features(mb, a["recon"])
    )
    arrays = _fit_prec_arrays(mbs)
    arrays.update(
        decision_threshold=np.array(float(np.quantile(p0, 1.0 - TARGET_SPECIFICITY))),
        prior=np.ones(len(PRECORDIAL_CLASSES)),
        misplacement_limit=misplacement_limits(np.vstack(errors)),
        oof_p0=p0,
    )
    return arrays


def misplacement_limits(errors: np.ndarray) -> np.ndarray:
    """Per-lead limits on the reconstruction error, one family-wise level for all six.

    A record is flagged when any of its six chest leads exceeds its limit, so the
    limits are set together: each lead's error is standardised (median, interquartile
    range over the clean out-of-fold records) and one limit on the largest standardised
    error is taken at the :data:`TARGET_SPECIFICITY` quantile, so that the share of clean
    training records flagged is 1 - TARGET_SPECIFICITY for the six leads together (not
    for each lead).

    Parameters
    ----------
    errors : ndarray, shape (n_records, 6)
        Out-of-fold log relative reconstruction errors of V1-V6.
    """
    med = np.median(errors, axis=0)
    q1, q3 = np.quantile(errors, [0.25, 0.75], axis=0)
    iqr = np.where(q3 - q1 > 0, q3 - q1, 1.0)
    worst = ((errors - med) / iqr).max(axis=1)
    return med + float(np.quantile(worst, TARGET_SPECIFICITY)) * iqr


def fit_placement_models(
    mbs: Sequence[MedianBeats], groups: np.ndarray, out_dir: str | Path
) -> tuple[Path, Path]:
    """Fit both placement models and write ``limb_reversal.npz`` and ``precordial_swap.npz``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    limb = save_model(fit_limb_model(mbs, groups), out / "limb_reversal.npz")
    prec = save_model(fit_precordial_model(mbs, groups), out / "precordial_swap.npz")
    return limb, prec


def save_model(arrays: dict[str, np.ndarray], path: Path) -> Path:
    """Write arrays to ``path`` (compressed ``.npz``, no pickled objects)."""
    clean = {k: v for k, v in arrays.items() if k != "oof_p0"}
    for key, value in clean.items():
        if np.asarray(value).dtype == object:
            raise ValueError(f"model array {key!r} has dtype object")
    np.savez_compressed(path, **clean)
    return path


# ------------------------------------------------------------------ acceptability
#: Candidate limits searched for the acceptability rule.
ACCEPTABILITY_GRID = {
    "clipped": (0.0, 0.005, 0.02),
    "baseline_mv": (2.5, 3.0, 4.0, 5.0, 1e9),
    "agreement": (0.5, 0.6, 0.7, 0.8),
    "emg_mv": (0.03, 0.05, 0.08, 1e9),
    "amplitude_mv": (0.0, 0.1, 0.2),
    "min_unreadable": (1, 2, 3, 4, 5, 6),
}


def _acceptable(feats: dict[str, np.ndarray], params: dict[str, float]) -> np.ndarray:
    """Vectorised acceptability rule over records (see AcceptabilityRule)."""
    unreadable = (
        (feats["agreement"] < params["agreement"])
        | (feats["emg"] > params["emg_mv"])
        | (feats["amplitude"] < params["amplitude_mv"])
    ) & ~feats["off"]
    bad = (
        feats["off"].any(axis=1)
        | ((feats["clipped"] > params["clipped"]) & ~feats["off"]).any(axis=1)
        | (feats["baseline"] > params["baseline_mv"]).any(axis=1)
        | (unreadable.sum(axis=1) >= params["min_unreadable"])
    )
    return ~bad


def fit_acceptability(feats: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, float]:
    """Limits maximising accuracy on the given records (exhaustive search over the grid).

    ``feats`` holds per-record, per-lead arrays (records x leads): ``off``
    (bool: lead off by the finding limits), ``clipped``, ``baseline``,
    ``agreement``, ``emg``, ``amplitude``.

    Several rules often reach the same accuracy (the grid is coarse and the
    records few). The choice among them is made by the margin of each rule,
    i.e. how well it holds when its limits move: a rule on a broad plateau of
    the accuracy surface is preferred to one on a narrow ridge, since a limit
    that only just works on the training records is the least likely to carry
    over. In order, the keys compared are

    1. training accuracy;
    2. the worst accuracy among the rule's grid neighbours (every rule that
       differs from it by one step of one limit);
    3. the mean accuracy of those neighbours;
    4. fewer training records called unacceptable (the more lenient verdict);
    5. the first rule in grid order (so the choice is deterministic).
    """
    names = list(ACCEPTABILITY_GRID)
    grid = [tuple(v) for v in ACCEPTABILITY_GRID.values()]
    shape = tuple(len(v) for v in grid)
    acc = np.empty(shape)
    n_unacceptable = np.empty(shape, dtype=np.int64)
    for index in itertools.product(*(range(n) for n in shape)):
        params = {n: grid[j][i] for j, (n, i) in enumerate(zip(names, index, strict=True))}
        ok = _acceptable(feats, params)
        acc[index] = float(np.mean(ok == labels))
        n_unacceptable[index] = int(np.count_nonzero(~ok))
    best_key: tuple | None = None
    best_index: tuple[int, ...] | None = None
    # accuracies compared after rounding, so float noise cannot break a tie
    top = np.round(acc.max(), 9)
    for index in zip(*np.nonzero(np.round(acc, 9) >= top), strict=True):
        neighbours = []
        for j in range(len(shape)):
            for step in (-1, 1):
                k = list(index)
                k[j] += step
                if 0 <= k[j] < shape[j]:
                    neighbours.append(acc[tuple(k)])
        key = (
            round(min(neighbours), 9),
            round(float(np.mean(neighbours)), 9),
            -int(n_unacceptable[index]),
        )
        # indices arrive in grid order: a later rule must be strictly better
        if best_key is None or key > best_key:
            best_key, best_index = key, tuple(int(i) for i in index)
    assert best_index is not None
    return {n: grid[j][i] for j, (n, i) in enumerate(zip(names, best_index, strict=True))}


def predict_acceptability(feats: dict[str, np.ndarray], params: dict[str, float]) -> np.ndarray:
    """Acceptability of each record under ``params``."""
    return _acceptable(feats, params)
