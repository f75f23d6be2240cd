"""Pacing-spike detection against the pacemaker labels of LUDB and PTB-XL.

Every LUDB and PTB-XL record present is read, its independent leads (I, II,
V1-V6) go through :func:`ecgcore.detect.detect_pacing_spikes`, its lead II
through :func:`ecgcore.detect.detect_r_peaks`, and
:func:`ecgcore.detect.paced_rhythm` decides whether the rhythm is paced. The
reference: LUDB's ``Cardiac pacing`` column naming pacing (``... pacing`` or
``P-synchrony``); PTB-XL's ``PACE`` statement in ``scp_codes``. The detector's
constants were chosen on LUDB, so PTB-XL is the held-out check. Each record
also goes through :func:`ecgcore.rhythm.analyze_rhythm` (its default lead,
pacing spikes from the independent leads), whose paced-rhythm (``P``) share
of the record is reported.

Run: ``python -m ecgcore.benchmarks.pacing [--data-dir DIR] [--results benchmarks/RESULTS.md]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ecgcore.benchmarks.results_md import invocation, replace_results_block
from ecgcore.datasets import get_database
from ecgcore.datasets.metadata import ludb_table, ptbxl_table, scp_codes
from ecgcore.detect import detect_pacing_spikes, detect_r_peaks, paced_beats, paced_rhythm
from ecgcore.grading.leads import STANDARD_LEADS, standard_leads_mv
from ecgcore.rhythm import analyze_rhythm
from ecgcore.rhythm.paced import pacing_leads

__all__ = ["PacingRow", "ludb_paced", "main", "ptbxl_paced", "run"]


class PacingRow(NamedTuple):
    """One record's reference and result."""

    database: str
    record: str
    labelled_paced: bool
    n_spikes: int
    paced_beat_share: float
    detected_paced: bool
    p_rhythm_share: float


def ludb_paced(path: Path) -> dict[str, bool]:
    """LUDB record -> labelled paced (``ludb.csv`` ``Cardiac pacing`` names pacing or
    P-synchrony)."""
    return {
        r: any(w in (row.get("Cardiac pacing") or "").lower() for w in ("pacing", "p-synchrony"))
        for r, row in ludb_table(path).items()
    }


def ptbxl_paced(path: Path) -> dict[str, bool]:
    """PTB-XL record (``00001``) -> labelled paced (SCP statement ``PACE``)."""
    return {r: "PACE" in scp_codes(row) for r, row in ptbxl_table(path).items()}


def run(data_dir: str | None = None) -> list[PacingRow]:
    """Grade every LUDB and PTB-XL record present; one row per record."""
    rows: list[PacingRow] = []
    cols = pacing_leads(STANDARD_LEADS)  # I, II, V1-V6
    for name, labels_of in (("ludb", ludb_paced), ("ptb-xl", ptbxl_paced)):
        db = get_database(name, data_dir)
        labels = labels_of(db.path)
        for r in db.records():
            rec, _ = db.load(r)
            x, _ = standard_leads_mv(rec)
            spikes = detect_pacing_spikes(x[:, cols], rec.fs)
            peaks = detect_r_peaks(np.nan_to_num(x[:, cols[1]]), rec.fs)
            share = (
                float(paced_beats(spikes.spike_idx, peaks, rec.fs).mean()) if peaks.size else 0.0
            )
            rhythm = analyze_rhythm(rec)
            p_share = rhythm.burden().get("P", 0.0) / 100.0
            rows.append(
                PacingRow(
                    name,
                    r,
                    labels[r],
                    int(spikes.spike_idx.size),
                    share,
                    paced_rhythm(spikes.spike_idx, peaks, rec.fs),
                    p_share,
                )
            )
    return rows


def _markdown(rows: Sequence[PacingRow], command: str) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "## Pacing spikes on LUDB and PTB-XL",
        "",
        f"Generated {when} by `{command}`. Detector constants chosen on LUDB; PTB-XL held out. "
        "Reference: LUDB `Cardiac pacing` naming pacing or P-synchrony; PTB-XL `PACE` statement.",
        "",
        "| database | records | labelled paced | found paced | Se % | unpaced called paced "
        "| Sp % |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for db in sorted({r.database for r in rows}):
        sub = [r for r in rows if r.database == db]
        pos = [r for r in sub if r.labelled_paced]
        neg = [r for r in sub if not r.labelled_paced]
        tp = sum(r.detected_paced for r in pos)
        fp = sum(r.detected_paced for r in neg)
        se = f"{100 * tp / len(pos):.1f}" if pos else "-"
        sp = f"{100 * (1 - fp / len(neg)):.1f}" if neg else "-"
        out.append(f"| {db} | {len(sub)} | {len(pos)} | {tp} | {se} | {fp} | {sp} |")
    out += [
        "",
        "Rhythm analysis (`analyze_rhythm`, paced rhythm `P`):",
        "",
        "| database | labelled paced with P in >= half the record | unpaced records with any P |",
        "|---|--:|--:|",
    ]
    for db in sorted({r.database for r in rows}):
        sub = [r for r in rows if r.database == db]
        pos = [r for r in sub if r.labelled_paced]
        half = sum(r.p_rhythm_share >= 0.5 for r in pos)
        any_p = sum(r.p_rhythm_share > 0 for r in sub if not r.labelled_paced)
        out.append(f"| {db} | {half}/{len(pos)} | {any_p}/{len(sub) - len(pos)} |")
    out += [
        "",
        "Labelled paced records (spikes found, share of beats after a spike, P share):",
        "",
    ]
    out += [
        f"- {r.database} {r.record}: {r.n_spikes} spikes, "
        f"{100 * r.paced_beat_share:.0f} % of beats, P {100 * r.p_rhythm_share:.0f} %, "
        f"{'found' if r.detected_paced else '**missed**'}"
        for r in rows
        if r.labelled_paced
    ]
    false = [r for r in rows if r.detected_paced and not r.labelled_paced]
    out += [
        "",
        "Unpaced records called paced: "
        + (", ".join(f"{r.database} {r.record}" for r in false) or "none"),
    ]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the table, optionally into RESULTS.md."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--results", default=None, help="RESULTS.md to update")
    args = p.parse_args(argv)
    command = "python -m ecgcore.benchmarks.pacing"
    full = invocation(command, argv)
    text = _markdown(run(args.data_dir), full)
    sys.stdout.write(text)
    if args.results:
        replace_results_block(args.results, command, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
