"""Fitted classifiers stored as plain arrays (``.npz``, read with ``allow_pickle=False``).

Two kinds, both predicting class probabilities:

* ``logistic`` - multinomial logistic regression on standardised features
  (``mean``, ``scale``, ``coef`` (n_classes, n_features), ``intercept``);
* ``trees`` - a gradient-boosted tree ensemble: raw score per class =
  ``baseline`` + the leaf values of its trees, then softmax. Nodes of all
  trees are concatenated: ``feature`` (-1 at leaves), ``threshold`` (go left
  when ``x <= threshold``), ``left``/``right`` (absolute node indices),
  ``missing_left`` (where NaN goes), ``value`` (leaf value); ``tree_root``
  and ``tree_class`` give each tree's root node and the class it scores.

The files are written by ``benchmarks/grading_validation.py --fit`` (which
uses scikit-learn) and evaluated here with numpy alone; nothing executable is
ever loaded from them. Every file also carries ``classes``, ``feature_names``
and the decision settings fitted by cross-validation (``threshold``, ``prior``).
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ecgcore.errors import DataError

__all__ = ["ArrayModel", "load_model"]


class ArrayModel:
    """A classifier read from an ``.npz`` file (see the module docstring)."""

    def __init__(self, arrays: dict[str, np.ndarray], source: str) -> None:
        self.source = source
        self.arrays = arrays
        try:
            self.kind = str(arrays["kind"])
            self.classes = tuple(str(c) for c in arrays["classes"])
            self.feature_names = tuple(str(c) for c in arrays["feature_names"])
        except KeyError as exc:
            raise DataError(f"{source}: model file lacks the array {exc.args[0]!r}") from None
        if self.kind not in ("logistic", "trees"):
            raise DataError(f"{source}: unknown model kind {self.kind!r}")

    def get(self, name: str) -> np.ndarray:
        """A stored array by name; :class:`DataError` if absent."""
        try:
            return self.arrays[name]
        except KeyError:
            raise DataError(f"{self.source}: model file lacks the array {name!r}") from None

    def raw_scores(self, x: np.ndarray) -> np.ndarray:
        """Raw class scores (logits), shape (n, n_classes)."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if x.shape[1] != len(self.feature_names):
            raise ValueError(
                f"{self.source}: expected {len(self.feature_names)} features, got {x.shape[1]}"
            )
        if self.kind == "logistic":
            z = (x - self.get("mean")) / self.get("scale")
            return z @ self.get("coef").T + self.get("intercept")
        return self._tree_scores(x)

    def _tree_scores(self, x: np.ndarray) -> np.ndarray:
        """Sum of the leaf values reached in every tree, all trees walked at once."""
        feature = self.get("feature")
        threshold = self.get("threshold")
        left, right = self.get("left"), self.get("right")
        missing_left = self.get("missing_left")
        value = self.get("value")
        roots, tree_class = self.get("tree_root"), self.get("tree_class")
        n = x.shape[0]
        node = np.tile(np.asarray(roots, dtype=np.int64), (n, 1))  # (samples, trees)
        rows = np.repeat(np.arange(n), roots.size).reshape(n, roots.size)
        while True:
            f = feature[node]
            inner = f >= 0
            if not inner.any():
                break
            nd = node[inner]
            xv = x[rows[inner], f[inner]]
            go_left = np.where(np.isnan(xv), missing_left[nd], xv <= threshold[nd])
            node[inner] = np.where(go_left, left[nd], right[nd])
        out = np.tile(self.get("baseline"), (n, 1)).astype(np.float64)
        # unbuffered, in tree order: the same sums as adding tree by tree
        np.add.at(out, (rows, np.broadcast_to(tree_class, node.shape)), value[node])
        return out

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n, n_classes)."""
        s = self.raw_scores(x)
        if s.shape[1] == 1:  # binary trees: one score for the second class
            p1 = 1.0 / (1.0 + np.exp(-s[:, 0]))
            return np.stack([1.0 - p1, p1], axis=1)
        s = s - s.max(axis=1, keepdims=True)
        e = np.exp(s)
        return e / e.sum(axis=1, keepdims=True)

    def setting(self, name: str, default: Any = None) -> Any:
        """A scalar decision setting stored with the model (e.g. ``threshold``)."""
        if name not in self.arrays:
            return default
        return self.arrays[name].item() if self.arrays[name].ndim == 0 else self.arrays[name]


def _read(path: Path | Any, source: str) -> ArrayModel:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise DataError(f"{source}: cannot read model file: {exc}") from None
    return ArrayModel(arrays, source)


@functools.lru_cache(maxsize=8)
def load_model(name_or_path: str) -> ArrayModel:
    """Load a model shipped in ``ecgcore/grading/models/`` by name, or from a path."""
    path = Path(name_or_path)
    if path.suffix == ".npz" and path.exists():
        return _read(path, str(path))
    ref = resources.files("ecgcore.grading").joinpath("models", f"{name_or_path}.npz")
    if not ref.is_file():
        raise DataError(
            f"grading model {name_or_path!r} not found (expected ecgcore/grading/models/"
            f"{name_or_path}.npz; `python -m ecgcore.benchmarks.grading_validation --fit` "
            "creates it)"
        )
    with resources.as_file(ref) as p:
        return _read(p, f"ecgcore/grading/models/{name_or_path}.npz")
