"""Tables, CSV/JSON files and the RESULTS.md block of the rhythm benchmarks.

One source of truth for how ``ecg bench rhythm`` and ``ecg bench beats``
present a :class:`~ecgcore.benchmarks.results.BenchmarkResult` of the kinds in
:mod:`ecgcore.rhythm.bench`: Markdown for the terminal and for
``benchmarks/RESULTS.md``, per-record CSV and the whole result as JSON.
Percentages are printed with one decimal; ``-`` marks an undefined ratio.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from ecgcore.benchmarks.report import write_json

__all__ = [
    "GOALS",
    "SCORING",
    "format_markdown",
    "results_block",
    "results_key",
    "write_outputs",
]

#: What each benchmark scores and how (quoted in the RESULTS.md block).
SCORING: Final[Mapping[str, str]] = {
    "beats": (
        "AAMI beat classes (N, S, V, F, Q) of every reference beat of the mitdb DS1 records "
        "(de Chazal et al. 2004; the paced records are not in DS1), MLII lead, scored with the "
        "EC57 `bxb` rules (`ecgcore.benchmarks.ec57`): 150 ms match window, scoring from "
        "minute 5, gross statistics from the summed confusion matrix; VEB and SVEB Se, +P and "
        "FPR as `bxb` defines them. Leave-one-record-out: for each record the beat classifier "
        "is refitted on the other DS1 records (`ecgcore.rhythm.training.fit_beats`), then the "
        "whole rhythm analysis (`ecgcore.rhythm.analyze_rhythm`, with its rhythm-context "
        "rules) labels the held-out record."
    ),
    "rhythm:mitdb": (
        "Atrial fibrillation episodes of `ecgcore.rhythm.analyze_rhythm` (R-peaks from "
        "`ecgcore.detect.detect_r_peaks`, MLII lead) against the reference `(AFIB` rhythm "
        "episodes, EC57 `epicmp` rules (`ecgcore.benchmarks.episodes`): scoring from minute "
        "5, episode Se/+P (an episode counts when overlapped), duration Se/+P (overlap over "
        "reference / detected time), reference atrial flutter removed from the "
        "positive-predictivity pass. The AF model is fitted on CinC 2017 only (no mitdb "
        "record); the beat classifier and VF model, which were fitted on mitdb, are refitted "
        "without the record under test (leave-one-record-out)."
    ),
    "rhythm:vfdb": (
        "VF/VFL episodes of `ecgcore.rhythm.analyze_rhythm` against the reference `(VF`, "
        "`(VFL`, `(VFIB` rhythms and `[`...`]` flutter markers of vfdb, whole record (no "
        "learning period), EC57 `epicmp` episode and duration Se/+P. Non-shockable "
        "specificity = 1 - (reference time that is not VF/VFL/VT, noise included, labelled "
        "VF/VFL) / (that time). Ventricular tachycardia reported separately: VT episodes "
        "(`(VT` vs detected VT) and the fraction of reference VT time labelled VT or VF. The "
        "VF window model (fitted on vfdb and mitdb) is refitted without the record under "
        "test (leave-one-record-out)."
    ),
    "cinc": (
        "PhysioNet/CinC Challenge 2017 record classes Normal (N), AF (A), Other (O), Noisy "
        "(~) from per-record summaries of the rhythm analysis (heart rate, RR variability "
        "and patterns such as short-long pairs and bigeminy, fastest and slowest 5-beat rate, "
        "beat classes, AF features, VF waveform features, beat-to-beat QRS and P-wave "
        "consistency, average-beat QRS width, P/ST/T), classified "
        "by gradient-boosted trees (7 leaves, each split choosing among a random half of "
        "the summaries) under stratified k-fold cross-validation: every record is predicted "
        "by a model that did not see it. Score = mean F1 of N, A and O (the challenge "
        "score). The cross-validation is run with the folds shuffled by seeds 0-3; the F1 "
        "and confusion tables are those of seed 0, and the goal is checked on seed 0 and on "
        "the mean of the four."
    ),
}

#: Goals of the rhythm-analysis work (percent), checked in every block.
GOALS: Final[Mapping[str, tuple[tuple[str, str, float], ...]]] = {
    "beats": (
        ("VEB Se", "veb_se", 92.0),
        ("VEB +P", "veb_ppv", 92.0),
        ("SVEB Se", "sveb_se", 75.0),
        ("SVEB +P", "sveb_ppv", 60.0),
    ),
    "rhythm:mitdb": (
        ("AF duration Se", "af_duration_se", 95.0),
        ("AF duration +P", "af_duration_ppv", 95.0),
    ),
    "rhythm:vfdb": (
        ("VF/VFL episode Se", "vf_episode_se", 90.0),
        ("non-shockable specificity", "nonshockable_specificity", 99.0),
    ),
    "cinc": (
        ("score (mean F1 of N, A, O), fold seed 0", "score", 80.0),
        ("score, mean over the fold seeds", "seed_mean_score", 80.0),
    ),
}


def _key(result: Any) -> str:
    if result.kind == "rhythm":
        return f"rhythm:{result.config.get('database')}"
    return str(result.kind)


def results_key(result: Any) -> str:
    """The command that owns the result's RESULTS.md block, e.g. ``ecg bench beats --db mitdb``."""
    sub = "beats" if result.kind == "beats" else "rhythm"
    return f"ecg bench {sub} --db {result.config.get('database')}"


# --------------------------------------------------------------------- helpers
def _pct(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{100 * v:.1f}"


def _min(v: float) -> str:
    return f"{v / 60:.1f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    align = align or "|---" + "|--:" * (len(header) - 1) + "|"
    lines = ["| " + " | ".join(header) + " |", align]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _episode_cells(c: Any) -> list[str]:
    return [
        str(c.ref_matched + c.ref_missed),
        str(c.test_matched + c.test_false),
        _pct(c.episode_se),
        _pct(c.episode_ppv),
        _pct(c.duration_se),
        _pct(c.duration_ppv),
        _min(c.ref_duration_s),
        _min(c.test_duration_s),
    ]


_EPISODE_HEADER = (
    "ref episodes", "detected episodes", "episode Se %", "episode +P %",
    "duration Se %", "duration +P %", "ref min", "detected min",
)  # fmt: skip


# --------------------------------------------------------------------- per kind
def _rhythm_md(result: Any, records: bool) -> list[str]:
    out = []
    for g in result.gross:
        rows = [
            [name, str(g.n_records), *_episode_cells(c)]
            for name, c in (("AF", g.af), ("VF/VFL", g.vf), ("VT", g.vt))
            if c is not None
        ]
        out += [_table(("rhythm", "records", *_EPISODE_HEADER), rows), ""]
        if g.vf is not None:
            ns = sum(r.nonshockable_s for r in result.rows if r.database == g.database)
            vt = sum(r.vt_ref_s for r in result.rows if r.database == g.database)
            out += [
                _table(
                    ("non-shockable min", "specificity %", "ref VT min",
                     "VT time labelled VT %", "VT time labelled VF/VFL %"),
                    [[_min(ns), _pct(g.nonshockable_specificity), _min(vt),
                      _pct(g.vt_as_vt), _pct(g.vt_as_vf)]],
                    "|--:|--:|--:|--:|--:|",
                ),
                "",
            ]  # fmt: skip
    if records:
        vf = any(r.vf is not None for r in result.rows)
        header = ["record", "ref min", "detected min", "episode Se %", "episode +P %",
                  "duration Se %", "duration +P %"]  # fmt: skip
        if vf:
            header += ["non-shockable labelled VF s", "ref VT s", "VT as VT s", "VT as VF s"]
        header.append("analysis s")
        rows = []
        for r in result.rows:
            c = r.vf if vf else r.af
            row = [r.record, _min(c.ref_duration_s), _min(c.test_duration_s),
                   _pct(c.episode_se), _pct(c.episode_ppv),
                   _pct(c.duration_se), _pct(c.duration_ppv)]  # fmt: skip
            if vf:
                row += [f"{r.nonshockable_as_vf_s:.0f}", f"{r.vt_ref_s:.0f}",
                        f"{r.vt_as_vt_s:.0f}", f"{r.vt_as_vf_s:.0f}"]  # fmt: skip
            row.append(f"{r.seconds:.1f}")
            rows.append(row)
        title = "VF/VFL" if vf else "AF"
        out += [f"Per record ({title}; `-` = no episode to score):", "", _table(header, rows), ""]
    return out


def _confusion_md(matrix: Sequence[Sequence[int]]) -> str:
    from ecgcore.benchmarks.ec57 import REF_ROWS, TEST_COLUMNS  # noqa: PLC0415

    rows = [[f"**{r}**", *(str(v) for v in row)] for r, row in zip(REF_ROWS, matrix, strict=True)]
    return _table(("ref \\ test", *TEST_COLUMNS), rows)


_BEATS_RECORD_HEADER = (
    "record", "ref V", "VEB Se %", "VEB +P %", "VEB FP",
    "ref S", "SVEB Se %", "SVEB +P %", "SVEB FP", "analysis s",
)  # fmt: skip


def _beats_md(result: Any, records: bool) -> list[str]:
    g = result.gross[0]
    c = g.comparison
    out = [
        _table(
            ("records", "QRS Se %", "QRS +P %", "VEB Se %", "VEB +P %", "VEB FPR %",
             "SVEB Se %", "SVEB +P %", "SVEB FPR %"),
            [[g.n_records, _pct(c.se), _pct(c.ppv), _pct(c.veb_se), _pct(c.veb_ppv),
              _pct(c.veb_fpr), _pct(c.sveb_se), _pct(c.sveb_ppv), _pct(c.sveb_fpr)]],
            "|--:" * 9 + "|",
        ),
        "",
        "Confusion matrix (rows: reference class, O = no reference beat; columns: test "
        "class, o = no test beat; beats from minute 5):",
        "",
        _confusion_md(c.matrix),
        "",
    ]  # fmt: skip
    if records:
        rows = []
        for r in result.rows:
            rc = r.comparison
            v_tp, v_fn, v_fp, _ = rc.veb_counts()
            s_tp, s_fn, s_fp, _ = rc.sveb_counts()
            rows.append([r.record, v_tp + v_fn, _pct(rc.veb_se), _pct(rc.veb_ppv), v_fp,
                         s_tp + s_fn, _pct(rc.sveb_se), _pct(rc.sveb_ppv), s_fp,
                         f"{r.seconds:.1f}"])  # fmt: skip
        out += [
            "Per record:",
            "",
            _table(_BEATS_RECORD_HEADER, rows),
            "",
        ]
    return out


def _cinc_md(result: Any, records: bool) -> list[str]:
    from ecgcore.rhythm.bench import CINC_CLASSES  # noqa: PLC0415

    g = result.gross[0]
    out = [
        _table(
            ("records", "folds", "F1 N", "F1 A", "F1 O", "F1 ~", "score"),
            [[g.n_records, g.folds, *(f"{g.f1[c]:.3f}" for c in CINC_CLASSES), f"{g.score:.3f}"]],
            "|--:" * 7 + "|",
        ),
        "",
        "Confusion matrix (rows: reference label, columns: predicted):",
        "",
        _table(
            ("ref \\ predicted", *CINC_CLASSES),
            [[f"**{a}**", *(str(row[b]) for b in CINC_CLASSES)] for a, row in g.confusion.items()],
        ),
        "",
    ]
    if g.seed_scores:
        out += [
            "Score by fold seed:",
            "",
            _table(
                (*(f"seed {k}" for k in g.fold_seeds), "mean"),
                [[*(f"{v:.3f}" for v in g.seed_scores), f"{g.seed_mean_score:.3f}"]],
                "|--:" * (len(g.fold_seeds) + 1) + "|",
            ),
            "",
        ]
    if records:
        counts = {c: sum(r.label == c for r in result.rows) for c in CINC_CLASSES}
        out += ["Records per label: " + ", ".join(f"{k} {v}" for k, v in counts.items()), ""]
    return out


_FORMATTERS: Final[Mapping[str, Callable[[Any, bool], list[str]]]] = {
    "rhythm": _rhythm_md,
    "beats": _beats_md,
    "cinc": _cinc_md,
}

_TITLES: Final[Mapping[str, str]] = {
    "beats": "Beat classes on MIT-BIH DS1 (EC57 bxb)",
    "rhythm:mitdb": "Atrial fibrillation on MIT-BIH (EC57 epicmp)",
    "rhythm:vfdb": "VF/VFL and VT on the MIT-BIH Malignant Ventricular Ectopy Database",
    "cinc": "PhysioNet/CinC Challenge 2017 classification (cross-validated)",
}


def _goal_values(result: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for g in result.gross:
        d = g.as_dict()
        out.update({k: v for k, v in d.items() if isinstance(v, int | float)})
    return out


def _goals_md(result: Any) -> list[str]:
    goals = GOALS.get(_key(result), ())
    if not goals:
        return []
    values = _goal_values(result)
    rows = []
    for label, name, target in goals:
        pct = 100 * values.get(name, math.nan)
        met = "n/a" if math.isnan(pct) else ("yes" if pct >= target else "**no**")
        shown = "-" if math.isnan(pct) else f"{pct:.1f}"
        rows.append([label, f">= {target:g}", shown, met])
    return [_table(("goal", "target %", "measured %", "met"), rows, "|---|--:|--:|---|"), ""]


def _config_line(result: Any) -> str:
    cfg = result.config
    parts = []
    if "loo" in cfg:
        parts.append("leave-one-record-out" if cfg["loo"] else "shipped models (no refit)")
    if "peaks" in cfg:
        parts.append(f"{cfg['peaks']} R-peaks")
    if "folds" in cfg:
        parts.append(f"{cfg['folds']}-fold stratified CV")
    return "; ".join(parts)


def format_markdown(result: Any, *, records: bool = True) -> str:
    """The result as Markdown: title, settings, goals, gross tables, per record.

    Parameters
    ----------
    result : BenchmarkResult
        A run of the ``rhythm``, ``beats`` or ``cinc`` kind.
    records : bool
        Include the per-record table.
    """
    key = _key(result)
    lines = [
        f"### {_TITLES.get(key, key)}",
        "",
        f"Settings: {_config_line(result)}; {len(result.rows)} records.",
        "",
        *_goals_md(result),
        *_FORMATTERS[result.kind](result, records),
    ]
    lines += [f"Note: {n}" for n in result.notes]
    if result.notes:
        lines.append("")
    lines.append(f"Executor: {result.executor}; wall time {result.wall_s:.0f} s.")
    return "\n".join(lines) + "\n"


def _machine_lines(info: Mapping[str, Any]) -> list[str]:
    from ecgcore.benchmarks.machine import load_average, package_versions  # noqa: PLC0415

    pk = dict(info.get("packages", {}))
    pk.update(package_versions(("scikit-learn",)))
    pkgs = ", ".join(f"{k} {v}" for k, v in pk.items())
    load = load_average()
    return [
        f"- CPU: {info.get('cpu')} ({info.get('logical_cpus')} logical CPUs, "
        f"{info.get('cpus_usable')} usable by the run; load average {load} at the end, "
        "shared with other work, so times are indicative)",
        f"- memory: {info.get('memory_gb')} GB; OS: {info.get('os')}; Python {info.get('python')}",
        f"- packages: {pkgs}",
    ]


def results_block(result: Any, *, when: dt.datetime | None = None) -> str:
    """The Markdown block a run writes into ``benchmarks/RESULTS.md``.

    It quotes the exact command, the date, the machine, the scoring rules,
    the records used and every table (per record included).
    """
    when = when or dt.datetime.now(dt.UTC)
    key = _key(result)
    records = " ".join(r.record for r in result.rows)
    if key == "cinc":
        records = f"all {len(result.rows)} records of the local CinC 2017 slice"
    return "\n".join(
        [
            f"## {_TITLES.get(key, key)}",
            "",
            f"Generated {when:%Y-%m-%d %H:%M} UTC by `{result.command}`.",
            "",
            "Machine:",
            *_machine_lines(result.machine),
            "",
            f"Scoring: {SCORING[key]}",
            "",
            f"Records ({len(result.rows)}): {records}.",
            "",
            format_markdown(result, records=True).split("\n", 2)[2],
        ]
    )


# --------------------------------------------------------------------- files
def write_outputs(result: Any, out_dir: str | Path, *, stem: str | None = None) -> list[Path]:
    """Write ``<stem>.md``, ``<stem>.csv`` (per record + GROSS) and ``<stem>.json``.

    ``stem`` defaults to ``bench_<kind>_<database>``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = stem or f"bench_{result.kind}_{result.config.get('database')}"
    md, csv_path, js = out / f"{stem}.md", out / f"{stem}.csv", out / f"{stem}.json"
    md.write_text(format_markdown(result), encoding="utf-8")
    dicts = [r.as_dict() for r in result.rows]
    for g in result.gross:
        d = {k: v for k, v in g.as_dict().items() if not isinstance(v, dict)}
        dicts.append({"database": result.config.get("database"), "record": "GROSS", **d})
    fields = list(dict.fromkeys(k for d in dicts for k in d))
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(dicts)
    write_json(result, js)
    return [md, csv_path, js]
