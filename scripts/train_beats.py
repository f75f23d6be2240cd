"""Train the shipped beat classifier and measure it leave-one-record-out.

Reproduces ``ecgcore/rhythm/models/beats-<version>.npz`` exactly (same bytes,
same SHA-256) from the MIT-BIH Arrhythmia Database records of the de Chazal
DS1 training half; nothing else is used for training. Paced records (102,
104, 107, 217) are excluded, as in de Chazal et al. (2004).

Usage::

    python scripts/train_beats.py                       # train, export, update MANIFEST.json
    python scripts/train_beats.py --loo                 # leave-one-record-out EC57 figures
    python scripts/train_beats.py --loo --detected      # ... on detected R-peaks

Features come from the MLII lead at the reference beat positions
(``--detected``: R-peaks of :func:`ecgcore.detect.detect_r_peaks`, labelled
by the nearest reference beat within 150 ms, for evaluation only). They are
cached in ``--cache`` (default ``/tmp/ecgcore-beats``).
"""

from __future__ import annotations

import os

# One thread: histogram gradient boosting then sums in a fixed order, so the
# exported model is bit-for-bit reproducible.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from ecgcore.benchmarks.ec57 import compare_beats
from ecgcore.datasets import get_database
from ecgcore.detect import detect_r_peaks
from ecgcore.rhythm.beats import load_beat_classifier
from ecgcore.rhythm.features import FEATURE_NAMES, beat_features
from ecgcore.rhythm.trees import MODEL_DIR, export_sklearn_hgb

# fmt: off
DS1 = [
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122",
    "124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230",
]
# fmt: on
VERSION = "1"

#: Monotonic constraints (+1: the probability never falls when the feature grows).
MONO_V = {
    "qrs_width_s": 1,
    "width_diff_s": 1,
    "corr_qrs": -1,
    "corr_full": -1,
    "in_dominant": -1,
    "diff_energy": 1,
    "abs_log_amp_ratio": 1,
    "abs_log_area_ratio": 1,
}
MONO_S = {
    "pre_over_local": -1,
    "pre_over_avg": -1,
    "corr_qrs": 1,
    "in_dominant": 1,
    "width_diff_s": -1,
    "abs_log_area_ratio": -1,
}
HGB = {
    "max_iter": 100,
    "learning_rate": 0.1,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 100,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}
N_SUBSAMPLE = 3  # one N beat in 3 is used for training, weighted 3
#: Beats left out of training: aberrated APCs look ventricular on one lead.
EXCLUDED_SYMBOLS = ("a",)
V_THRESHOLD = 0.5
S_THRESHOLD = 0.5


def emit(*parts: object) -> None:
    """Write one line of the script's report to stdout."""
    print(*parts, flush=True)  # noqa: T201 - command-line script


def record_features(db, record: str, cache: Path, detected: bool) -> dict[str, np.ndarray]:
    """Features, AAMI labels and symbols of one record (cached)."""
    tag = "det" if detected else "ref"
    fn = cache / f"{db.info.name}_{record}_{tag}.npz"
    if fn.exists():
        with np.load(fn, allow_pickle=False) as d:
            if tuple(d["names"]) == FEATURE_NAMES:
                return {k: d[k] for k in d.files}
    rd = db.load_record(record)
    rec = rd.recording
    lead = rec.lead_index("MLII")
    ref_idx = rd.beat_idx
    ref_sym = np.asarray(rd.beat_symbols)
    ref_cls = np.asarray(rd.beat_classes)
    if detected:
        idx = detect_r_peaks(rec.lead_mv(lead), rec.fs)
        j = np.clip(np.searchsorted(ref_idx, idx), 1, len(ref_idx) - 1)
        near = np.where(idx - ref_idx[j - 1] < ref_idx[j] - idx, j - 1, j)
        ok = np.abs(ref_idx[near] - idx) <= 0.15 * rec.fs
        cls = np.where(ok, ref_cls[near], "O")
        sym = np.where(ok, ref_sym[near], "O")
    else:
        idx, cls, sym = ref_idx, ref_cls, ref_sym
    feats = beat_features(rec.lead_mv(lead), rec.fs, idx)
    out = {
        "F": feats,
        "cls": cls.astype("<U1"),
        "sym": sym.astype("<U1"),
        "idx": np.asarray(idx, dtype=np.int64),
        "fs": np.asarray(rec.fs),
        "names": np.asarray(FEATURE_NAMES),
    }
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(fn, **out)
    return out


def _columns(drop: set[str] = frozenset()) -> list[int]:
    return [i for i, n in enumerate(FEATURE_NAMES) if n not in drop]


def fit_cascade(data: list[dict[str, np.ndarray]]):
    """Fit the two stages on the given records; returns (clf_v, clf_s, columns)."""
    x = np.vstack([d["F"] for d in data])
    y = np.concatenate([d["cls"] for d in data])
    s = np.concatenate([d["sym"] for d in data])
    rng = np.random.default_rng(0)
    keep_n = (y != "N") | (rng.random(y.size) < 1.0 / N_SUBSAMPLE)
    m = np.isin(y, ["N", "S", "V"]) & ~np.isin(s, EXCLUDED_SYMBOLS) & keep_n
    x, y = x[m], y[m]
    w = np.where(y == "N", float(N_SUBSAMPLE), 1.0)
    cols = _columns()
    names = [FEATURE_NAMES[i] for i in cols]

    def model(mono: dict[str, int]) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(monotonic_cst=[mono.get(n, 0) for n in names], **HGB)

    tv = y == "V"
    wv = w * np.where(tv, np.sqrt(w[~tv].sum() / w[tv].sum()), 1.0)
    clf_v = model(MONO_V).fit(x[:, cols], tv, sample_weight=wv)
    ns = ~tv
    ts = y[ns] == "S"
    w2 = w[ns]
    ws = w2 * np.where(ts, np.sqrt(w2[~ts].sum() / w2[ts].sum()), 1.0)
    clf_s = model(MONO_S).fit(x[ns][:, cols], ts, sample_weight=ws)
    return clf_v, clf_s, names


def export(clf_v, clf_s, names, path: Path, records: list[str]) -> str:
    meta = {
        "version": VERSION,
        "kind": "beat classifier: V vs rest, then S vs N",
        "training_database": "mitdb",
        "training_records": records,
        "lead": "MLII",
        "excluded_symbols": list(EXCLUDED_SYMBOLS),
        "n_subsample": N_SUBSAMPLE,
        "hgb": HGB,
        "monotonic_v": MONO_V,
        "monotonic_s": MONO_S,
        "v_threshold": V_THRESHOLD,
        "s_threshold": S_THRESHOLD,
    }
    return export_sklearn_hgb({"v": (clf_v, names), "s": (clf_s, names)}, path, meta)


def check_export(path: Path, sha: str, models: tuple, x: np.ndarray) -> None:
    """The numba evaluation of the exported arrays must equal scikit-learn."""
    clf_v, clf_s, names = models
    bc = load_beat_classifier(path, sha256=sha)
    p_v, p_s = bc.probabilities(x)
    cols = [FEATURE_NAMES.index(n) for n in names]
    d_v = np.max(np.abs(p_v - clf_v.predict_proba(x[:, cols])[:, 1]))
    d_s = np.max(np.abs(p_s - clf_s.predict_proba(x[:, cols])[:, 1]))
    if max(d_v, d_s) > 1e-9:
        raise SystemExit(f"exported model differs from scikit-learn: {d_v:.3g} {d_s:.3g}")


def train(args: argparse.Namespace, db) -> None:
    data = [record_features(db, r, args.cache, False) for r in DS1]
    clf_v, clf_s, names = fit_cascade(data)
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"beats-{VERSION}.npz"
    path = args.out / name
    sha = export(clf_v, clf_s, names, path, DS1)
    check_export(path, sha, (clf_v, clf_s, names), np.vstack([d["F"] for d in data]))
    manifest_path = args.out / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest["beats"] = {
        "file": name,
        "version": VERSION,
        "sha256": sha,
        "bytes": path.stat().st_size,
        "script": "scripts/train_beats.py",
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    emit(f"{path}: {path.stat().st_size} bytes, sha256 {sha}")


def loo(args: argparse.Namespace, db) -> None:
    ref = {r: record_features(db, r, args.cache, False) for r in DS1}
    test = {r: record_features(db, r, args.cache, True) for r in DS1} if args.detected else ref
    total = None
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for r in DS1:
            clf_v, clf_s, names = fit_cascade([ref[q] for q in DS1 if q != r])
            path = Path(tmp) / f"loo-{r}.npz"
            sha = export(clf_v, clf_s, names, path, [q for q in DS1 if q != r])
            labels = load_beat_classifier(path, sha256=sha).classify(test[r]["F"])
            rd = db.load_record(r)
            ann = rd.annotations
            sym = {"N": "N", "S": "A", "V": "V", "F": "F", "Q": "Q"}
            c = compare_beats(
                ann.sample, test[r]["idx"], rd.recording.fs,
                ref_symbols=ann.symbol, test_symbols=[sym[x] for x in labels],
            )  # fmt: skip
            total = c if total is None else total + c
            emit(
                f"{r}: VEB Se {c.veb_se or float('nan'):.3f} +P {c.veb_ppv or float('nan'):.3f}"
                f"  SVEB Se {c.sveb_se or float('nan'):.3f} +P {c.sveb_ppv or float('nan'):.3f}",
            )
    emit(f"LOO over {len(DS1)} records in {time.time() - t0:.0f} s")
    emit("confusion (rows reference N S V F Q O, columns test n s v f q o):")
    for row, name in zip(total.matrix, "NSVFQO", strict=True):
        emit(name, " ".join(f"{v:6d}" for v in row))
    emit(
        f"gross: VEB Se {total.veb_se:.4f} +P {total.veb_ppv:.4f} FPR {total.veb_fpr:.4f}; "
        f"SVEB Se {total.sveb_se:.4f} +P {total.sveb_ppv:.4f} FPR {total.sveb_fpr:.4f}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None, help="PhysioNet data root")
    p.add_argument("--cache", type=Path, default=Path("/tmp/ecgcore-beats"))
    p.add_argument("--out", type=Path, default=MODEL_DIR)
    p.add_argument("--loo", action="store_true", help="leave-one-record-out evaluation")
    p.add_argument("--detected", action="store_true", help="LOO on detected R-peaks")
    args = p.parse_args(argv)
    db = get_database("mitdb", args.data_dir)
    if args.loo:
        loo(args, db)
    else:
        train(args, db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
