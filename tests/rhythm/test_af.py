"""AF evidence: sinus P-wave consistency, the P-wave veto of the AF model, its training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ecgcore.errors import FormatError
from ecgcore.rhythm.af import (
    AF_FEATURE_NAMES,
    AF_VETO_FEATURE,
    AFModel,
    default_af_model,
    load_af_model,
    sinus_p_consistency,
)
from ecgcore.rhythm.trees import write_npz

_M = 46  # samples of a P-wave region on the 4 ms grid


def _p_wave() -> np.ndarray:
    g = np.arange(_M)
    return 0.15 * np.exp(-0.5 * ((g - 25) / 5.0) ** 2)


def _beats(n: int = 40, rr_s: float = 0.8) -> np.ndarray:
    return 0.5 + rr_s * np.arange(n)


def test_sinus_p_waves_are_consistent_and_fibrillation_is_not() -> None:
    rng = np.random.default_rng(0)
    t = _beats()
    sinus = _p_wave() + rng.normal(0.0, 0.005, (t.size, _M))
    fib = rng.normal(0.0, 0.05, (t.size, _M))  # no P wave, fibrillatory noise
    which = np.arange(15, 25)
    every = np.ones(t.size, dtype=bool)
    assert (sinus_p_consistency(t, every, sinus, which) > 0.95).all()
    assert (sinus_p_consistency(t, every, fib, which) < 0.5).all()


def test_premature_supraventricular_beats_are_left_out() -> None:
    rng = np.random.default_rng(1)
    t = _beats()
    pw = _p_wave() + rng.normal(0.0, 0.005, (t.size, _M))
    is_s = np.zeros(t.size, dtype=bool)
    is_s[1::2] = True  # atrial bigeminy: every other beat premature, with its own P wave
    pw[is_s] = rng.normal(0.0, 0.1, (int(is_s.sum()), _M))
    which = np.arange(15, 25)
    with_s = sinus_p_consistency(t, np.ones(t.size, dtype=bool), pw, which)
    without_s = sinus_p_consistency(t, ~is_s, pw, which)
    assert (without_s > 0.95).all() and (with_s < without_s - 0.1).all()


def test_too_few_sinus_beats_or_missing_regions_give_nan() -> None:
    t = _beats()
    pw = np.tile(_p_wave(), (t.size, 1))
    sinus = np.zeros(t.size, dtype=bool)
    sinus[[10, 12, 14, 16]] = True  # four: fewer than five
    assert np.isnan(sinus_p_consistency(t, sinus, pw, np.array([13]))).all()
    sinus[18] = True
    assert not np.isnan(sinus_p_consistency(t, sinus, pw, np.array([13]))).any()
    pw[18, 3] = np.nan  # a region with a missing sample does not count
    assert np.isnan(sinus_p_consistency(t, sinus, pw, np.array([13]))).all()


def _model(veto_above: float = 0.9) -> AFModel:
    coef = np.zeros(len(AF_FEATURE_NAMES))
    coef[0] = 1.0
    return AFModel(coef, 0.0, 0.5, veto_above, "test", "")


def test_consistent_sinus_p_waves_veto_af() -> None:
    x = np.zeros((4, len(AF_FEATURE_NAMES)))
    x[:, 0] = 3.0  # irregular: probability 0.95
    x[:, AF_FEATURE_NAMES.index("p_consistency")] = [0.2, 0.2, 0.95, 0.2]
    p_sinus = np.array([0.5, 0.97, np.nan, np.nan])
    p = _model().probability(x, p_sinus)
    expected = 1.0 / (1.0 + np.exp(-3.0))
    # kept; vetoed; no sinus value: the window's P consistency stands in (vetoed, kept)
    np.testing.assert_allclose(p, [expected, 0.0, 0.0, expected])
    x[0, 1] = np.nan
    assert np.isnan(_model().probability(x, np.full(4, 0.97))[0])  # undecided stays NaN


def test_model_file_must_name_its_veto(tmp_path: Path) -> None:
    m = default_af_model()
    arrays = {
        "coef": m.coef,
        "intercept": np.array([m.intercept]),
        "feature_names": np.asarray(AF_FEATURE_NAMES),
    }
    good = {"version": "t", "threshold": 0.5, "veto_feature": AF_VETO_FEATURE, "veto_above": 0.9}
    path = tmp_path / "af.npz"
    sha = write_npz(path, arrays, good)
    assert load_af_model(path, sha256=sha).veto_above == 0.9
    sha = write_npz(path, arrays, {k: v for k, v in good.items() if k != "veto_feature"})
    with pytest.raises(FormatError, match="veto_feature"):
        load_af_model(path, sha256=sha)


def test_shipped_veto_bound_is_high() -> None:
    m = default_af_model()
    # the 99th percentile of the training AF windows: only very consistent P waves veto
    assert 0.8 < m.veto_above < 1.0


def test_fit_af_sets_the_veto_at_the_99th_percentile_of_af_rows(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from ecgcore.rhythm.training import export_af, fit_af

    rng = np.random.default_rng(2)
    n_f = len(AF_FEATURE_NAMES)
    rows = []
    for k in range(20):
        label = "A" if k % 2 else "N"
        n = 50
        x = rng.normal(1.0 if label == "A" else -1.0, 1.0, (n, n_f))
        ps = rng.uniform(0.0, 1.0, n) if label == "A" else rng.uniform(0.9, 1.0, n)
        ps[:5] = np.nan  # the window's p_consistency stands in
        rows.append({"X": x, "P_SINUS": ps, "label": np.asarray(label)})
    noisy = rng.normal(0, 1, (10, n_f))
    rows.append({"X": noisy, "P_SINUS": np.zeros(10), "label": np.asarray("~")})
    lr, veto = fit_af(rows)
    af = [AFModel.veto_value(d["X"], d["P_SINUS"]) for d in rows if str(d["label"]) == "A"]
    assert veto == pytest.approx(np.percentile(np.concatenate(af), 99.0))
    path = tmp_path / "af.npz"
    sha = export_af((lr, veto), path, ["r"])
    model = load_af_model(path, sha256=sha)
    assert model.veto_above == pytest.approx(veto)
    meta = json.loads(str(np.load(path)["meta_json"]))
    assert meta["veto_feature"] == AF_VETO_FEATURE and meta["training_database"] == "cinc2017"
