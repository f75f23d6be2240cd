"""Validation of the grading on real recordings (and fitting of its shipped models).

Run::

    python -m ecgcore.benchmarks.grading_validation --evaluate --jobs 2 --out benchmarks/results
    python -m ecgcore.benchmarks.grading_validation --fit     # rewrite the shipped models

Data (``--data-dir`` or ``$ECGCORE_DATA_DIR`` or ``../shared/datasets``):

* clean references: every LUDB and PTB-XL record present. PTB-XL records
  with ``electrodes_problems`` are left out of training; records with any of
  ``baseline_drift``, ``static_noise``, ``burst_noise``, ``electrodes_problems``
  are left out of the clean false-finding rate and used for the label table;
* CinC 2011 set-a with ``REFERENCE.csv`` (acceptable/unacceptable).

``--evaluate`` (all figures held out):

1. placement and artefact faults: 5-fold cross-validation grouped by patient
   over LUDB + PTB-XL. In each fold the placement classifiers and their
   thresholds are fitted on the training records only (thresholds from inner
   cross-validation, :mod:`ecgcore.benchmarks.grading_fit`); every test record
   is then graded end to end by :func:`ecgcore.grading.grade_recording` as
   recorded and with each fault of :mod:`ecgcore.benchmarks.grading_faults`;
2. acceptability: 10-fold stratified cross-validation on CinC 2011, repeated
   with 5 shuffles; the rule is fitted on the training folds, and the held-out
   records are graded end to end with it;
3. PTB-XL quality labels: how often the matching finding is raised (the
   artefact limits are not fitted on PTB-XL).

``--fit`` fits the shipped models on all records: ``limb_reversal.npz`` and
``precordial_swap.npz`` on LUDB + PTB-XL, ``acceptability.json`` on CinC 2011.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import shlex
import sys
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ecgcore.benchmarks.grading_faults import FAULTS, apply_fault
from ecgcore.benchmarks.grading_fit import (
    fit_acceptability,
    fit_placement_models,
    predict_acceptability,
)
from ecgcore.benchmarks.pacing import ludb_paced, ptbxl_paced
from ecgcore.benchmarks.results_md import replace_results_block
from ecgcore.datasets import get_database
from ecgcore.datasets.metadata import ptbxl_table
from ecgcore.grading import (
    ARTEFACT_LIMITS,
    AcceptabilityRule,
    beat_agreement,
    grade_recording,
    median_beats,
    standard_leads_mv,
)
from ecgcore.grading.artefacts import clipped_plateaus, recording_rail_mv
from ecgcore.io import read_record
from ecgcore.quality import compute_indices
from ecgcore.recording import Recording

COMMAND = "python -m ecgcore.benchmarks.grading_validation --evaluate --jobs 2"
#: Key of the RESULTS.md block this module owns.
RESULTS_KEY = "python -m ecgcore.benchmarks.grading_validation"
#: Missed record names listed per fault in RESULTS.md (all of them are in the results files).
_MISSES_SHOWN = 12
MODELS_DIR = Path(__file__).resolve().parents[1] / "ecgcore" / "grading" / "models"
PTBXL_LABELS = ("electrodes_problems", "baseline_drift", "static_noise", "burst_noise")
SETTINGS_CODES = frozenset({"NO_CALIBRATION"})  # database records never carry a pulse
#: The informational finding of a ventricular-paced recording: true on a record the
#: database labels paced, a false finding on any other.
NOT_ASSESSABLE = "PLACEMENT_NOT_ASSESSABLE"


def false_codes(row: dict) -> set[str]:
    """Codes of a clean record's grading that are false findings."""
    codes = set(row["codes"]) - SETTINGS_CODES
    if row.get("paced"):
        codes.discard(NOT_ASSESSABLE)
    return codes


@dataclasses.dataclass
class PoolRecord:
    """A clean reference record."""

    dataset: str
    record: str
    group: str
    signals: np.ndarray
    fs: float
    labels: dict[str, str]
    paced: bool = False

    @property
    def key(self) -> str:
        return f"{self.dataset}:{self.record}"

    @property
    def labelled(self) -> bool:
        return any(self.labels.get(k) for k in PTBXL_LABELS)


def load_pool(data_dir: str | None, limit: int | None = None) -> list[PoolRecord]:
    """LUDB and PTB-XL records as standard 12-lead arrays (mV).

    ``paced`` comes from the databases' own labels: LUDB's ``Cardiac pacing`` column,
    PTB-XL's SCP code ``PACE`` (read as the pacing benchmark reads them:
    :func:`ecgcore.benchmarks.pacing.ludb_paced`, :func:`~ecgcore.benchmarks.pacing.ptbxl_paced`).
    """
    pool: list[PoolRecord] = []
    ludb = get_database("ludb", data_dir)
    pacing = ludb_paced(ludb.path)
    for r in ludb.records()[:limit]:
        rec, _ = ludb.load(r)
        x, _ = standard_leads_mv(rec)
        pool.append(PoolRecord("ludb", r, f"ludb:{r}", x, rec.fs, {}, pacing.get(r, False)))
    ptb = get_database("ptb-xl", data_dir)
    table = ptbxl_table(ptb.path)
    ptb_pacing = ptbxl_paced(ptb.path)
    for r in ptb.records()[:limit]:
        rec, _ = ptb.load(r)
        x, _ = standard_leads_mv(rec)
        row = table.get(r, {})
        labels = {k: (row.get(k) or "").strip() for k in PTBXL_LABELS}
        group = f"ptbxl:{int(float(row['patient_id']))}" if row.get("patient_id") else r
        pool.append(PoolRecord("ptbxl", r, group, x, rec.fs, labels, ptb_pacing.get(r, False)))
    return pool


def _training_beats(
    pool: Sequence[PoolRecord], cache: dict[str, Any] | None = None
) -> tuple[list, np.ndarray]:
    """Median beats of the records fit for training (``cache``: key -> beats, reused)."""
    mbs, groups = [], []
    for p in pool:
        if p.labels.get("electrodes_problems"):
            continue
        if cache is not None and p.key in cache:
            mb = cache[p.key]
        else:
            mb = median_beats(p.signals, p.fs)
            if cache is not None:
                cache[p.key] = mb
        if mb is None or not np.isfinite(mb.beats).all():
            continue
        mbs.append(mb)
        groups.append(p.group)
    return mbs, np.asarray(groups)


# ------------------------------------------------------------------ CinC 2011
def cinc_features(data_dir: str | None) -> tuple[list[str], dict[str, np.ndarray], np.ndarray]:
    """Per-lead acceptability features of CinC 2011 set-a and the reference grades."""
    db = get_database("cinc2011", data_dir)
    names, labels = [], []
    cols: dict[str, list] = defaultdict(list)
    off_limits = [lim for lim in ARTEFACT_LIMITS if lim.code == "LEAD_OFF"]
    for r in db.records():
        label = db.label(r)
        if label not in ("acceptable", "unacceptable"):
            continue
        rec, _ = db.load(r)
        x, _ = standard_leads_mv(rec)
        rail = recording_rail_mv(rec)
        ind = compute_indices(x, rec.fs, rail_mv=rail)
        ind["beat_agreement"] = beat_agreement(x, rec.fs)
        off = np.zeros(x.shape[1], dtype=bool)
        for lim in off_limits:
            off |= np.array([lim.hit(float(v)) for v in ind[lim.index]])
        cols["off"].append(off)
        cols["clipped"].append(np.nan_to_num(clipped_plateaus(x, rec.fs, rail), nan=0.0))
        cols["baseline"].append(np.nan_to_num(ind["baseline_mv"], nan=0.0))
        cols["agreement"].append(ind["beat_agreement"])
        cols["emg"].append(np.nan_to_num(ind["emg_mv"], nan=0.0))
        cols["amplitude"].append(np.nan_to_num(ind["amplitude_mv"], nan=0.0))
        names.append(r)
        labels.append(label == "acceptable")
    feats = {k: np.asarray(v) for k, v in cols.items()}
    return names, feats, np.asarray(labels)


def _rule(params: dict[str, float], source: str) -> AcceptabilityRule:
    return AcceptabilityRule(
        clipped=params["clipped"],
        baseline_mv=params["baseline_mv"],
        agreement=params["agreement"],
        emg_mv=params["emg_mv"],
        amplitude_mv=params["amplitude_mv"],
        min_unreadable=int(params["min_unreadable"]),
        source=source,
    )


def _grade_cinc(args: tuple[str, str | None, dict[str, float]]) -> tuple[str, bool, tuple]:
    record, data_dir, params = args
    db = get_database("cinc2011", data_dir)
    rec = read_record(db.record_file(record))
    g = grade_recording(rec, acceptability=_rule(params, "fold"))
    return record, g.acceptable, g.codes


def evaluate_cinc(
    data_dir: str | None, jobs: int, seeds: int = 5, folds: int = 10
) -> dict[str, Any]:
    """Cross-validated acceptability accuracy on CinC 2011 set-a."""
    from sklearn.model_selection import StratifiedKFold

    names, feats, y = cinc_features(data_dir)
    accs = []
    end_to_end = None
    fold_params = []
    for seed in range(seeds):
        pred = np.zeros(y.size, dtype=bool)
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        for tr, te in splitter.split(np.zeros(y.size), y):
            sub = {k: v[tr] for k, v in feats.items()}
            params = fit_acceptability(sub, y[tr])
            pred[te] = predict_acceptability({k: v[te] for k, v in feats.items()}, params)
            if seed == 0:
                fold_params.append((te, params))
        accs.append(float(np.mean(pred == y)))
        if seed == 0:
            end_to_end = pred
    # end to end: grade every held-out record with its fold's rule (seed 0)
    tasks = [(names[i], data_dir, params) for te, params in fold_params for i in te]
    graded = dict((r, (a, c)) for r, a, c in _map(_grade_cinc, tasks, jobs))
    e2e = np.array([graded[n][0] for n in names])
    truth = y
    misses = [
        {"record": n, "truth": "acceptable" if t else "unacceptable", "codes": list(graded[n][1])}
        for n, t, p in zip(names, truth, e2e, strict=True)
        if t != p
    ]
    return {
        "n": int(y.size),
        "n_acceptable": int(y.sum()),
        "cv_accuracy_mean": float(np.mean(accs)),
        "cv_accuracy_per_shuffle": accs,
        "end_to_end_accuracy": float(np.mean(e2e == truth)),
        "end_to_end_matches_rule": bool(np.array_equal(e2e, end_to_end)),
        "se_unacceptable": float(np.mean(~e2e[~truth])),
        "sp_acceptable": float(np.mean(e2e[truth])),
        "fold_params": [p for _, p in fold_params],
        "misses": misses,
    }


# ------------------------------------------------------------------ faults, CV
_WORKER_POOL: list[PoolRecord] = []


def _init_worker(pool: list[PoolRecord]) -> None:
    _WORKER_POOL[:] = pool


def _grade_faults(args: tuple[int, str, str, str | None, tuple[str, ...]]) -> list[dict]:
    index, limb_path, prec_path, data_dir, fault_names = args
    p = _WORKER_POOL[index]
    out = []
    for name in fault_names:
        seed = zlib.crc32(f"{p.key}/{name}".encode())
        faulted = apply_fault(name, p.signals, p.fs, seed=seed, data_dir=data_dir)
        rec = Recording.from_physical(
            faulted.signals,
            faulted.fs,
            faulted.lead_names,
            name=f"{p.record}_{name}",
            metadata=dict(faulted.metadata),
        )
        g = grade_recording(rec, limb_model=limb_path, precordial_model=prec_path)
        out.append(
            {
                "key": p.key,
                "dataset": p.dataset,
                "fault": name,
                "codes": list(g.codes),
                "leads": {f.code: list(f.leads) for f in g.findings},
                "acceptable": g.acceptable,
                "labelled": p.labelled,
                "labels": p.labels,
                "paced": p.paced,
            }
        )
    return out


def _map(func, tasks, jobs, initializer=None, initargs=()):
    if jobs <= 1:
        if initializer is not None:
            initializer(*initargs)
        for t in tasks:
            yield func(t)
        return
    with ProcessPoolExecutor(jobs, initializer=initializer, initargs=initargs) as ex:
        yield from ex.map(func, tasks, chunksize=1)


def evaluate_faults(
    pool: list[PoolRecord], data_dir: str | None, jobs: int, folds: int, faults: Sequence[str]
) -> tuple[list[dict], list[dict]]:
    """Grade every record, clean and faulted, with models fitted without its fold."""
    from sklearn.model_selection import GroupKFold

    groups = np.array([p.group for p in pool])
    rows: list[dict] = []
    fold_info = []
    splitter = GroupKFold(n_splits=folds)
    cache: dict[str, Any] = {}  # median beats depend on the record only: computed once
    for k, (tr, te) in enumerate(splitter.split(np.zeros(len(pool)), groups=groups)):
        t0 = time.perf_counter()
        mbs, g = _training_beats([pool[i] for i in tr], cache)
        with tempfile.TemporaryDirectory() as tmp:
            limb_path, prec_path = fit_placement_models(mbs, g, tmp)
            with np.load(limb_path) as lm, np.load(prec_path) as pm:
                fold_info.append(
                    {
                        "fold": k,
                        "n_train": len(mbs),
                        "n_test": len(te),
                        "limb_threshold": float(lm["decision_threshold"]),
                        "precordial_threshold": float(pm["decision_threshold"]),
                    }
                )
            tasks = [(int(i), str(limb_path), str(prec_path), data_dir, tuple(faults)) for i in te]
            for batch in _map(_grade_faults, tasks, jobs, _init_worker, (pool,)):
                rows.extend(batch)
        sys.stderr.write(
            f"fold {k + 1}/{folds}: models fitted on {len(mbs)} records, {len(te)} records "
            f"graded in {time.perf_counter() - t0:.0f} s\n"
        )
    return rows, fold_info


# ------------------------------------------------------------------ tables
def fault_table(rows: list[dict]) -> list[dict]:
    """Per fault: records, detected (an expected code raised), other findings."""
    by_fault: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_fault[r["fault"]].append(r)
    table = []
    for name, fault in FAULTS.items():
        rs = by_fault.get(name, [])
        if not rs:
            continue
        if name == "clean":
            rs = [r for r in rs if not r["labelled"]]
        hit = [bool(fault.expected & set(r["codes"])) for r in rs]
        bad = [bool(fault.forbidden & set(r["codes"])) for r in rs]
        exact = None
        if fault.group == "precordial":
            pair = name.removeprefix("swap_").split("_")
            exact = sum(sorted(r["leads"].get("PRECORDIAL_SWAP", [])) == sorted(pair) for r in rs)
        other = Counter(
            c
            for r in rs
            for c in r["codes"]
            if c not in fault.expected and c not in SETTINGS_CODES
        )
        per_ds = {
            ds: f"{sum(h for h, r in zip(hit, rs, strict=True) if r['dataset'] == ds)}/"
            f"{sum(r['dataset'] == ds for r in rs)}"
            for ds in ("ludb", "ptbxl")
        }
        missed = [r["key"] for h, r in zip(hit, rs, strict=True) if not h and fault.expected]
        table.append(
            {
                "fault": name,
                "group": fault.group,
                "expected": sorted(fault.expected),
                "n": len(rs),
                "detected": int(sum(hit)),
                "rate": float(np.mean(hit)) if fault.expected else None,
                "forbidden_raised": int(sum(bad)),
                "exact_pair": exact,
                "per_dataset": per_ds,
                "other_codes": dict(other.most_common(6)),
                "missed": missed,
            }
        )
    return table


def clean_summary(rows: list[dict]) -> dict[str, Any]:
    """False findings on the clean, unlabelled records."""
    clean = [r for r in rows if r["fault"] == "clean" and not r["labelled"]]
    false_rec = [r for r in clean if false_codes(r)]
    per_code = Counter(c for r in clean for c in false_codes(r))
    every = [r for r in rows if r["fault"] == "clean"]  # pacing: quality labels aside
    limb = {c for c in per_code if c.startswith("LIMB_REVERSAL")}
    return {
        "n": len(clean),
        "n_labelled": sum(1 for r in rows if r["fault"] == "clean" and r["labelled"]),
        "records_with_false_finding": len(false_rec),
        "false_finding_rate": len(false_rec) / max(1, len(clean)),
        "per_code": dict(per_code.most_common()),
        "limb_specificity": 1
        - sum(1 for r in clean if limb & set(r["codes"])) / max(1, len(clean)),
        "precordial_specificity": 1
        - sum(1 for r in clean if {"PRECORDIAL_SWAP"} & set(r["codes"])) / max(1, len(clean)),
        "false_records": [{"key": r["key"], "codes": r["codes"]} for r in false_rec],
        "not_acceptable": [r["key"] for r in clean if not r["acceptable"]],
        "pacing": {
            "labelled_paced": [r["key"] for r in every if r.get("paced")],
            "not_assessable_paced": [
                r["key"] for r in every if r.get("paced") and NOT_ASSESSABLE in r["codes"]
            ],
            "not_assessable_unpaced": [
                r["key"] for r in every if not r.get("paced") and NOT_ASSESSABLE in r["codes"]
            ],
            "n": len(every),
        },
    }


def label_table(rows: list[dict]) -> list[dict]:
    """PTB-XL quality labels against the findings raised on the recordings as they are."""
    expect = {
        "baseline_drift": {"BASELINE_WANDER"},
        "static_noise": {"MUSCLE_NOISE", "POWERLINE_NOISE", "MOTION_ARTIFACT"},
        "burst_noise": {"MOTION_ARTIFACT", "MUSCLE_NOISE"},
        "electrodes_problems": None,
    }
    clean = [r for r in rows if r["fault"] == "clean" and r["dataset"] == "ptbxl"]
    out = []
    for label, codes in expect.items():
        rs = [r for r in clean if r["labels"].get(label)]
        unl = [r for r in clean if not r["labelled"]]

        def fired(r: dict, codes: set | None = codes) -> bool:
            found = false_codes(r)
            return bool(found) if codes is None else bool(codes & found)

        out.append(
            {
                "label": label,
                "codes": "any finding" if codes is None else " / ".join(sorted(codes)),
                "n": len(rs),
                "raised": sum(fired(r) for r in rs),
                "raised_on_unlabelled": sum(fired(r) for r in unl),
                "n_unlabelled": len(unl),
            }
        )
    return out


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def format_markdown(result: dict[str, Any]) -> str:
    """The results file: the RESULTS.md block plus every missed record and false finding."""
    lines = [results_block(result), "### Every miss", ""]
    for t in result["faults"]:
        if t["missed"]:
            lines.append(f"- {t['fault']} ({len(t['missed'])}): {' '.join(t['missed'])}")
    c = result["clean"]
    lines += [
        "",
        "### False findings on clean records",
        "",
        *(f"- {r['key']}: {' '.join(r['codes'])}" for r in c["false_records"]),
        "",
        "### CinC 2011 misclassified (end to end)",
        "",
        *(
            f"- {m['record']} ({m['truth']}): {' '.join(m['codes']) or 'no finding'}"
            for m in result["cinc"]["misses"]
        ),
    ]
    return "\n".join(lines) + "\n"


def goals(table: list[dict]) -> dict[str, float]:
    """The headline sensitivities."""
    by = {t["fault"]: t for t in table}
    prec = [t for t in table if t["group"] == "precordial"]

    def pooled(ts: list[dict]) -> float:
        return sum(t["detected"] for t in ts) / max(1, sum(t["n"] for t in ts))

    def adjacent(t: dict) -> bool:
        a, b = (int(v[1]) for v in t["fault"].removeprefix("swap_").split("_"))
        return b - a == 1

    return {
        "la_ra_se": by["swap_LA_RA"]["rate"],
        "la_ll_se": by["swap_LA_LL"]["rate"],
        "ra_ll_se": by["swap_RA_LL"]["rate"],
        "precordial_se": pooled(prec),
        "precordial_adjacent_se": pooled([t for t in prec if adjacent(t)]),
        "precordial_nonadjacent_se": pooled([t for t in prec if not adjacent(t)]),
    }


GOALS: tuple[tuple[str, str, str, float], ...] = (
    # (key, description, comparison, target)
    ("cinc_accuracy", "CinC 2011 acceptability accuracy (10-fold CV, mean of 5 shuffles)",
     ">=", 0.93),
    ("la_ra_se", "LA/RA reversal Se", ">=", 0.95),
    ("limb_sp", "limb-reversal Sp on clean records (LA/RA Se holds at this Sp)", ">=", 0.99),
    ("la_ll_se", "LA/LL reversal Se", ">=", 0.80),
    ("precordial_se", "precordial swap Se (15 interchanges pooled)", ">=", 0.85),
    ("clean_false_rate", "clean-record false finding rate (LUDB + PTB-XL)", "<=", 0.02),
)  # fmt: skip


def goal_status(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal with its measured value and whether it is met."""
    measured = {
        "cinc_accuracy": result["cinc"]["cv_accuracy_mean"],
        "la_ra_se": result["goals"]["la_ra_se"],
        "limb_sp": result["clean"]["limb_specificity"],
        "la_ll_se": result["goals"]["la_ll_se"],
        "precordial_se": result["goals"]["precordial_se"],
        "clean_false_rate": result["clean"]["false_finding_rate"],
    }
    out = []
    for key, text, op, target in GOALS:
        value = measured[key]
        met = value is not None and (value >= target if op == ">=" else value <= target)
        out.append({"goal": key, "text": text, "op": op, "target": target,
                    "measured": value, "met": bool(met)})  # fmt: skip
    return out


def results_block(result: dict[str, Any]) -> str:
    """The RESULTS.md block: command, date, machine, data, goals, the whole fault table."""
    from ecgcore.benchmarks.machine import machine_info

    info = machine_info()
    pk = info.get("packages", {})
    pkgs = ", ".join(f"{k} {v}" for k, v in pk.items()) if isinstance(pk, dict) else ""
    pool, cinc = result["pool"], result["cinc"]
    short = result.get("limit") is not None
    lines = [
        "## Grading validation (technicians' 12-lead recordings)",
        "",
        f"Generated {result['date']} by `{result['command']}`"
        + (" (shortened run with --limit: not the published figures)" if short else "")
        + f"; wall time {result['elapsed_s'] / 60:.0f} min. Code: "
        "`benchmarks/grading_validation.py`, faults in `benchmarks/grading_faults.py`, "
        "fitting in `benchmarks/grading_fit.py`; full tables and every missed record in "
        "`benchmarks/results/grading_validation.md` / `.json`.",
        "",
        f"Machine: {info['cpu']} ({info['logical_cpus']} logical CPUs, shared with other "
        f"work), {info['memory_gb']} GB, {info['os']}, Python {info['python']}; {pkgs}.",
        "",
        "Data (`/work/shared/datasets`, the subsets described in its README): "
        f"LUDB {pool.get('ludb', 0)} records, PTB-XL {pool.get('ptbxl', 0)} records "
        f"({result['clean']['n_labelled']} of them carry a PTB-XL quality label and are left "
        "out of the clean false-finding rate), CinC 2011 set-a "
        f"{cinc['n']} records with a reference grade ({cinc['n_acceptable']} acceptable), "
        "NSTDB `bw` and `ma` noise records.",
        "",
        "Protocol: placement and artefact faults are injected into held-out records of a "
        f"{result['n_folds']}-fold cross-validation grouped by patient (PTB-XL `patient_id`; "
        "each LUDB record is its own patient); in each fold the limb and chest classifiers "
        "(multinomial logistic regressions), their decision thresholds (inner 3-fold CV, "
        "out-of-fold p(no swap) quantile for 99.5 % specificity) and the chest-misplacement "
        "limits (one family-wise level for V1-V6 at the same quantile) are fitted on the "
        "training folds only, and every held-out record is graded end to end by "
        "`grade_recording` as recorded and with each fault. The limb features see the chest "
        "leads only as a set and the chest features see the limb leads only up to sign and "
        "order, so a swap in one plane cannot raise a finding in the other. The median beats "
        "are notched at 50 and 60 Hz before any placement cue is measured. The limb "
        "classifier's penalty (C = 0.3, among 0.1, 0.3 and 1) and its latest cues (the "
        "frontal direction the chest leads explain best over QRS, QRS-T and T wave; the "
        "correlations with the most lateral and most septal chest lead) were chosen on "
        "cross-validated figures of these same records (not nested), so the limb figures "
        "may be slightly optimistic. "
        "Acceptability: 10-fold stratified CV on CinC 2011 (5 shuffles; records carry no "
        "patient id, so they cannot be grouped), the rule fitted on the training folds; among "
        "equally accurate rules the fit takes the one with the largest margin (the best worst "
        "accuracy of its one-step neighbours on the grid of limits), which replaced a choice "
        "by grid order that had picked a rule on a narrow ridge (2 unreadable leads, muscle "
        "0.05 mV). The "
        "artefact finding limits are fixed (not fitted), but they were chosen while looking "
        "at clean database records, so the clean false-finding rate is not fully held out; "
        "in particular the baseline-wander finding leaves out the first and last second of "
        "each record (recorder settling), a rule chosen after seeing that most of its false "
        "findings on clean PTB-XL records came from the first second. Its index is taken on "
        "the baseline traced by two running medians (200 and 600 ms) rather than on the raw "
        "lead, a change made after examining the clean records it flagged (the raw lead's "
        "zero-phase low-pass turned a QRS complex at the edge cut into a step); the 2.5 mV "
        "limit was kept, and PTB-XL's `baseline_drift` labels were used to check that the "
        "labelled drifts it caught before are caught still, apart from two whose large raw "
        "values came from the same edge effect. The chest classifier's swap-back cues on "
        "the continuity of V1-V6 (angles between neighbouring leads and between their "
        "principal-component loadings, QRS amplitude, interpolation and reconstruction "
        "errors) were adopted as one design after one cross-validated run on these records "
        "(not nested, no search over alternatives). A clipping plateau counts only where "
        "the recorder's rail is known and reached, or where the lead is held at its extreme "
        "value in at least two separate plateaus of 20 ms or more (a recorder clips at a "
        "fixed level, so it runs into it repeatedly); a single flat stretch, typically the "
        "first fraction of a second while the input settles, is not clipping. The rule "
        "follows from what clipping is, but was written after seeing it flag such a start "
        "on one clean LUDB record; CinC 2011 records carry their rail (+-16000 counts), and "
        "the acceptability rule is fitted on the same clipping index. Ventricular pacing: "
        "where pacing spikes (`detect_pacing_spikes` on I, II and V1-V6) start at least a "
        "fifth of the beats (a spike from 80 ms before the QRS onset to 20 ms after the "
        "R-peak; an atrial stimulus comes one AV delay earlier), the limb-reversal "
        "classifier is not run and PLACEMENT_NOT_ASSESSABLE (information only) is raised; "
        "the neutral-electrode lead algebra and the chest checks still run. The window "
        "follows from the AV delay and the fifth is the spike detector's own paced-rhythm "
        "share (its constants were chosen on LUDB by its author), taken instead of a "
        "majority of the beats after seeing that the spikes of two paced LUDB records (90, "
        "93, both false limb findings before) were found in only 4 and 3 of 9 beats. "
        "Keeping the chest checks on paced records was decided from the previous run's "
        "figures on these records (no false chest finding on the twelve paced records, "
        "chest swaps found there about as often as elsewhere), so that choice is not held "
        "out. The classifiers are still fitted, and their thresholds set, with the paced "
        "records among the clean training records: fitted without them, the limb "
        "thresholds doubled (in every fold LUDB 90 and 93, those of them in training, have "
        "the lowest out-of-fold p(no swap) of the clean records) and, in a "
        "cross-validation on cached features, clean limb findings rose from 1 to 7 of 430 "
        "(LA/RA Se +1.8, LA/LL +12.1 points), so that was not adopted.",
        "",
        "### Goals",
        "",
        "| goal | target | measured | status | on records without a PTB-XL quality label |",
        "|---|---|---|---|---|",
    ]
    unl = unlabelled_rates(result)
    unl_goal = {
        "la_ra_se": [unl.get("swap_LA_RA")],
        "la_ll_se": [unl.get("swap_LA_LL")],
        "precordial_se": [v for k, v in unl.items() if FAULTS[k].group == "precordial"],
    }
    for g in goal_status(result):
        status = "met" if g["met"] else "**NOT MET**"
        parts = [v for v in unl_goal.get(g["goal"], []) if v is not None]
        alt = (
            f"{_pct(sum(d for d, _ in parts) / max(1, sum(n for _, n in parts)))}"
            if parts and "labelled_keys" in result
            else ""
        )
        lines.append(
            f"| {g['text']} | {g['op']} {_pct(g['target'])} | {_pct(g['measured'])} | {status} "
            f"| {alt} |"
        )
    c = result["clean"]
    goals_ = result["goals"]
    lines += [
        "",
        f"Precordial Se: adjacent interchanges {_pct(goals_['precordial_adjacent_se'])}, "
        f"non-adjacent {_pct(goals_['precordial_nonadjacent_se'])}; precordial Sp on clean "
        f"records {_pct(c['precordial_specificity'])}. Clean records with a false finding: "
        f"{c['records_with_false_finding']}/{c['n']}; by code: "
        + (", ".join(f"{k} {v}" for k, v in c["per_code"].items()) or "none")
        + " (NO_CALIBRATION is not counted: database records carry no calibration pulse).",
        "",
        *([pacing_text(result), ""] if pacing_text(result) else []),
        "### Every fault (held-out records, graded end to end)",
        "",
        "| fault | group | expected code | n | detected | rate | LUDB | PTB-XL | exact pair"
        " | missed | detected, unlabelled records | other codes raised (top 6) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    lines += _fault_rows(
        result["faults"],
        with_missed=True,
        unlabelled=unlabelled_rates(result) if "labelled_keys" in result else None,
    )
    lines += [
        "",
        "`cal_ok` is a negative control (a correct 1 mV pulse): its rate column counts "
        "records where NO_CALIBRATION or WRONG_GAIN was wrongly raised.",
        "",
        "### CinC 2011 set-a acceptability",
        "",
        f"10-fold CV accuracy {_pct(cinc['cv_accuracy_mean'])} (per shuffle "
        f"{', '.join(_pct(a) for a in cinc['cv_accuracy_per_shuffle'])}); end to end "
        f"(`grade_recording` with each fold's rule, shuffle 0): accuracy "
        f"{_pct(cinc['end_to_end_accuracy'])}, unacceptable detected "
        f"{_pct(cinc['se_unacceptable'])}, acceptable kept {_pct(cinc['sp_acceptable'])}; "
        f"{len(cinc['misses'])} records misclassified.",
        "",
        "### PTB-XL quality labels against the findings (recordings as they are)",
        "",
        "| label | findings counted | labelled records | finding raised | raised on "
        "unlabelled records |",
        "|---|---|---:|---:|---:|",
    ]
    for t in result["labels"]:
        lines.append(
            f"| {t['label']} | {t['codes']} | {t['n']} | {t['raised']} "
            f"({_pct(t['raised'] / t['n'] if t['n'] else None)}) | "
            f"{t['raised_on_unlabelled']}/{t['n_unlabelled']} |"
        )
    lines += ["", "### Misses (first records; all in the results files)", ""]
    for t in result["faults"]:
        if t["missed"]:
            shown = " ".join(t["missed"][:_MISSES_SHOWN])
            more = len(t["missed"]) - _MISSES_SHOWN
            lines.append(
                f"- {t['fault']} ({len(t['missed'])}): {shown}"
                + (f" ... and {more} more" if more > 0 else "")
            )
    cm = cinc["misses"]
    lines.append(
        f"- CinC 2011 misclassified ({len(cm)}): "
        + " ".join(f"{m['record']}({m['truth'][0]})" for m in cm[:40])
        + (f" ... and {len(cm) - 40} more" if len(cm) > 40 else "")
    )
    return "\n".join(lines) + "\n"


def rates_on(result: dict[str, Any], keys: set[str]) -> dict[str, tuple[int, int]]:
    """Per fault: (detected, n) over the records of ``keys`` (every fault is applied to all)."""
    out = {}
    for t in result["faults"]:
        if t["fault"] == "clean" or not t["expected"]:
            continue
        missed = [k for k in t["missed"] if k in keys]
        out[t["fault"]] = (len(keys) - len(missed), len(keys))
    return out


def _pooled(rates: dict[str, tuple[int, int]], names: Sequence[str]) -> float | None:
    parts = [rates[n] for n in names if n in rates]
    n = sum(b for _, b in parts)
    return sum(a for a, _ in parts) / n if n else None


def pacing_text(result: dict[str, Any]) -> str:
    """The paragraph on paced records: how they were graded, and Se with and without them."""
    pc = result["clean"].get("pacing")
    if not pc or "paced_keys" not in result:
        return ""
    paced = set(result["paced_keys"])
    n_all = sum(result["pool"].values())
    rest = n_all - len(paced)
    on_paced = rates_on(result, paced)
    prec = [t["fault"] for t in result["faults"] if t["group"] == "precordial"]

    def se(names: Sequence[str]) -> tuple[str, str]:
        a = _pooled(on_paced, names)
        d_all = sum(t["detected"] for t in result["faults"] if t["fault"] in names)
        n_all_ = sum(t["n"] for t in result["faults"] if t["fault"] in names)
        d_p = sum(on_paced[n][0] for n in names if n in on_paced)
        n_p = sum(on_paced[n][1] for n in names if n in on_paced)
        b = (d_all - d_p) / (n_all_ - n_p) if n_all_ > n_p else None
        return _pct(b), _pct(a)

    la_ra, la_ll, pr = se(["swap_LA_RA"]), se(["swap_LA_LL"]), se(prec)
    return (
        f"Paced records: the databases label {len(paced)} of the {n_all} records paced (LUDB "
        "`Cardiac pacing`, PTB-XL SCP code `PACE`). Graded as recorded, "
        f"{len(pc['not_assessable_paced'])} of them were found ventricular-paced and their "
        "limb-reversal classifier reported not assessable (PLACEMENT_NOT_ASSESSABLE, "
        "information only, not counted as a false finding on a labelled paced record: "
        f"{' '.join(pc['not_assessable_paced']) or 'none'}); on the {rest} records without a "
        f"pacing label it was raised {len(pc['not_assessable_unpaced'])} times"
        + (f" ({' '.join(pc['not_assessable_unpaced'])})" if pc["not_assessable_unpaced"] else "")
        + " and counts as a false finding. Se on the records without a pacing label / on the "
        f"paced records: LA/RA {la_ra[0]} / {la_ra[1]}, LA/LL {la_ll[0]} / {la_ll[1]}, "
        f"precordial {pr[0]} / {pr[1]} (a limb swap on a record reported not assessable is a "
        "miss)."
    )


def unlabelled_rates(result: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Per fault: (detected, n) over records without a PTB-XL quality label.

    Faults are injected into every record; this leaves out the PTB-XL records
    labelled noisy or with electrode problems (they are not clean to begin with).
    """
    labelled = set(result.get("labelled_keys", ()))
    n_clean = sum(result["pool"].values()) - len(labelled)
    out = {}
    for t in result["faults"]:
        if t["fault"] == "clean" or not t["expected"]:
            continue
        missed = [k for k in t["missed"] if k not in labelled]
        out[t["fault"]] = (n_clean - len(missed), n_clean)
    return out


def _fault_rows(
    faults: list[dict],
    *,
    with_missed: bool = False,
    unlabelled: dict[str, tuple[int, int]] | None = None,
) -> list[str]:
    rows = []
    for t in faults:
        if t["fault"] == "clean":
            continue
        other = ", ".join(f"{c} {n}" for c, n in t["other_codes"].items())
        expected = " / ".join(t["expected"]) or "none of NO_CALIBRATION / WRONG_GAIN"
        rate = _pct(t["rate"]) if t["rate"] is not None else f"{t['forbidden_raised']} raised"
        exact = "" if t["exact_pair"] is None else str(t["exact_pair"])
        missed = f" {len(t['missed'])} |" if with_missed else ""
        if unlabelled is not None:
            d, n = unlabelled.get(t["fault"], (None, None))
            missed += f" {d}/{n} |" if d is not None else " |"
        rows.append(
            f"| {t['fault']} | {t['group']} | {expected} | {t['n']} | {t['detected']} | {rate} | "
            f"{t['per_dataset']['ludb']} | {t['per_dataset']['ptbxl']} | {exact} |{missed} "
            f"{other} |"
        )
    return rows


# ------------------------------------------------------------------ commands
def labelled_keys(data_dir: str | None) -> list[str]:
    """Keys of the PTB-XL records present that carry a quality label (no signal is read)."""
    ptb = get_database("ptb-xl", data_dir)
    table = ptbxl_table(ptb.path)
    return sorted(
        f"ptbxl:{r}"
        for r in ptb.records()
        if any((table.get(r, {}).get(k) or "").strip() for k in PTBXL_LABELS)
    )


def render(
    json_path: Path, out: Path | None, results: Path | None, data_dir: str | None = None
) -> dict[str, Any]:
    """Rewrite the tables (and the RESULTS.md block) from a saved ``grading_validation.json``."""
    result = json.loads(json_path.read_text(encoding="utf-8"))
    if "labelled_keys" not in result and not result.get("limit"):
        result["labelled_keys"] = labelled_keys(data_dir)
    text = format_markdown(result)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "grading_validation.md").write_text(text, encoding="utf-8")
    if results is not None:
        replace_results_block(results, RESULTS_KEY, results_block(result))
    return result


def run_fit(data_dir: str | None, out_dir: Path) -> None:
    """Fit the shipped models on all records."""
    pool = load_pool(data_dir)
    mbs, groups = _training_beats(pool)
    limb, prec = fit_placement_models(mbs, groups, out_dir)
    sys.stderr.write(f"wrote {limb} and {prec} ({len(mbs)} records)\n")
    _, feats, y = cinc_features(data_dir)
    params = fit_acceptability(feats, y)
    acc = float(np.mean(predict_acceptability(feats, params) == y))
    doc = dict(params)
    doc["min_unreadable"] = int(doc["min_unreadable"])
    doc["fitted_on"] = f"CinC 2011 set-a, {y.size} records (training accuracy {acc:.3f})"
    path = out_dir / "acceptability.json"
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    sys.stderr.write(f"wrote {path}: {doc}\n")


def run_evaluate(
    data_dir: str | None,
    jobs: int,
    folds: int,
    out: Path | None,
    limit: int | None,
    *,
    command: str = COMMAND,
    results: Path | None = None,
) -> dict[str, Any]:
    """Every validation table; written to ``out`` as Markdown and JSON when given.

    ``results``: RESULTS.md whose block for this command is replaced.
    """
    t0 = time.perf_counter()
    date = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    pool = load_pool(data_dir, limit)
    rows, fold_info = evaluate_faults(pool, data_dir, jobs, folds, list(FAULTS))
    table = fault_table(rows)
    cinc = evaluate_cinc(data_dir, jobs)
    result = {
        "command": command,
        "date": date,
        "limit": limit,
        "n_folds": folds,
        "pool": dict(Counter(p.dataset for p in pool)),
        "labelled_keys": sorted(p.key for p in pool if p.labelled),
        "paced_keys": sorted(p.key for p in pool if p.paced),
        "folds": fold_info,
        "faults": table,
        "clean": clean_summary(rows),
        "labels": label_table(rows),
        "cinc": cinc,
        "goals": goals(table),
        "elapsed_s": time.perf_counter() - t0,
    }
    if out is not None:  # the raw figures first: the tables are made from them
        out.mkdir(parents=True, exist_ok=True)
        (out / "grading_validation.json").write_text(
            json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8"
        )
    text = format_markdown(result)
    sys.stdout.write(text)
    if out is not None:
        (out / "grading_validation.md").write_text(text, encoding="utf-8")
    if results is not None:
        replace_results_block(results, RESULTS_KEY, results_block(result))
        sys.stderr.write(f"wrote the `{RESULTS_KEY}` block of {results}\n")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--fit", action="store_true", help="fit and write the shipped models")
    p.add_argument("--evaluate", action="store_true", help="run the cross-validated validation")
    p.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    p.add_argument("--out", type=Path, default=None, help="write Markdown and JSON here")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--limit", type=int, default=None, help="records per database (quick runs)")
    p.add_argument(
        "--results", type=Path, default=None, help="replace this command's block of RESULTS.md"
    )
    p.add_argument(
        "--render", type=Path, default=None, metavar="JSON",
        help="only rewrite the tables from a saved grading_validation.json",
    )  # fmt: skip
    args = p.parse_args(argv)
    if args.render is not None:
        render(args.render, args.out, args.results, args.data_dir)
        return 0
    if not (args.fit or args.evaluate):
        p.error("give --fit, --evaluate or --render")
    if args.fit:
        run_fit(args.data_dir, args.models_dir)
    if args.evaluate:
        command = shlex.join(["python", "-m", "ecgcore.benchmarks.grading_validation",
                              *(sys.argv[1:] if argv is None else argv)])  # fmt: skip
        run_evaluate(
            args.data_dir, args.jobs, args.folds, args.out, args.limit,
            command=command, results=args.results,
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
