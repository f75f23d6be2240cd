"""Training of the shipped rhythm models (needs scikit-learn: ``pip install ecgcore[bench]``).

Used by ``scripts/train_beats.py``, ``scripts/train_af.py``, ``scripts/train_vf.py``
(which write the files in ``models/``) and by the rhythm benchmarks (which
refit the models without the record under test, leave-one-record-out).
Everything is deterministic: fixed seeds, one thread (set
``OMP_NUM_THREADS=1`` before importing scikit-learn, as the scripts do), so
the same data give byte-identical model files.

Training data
-------------
* beats: MIT-BIH Arrhythmia DS1 (de Chazal et al. 2004), MLII lead, reference
  beat positions, aberrated APCs (``a``) left out (they look ventricular on
  one lead); only the ``mitdb`` records listed in :data:`DS1`; every feature
  but the absolute RR intervals (:data:`BEAT_FEATURES`), the V stage with its
  timing ratios weighed by the steadiness of the dominant rhythm
  (:data:`V_FEATURES`).
* AF: PhysioNet/CinC 2017 records labelled Normal, AF or Other (Noisy left
  out); every beat with a complete window is a row labelled by its record.
* VF: 8 s windows (and their central 4 s) every second of vfdb and mitdb
  records, labelled VF when the reference rhythm is ``VF``/``VFL``/``VFIB`` or
  inside ``[``...``]``; windows
  of ventricular tachycardia are left out (the detector does not try to tell
  VT from VF by the waveform; the beat classifier does).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from ecgcore.rhythm._preprocess import P_SLICE, CausalBandpass
from ecgcore.rhythm.af import (
    AF_ECTOPIC_CLASSES,
    AF_FEATURE_NAMES,
    AF_VETO_FEATURE,
    AFModel,
    af_features,
    sinus_p_consistency,
)
from ecgcore.rhythm.analyzer import RhythmConfig
from ecgcore.rhythm.beats import BeatClassifier, load_beat_classifier
from ecgcore.rhythm.features import FEATURE_NAMES, BeatFeatureExtractor, rr_post_intervals
from ecgcore.rhythm.trees import MODEL_DIR, export_sklearn_hgb, write_npz
from ecgcore.rhythm.vf import (
    VF_FEATURE_NAMES,
    VF_SHORT_FEATURE_NAMES,
    VF_WINDOW_S,
    vf_short_features,
    vf_window_features,
)

__all__ = [
    "BEAT_FEATURES",
    "DS1",
    "beat_rows",
    "fit_af",
    "fit_beats",
    "fit_vf",
    "record_lead",
    "update_manifest",
    "vf_rows",
]

# fmt: off
#: MIT-BIH Arrhythmia records of the de Chazal DS1 training half.
DS1: Final[tuple[str, ...]] = (
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122",
    "124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230",
)
# fmt: on

# -- beats -------------------------------------------------------------------
BEAT_VERSION: Final = "4"
#: Absolute RR intervals (s) are left out of the beat models: a patient's own
#: heart rate tells the patients of the training set apart, and trees fitted on
#: it learn which patients had ectopic beats instead of what makes a beat
#: ectopic (a fast patient's premature beats then go unnoticed). The models see
#: the RR intervals only as ratios to the patient's local and average rhythm.
ABSOLUTE_RR: Final = ("rr_pre_s", "rr_post_s", "rr_local_s", "rr_avg_s")
#: The rhythm-steadiness columns (:mod:`ecgcore.rhythm.features`): the V stage
#: sees the timing only through them, the S stage not at all.
STEADY: Final = tuple(
    n for n in FEATURE_NAMES if n == "dominant_rr_dispersion" or n.endswith("_steady")
)
BEAT_FEATURES: Final[tuple[str, ...]] = tuple(
    n for n in FEATURE_NAMES if n not in ABSOLUTE_RR and n not in STEADY
)
#: The V stage also leaves out the raw amplitude and slope ratios against the
#: template: noise and axis shifts change them in normal beats of some patients;
#: the V stage sees the amplitude change only against the patient's typical one.
V_EXCLUDED: Final = (
    "amp_ratio",
    "abs_log_amp_ratio",
    "slope_ratio",
    "t_amp_ratio",
    "p_energy_ratio",
)
#: In the V stage each timing ratio is replaced by its ``*_steady`` version: an
#: early beat or a long pause weighs less when the dominant rhythm is irregular
#: (atrial fibrillation with aberrant conduction is not ventricular ectopy).
V_STEADY: Final = tuple(n.removesuffix("_steady") for n in STEADY if n.endswith("_steady"))
V_FEATURES: Final[tuple[str, ...]] = tuple(
    f"{n}_steady" if n in V_STEADY else n for n in BEAT_FEATURES if n not in V_EXCLUDED
)
S_FEATURES: Final[tuple[str, ...]] = BEAT_FEATURES
#: Monotonic constraints (+1: the probability never falls when the feature grows).
MONO_V: Final = {
    "qrs_width_s": 1,
    "width_diff_s": 1,
    "corr_qrs": -1,
    "corr_full": -1,
    "in_dominant": -1,
    "diff_energy": 1,
    "abs_log_amp_ratio": 1,
    "abs_log_area_ratio": 1,
    "width_over_typical": 1,
    "corr_loss_over_typical": 1,
    "log_energy_over_typical": 1,
    "amp_change_over_typical": 1,
    "cluster_prematurity_steady": -1,
    "cluster_share": -1,
}
MONO_S: Final = {
    "pre_over_local": -1,
    "pre_over_avg": -1,
    "corr_qrs": 1,
    "in_dominant": 1,
    "width_diff_s": -1,
    "abs_log_area_ratio": -1,
    "width_over_typical": -1,
    "corr_loss_over_typical": -1,
}
BEAT_HGB: Final = {
    "max_iter": 100,
    "learning_rate": 0.1,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 100,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}
N_SUBSAMPLE: Final = 3  # one N beat in 3 is used for training, weighted 3
#: A record weighs at most this many beats of each ectopic class (S, V): the
#: few patients with hundreds of ectopic beats must not set alone what an
#: ectopic beat looks like.
RECORD_CAP: Final = 300.0
EXCLUDED_SYMBOLS: Final = ("a",)
V_THRESHOLD: Final = 0.5
S_THRESHOLD: Final = 0.5

# -- AF ----------------------------------------------------------------------
AF_VERSION: Final = "4"
AF_THRESHOLD: Final = 0.5
AF_C: Final = 1.0
#: The P-wave veto bound is this percentile of the veto feature over the AF
#: rows: at most 1 % of the training AF windows are vetoed.
AF_VETO_PERCENTILE: Final = 99.0

# -- VF ----------------------------------------------------------------------
VF_VERSION: Final = "3"
#: ``min_samples_leaf`` is of the order of one record's VF windows (22-650 per
#: vfdb record): a leaf cannot be fitted to the waveform of one patient alone,
#: which a model must not rely on to score patients it never saw.
VF_HGB: Final = {
    "max_iter": 60,
    "learning_rate": 0.1,
    "max_leaf_nodes": 8,
    "min_samples_leaf": 400,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}
VF_CODES: Final = frozenset({"VF", "VFL", "VFIB"})
VF_POSITIVE_WEIGHT: Final = 0.2  # of the balanced weight: the false-alarm cost is higher


def record_lead(recording: Any) -> int:
    """Index of the analysed lead (MLII/II if present, else 0)."""
    from ecgcore.analysis import default_analysis_lead  # noqa: PLC0415

    return default_analysis_lead(recording)


def _code_digest() -> str:
    """Digest of the feature code: cached features are reused only while it is unchanged."""
    import hashlib  # noqa: PLC0415

    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in ("_preprocess.py", "_rhythm_numba.py", "features.py", "af.py", "vf.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()[:12]


def _cached(cache: Path | None, name: str, make: Any) -> dict[str, np.ndarray]:
    name = f"{_code_digest()}_{name}"
    if cache is not None:
        fn = cache / name
        if fn.exists():
            with np.load(fn, allow_pickle=False) as d:
                return {k: d[k] for k in d.files}
    out = make()
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(cache / name, **out)
    return out


def beat_rows(db: Any, record: str, *, cache: Path | None = None) -> dict[str, np.ndarray]:
    """Features ``F``, AAMI classes ``cls`` and symbols ``sym`` of a record's reference beats."""

    def make() -> dict[str, np.ndarray]:
        rd = db.load_record(record)
        rec = rd.recording
        x = rec.lead_mv(record_lead(rec))
        idx = rd.beat_idx
        y = CausalBandpass(rec.fs).process(x)
        rr_post = rr_post_intervals(idx, rec.fs, x.size, RhythmConfig().rr_cap_s)
        feats = BeatFeatureExtractor(rec.fs).compute(idx, rr_post, y, 0)
        return {
            "F": feats,
            "cls": np.asarray(rd.beat_classes, dtype="<U1"),
            "sym": np.asarray(rd.beat_symbols, dtype="<U1"),
            "idx": idx,
            "names": np.asarray(FEATURE_NAMES),
        }

    tag = f"beats_{db.info.name}_{record}_{len(FEATURE_NAMES)}.npz"
    return _cached(cache, tag, make)


def _record_weights(cls: np.ndarray) -> np.ndarray:
    """Weight of each beat of one record: its S and V beats weigh at most :data:`RECORD_CAP`."""
    w = np.ones(cls.size)
    for c in ("S", "V"):
        m = cls == c
        if m.sum() > RECORD_CAP:
            w[m] = RECORD_CAP / m.sum()
    return w


def fit_beats(rows: Sequence[dict[str, np.ndarray]]) -> tuple[Any, Any, list[str], list[str]]:
    """Fit the V and S stages; returns ``(clf_v, clf_s, v_feature_names, s_feature_names)``."""
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: PLC0415

    x = np.vstack([d["F"] for d in rows])
    y = np.concatenate([d["cls"] for d in rows])
    s = np.concatenate([d["sym"] for d in rows])
    w = np.concatenate([_record_weights(d["cls"]) for d in rows])
    rng = np.random.default_rng(0)
    keep_n = (y != "N") | (rng.random(y.size) < 1.0 / N_SUBSAMPLE)
    m = np.isin(y, ["N", "S", "V"]) & ~np.isin(s, EXCLUDED_SYMBOLS) & keep_n
    x, y, w = x[m], y[m], w[m]
    w = w * np.where(y == "N", float(N_SUBSAMPLE), 1.0)

    def model(names: Sequence[str], mono: dict[str, int]) -> Any:
        return HistGradientBoostingClassifier(
            monotonic_cst=[mono.get(n, 0) for n in names], **BEAT_HGB
        )

    def cols(names: Sequence[str]) -> list[int]:
        return [FEATURE_NAMES.index(n) for n in names]

    tv = y == "V"
    wv = w * np.where(tv, np.sqrt(w[~tv].sum() / w[tv].sum()), 1.0)
    clf_v = model(V_FEATURES, MONO_V).fit(x[:, cols(V_FEATURES)], tv, sample_weight=wv)
    ns = ~tv
    ts = y[ns] == "S"
    w2 = w[ns]
    ws = w2 * np.where(ts, np.sqrt(w2[~ts].sum() / w2[ts].sum()), 1.0)
    clf_s = model(S_FEATURES, MONO_S).fit(x[ns][:, cols(S_FEATURES)], ts, sample_weight=ws)
    return clf_v, clf_s, list(V_FEATURES), list(S_FEATURES)


def export_beats(
    fit: tuple[Any, Any, list[str], list[str]], path: Path, records: Sequence[str]
) -> str:
    """Write a fitted beat cascade; returns its SHA-256."""
    clf_v, clf_s, names_v, names_s = fit
    meta = {
        "version": BEAT_VERSION,
        "kind": "beat classifier: V vs rest, then S vs N",
        "training_database": "mitdb",
        "training_records": list(records),
        "lead": "MLII",
        "excluded_symbols": list(EXCLUDED_SYMBOLS),
        "excluded_features": list(ABSOLUTE_RR),
        "v_excluded_features": list(V_EXCLUDED),
        "n_subsample": N_SUBSAMPLE,
        "record_cap": RECORD_CAP,
        "hgb": BEAT_HGB,
        "monotonic_v": MONO_V,
        "monotonic_s": MONO_S,
        "v_threshold": V_THRESHOLD,
        "s_threshold": S_THRESHOLD,
    }
    return export_sklearn_hgb({"v": (clf_v, names_v), "s": (clf_s, names_s)}, path, meta)


def check_beats_export(
    path: Path, sha: str, fit: tuple[Any, Any, list[str], list[str]], x: np.ndarray
) -> BeatClassifier:
    """Load an exported cascade and check it equals scikit-learn on ``x``
    (columns :data:`~ecgcore.rhythm.features.FEATURE_NAMES`)."""
    clf_v, clf_s, names_v, names_s = fit
    bc = load_beat_classifier(path, sha256=sha)
    p_v, p_s = bc.probabilities(x)
    xv = x[:, [FEATURE_NAMES.index(n) for n in names_v]]
    xs = x[:, [FEATURE_NAMES.index(n) for n in names_s]]
    d_v = np.max(np.abs(p_v - clf_v.predict_proba(xv)[:, 1]))
    d_s = np.max(np.abs(p_s - clf_s.predict_proba(xs)[:, 1]))
    if max(d_v, d_s) > 1e-9:
        raise RuntimeError(f"exported beat model differs from scikit-learn: {d_v:.3g} {d_s:.3g}")
    return bc


# -- AF ----------------------------------------------------------------------
def af_rows(
    db: Any, record: str, beat_classifier: BeatClassifier, *, cache: Path | None = None
) -> dict[str, np.ndarray]:
    """AF features (``X``) and sinus P-wave consistency (``P_SINUS``) of every beat of a
    record, with the record label (``label``)."""

    def make() -> dict[str, np.ndarray]:
        from ecgcore.detect import detect_r_peaks  # noqa: PLC0415

        rd = db.load_record(record)
        rec = rd.recording
        x = rec.lead_mv(record_lead(rec))
        idx = detect_r_peaks(x, rec.fs)
        cfg = RhythmConfig()
        if idx.size < 10:
            feats = np.full((0, len(AF_FEATURE_NAMES)), np.nan)
            p_sinus = np.full(0, np.nan)
        else:
            y = CausalBandpass(rec.fs).process(x)
            rr_post = rr_post_intervals(idx, rec.fs, x.size, cfg.rr_cap_s)
            f, windows = BeatFeatureExtractor(rec.fs).compute_with_windows(idx, rr_post, y, 0)
            cls = beat_classifier.classify(f)
            t_s, pw, which = idx / rec.fs, windows[:, P_SLICE], np.arange(idx.size)
            ahead_s = cfg.effective_lookahead_s
            feats = af_features(t_s, np.isin(cls, AF_ECTOPIC_CLASSES), pw, which, ahead_s=ahead_s)
            p_sinus = sinus_p_consistency(t_s, cls == "N", pw, which, ahead_s=ahead_s)
        return {"X": feats, "P_SINUS": p_sinus, "label": np.asarray(rd.label or "")}

    tag = f"af3_{db.info.name}_{record}_{beat_classifier.sha256[:12]}.npz"
    return _cached(cache, tag, make)


def fit_af(rows: Sequence[dict[str, np.ndarray]]) -> tuple[Any, float]:
    """Logistic regression AF (record label ``A``) vs Normal/Other, on complete rows.

    Returns the regression and the veto bound (:data:`AF_VETO_PERCENTILE` of
    the veto feature, :meth:`AFModel.veto_value`, over the AF rows).
    """
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    xs, vs, ys = [], [], []
    for d in rows:
        label = str(d["label"])
        if label not in ("N", "A", "O"):
            continue
        x = d["X"]
        ok = ~np.isnan(x).any(axis=1)
        xs.append(x[ok])
        vs.append(AFModel.veto_value(x[ok], d["P_SINUS"][ok]))
        ys.append(np.full(int(ok.sum()), label == "A"))
    x = np.vstack(xs)
    y = np.concatenate(ys)
    lr = LogisticRegression(C=AF_C, max_iter=2000).fit(x, y)
    veto = np.concatenate(vs)[y]
    return lr, float(np.percentile(veto, AF_VETO_PERCENTILE))


def export_af(
    fit: tuple[Any, float], path: Path, records: Sequence[str], *, beat_model: str = ""
) -> str:
    """Write the AF logistic regression and its veto bound; returns its SHA-256.

    ``beat_model`` is the version of the beat classifier whose ventricular
    labels chose the training intervals (the model must be refitted when it
    changes).
    """
    lr, veto_above = fit
    meta = {
        "version": AF_VERSION,
        "beat_model": beat_model,
        "kind": "AF logistic regression over RR irregularity and P-wave consistency",
        "training_database": "cinc2017",
        "n_training_records": len(records),
        "threshold": AF_THRESHOLD,
        "C": AF_C,
        "veto_feature": AF_VETO_FEATURE,
        "veto_above": veto_above,
        "veto_percentile": AF_VETO_PERCENTILE,
    }
    arrays = {
        "coef": np.asarray(lr.coef_, dtype=np.float64).reshape(-1),
        "intercept": np.asarray(lr.intercept_, dtype=np.float64).reshape(-1),
        "feature_names": np.asarray(AF_FEATURE_NAMES),
    }
    return write_npz(path, arrays, meta)


# -- VF ----------------------------------------------------------------------
def vf_rows(db: Any, record: str, *, cache: Path | None = None) -> dict[str, np.ndarray]:
    """VF window features (``X``: 8 s, ``XS``: central 4 s) at every 1 s segment and the
    reference code (``code``)."""

    def make() -> dict[str, np.ndarray]:
        rd = db.load_record(record)
        rec = rd.recording
        fs = rec.fs
        x = rec.lead_mv(record_lead(rec))
        y = CausalBandpass(fs).process(x)
        n = x.size
        half = round(VF_WINDOW_S / 2 * fs)
        seg = RhythmConfig().segment_s * fs
        n_seg = int(np.ceil(n / seg))
        mids = np.array(
            [(round(j * seg) + min(round((j + 1) * seg), n)) // 2 for j in range(n_seg)]
        )
        windows = [(y[max(m - half, 0) : min(m + half, n)], m - max(m - half, 0)) for m in mids]
        feats = np.vstack([vf_window_features(w, fs) for w, _ in windows])
        short = np.vstack([vf_short_features(w, fs, c) for w, c in windows])
        code = np.full(mids.size, "", dtype="<U8")
        for sample, c in rd.rhythm_changes:
            code[mids >= sample] = c
        ann = rd.annotations
        if ann is not None:
            on = None
            for sample, sym in zip(ann.sample.tolist(), ann.symbol, strict=True):
                if sym == "[":
                    on = sample
                elif sym == "]" and on is not None:
                    code[(mids >= on) & (mids < sample)] = "VFL"
                    on = None
        return {"X": feats, "XS": short, "code": code, "mid": mids, "fs": np.asarray(fs)}

    n_feats = len(VF_FEATURE_NAMES) + len(VF_SHORT_FEATURE_NAMES)
    return _cached(cache, f"vf_{db.info.name}_{record}_{n_feats}.npz", make)


def fit_vf(rows: Sequence[dict[str, np.ndarray]]) -> tuple[Any, Any]:
    """Gradient-boosted trees VF/VFL vs everything but VT: ``(long, short)`` windows."""
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: PLC0415

    x = np.vstack([d["X"] for d in rows])
    xs = np.vstack([d["XS"] for d in rows])
    code = np.concatenate([d["code"] for d in rows])
    m = ~np.isnan(x).any(axis=1) & ~np.isnan(xs).any(axis=1) & (code != "VT")
    x, xs, code = x[m], xs[m], code[m]
    y = np.isin(code, list(VF_CODES))
    w = np.where(y, VF_POSITIVE_WEIGHT * (~y).sum() / max(y.sum(), 1), 1.0)
    long = HistGradientBoostingClassifier(**VF_HGB).fit(x, y, sample_weight=w)
    short = HistGradientBoostingClassifier(**VF_HGB).fit(xs, y, sample_weight=w)
    return long, short


def export_vf(fit: tuple[Any, Any], path: Path, records: Sequence[str]) -> str:
    """Write the VF window models; returns the file's SHA-256."""
    long, short = fit
    meta = {
        "version": VF_VERSION,
        "kind": "VF/VFL window classifiers (8 s window; its central 4 s confirms each second)",
        "training_records": list(records),
        "hgb": VF_HGB,
        "positive_weight": VF_POSITIVE_WEIGHT,
    }
    models = {
        "vf": (long, list(VF_FEATURE_NAMES)),
        "vf_short": (short, list(VF_SHORT_FEATURE_NAMES)),
    }
    return export_sklearn_hgb(models, path, meta)


def update_manifest(name: str, path: Path, sha: str, version: str, script: str) -> None:
    """Record a model file and its checksum in ``MANIFEST.json`` beside it."""
    manifest_path = path.parent / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest[name] = {
        "file": path.name,
        "version": version,
        "sha256": sha,
        "bytes": path.stat().st_size,
        "script": script,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


#: Where the shipped files go.
DEFAULT_MODEL_DIR: Final = MODEL_DIR
