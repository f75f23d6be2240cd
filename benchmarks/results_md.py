"""Regenerate ``benchmarks/RESULTS.md`` with one command: ``ecg bench report``.

Runs, on the data root's databases:

1. ``detect``: every default detector on every mitdb record present (lead 0,
   EC57 from minute 5), in this process (one worker, so timings are honest);
2. ``noise``: the nstdb stress records present and mitdb 118/119 with nstdb
   ``bw``/``ma`` noise added at 24, 12, 6 and 0 dB;
3. scale-out: the same detect job again with 2 local worker processes,
   wall-clock speed-up against the single-process run.

and writes RESULTS.md plus CSV/JSON/PNG files in ``<out>/results/``.
"""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ecgcore.benchmarks.detect import REPEAT_BUDGET_S
from ecgcore.benchmarks.executors import LocalExecutor
from ecgcore.benchmarks.machine import load_average, machine_info
from ecgcore.benchmarks.report import format_gross_table, format_record_table, write_outputs
from ecgcore.benchmarks.runner import DetectConfig, NoiseConfig, run_benchmark

__all__ = ["REPORT_COMMAND", "generate_results", "invocation", "replace_results_block"]

REPORT_COMMAND = "ecg bench report --out benchmarks"
NOISE_SNRS = (24.0, 12.0, 6.0, 0.0)
TIMED_RUNS = 3  # every detector timed 3 times per record, the shortest run counts


def _machine_lines(info: dict[str, object]) -> list[str]:
    pk = info.get("packages", {})
    pkgs = ", ".join(f"{k} {v}" for k, v in pk.items()) if isinstance(pk, dict) else ""
    return [
        f"- CPU: {info['cpu']} ({info['logical_cpus']} logical CPUs, "
        f"{info['cpus_usable']} usable by the run)",
        f"- memory: {info['memory_gb']} GB; OS: {info['os']}; Python {info['python']}",
        f"- packages: {pkgs}",
    ]


def generate_results(
    out_dir: str | Path,
    *,
    data_dir: str | None = None,
    records: tuple[str, ...] | None = None,
    max_duration_s: float | None = None,
    detectors: tuple[str, ...] | None = None,
    progress: bool = True,
) -> Path:
    """Run the published benchmarks and write ``<out_dir>/RESULTS.md``.

    ``records``, ``max_duration_s`` and ``detectors`` shorten the run (checks of
    the report itself); the published report uses every mitdb record present,
    whole, with every default detector.
    """
    limits: dict[str, Any] = {"data_dir": data_dir, "max_duration_s": max_duration_s}
    if detectors is not None:
        limits["detectors"] = detectors
    out = Path(out_dir)
    files = out / "results"
    load = {1: load_average()}
    detect = run_benchmark(
        "detect",
        DetectConfig(records=records, repeat=TIMED_RUNS, **limits),
        executor=LocalExecutor(1),
        progress=progress,
        command=REPORT_COMMAND,
    )
    write_outputs(detect, files, stem="mitdb_detect")
    noise = run_benchmark(
        "noise",
        NoiseConfig(snrs=NOISE_SNRS, records=records or NoiseConfig.records, **limits),
        executor=LocalExecutor(1),
        progress=progress,
        command=REPORT_COMMAND,
    )
    write_outputs(noise, files, stem="nstdb_noise")
    # scale-out: the same detect job again with 2 local worker processes
    load[2] = load_average()
    scale = {
        1: detect,
        2: run_benchmark(
            "detect",
            DetectConfig(records=records, repeat=TIMED_RUNS, **limits),
            executor=LocalExecutor(2),
            progress=progress,
            command=REPORT_COMMAND,
        ),
    }
    same = [(r.record, r.detector, r.tp, r.fn, r.fp) for r in scale[1].rows] == [
        (r.record, r.detector, r.tp, r.fn, r.fp) for r in scale[2].rows
    ]

    scored = sorted({r.record for r in detect.rows})
    skipped = [f"{d.name} ({d.reason})" for d in detect.detectors if not d.available]
    command = REPORT_COMMAND
    if records is not None or max_duration_s is not None or detectors is not None:
        command += " (shortened run: not the published figures)"
    lines = [
        "# ecgcore benchmark results",
        "",
        "## Detector benchmarks (EC57)",
        "",
        f"Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `{command}` "
        "(see `benchmarks/results_md.py`; raw CSV/JSON/PNG in `benchmarks/results/`).",
        "",
        "Machine:",
        *_machine_lines(machine_info()),
        "",
        "Scoring: ANSI/AAMI EC57 beat-by-beat comparison (WFDB `bxb` rules: 150 ms match "
        "window, scoring from minute 5, reference = every beat label in `.atr`, ventricular "
        "flutter intervals excluded), implemented in `ecgcore.benchmarks.ec57`. Every "
        "detector gets the raw lead-0 signal in mV and does its own filtering; each is timed "
        "on the same data in the same process, after a warm-up call on 10 s of signal "
        "(imports, JIT compilation) that is reported separately; each detector runs up to "
        f"{TIMED_RUNS} times on each record (fewer once its runs took {REPEAT_BUDGET_S:g} s) "
        "and the shortest run counts (as `timeit` does), so that other work on the machine "
        "disturbs the figures as little as possible.",
        "",
        "### R-peak detection on MIT-BIH",
        "",
        f"Records ({len(scored)}, those present in the shared data): {' '.join(scored)}.",
        "",
        format_gross_table(detect.gross),
        "",
        *([f"Not run: {'; '.join(skipped)}.", ""] if skipped else []),
        f"Wall time {detect.wall_s:.0f} s ({detect.executor}).",
        "",
        "![accuracy vs speed](results/mitdb_detect_scatter.png)",
        "",
        "![per-record F1](results/mitdb_detect_records.png)",
        "",
        "#### Per record",
        "",
        format_record_table(detect.rows),
        "",
        "### Noise robustness",
        "",
        "nstdb stress records (118/119 with electrode-motion noise, SNR in the name; only "
        "those present in the shared data) and mitdb 118/119 with nstdb `bw` (baseline "
        "wander) and `ma` (muscle artefact) added at "
        f"{', '.join(f'{s:g}' for s in NOISE_SNRS)} dB with the `nst` protocol (noise on "
        "from minute 5 in alternating 2-minute blocks, SNR from the QRS peak-to-peak "
        "amplitude and the noise RMS), implemented in `ecgcore.benchmarks.noise`.",
        "",
        format_gross_table(noise.gross),
        "",
        f"Wall time {noise.wall_s:.0f} s.",
        "",
        "![noise: accuracy vs speed](results/nstdb_noise_scatter.png)",
        "",
        "### Scale-out: 1 vs 2 local workers",
        "",
        f"The whole detect job above ({len(scored)} records, every detector) run again "
        "with `--jobs 2`; wall-clock time including worker start-up and each worker's "
        "warm-up (JIT compilation):",
        "",
        "| workers | wall time s | speed-up | load average at start |",
        "|--:|--:|--:|--:|",
        f"| 1 (in-process) | {scale[1].wall_s:.1f} | 1.00 | {load[1]} |",
        f"| 2 processes | {scale[2].wall_s:.1f} | {scale[1].wall_s / scale[2].wall_s:.2f} "
        f"| {load[2]} |",
        "",
        f"Per-record counts identical between the two runs: {'yes' if same else 'NO'}. "
        f"The machine has {machine_info()['cpus_usable']} usable CPUs shared with other "
        "work (load average above), so the speed-up is a lower bound. The Dask executor "
        "(`--executor dask --scheduler ADDR`) runs the same tasks on a cluster.",
        "",
    ]
    path = out / "RESULTS.md"
    replace_results_block(path, "ecg bench report", "\n".join(lines[2:]))
    return path


def invocation(command: str, argv: Sequence[str] | None) -> str:
    """``command`` followed by its arguments (``sys.argv[1:]`` when ``argv`` is None), quoted."""
    args = sys.argv[1:] if argv is None else argv
    return shlex.join([*shlex.split(command), *args])


def _markers(command: str) -> tuple[str, str]:
    return (
        f"<!-- begin: generated by `{command}` -->",
        f"<!-- end: generated by `{command}` -->",
    )


def replace_results_block(path: str | Path, command: str, body: str) -> Path:
    """Write ``body`` as the block of RESULTS.md that ``command`` owns.

    Each published benchmark (detectors, rhythm, grading...) keeps its own
    section in the same file, framed by HTML comments naming the command that
    generated it; only that block is replaced, everything else is kept.

    Parameters
    ----------
    path : str or Path
        The RESULTS.md file (created with a title when missing).
    command : str
        The command that regenerates the block, e.g. ``"ecg bench report --out benchmarks"``
        (shown in the markers).
    body : str
        Markdown of the block.
    """
    path = Path(path)
    begin, end = _markers(command)
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        if begin in text and end in text:
            head, rest = text.split(begin, 1)
            tail = rest.split(end, 1)[1]
            path.write_text(head + block + tail, encoding="utf-8")
            return path
        path.write_text(text.rstrip() + "\n\n" + block + "\n", encoding="utf-8")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# ecgcore benchmark results\n\n{block}\n", encoding="utf-8")
    return path
