"""Atrial flutter (``AFL``) of the rhythm analysis against LUDB, PTB-XL and MIT-BIH labels.

Every LUDB, PTB-XL and MIT-BIH record present goes through
:func:`ecgcore.rhythm.analyze_rhythm` (its default lead: II, MLII), with the
shipped models (atrial flutter is on by default; ``RhythmConfig(flutter=True)``
is passed to say so). References:

* LUDB: ``ludb.csv`` ``Rhythms`` naming atrial flutter (flutter records) or
  atrial fibrillation (AF records); every other record is neither;
* PTB-XL: the SCP statement ``AFLT`` (any likelihood) in ``scp_codes``, else
  ``AFIB``, else neither;
* MIT-BIH: the reference rhythm episodes ``(AFL`` and ``(AFIB`` of the
  ``.atr`` aux notes.

A 10 s record counts as called flutter when ``AFL`` is painted over at least
half of it. On MIT-BIH the ``AFL`` episodes are compared with the reference
flutter episodes over the whole record (EC57 ``epicmp`` overlap rules, no
learning period), and the ``AFL`` painted inside reference AF and outside both
is reported. The flutter detector's constants were chosen on LUDB and the
simulator's sinus rhythm; PTB-XL and MIT-BIH are held out (the beat
classifier, which labels the beats the rhythm builds on, was fitted on
MIT-BIH). The simulator's clean sinus rhythm and its atrial flutter are
measured too.

Run: ``python -m ecgcore.benchmarks.flutter [--data-dir DIR] [--results benchmarks/RESULTS.md]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from ecgcore.benchmarks.episodes import (
    AF_CODES,
    AFL_CODES,
    EpisodeComparison,
    compare_episodes,
    episodes_from_annotations,
)
from ecgcore.benchmarks.results_md import invocation, replace_results_block
from ecgcore.datasets import get_database
from ecgcore.datasets.metadata import ludb_table, ptbxl_table, scp_codes
from ecgcore.rhythm import RhythmConfig, analyze_rhythm

__all__ = ["FlutterRow", "MitdbFlutterRow", "ludb_rhythm", "main", "ptbxl_rhythm", "run"]

#: The rhythm analysis with atrial flutter switched on.
CONFIG = RhythmConfig(flutter=True)

#: Share of a 10 s record painted ``AFL`` for the record to count as called flutter.
RECORD_SHARE: float = 0.5


class FlutterRow(NamedTuple):
    """One 10 s record: reference rhythm class and the painted shares."""

    database: str
    record: str
    label: str  # "AFL", "AF" or "other"
    afl_share: float
    afib_share: float


class MitdbFlutterRow(NamedTuple):
    """One MIT-BIH record: flutter episodes against the reference (seconds)."""

    record: str
    afl: EpisodeComparison
    afl_in_ref_af_s: float
    afl_elsewhere_s: float
    duration_s: float


def _label(flutter: bool, af: bool) -> str:
    return "AFL" if flutter else "AF" if af else "other"


def ludb_rhythm(path: Path) -> dict[str, str]:
    """LUDB record -> ``"AFL"``, ``"AF"`` or ``"other"`` from ``ludb.csv`` ``Rhythms``."""
    return {
        r: _label("flutter" in row["Rhythms"].lower(), "fibrillation" in row["Rhythms"].lower())
        for r, row in ludb_table(path).items()
    }


def ptbxl_rhythm(path: Path) -> dict[str, str]:
    """PTB-XL record (``00001``) -> ``"AFL"`` (``AFLT``), ``"AF"`` (``AFIB``) or ``"other"``."""
    out = {}
    for r, row in ptbxl_table(path).items():
        codes = scp_codes(row)
        out[r] = _label("AFLT" in codes, "AFIB" in codes)
    return out


def _overlap_s(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> float:
    return sum(max(0.0, min(e0, e1) - max(s0, s1)) for s0, e0 in a for s1, e1 in b)


def run(
    data_dir: str | None = None,
) -> tuple[
    list[FlutterRow],
    list[MitdbFlutterRow],
    list[tuple[float, int, float]],
    list[tuple[float, int, float]],
]:
    """Analyse every record present and the simulated sinus rhythms and flutter."""
    rows: list[FlutterRow] = []
    for name, labels_of in (("ludb", ludb_rhythm), ("ptb-xl", ptbxl_rhythm)):
        db = get_database(name, data_dir)
        labels = labels_of(db.path)
        for r in db.records():
            rec, _ = db.load(r)
            burden = analyze_rhythm(rec, config=CONFIG).burden()
            rows.append(
                FlutterRow(
                    name, r, labels[r], burden.get("AFL", 0.0) / 100, burden.get("AFIB", 0.0) / 100
                )
            )
    mit: list[MitdbFlutterRow] = []
    db = get_database("mitdb", data_dir)
    for r in db.records():
        rd = db.load_record(r)
        dur = rd.recording.duration_s
        result = analyze_rhythm(rd.recording, config=CONFIG)
        test = result.episodes_of(("AFL",))
        ref_afl = list(episodes_from_annotations(rd.annotations, AFL_CODES, record_end_s=dur))
        ref_af = list(episodes_from_annotations(rd.annotations, AF_CODES, record_end_s=dur))
        in_af = _overlap_s(test, ref_af)
        total = sum(e - s for s, e in test)
        comparison = compare_episodes(ref_afl, test, start_s=0.0)
        mit.append(
            MitdbFlutterRow(r, comparison, in_af, total - in_af - comparison.test_overlap_s, dur)
        )
    return rows, mit, simulated_sinus(), simulated_flutter()


#: Simulated sinus rhythms measured: rates (bpm) and seeds, 40 s each.
SIM_RATES = tuple(range(60, 190, 5))
SIM_SEEDS = (1, 2, 3)


#: Ventricular rates of the simulated flutter (bpm): 4:1, 3:1 and 2:1 conduction.
SIM_FLUTTER_RATES = (75, 100, 150)


def _sim_afl_share(rhythm: str, hr: float, seed: int) -> float:
    from ecgcore.drivers.sim import simulate_ecg

    sim = simulate_ecg(40, 500.0, leads=12, rhythm=rhythm, hr=hr, seed=seed)
    return analyze_rhythm(sim.recording, config=CONFIG).burden().get("AFL", 0.0) / 100


def simulated_sinus() -> list[tuple[float, int, float]]:
    """``(rate_bpm, seed, AFL share)`` of the simulator's clean sinus rhythm (12 leads, 500 Hz)."""
    return [(float(hr), s, _sim_afl_share("sinus", hr, s)) for hr in SIM_RATES for s in SIM_SEEDS]


def simulated_flutter() -> list[tuple[float, int, float]]:
    """``(rate_bpm, seed, AFL share)`` of the simulator's atrial flutter (40 s, 12 leads)."""
    return [
        (float(hr), s, _sim_afl_share("aflutter", hr, s))
        for hr in SIM_FLUTTER_RATES
        for s in SIM_SEEDS
    ]


def _pct(num: float, den: float) -> str:
    return f"{100 * num / den:.1f}" if den > 0 else "-"


def _markdown(
    rows: Sequence[FlutterRow],
    mit: Sequence[MitdbFlutterRow],
    sim: Sequence[tuple[float, int, float]],
    sim_flutter: Sequence[tuple[float, int, float]],
    *,
    command: str,
    wall_s: float,
) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "## Atrial flutter (AFL) on LUDB, PTB-XL and MIT-BIH",
        "",
        f"Generated {when} by `{command}` (wall time {wall_s:.0f} s, 2 shared CPUs).",
        "",
        "`analyze_rhythm(..., config=RhythmConfig(flutter=True))` (the default) "
        "with the shipped models on each record's default lead (II, MLII). "
        "Flutter detector constants chosen on LUDB and the simulator's sinus rhythm; PTB-XL and "
        "MIT-BIH held out (no constant was set on them, but PTB-XL was scored after each of the "
        "detector's design steps). References: "
        "LUDB `Rhythms` (flutter, fibrillation); PTB-XL `AFLT` (any likelihood), else `AFIB`; "
        "MIT-BIH `(AFL` and `(AFIB` rhythm episodes. A 10 s record is called flutter when AFL "
        f"is painted over at least {100 * RECORD_SHARE:.0f} % of it.",
        "",
        "| database | flutter records | called flutter | AF records | AF called flutter "
        "| AF with any AFL | other records | other called flutter | other with any AFL |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for db in sorted({r.database for r in rows}):
        sub = [r for r in rows if r.database == db]
        by = {lab: [r for r in sub if r.label == lab] for lab in ("AFL", "AF", "other")}

        def called(group: list[FlutterRow]) -> int:
            return sum(r.afl_share >= RECORD_SHARE for r in group)

        def touched(group: list[FlutterRow]) -> int:
            return sum(r.afl_share > 0 for r in group)

        out.append(
            f"| {db} | {len(by['AFL'])} | {called(by['AFL'])} | {len(by['AF'])} "
            f"| {called(by['AF'])} | {touched(by['AF'])} | {len(by['other'])} "
            f"| {called(by['other'])} | {touched(by['other'])} |"
        )
    out += ["", "Flutter records (AFL and AFIB share of the record):", ""]
    out += [
        f"- {r.database} {r.record}: AFL {100 * r.afl_share:.0f} %, "
        f"AFIB {100 * r.afib_share:.0f} %"
        + ("" if r.afl_share >= RECORD_SHARE else " (**missed**)")
        for r in rows
        if r.label == "AFL"
    ]
    false = [r for r in rows if r.label != "AFL" and r.afl_share >= RECORD_SHARE]
    out += [
        "",
        "Records without flutter called flutter: "
        + (", ".join(f"{r.database} {r.record} ({r.label})" for r in false) or "none"),
        "",
    ]
    total = mit[0].afl if mit else None
    for m in mit[1:]:
        total = total + m.afl if total is not None else m.afl
    hours = sum(m.duration_s for m in mit) / 3600
    out += [
        f"MIT-BIH ({len(mit)} records, {hours:.1f} h; whole records, EC57 overlap rules; "
        "reference flutter lies in 203 only):",
        "",
        "| record | ref AFL min | AFL min | overlap min | duration Se % | duration +P % "
        "| AFL in ref AF min | AFL elsewhere min |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for m in [*mit, None]:
        if m is None:
            if total is None:
                break
            name, c = "all", total
            in_af = sum(x.afl_in_ref_af_s for x in mit)
            other = sum(x.afl_elsewhere_s for x in mit)
        else:
            name, c, in_af, other = m.record, m.afl, m.afl_in_ref_af_s, m.afl_elsewhere_s
            if c.ref_duration_s == 0 and c.test_duration_s == 0:
                continue
        out.append(
            f"| {name} | {c.ref_duration_s / 60:.1f} | {c.test_duration_s / 60:.1f} "
            f"| {c.ref_overlap_s / 60:.1f} | {_pct(c.ref_overlap_s, c.ref_duration_s)} "
            f"| {_pct(c.test_overlap_s, c.test_duration_s)} | {in_af / 60:.1f} "
            f"| {other / 60:.1f} |"
        )
    out += ["", "Records not listed: no AFL painted and no reference flutter."]
    hit = sorted({int(hr) for hr, _, share in sim if share > 0})
    at = f" (at {', '.join(map(str, hit))} bpm)" if hit else ""
    out += [
        "",
        f"Simulated clean sinus rhythm (`ecgcore.drivers.sim.simulate_ecg`, 40 s, 12 leads, "
        f"500 Hz, {min(SIM_RATES)}-{max(SIM_RATES)} bpm in steps of 5, seeds "
        f"{', '.join(map(str, SIM_SEEDS))}): AFL painted in {sum(sh > 0 for _, _, sh in sim)} "
        f"of {len(sim)} runs{at}, over "
        f"{100 * sum(sh for _, _, sh in sim) / max(len(sim), 1):.1f} % of their time.",
    ]
    out += [
        "",
        "Simulated atrial flutter (`rhythm=aflutter`, 40 s, 12 leads, 500 Hz, waves near "
        "300 /min, one beat in four conducted a wave later), share of the time painted AFL:",
        "",
        "| rate bpm | conduction | " + " | ".join(f"seed {s}" for s in SIM_SEEDS) + " |",
        "|--:|---|" + "--:|" * len(SIM_SEEDS),
    ]
    for hr in SIM_FLUTTER_RATES:
        shares = [sh for r, _, sh in sim_flutter if r == hr]
        block = max(2, round(300 / hr))
        out.append(
            f"| {hr} | {block}:1 | " + " | ".join(f"{100 * sh:.0f} %" for sh in shares) + " |"
        )
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the tables, optionally into RESULTS.md."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--results", default=None, help="RESULTS.md to update")
    args = p.parse_args(argv)
    command = "python -m ecgcore.benchmarks.flutter"
    full = invocation(command, argv)
    t0 = time.perf_counter()
    rows, mit, sim, sim_flutter = run(args.data_dir)
    text = _markdown(rows, mit, sim, sim_flutter, command=full, wall_s=time.perf_counter() - t0)
    sys.stdout.write(text)
    if args.results:
        replace_results_block(args.results, command, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
