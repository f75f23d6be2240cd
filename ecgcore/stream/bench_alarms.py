"""Alarm delays of the live pipeline: simulated onsets and PhysioNet records replayed in blocks.

Run::

    python -m ecgcore.stream.bench_alarms [--sim-seeds 5] [--db vfdb,mitdb]
        [--records 418,203] [--block-s 0.1] [--no-loo]

Each record is fed in blocks of ``--block-s`` seconds, as a device delivers
it, through :class:`~ecgcore.stream.LivePipeline` with the live
:class:`~ecgcore.rhythm.stage.RhythmStage` (R-peaks of the pipeline's
detection lead: II/MLII, else the first channel). An alarm is *showing* from
the block that raised it to the block that cleared it.

* Simulated patient (:func:`ecgcore.drivers.sim.simulate_ecg`, 250 Hz, leads
  I and II): sinus, then VF, VT, asystole or a pause at a known time, then
  sinus again. Delay = first moment the matching alarm shows, minus the onset.
* ``vfdb``: reference episodes of ventricular flutter/fibrillation (``(VF``,
  ``(VFL``, ``(VFIB``, ``[``...``]``), ventricular tachycardia (``(VT``) and
  asystole (``(ASYS``). ``mitdb``: ``(VT`` and ``(VFL`` episodes (records
  without them are skipped). Delay = first moment the matching alarm (VF for
  VF/VFL, VT for VT, ASYS for asystole) shows at or after the reference onset;
  an alarm still showing at the onset counts as delay 0 (``already``). An
  episode is missed when no matching alarm with its onset before the episode's
  end (+1 s) is raised by 10 s after that end. ``VF|VT``: either alarm.
  False alarms: raised VF/VT/ASYS alarms whose onset is not within 10 s of a
  reference VF/VFL/VT/asystole episode, per hour of signal.
* Label delays: seconds from a beat to its final class (beats at least 12 s
  after the start of the record, when the R-peak detector has learnt), and
  from the end of an episode to its closed-episode event.

Honesty: with leave-one-out (the default, needs scikit-learn) the VF model is
refitted without the record under test and, on the mitdb DS1 records, the beat
classifier too (as in ``ecg bench rhythm``), since the shipped models were fitted
on these databases. ``--no-loo`` uses the shipped models (optimistic there).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ecgcore.drivers import ChannelInfo, DeviceInfo, SampleBlock
from ecgcore.recording import Recording
from ecgcore.rhythm.stage import (
    BeatClassEvent,
    RhythmAlarmEvent,
    RhythmEpisodeEvent,
    RhythmStage,
)
from ecgcore.stream.pipeline import LivePipeline, PipelineConfig

__all__ = ["Replay", "main", "replay_recording", "time_to_alarm"]

#: Reference rhythm codes -> the alarm kind that must show during them.
REFERENCE_ALARMS: dict[str, dict[str, tuple[str, ...]]] = {
    "vfdb": {"VF": ("VF", "VFL", "VFIB"), "VT": ("VT",), "ASYS": ("ASYS",)},
    "mitdb": {"VF": ("VFL",), "VT": ("VT",)},
}

#: Simulator rhythm -> alarm kind; (seconds of sinus before, seconds of the rhythm).
SIM_ONSETS = {"vf": ("VF", 12.0), "vt": ("VT", 10.0), "asystole": ("ASYS", 8.0),
              "pause": ("PAUSE", 3.0)}  # fmt: skip

_MISS_AFTER_S = 10.0  # a raise later than this after the episode's end belongs to no episode
_SETTLE_S = 12.0  # detector learning + peak delay at the start of a record


@dataclass
class Replay:
    """What a replay through the live pipeline produced.

    Attributes
    ----------
    fs : float
        Sampling rate, Hz.
    duration_s : float
        Signal replayed, seconds.
    showing : dict
        Alarm kind -> list of ``[shown_s, hidden_s, onset_s]`` (stream
        seconds; ``hidden_s`` is inf while still showing at the end).
    beat_delays_s, episode_delays_s : list of float
        Delivery delays of final beat classes (after the first 12 s) and of
        closed episodes, seconds.
    """

    fs: float
    duration_s: float
    showing: dict[str, list[list[float]]] = field(default_factory=dict)
    beat_delays_s: list[float] = field(default_factory=list)
    episode_delays_s: list[float] = field(default_factory=list)


def _device_info(rec: Recording) -> DeviceInfo:
    channels = tuple(
        ChannelInfo(str(n), "mV", float(g)) for n, g in zip(rec.lead_names, rec.gain, strict=True)
    )
    return DeviceInfo("replay", rec.name, "", channels, rec.fs)


def replay_recording(
    rec: Recording,
    *,
    lead: str | None = None,
    block_s: float = 0.1,
    stage: RhythmStage | None = None,
) -> Replay:
    """Feed ``rec`` in blocks of ``block_s`` s through the live pipeline and the rhythm stage."""
    info = _device_info(rec)
    stage = stage or RhythmStage()
    pipe = LivePipeline(info, PipelineConfig(detection_leads=lead), stages=(stage,))
    mv = rec.physical("mV")
    fs = rec.fs
    step = max(1, round(block_s * fs))
    out = Replay(fs, rec.n_samples / fs)

    def take(events: Sequence[Any], at: int) -> None:
        t = at / fs
        for ev in events:
            if isinstance(ev, RhythmAlarmEvent):
                spans = out.showing.setdefault(ev.alarm, [])
                if ev.active:
                    spans.append([t, math.inf, ev.onset_s])
                elif spans and math.isinf(spans[-1][1]):
                    spans[-1][1] = t
            elif isinstance(ev, BeatClassEvent) and ev.sample >= _SETTLE_S * fs:
                out.beat_delays_s.append((at - ev.sample) / fs)
            elif isinstance(ev, RhythmEpisodeEvent) and ev.end_sample < rec.n_samples:
                out.episode_delays_s.append((at - ev.end_sample) / fs)

    for a in range(0, rec.n_samples, step):
        b = min(a + step, rec.n_samples)
        block = SampleBlock(a, mv[a:b], np.zeros(b - a), ("mV",) * rec.n_leads)
        take(pipe.process(block, now=0.0).events, b)
    take(pipe.finish(now=0.0), rec.n_samples)
    return out


def time_to_alarm(
    replay: Replay, kinds: Sequence[str], start_s: float, end_s: float
) -> tuple[float | None, bool]:
    """Seconds from ``start_s`` until an alarm of ``kinds`` shows, and whether it already did.

    None when no such alarm is raised for the episode ``[start_s, end_s)`` (see
    the module notes).
    """
    best: float | None = None
    already = False
    for kind in kinds:
        for shown, hidden, onset in replay.showing.get(kind, []):
            if shown <= start_s < hidden:
                return 0.0, True
            if start_s <= shown <= end_s + _MISS_AFTER_S and onset <= end_s + 1.0:
                d = shown - start_s
                best = d if best is None else min(best, d)
    return best, already


def _percentiles(values: Sequence[float]) -> str:
    if not values:
        return "n/a"
    v = np.asarray(values)
    return (
        f"p50 {np.percentile(v, 50):.1f} s, p90 {np.percentile(v, 90):.1f} s, max {v.max():.1f} s"
    )


@dataclass
class _Tally:
    delays: list[float] = field(default_factory=list)
    already: int = 0
    missed: int = 0
    rows: list[str] = field(default_factory=list)

    def add(self, where: str, delay: float | None, already: bool) -> None:
        if delay is None:
            self.missed += 1
            self.rows.append(f"{where}: missed")
            return
        self.delays.append(delay)
        self.already += int(already)
        self.rows.append(f"{where}: {delay:.1f} s" + (" (already showing)" if already else ""))

    def line(self, name: str) -> str:
        n = len(self.delays) + self.missed
        within = sum(d <= 10.0 for d in self.delays)
        fresh = [d for d, row in zip(self.delays, self._alarmed_rows(), strict=True)
                 if "already" not in row]  # fmt: skip
        return (
            f"{name:6s} onsets {n:3d}: alarm within 10 s {within}/{n}, missed {self.missed}, "
            f"already showing {self.already}; delay of new alarms (n={len(fresh)}) "
            f"{_percentiles(fresh)}"
        )

    def _alarmed_rows(self) -> list[str]:
        return [r for r in self.rows if not r.endswith("missed")]


def _say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - benchmark script output


# ------------------------------------------------------------------ simulated
def bench_simulated(seeds: int, block_s: float, verbose: bool = False) -> None:
    """Known onsets of the simulated patient."""
    from ecgcore.drivers.sim import simulate_ecg  # noqa: PLC0415

    _say(f"simulated patient, 250 Hz, leads I+II, {seeds} seeds per rhythm, {block_s:g} s blocks")
    false_alarms, hours = 0, 0.0
    for rhythm, (kind, length_s) in SIM_ONSETS.items():
        tally = _Tally()
        for seed in range(seeds):
            onset = 15.0 + 2.5 * seed
            schedule = f"sinus:{onset:g},{rhythm}:{length_s:g},sinus"
            sim = simulate_ecg(onset + length_s + 25.0, 250.0, leads=("I", "II"),
                               schedule=schedule, seed=seed)  # fmt: skip
            rep = replay_recording(sim.recording, block_s=block_s)
            delay, already = time_to_alarm(rep, (kind,), onset, onset + length_s)
            tally.add(f"{rhythm} seed {seed}", delay, already)
        _say(tally.line(kind))
        for row in tally.rows if verbose else ():
            _say(f"    {row}")
    for seed in range(seeds):
        sim = simulate_ecg(300.0, 250.0, leads=("I", "II"), rhythm="sinus", seed=100 + seed)
        rep = replay_recording(sim.recording, block_s=block_s)
        false_alarms += sum(len(v) for v in rep.showing.values())
        hours += rep.duration_s / 3600
    _say(f"sinus  alarms on {hours * 60:.0f} min of clean sinus rhythm: {false_alarms}")


# ----------------------------------------------------------------------- real
def _loo_stage(database: str, record: str, data_dir: str | None, tmp: Path) -> RhythmStage:
    """A stage with the VF (and mitdb DS1 beat) model refitted without ``record``."""
    from ecgcore.rhythm import bench as rbench  # noqa: PLC0415

    task = rbench._Task(database, record, data_dir, rbench._DEFAULT_CACHE)
    bc = rbench._loo_beat_classifier(task, tmp)
    vf = rbench._loo_vf_model(task, tmp)
    return RhythmStage(beat_classifier=bc, vf_model=vf)


def bench_database(
    database: str,
    records: Sequence[str] | None,
    *,
    block_s: float,
    loo: bool,
    data_dir: str | None,
    verbose: bool = False,
) -> None:
    """Reference VF/VT/asystole onsets of a PhysioNet database."""
    from ecgcore.benchmarks.episodes import episodes_from_annotations  # noqa: PLC0415
    from ecgcore.datasets import get_database  # noqa: PLC0415
    from ecgcore.rhythm.training import record_lead  # noqa: PLC0415

    db = get_database(database, data_dir)
    wanted = REFERENCE_ALARMS[database]
    tallies = {k: _Tally() for k in wanted}
    either = _Tally()
    beat_d: list[float] = []
    ep_d: list[float] = []
    false_alarms, hours, used = 0, 0.0, []
    for record in records or db.records():
        rd = db.load_record(record)
        rec, ann = rd.recording, rd.annotations
        if ann is None:
            continue
        end = rec.duration_s
        refs = {
            k: episodes_from_annotations(ann, codes, record_end_s=end, vf_markers=k == "VF")
            for k, codes in wanted.items()
        }
        if database == "mitdb" and not any(refs.values()):
            continue
        used.append(record)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            stage = _loo_stage(database, record, data_dir, Path(tmp)) if loo else RhythmStage()
        lead = rec.lead_names[record_lead(rec)]
        rep = replay_recording(rec, lead=lead, block_s=block_s, stage=stage)
        beat_d += rep.beat_delays_s
        ep_d += rep.episode_delays_s
        for kind, eps in refs.items():
            for ep in eps:
                span = ep.end_s - ep.start_s
                where = f"{database}/{record} {kind} at {ep.start_s:.1f} s ({span:.1f} s)"
                tallies[kind].add(where, *time_to_alarm(rep, (kind,), ep.start_s, ep.end_s))
                if kind in ("VF", "VT"):
                    either.add(where, *time_to_alarm(rep, ("VF", "VT"), ep.start_s, ep.end_s))
        all_refs = [ep for eps in refs.values() for ep in eps]
        for kind in ("VF", "VT", "ASYS"):
            for _, _, onset in rep.showing.get(kind, []):
                if not any(ep.start_s - 10.0 <= onset <= ep.end_s + 10.0 for ep in all_refs):
                    false_alarms += 1
        hours += end / 3600
        took = time.perf_counter() - t0
        _say(f"  {database}/{record}: {end / 60:.0f} min replayed in {took:.0f} s")
    models = "leave-one-out models" if loo else "shipped models"
    _say(f"{database} ({len(used)} records: {' '.join(used)}; {models}), {block_s:g} s blocks")
    for kind, tally in tallies.items():
        _say(tally.line(kind))
        for row in tally.rows if verbose else ():
            _say(f"    {row}")
    _say(either.line("VF|VT"))
    rate = false_alarms / max(hours, 1e-9)
    _say(f"false VF/VT/ASYS alarms: {false_alarms} in {hours:.1f} h ({rate:.1f}/h)")
    within = sum(d <= 10.0 for d in beat_d)
    _say(f"beat label delay (>= 12 s): {_percentiles(beat_d)}; within 10 s {within}/{len(beat_d)}")
    within = sum(d <= 10.0 for d in ep_d)
    _say(f"closed-episode delay: {_percentiles(ep_d)}; within 10 s {within}/{len(ep_d)}")


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sim-seeds", type=int, default=5, help="simulated onsets per rhythm (0: none)"
    )
    parser.add_argument("--db", default="vfdb,mitdb", help="databases ('' for none)")
    parser.add_argument("--records", default=None, help="comma-separated records (default all)")
    parser.add_argument("--block-s", type=float, default=0.1, help="block length, seconds")
    parser.add_argument("--no-loo", action="store_true", help="shipped models (no refits)")
    parser.add_argument("--data-dir", default=None, help="data root (default ../shared/datasets)")
    parser.add_argument("--verbose", action="store_true", help="one line per onset")
    args = parser.parse_args(argv)
    if args.sim_seeds:
        bench_simulated(args.sim_seeds, args.block_s, args.verbose)
    records = args.records.split(",") if args.records else None
    for database in filter(None, args.db.split(",")):
        if database not in REFERENCE_ALARMS:
            parser.error(f"--db {database}: expected one of {', '.join(REFERENCE_ALARMS)}")
        bench_database(
            database, records, block_s=args.block_s, loo=not args.no_loo,
            data_dir=args.data_dir, verbose=args.verbose,
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
