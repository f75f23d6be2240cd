"""Benchmark reports: Markdown tables, CSV, JSON and PNG plots.

The plots use matplotlib's Agg backend (no display needed): an accuracy vs
speed scatter (F1 against Msamples/s, one point per detector and condition)
and per-record bars (F1 per record, grouped by detector).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ecgcore.benchmarks.results import BenchmarkResult, DetectRow, GrossRow

__all__ = [
    "format_gross_table",
    "format_markdown",
    "format_record_table",
    "plot_records",
    "plot_scatter",
    "write_json",
    "write_outputs",
]


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.2f}"


def _num(x: float, digits: int = 2) -> str:
    return "-" if math.isnan(x) else f"{x:.{digits}f}"


def format_gross_table(gross: Sequence[GrossRow]) -> str:
    """Markdown table of gross figures, one row per detector and condition."""
    lines = [
        "| detector | condition | records | ref beats | Se % | +P % | F1 % | FN | FP "
        "| detector s | Msamples/s | warm-up s |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for g in gross:
        failed = f" ({len(g.failed_records)} failed)" if g.failed_records else ""
        lines.append(
            f"| {g.detector} | {g.condition} | {g.n_records}{failed} | {g.n_ref} "
            f"| {_pct(g.se)} | {_pct(g.ppv)} | {_pct(g.f1)} | {g.fn} | {g.fp} "
            f"| {g.seconds:.3f} | {_num(g.msamples_per_s)} | {g.warmup_s:.2f} |"
        )
    return "\n".join(lines)


def format_record_table(rows: Sequence[DetectRow]) -> str:
    """Markdown table of per-record figures."""
    lines = [
        "| record | condition | detector | ref beats | Se % | +P % | F1 % | FN | FP "
        "| s | Msamples/s |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        if r.error is not None:
            lines.append(
                f"| {r.record} | {r.condition} | {r.detector} | failed: {r.error} | | | | | | | |"
            )
            continue
        lines.append(
            f"| {r.record} | {r.condition} | {r.detector} | {r.n_ref} | {_pct(r.se)} "
            f"| {_pct(r.ppv)} | {_pct(r.f1)} | {r.fn} | {r.fp} | {r.seconds:.3f} "
            f"| {_num(r.msamples_per_s)} |"
        )
    return "\n".join(lines)


def format_markdown(result: BenchmarkResult, *, records: bool = True) -> str:
    """The whole report as Markdown (gross table, skipped detectors, per record)."""
    cfg = result.config
    parts = [
        f"### {result.kind}: {cfg.get('database', '')}, lead {cfg.get('lead', 0)}, "
        f"scored from {cfg.get('start_s', 300):g} s (EC57, 150 ms window)",
        "",
        format_gross_table(result.gross),
    ]
    if result.notes:
        parts += ["", *(f"Note: {n}" for n in result.notes)]
    skipped = [d for d in result.detectors if not d.available]
    if skipped:
        parts += ["", "Not run: " + "; ".join(f"{d.name} ({d.reason})" for d in skipped)]
    warned = sorted({(r.detector, w) for r in result.rows for w in r.warnings})
    if warned:
        parts += ["", "Warnings emitted by detectors:"]
        parts += [f"- {det}: {msg}" for det, msg in warned[:20]]
    parts += [
        "",
        f"Executor: {result.executor}; wall time {result.wall_s:.1f} s.",
    ]
    if records:
        parts += ["", format_record_table(result.rows)]
    return "\n".join(parts) + "\n"


def _write_csv(result: BenchmarkResult, path: Path) -> None:
    fields = [
        "record",
        "condition",
        "snr_db",
        "detector",
        "n_ref",
        "tp",
        "fn",
        "fp",
        "se",
        "ppv",
        "f1",
        "seconds",
        "n_samples",
        "msamples_per_s",
        "warmup_s",
        "error",
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in result.rows:
            w.writerow(r.as_dict())
        for g in result.gross:
            d = g.as_dict()
            d["record"] = "GROSS"
            d["error"] = ";".join(g.failed_records)
            w.writerow(d)


def plot_scatter(gross: Sequence[GrossRow], path: Path, *, title: str = "") -> Path:
    """Accuracy (F1 %) vs speed (Msamples/s, log) per detector and condition."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    try:
        for g in gross:
            if math.isnan(g.f1) or math.isnan(g.msamples_per_s):
                continue
            ax.scatter(g.msamples_per_s, 100 * g.f1, s=40)
            label = g.detector if g.condition == "clean" else f"{g.detector} ({g.condition})"
            ax.annotate(
                label,
                (g.msamples_per_s, 100 * g.f1),
                fontsize=7,
                xytext=(4, 3),
                textcoords="offset points",
            )
        ax.set_xscale("log")
        ax.set_xlabel("throughput (million samples / s, log scale)")
        ax.set_ylabel("gross F1 (%)")
        ax.set_title(title or "accuracy vs speed")
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
    finally:
        plt.close(fig)
    return path


def plot_records(rows: Sequence[DetectRow], path: Path, *, title: str = "") -> Path:
    """Per-record F1 (%) bars, grouped by record, one colour per detector."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    keys = list(dict.fromkeys((r.record, r.condition) for r in rows))
    detectors = list(dict.fromkeys(r.detector for r in rows))
    by = {(r.record, r.condition, r.detector): r for r in rows}
    width = 0.8 / max(1, len(detectors))
    x = np.arange(len(keys))
    n_bars = len(keys) * max(1, len(detectors))
    fig, ax = plt.subplots(figsize=(min(18.0, max(7.0, 2.0 + 0.09 * n_bars)), 5.0))
    try:
        for k, det in enumerate(detectors):
            vals = []
            for rec, cond in keys:
                r = by.get((rec, cond, det))
                vals.append(100 * r.f1 if r is not None and r.error is None else np.nan)
            ax.bar(x + (k - (len(detectors) - 1) / 2) * width, vals, width, label=det)
        labels = [rec if cond == "clean" else f"{rec}\n{cond}" for rec, cond in keys]
        ax.set_xticks(x, labels, rotation=90, fontsize=7)
        ax.set_ylabel("F1 (%)")
        finite = [100 * r.f1 for r in rows if r.error is None and not math.isnan(r.f1)]
        low = min(finite) if finite else 0.0
        ax.set_ylim(max(0.0, low - 2.0), 100.5)
        ax.set_title(title or "per-record F1")
        ax.legend(fontsize=7, ncol=min(6, len(detectors)), loc="lower left")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
    finally:
        plt.close(fig)
    return path


def _json_safe(value: object) -> object:
    """NaN/inf -> None (JSON has no NaN), recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_json(result: Any, path: Path) -> Path:
    """Write ``result.as_dict()`` as JSON to ``path`` (NaN/inf as null)."""
    path.write_text(
        json.dumps(_json_safe(result.as_dict()), indent=2, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    return path


def write_outputs(
    result: BenchmarkResult, out_dir: str | Path, *, stem: str | None = None
) -> list[Path]:
    """Write ``<stem>.md``, ``.csv``, ``.json`` and the two PNG plots to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = stem or f"bench_{result.kind}"
    paths = [out / f"{stem}.md", out / f"{stem}.csv", out / f"{stem}.json"]
    paths[0].write_text(format_markdown(result), encoding="utf-8")
    _write_csv(result, paths[1])
    write_json(result, paths[2])
    title = f"{result.kind}: {result.config.get('database', '')}"
    paths.append(plot_scatter(result.gross, out / f"{stem}_scatter.png", title=title))
    paths.append(plot_records(result.rows, out / f"{stem}_records.png", title=title))
    return paths
