"""Shipped model files: load, checksum, safe format, exported trees equal scikit-learn."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ecgcore.errors import DataError, FormatError
from ecgcore.rhythm.af import default_af_model, load_af_model
from ecgcore.rhythm.beats import default_beat_classifier, load_beat_classifier
from ecgcore.rhythm.features import FEATURE_NAMES
from ecgcore.rhythm.training import ABSOLUTE_RR, STEADY, V_EXCLUDED, V_STEADY
from ecgcore.rhythm.trees import (
    MODEL_DIR,
    export_sklearn_hgb,
    file_sha256,
    load_tree_models,
    manifest_entry,
    write_npz,
)
from ecgcore.rhythm.vf import VF_FEATURE_NAMES, VF_SHORT_FEATURE_NAMES, default_vf_model


@pytest.mark.parametrize("name", ["beats", "af", "vf"])
def test_manifest_matches_the_shipped_files(name: str) -> None:
    entry = manifest_entry(name)
    path = MODEL_DIR / entry["file"]
    assert path.stat().st_size == entry["bytes"] < 5_000_000
    assert file_sha256(path) == entry["sha256"]


def test_af_model_was_fitted_with_the_shipped_beat_classifier() -> None:
    # the AF training intervals leave out those ending at beats the shipped beat
    # classifier calls ventricular: a new beat model needs scripts/train_af.py again
    with np.load(MODEL_DIR / manifest_entry("af")["file"], allow_pickle=False) as data:
        meta = json.loads(str(data["meta_json"]))
    assert meta["beat_model"] == manifest_entry("beats")["version"]


def test_shipped_models_load_and_predict() -> None:
    bc = default_beat_classifier()
    # every feature but the absolute RR intervals (s) and the rhythm-steadiness
    # columns, in the order of FEATURE_NAMES; the V stage also without the raw
    # amplitude ratios, and with each timing ratio in its steady version
    plain = tuple(n for n in FEATURE_NAMES if n not in ABSOLUTE_RR + STEADY)
    assert bc.s_model.feature_names == plain
    assert bc.v_model.feature_names == tuple(
        f"{n}_steady" if n in V_STEADY else n for n in plain if n not in V_EXCLUDED
    )
    assert "pre_over_local_steady" in bc.v_model.feature_names
    x = np.full((3, len(FEATURE_NAMES)), np.nan)
    x[:, FEATURE_NAMES.index("qrs_width_s")] = 0.08
    labels = bc.classify(x)
    assert labels.shape == (3,) and set(labels) <= {"N", "S", "V"}
    x[0, FEATURE_NAMES.index("qrs_width_s")] = np.nan  # window with missing samples
    assert bc.classify(x)[0] == "Q"
    vf = default_vf_model()
    assert vf.feature_names == VF_FEATURE_NAMES
    assert vf.short.feature_names == VF_SHORT_FEATURE_NAMES
    assert vf.version == vf.long.version and vf.sha256 == manifest_entry("vf")["sha256"]
    assert default_af_model().coef.shape == (7,)


def test_usual_beats_are_never_ventricular() -> None:
    # every beat passes the V threshold; those of the dominant cluster that are not
    # premature (against the local and the average RR) stay non-ventricular
    bc = dataclasses.replace(default_beat_classifier(), v_threshold=-1.0)
    x = np.full((4, len(FEATURE_NAMES)), 0.5)
    x[:, FEATURE_NAMES.index("in_dominant")] = [1.0, 1.0, 1.0, 0.0]
    x[:, FEATURE_NAMES.index("pre_over_local")] = [1.0, 0.7, 1.0, 1.0]
    x[:, FEATURE_NAMES.index("pre_over_avg")] = [1.0, 1.0, 0.7, 1.0]
    assert bc.classify(x).tolist()[1:] == ["V", "V", "V"]
    assert bc.classify(x)[0] != "V"


def test_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    entry = manifest_entry("beats")
    copy = tmp_path / "beats.npz"
    shutil.copyfile(MODEL_DIR / entry["file"], copy)
    assert load_beat_classifier(copy, sha256=entry["sha256"]).sha256 == entry["sha256"]
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        load_beat_classifier(copy, sha256=entry["sha256"])
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        load_af_model(MODEL_DIR / manifest_entry("af")["file"], sha256="0" * 64)


def test_pickled_content_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, meta_json=np.asarray(json.dumps({})), obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(FormatError, match="without pickled objects"):
        load_tree_models(path, sha256=file_sha256(path))


def test_missing_arrays_are_named(tmp_path: Path) -> None:
    path = tmp_path / "empty.npz"
    sha = write_npz(path, {"v/feature": np.zeros(1, dtype=np.int64)}, {"version": "0"})
    with pytest.raises(FormatError, match="v/threshold"):
        load_tree_models(path, sha256=sha)


def test_exported_trees_equal_scikit_learn(tmp_path: Path) -> None:
    ensemble = pytest.importorskip("sklearn.ensemble")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 5))
    x[rng.random(x.shape) < 0.05] = np.nan  # missing values take the learnt side
    y_bin = (x[:, 0] + 0.5 * np.nan_to_num(x[:, 1]) > 0).astype(int)
    y_multi = np.digitize(np.nan_to_num(x[:, 2]), [-0.5, 0.5])
    names = [f"f{i}" for i in range(5)]
    fits = {}
    for key, y in (("bin", y_bin), ("multi", y_multi)):
        clf = ensemble.HistGradientBoostingClassifier(max_iter=20, random_state=0)
        fits[key] = (clf.fit(x, y), names)
    path = tmp_path / "m.npz"
    sha = export_sklearn_hgb(fits, path, {"version": "test"})
    again = export_sklearn_hgb(fits, tmp_path / "m2.npz", {"version": "test"})
    assert sha == again  # deterministic bytes
    models = load_tree_models(path, sha256=sha)
    for key, (clf, _) in fits.items():
        np.testing.assert_allclose(
            models[key].predict_proba(x), clf.predict_proba(x), rtol=0, atol=1e-12
        )
