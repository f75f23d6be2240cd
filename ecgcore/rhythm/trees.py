"""Gradient-boosted tree ensembles stored as flat arrays in a checksummed NPZ file.

The shipped models (beat classes, VF windows) are trained with scikit-learn's
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` by the scripts in
``scripts/`` and exported here to plain arrays: no pickle is ever loaded
(``numpy.load(..., allow_pickle=False)``), and inference runs in a numba
kernel (:func:`ecgcore.rhythm._rhythm_numba.gbt_decision`) without
scikit-learn. Every model file is listed with its SHA-256 in
``models/MANIFEST.json``; a file whose checksum differs is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from ecgcore.errors import DataError, FormatError
from ecgcore.rhythm._rhythm_numba import gbt_decision

__all__ = [
    "MODEL_DIR",
    "TreeModel",
    "export_sklearn_hgb",
    "file_sha256",
    "load_checked_npz",
    "load_tree_models",
    "manifest_entry",
    "write_npz",
]

#: Folder of the shipped model files and their manifest.
MODEL_DIR: Final = Path(__file__).resolve().parent / "models"
_MANIFEST = "MANIFEST.json"
_ARRAYS: Final = (
    "feature",
    "threshold",
    "missing_left",
    "left",
    "right",
    "is_leaf",
    "value",
    "roots",
    "tree_class",
    "baseline",
)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def manifest_entry(name: str) -> dict[str, Any]:
    """Entry of a shipped model in ``models/MANIFEST.json`` (file, version, sha256, ...)."""
    path = MODEL_DIR / _MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the model manifest: {exc}") from exc
    if name not in manifest:
        raise FormatError(path, name, "an entry for this model", None)
    return dict(manifest[name])


@dataclass(frozen=True, eq=False)
class TreeModel:
    """A multi-class gradient-boosted tree ensemble (softmax over raw scores).

    Attributes
    ----------
    classes : tuple of str
        Class labels, in column order of :meth:`predict_proba`.
    feature_names : tuple of str
        Input columns the model expects, in order.
    version : str
        Model version.
    sha256 : str
        Checksum of the file it was loaded from.
    meta : mapping
        Training description stored with the model (JSON).
    """

    classes: tuple[str, ...]
    feature_names: tuple[str, ...]
    version: str
    sha256: str
    arrays: Mapping[str, np.ndarray] = field(repr=False)
    meta: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """Raw scores, shape (n, n_classes) (one column for a binary model)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(
                f"expected features of shape (n, {len(self.feature_names)}), got {x.shape}"
            )
        a = self.arrays
        return gbt_decision(x, *(a[k] for k in _ARRAYS))

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n, n_classes)."""
        raw = self.decision_function(x)
        if raw.shape[1] == 1:  # binary: logistic of the single score
            p1 = 1.0 / (1.0 + np.exp(-raw[:, 0]))
            return np.column_stack([1.0 - p1, p1])
        raw = raw - raw.max(axis=1, keepdims=True)
        e = np.exp(raw)
        return e / e.sum(axis=1, keepdims=True)


def load_checked_npz(path: str | Path, *, sha256: str) -> tuple[dict[str, np.ndarray], str]:
    """Arrays of a model ``.npz`` file after checking its SHA-256 (no pickle allowed).

    Returns the arrays and the checksum found. The file must hold a
    ``meta_json`` array (the model description).
    """
    path = Path(path)
    try:
        found = file_sha256(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot read the model file: {exc}") from exc
    if found != sha256.lower():
        raise DataError(
            f"{path}: SHA-256 mismatch: expected {sha256.lower()}, found {found} "
            "(the model file is damaged or not the shipped version)"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as exc:
        raise FormatError(path, "npz", "a NumPy .npz archive without pickled objects") from exc
    if "meta_json" not in data:
        raise FormatError(path, "meta_json", "the model description")
    return data, found


def write_npz(path: str | Path, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> str:
    """Write model arrays and their JSON description; return the file's SHA-256.

    The bytes are deterministic (fixed zip dates), so the same arrays give the
    same checksum.
    """
    out = dict(arrays)
    out["meta_json"] = np.asarray(json.dumps(dict(meta), sort_keys=True))
    path = Path(path)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **out)  # type: ignore[arg-type]
    return file_sha256(path)


def load_tree_models(path: str | Path, *, sha256: str) -> dict[str, TreeModel]:
    """Load the named tree ensembles of a model file after checking its SHA-256.

    Parameters
    ----------
    path : path
        The ``.npz`` model file (arrays named ``"<model>/<array>"``).
    sha256 : str
        Expected checksum (hex); a mismatch raises :class:`~ecgcore.errors.DataError`.

    Returns
    -------
    dict of str to TreeModel
    """
    path = Path(path)
    data, found = load_checked_npz(path, sha256=sha256)
    meta = json.loads(str(data["meta_json"]))
    names = sorted({k.split("/", 1)[0] for k in data if "/" in k})
    if not names:
        raise FormatError(path, "arrays", "at least one '<model>/<array>' ensemble")
    out = {}
    for name in names:
        for key in (*_ARRAYS, "classes", "feature_names"):
            if f"{name}/{key}" not in data:
                raise FormatError(path, f"{name}/{key}", "an array of this name")
        out[name] = TreeModel(
            classes=tuple(str(c) for c in data[f"{name}/classes"]),
            feature_names=tuple(str(c) for c in data[f"{name}/feature_names"]),
            version=str(meta.get("version", "")),
            sha256=found,
            arrays={k: np.ascontiguousarray(data[f"{name}/{k}"]) for k in _ARRAYS},
            meta=meta,
        )
    return out


def _flatten_hgb(clf: Any) -> dict[str, np.ndarray]:
    predictors = clf._predictors  # list (iterations) of lists (one tree per class)
    baseline = np.asarray(clf._baseline_prediction, dtype=np.float64).reshape(-1)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in _ARRAYS[:7]}
    roots: list[int] = []
    tree_class: list[int] = []
    offset = 0
    for per_iter in predictors:
        for c, pred in enumerate(per_iter):
            nodes = pred.nodes
            if np.any(nodes["is_categorical"]):
                raise ValueError("categorical splits are not supported by the exporter")
            cols["feature"].append(nodes["feature_idx"].astype(np.int64))
            cols["threshold"].append(nodes["num_threshold"].astype(np.float64))
            cols["missing_left"].append(nodes["missing_go_to_left"].astype(np.bool_))
            cols["left"].append(nodes["left"].astype(np.int64) + offset)
            cols["right"].append(nodes["right"].astype(np.int64) + offset)
            cols["is_leaf"].append(nodes["is_leaf"].astype(np.bool_))
            cols["value"].append(nodes["value"].astype(np.float64))
            roots.append(offset)
            tree_class.append(c)
            offset += nodes.shape[0]
    out = {k: np.concatenate(v) for k, v in cols.items()}
    out["roots"] = np.asarray(roots, dtype=np.int64)
    out["tree_class"] = np.asarray(tree_class, dtype=np.int64)
    out["baseline"] = baseline
    out["classes"] = np.asarray([str(c) for c in clf.classes_])
    return out


def export_sklearn_hgb(
    models: Mapping[str, tuple[Any, Sequence[str]]],
    path: str | Path,
    meta: Mapping[str, Any],
) -> str:
    """Write fitted ``HistGradientBoostingClassifier`` objects as one tree-model NPZ.

    Parameters
    ----------
    models : mapping
        Name -> (fitted classifier, names of its input columns).
    path : path
        Output ``.npz`` file.
    meta : mapping
        JSON-ready description (version, training data, settings).

    Returns
    -------
    str
        SHA-256 of the written file. Only numeric splits are supported. The
        content is deterministic (fixed array order and zip dates), so the same
        fit gives the same checksum.
    """
    out: dict[str, np.ndarray] = {}
    for name, (clf, names) in models.items():
        if "/" in name:
            raise ValueError(f"model name {name!r} must not contain '/'")
        for key, arr in _flatten_hgb(clf).items():
            out[f"{name}/{key}"] = arr
        out[f"{name}/feature_names"] = np.asarray(list(names))
    return write_npz(path, out, meta)
