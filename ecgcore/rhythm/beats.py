"""AAMI beat classes (N, S, V, F, Q) from the per-beat features.

The shipped classifier is a cascade of two gradient-boosted tree ensembles
trained on the MIT-BIH Arrhythmia Database DS1 records (de Chazal et al.,
2004) by ``scripts/train_beats.py``:

1. ``v``: ventricular (V) against everything else, with monotonic constraints
   that make wider QRS, lower template correlation and larger amplitude or
   area changes never lower the V probability; it sees the beat's timing
   only through the ``*_steady`` features, which weigh prematurity and pauses
   down when the rhythm of the dominant beats is irregular (atrial
   fibrillation), so that aberrant conduction there is not called ventricular;
2. ``s``: supraventricular (S) against normal among the remaining beats, with
   prematurity and normal morphology never lowering the S probability.

A beat is ``V`` when ``p_v > v_threshold``, else ``S`` when ``p_s >
s_threshold``, else ``N``; but a beat that joins the patient's dominant
morphology cluster and is not premature (RR before at least 85 % of both the
local and the average RR, the prematurity used by the template clustering of
:mod:`ecgcore.rhythm.features`) is never ``V``: a ventricular beat has neither
the patient's usual QRS nor, outside a ventricular run, its usual timing.
Beats whose window holds missing samples are ``Q`` (unclassifiable). The
fusion class ``F`` is not predicted by this model (too few examples to learn it
across patients); rhythm context may still change a label
(:mod:`ecgcore.rhythm.episodes`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecgcore.rhythm.features import FEATURE_NAMES, PREMATURE
from ecgcore.rhythm.trees import MODEL_DIR, TreeModel, load_tree_models, manifest_entry

__all__ = ["BEAT_MODEL", "BeatClassifier", "default_beat_classifier", "load_beat_classifier"]

#: Name of the shipped beat model in ``models/MANIFEST.json``.
BEAT_MODEL = "beats"

_WIDTH = FEATURE_NAMES.index("qrs_width_s")
_IN_DOMINANT = FEATURE_NAMES.index("in_dominant")
_PRE_LOCAL = FEATURE_NAMES.index("pre_over_local")
_PRE_AVG = FEATURE_NAMES.index("pre_over_avg")


@dataclass(frozen=True, eq=False)
class BeatClassifier:
    """Two-stage beat classifier (V vs rest, then S vs N).

    Attributes
    ----------
    v_model, s_model : TreeModel
        The two ensembles.
    v_threshold, s_threshold : float
        Probability thresholds of the two stages.
    version, sha256 : str
        Model version and checksum of its file.
    """

    v_model: TreeModel
    s_model: TreeModel
    v_threshold: float
    s_threshold: float
    version: str
    sha256: str

    def _columns(self, model: TreeModel) -> list[int]:
        return [FEATURE_NAMES.index(n) for n in model.feature_names]

    def probabilities(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(p_v, p_s)`` for each row of a feature matrix (columns :data:`FEATURE_NAMES`)."""
        x = np.asarray(features, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(FEATURE_NAMES):
            raise ValueError(
                f"expected features of shape (n, {len(FEATURE_NAMES)}), got {x.shape}"
            )
        if x.shape[0] == 0:
            return np.empty(0), np.empty(0)
        p_v = self.v_model.predict_proba(x[:, self._columns(self.v_model)])[:, 1]
        p_s = self.s_model.predict_proba(x[:, self._columns(self.s_model)])[:, 1]
        return p_v, p_s

    def classify(self, features: np.ndarray) -> np.ndarray:
        """AAMI class of each beat (``"N"``, ``"S"``, ``"V"`` or ``"Q"``), as a ``<U1`` array."""
        p_v, p_s = self.probabilities(features)
        x = np.asarray(features, dtype=np.float64)
        usual = (
            (x[:, _IN_DOMINANT] == 1.0)
            & (x[:, _PRE_LOCAL] >= PREMATURE)
            & (x[:, _PRE_AVG] >= PREMATURE)
        )
        is_v = (p_v > self.v_threshold) & ~usual
        out = np.where(is_v, "V", np.where(p_s > self.s_threshold, "S", "N"))
        out[np.isnan(x[:, _WIDTH])] = "Q"
        return out.astype("<U1")


def load_beat_classifier(path: str | Path, *, sha256: str) -> BeatClassifier:
    """Load a beat classifier file (checked against ``sha256``)."""
    models = load_tree_models(path, sha256=sha256)
    missing = {"v", "s"} - set(models)
    if missing:
        from ecgcore.errors import FormatError  # noqa: PLC0415

        raise FormatError(path, "/".join(sorted(missing)), "ensembles 'v' and 's'")
    meta = models["v"].meta
    return BeatClassifier(
        v_model=models["v"],
        s_model=models["s"],
        v_threshold=float(meta["v_threshold"]),
        s_threshold=float(meta["s_threshold"]),
        version=str(meta.get("version", "")),
        sha256=models["v"].sha256,
    )


@functools.cache
def default_beat_classifier() -> BeatClassifier:
    """The shipped beat classifier (``models/``), checked against its manifest entry."""
    entry = manifest_entry(BEAT_MODEL)
    return load_beat_classifier(MODEL_DIR / entry["file"], sha256=entry["sha256"])
