"""Live-pipeline benchmark: CPU load and R-peak event latency in real time.

Run::

    python -m ecgcore.stream.bench [--fs 1000] [--leads 12] [--duration 60] [--mode both]
    python -m ecgcore.stream.bench --mode replay [--db mitdb] [--block-s 0.04]
    python -m ecgcore.stream.bench --mode all --results benchmarks/RESULTS.md

Modes:

* ``device``: the ``sim://`` device paced by the wall clock (its reader thread
  computes the samples) -> :func:`~ecgcore.stream.stream_device` -> display
  filter, R-peak detector, heart rate, quality. CPU is the whole process.
* ``wire``: the simulated samples encoded up front as OpenBCI-style 33-byte
  packets (24-bit counts; 12 leads in a pair of packets per sample), fed in
  20 ms slices at the real-time pace to the OpenBCI packet parser, decoded
  into blocks and run through the same pipeline. CPU is parsing + pipeline,
  also shown split into parsing (bytes to sample blocks), pipeline and the
  rest (the pacing loop's sleeps and wake-ups).
* ``replay``: real records (every mitdb record present, lead 0) fed as fast
  as possible in blocks of ``--block-s`` to the streaming R-peak detector, as
  the live path runs it: the latency of each peak is the time from its sample
  to the end of the block that confirmed it (no wall clock, so machine load
  cannot matter). Real rhythms (ectopy, AF, noise) show the tail that a
  simulated sinus rhythm does not: beats that may still yield to a larger
  peak, and beats found by search-back, wait longer.

Reported: CPU time as a percentage of one core over the wall-clock duration
(after a warm-up that loads the compiled kernels, reported separately),
and the latency of each R-peak event from the arrival of the peak's sample
(p50, p90, p99, max, and the share within 250 ms). The beats of the detector's
learning period (its first 8 s, confirmed together at its end) are counted
but left out of the latency figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

import numpy as np

from ecgcore.benchmarks.machine import load_average, machine_info
from ecgcore.benchmarks.results_md import replace_results_block
from ecgcore.datasets import get_database
from ecgcore.detect.rpeaks import RPeakDetector, _Tuning
from ecgcore.drivers import ChannelInfo, DeviceInfo, SampleBlock, open_device
from ecgcore.drivers.protocols import FrameRun, Message
from ecgcore.drivers.protocols.openbci import OpenBCIParser
from ecgcore.drivers.sim import simulate_ecg
from ecgcore.stream import LivePipeline, PipelineConfig, RPeakEvent, stream_device


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


#: The command that owns the live-pipeline block of RESULTS.md.
RESULTS_COMMAND = "python -m ecgcore.stream.bench"

#: R-peaks of the detector's learning period are left out of the latency figures.
LEARN_S = _Tuning().learn_s


def _report(
    name: str,
    wall_s: float,
    cpu_s: float,
    latencies: list[float],
    n: int,
    *,
    warm_s: float = float("nan"),
    split: str = "",
) -> str:
    lat = np.asarray(latencies) * 1e3
    p50, p90, p99 = np.percentile(lat, [50, 90, 99])
    cpu = (
        ""
        if np.isnan(wall_s)
        else f"CPU {100 * cpu_s / wall_s:5.2f} % of one core over {wall_s:.1f} s "
        f"({split + '; ' if split else ''}warm-up {warm_s:.2f} CPU s before); "
    )
    line = (
        f"{name:7s} {cpu}{n} R-peaks; latency after the {LEARN_S:g} s learning period "
        f"({lat.size} peaks): "
        f"p50 {p50:.0f} ms, p90 {p90:.0f} ms, p99 {p99:.0f} ms, max {lat.max():.0f} ms, "
        f"{100 * np.mean(lat <= 250.0):.1f} % within 250 ms"
    )
    print(line, flush=True)  # noqa: T201 - benchmark script output
    return line


def _warm_up(info: DeviceInfo) -> float:
    """Run a throw-away pipeline over 2 s of signal (loads the compiled kernels); CPU s.

    The CPU figures are the steady load of monitoring: the one-time loading of
    the numba kernels (from the on-disk cache, or compiling them on a first
    run) is paid here, before the clock starts, and reported separately.
    """
    cpu0 = _cpu_s()
    n = round(2.0 * info.fs)
    sim = simulate_ecg(2.0, info.fs, leads=info.n_channels, seed=2)
    data = sim.recording.physical()[:n]
    LivePipeline(info, PipelineConfig()).process(
        SampleBlock(0, data, np.full(n, time.time()), info.units)
    )
    return _cpu_s() - cpu0


def bench_device(fs: float, leads: int, duration_s: float) -> str:
    """Real-time ``sim://`` device through the pipeline."""
    url = f"sim://ecg?fs={fs:g}&leads={leads}&seed=1&emg=0.01&mains=0.02"
    with open_device(url) as dev:
        warm = _warm_up(dev.info)
        pipe = LivePipeline(dev.info, PipelineConfig())
        latencies, n = [], 0
        cpu0, t0 = _cpu_s(), time.monotonic()
        for update in stream_device(dev, pipeline=pipe, duration_s=duration_s):
            for ev in update.events:
                if isinstance(ev, RPeakEvent):
                    n += 1
                    if ev.sample > LEARN_S * fs:
                        latencies.append(ev.latency_s)
        cpu, wall = _cpu_s() - cpu0, time.monotonic() - t0
    return _report("device", wall, cpu, latencies, n, warm_s=warm)


def _encode(counts: np.ndarray) -> bytes:
    """12 leads per sample as two 33-byte OpenBCI packets (8 + 4 channels, 24-bit)."""
    n, ch = counts.shape
    padded = np.zeros((n, 16), dtype=np.int64)
    padded[:, :ch] = counts
    packets = np.zeros((2 * n, 33), dtype=np.uint8)
    packets[:, 0] = 0xA0
    packets[:, 1] = np.arange(1, 2 * n + 1) & 0xFF
    vals = padded.reshape(2 * n, 8) & 0xFFFFFF
    for c in range(8):
        packets[:, 2 + 3 * c] = (vals[:, c] >> 16) & 0xFF
        packets[:, 3 + 3 * c] = (vals[:, c] >> 8) & 0xFF
        packets[:, 4 + 3 * c] = vals[:, c] & 0xFF
    packets[:, 32] = 0xC0
    return packets.tobytes()


def bench_wire(fs: float, leads: int, duration_s: float) -> str:
    """Bytes parsed in real time, decoded to blocks and run through the pipeline."""
    sim = simulate_ecg(duration_s, fs, leads=leads, seed=1, emg=0.01, mains=0.02)
    rec = sim.recording
    wire = _encode(rec.adc.astype(np.int64))
    gain = float(rec.gain[0])
    info = DeviceInfo(
        "bench wire", "", "", tuple(ChannelInfo(n, "mV", gain) for n in rec.lead_names), fs
    )
    warm = _warm_up(info)
    pipe = LivePipeline(info, PipelineConfig())
    parser = OpenBCIParser()
    slice_s = 0.02
    bytes_per_sample = 66
    latencies, n_peaks, done = [], 0, 0
    pending = np.empty((0, 8), dtype=np.int64)
    parse_s = pipe_s = 0.0  # CPU time of this thread in each part
    cpu0, t0 = _cpu_s(), time.monotonic()
    pos = 0
    while pos < len(wire):
        due = min(len(wire), round((time.monotonic() - t0) * fs) * bytes_per_sample)
        if due <= pos:
            time.sleep(0.002)
            continue
        arrival = time.time()
        c0 = time.thread_time()
        items = parser.feed_items(wire[pos:due])  # in-sync runs as arrays, as the driver reads
        pos = due
        rows = np.concatenate(
            [pending]
            + [
                f.values if isinstance(f, FrameRun) else np.array([f.values])
                for f in items
                if not isinstance(f, Message)
            ]
        )
        k = rows.shape[0] // 2
        if k == 0:
            pending = rows
            parse_s += time.thread_time() - c0
            continue
        pairs = rows[: 2 * k].reshape(k, 16)[:, : rec.n_leads].astype(np.float64)
        pending = rows[2 * k :]
        block = SampleBlock(done, pairs / gain, np.full(k, arrival), info.units)
        done += k
        c1 = time.thread_time()
        events = pipe.process(block).events
        parse_s += c1 - c0
        pipe_s += time.thread_time() - c1
        for ev in events:
            if isinstance(ev, RPeakEvent):
                n_peaks += 1
                if ev.sample > LEARN_S * fs:
                    latencies.append(ev.latency_s)
        time.sleep(max(0.0, slice_s - (time.monotonic() - t0) % slice_s))
    cpu, wall = _cpu_s() - cpu0, time.monotonic() - t0
    if done != rec.n_samples:
        raise SystemExit(f"wire: decoded {done} samples, sent {rec.n_samples}")
    split = (
        f"parsing {100 * parse_s / wall:.2f} %, pipeline {100 * pipe_s / wall:.2f} %, "
        f"waiting and pacing {100 * (cpu - parse_s - pipe_s) / wall:.2f} %"
    )
    return _report("wire", wall, cpu, latencies, n_peaks, warm_s=warm, split=split)


def bench_replay(
    database: str, block_s: float, data_dir: str | None, records: list[str] | None = None
) -> str:
    """Confirmation delay of the streaming detector on real records, block by block."""
    db = get_database(database, data_dir)
    latencies: list[float] = []
    n_peaks = 0
    records = db.records() if records is None else records
    for name in records:
        rec, _ = db.load(name, leads=[0])
        x = rec.physical()[:, 0]
        fs = rec.fs
        det = RPeakDetector(fs)
        block = max(1, round(block_s * fs))
        for start in range(0, x.size, block):
            end = min(start + block, x.size)
            for peak in det.process(x[start:end]):
                n_peaks += 1
                if peak > LEARN_S * fs:
                    latencies.append((end - 1 - peak) / fs)
        n_peaks += det.finish().size  # confirmed at the end of the record: no latency
    head = f"{database}: {len(records)} records, lead 0, {block_s * 1e3:g} ms blocks"
    print(head, flush=True)  # noqa: T201 - benchmark script output
    return head + "; " + _report("replay", float("nan"), float("nan"), latencies, n_peaks)


def _results_block(command: str, lines: list[str]) -> str:
    info = machine_info()
    load = load_average()
    return "\n".join(
        [
            "## Live pipeline: CPU and R-peak event latency",
            "",
            f"Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `{command}` "
            "(see `ecgcore/stream/bench.py`, which describes each mode).",
            f"Machine: {info['cpu']} ({info['logical_cpus']} logical CPUs), Python "
            f"{info['python']}; load average at the end {load}.",
            "",
            "Goals (issue: live pipeline): 12 leads at 1 kHz through parsing, filtering and "
            "detection below 5 % of one core; each R-peak event within 250 ms of the arrival "
            "of the peak's sample. `device` includes computing the simulated patient; `wire` "
            "is byte parsing + pipeline; `replay` is the detector's confirmation delay on "
            "real records (no wall clock).",
            "",
            "```",
            *lines,
            "```",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fs", type=float, default=1000.0)
    parser.add_argument("--leads", type=int, default=12)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per mode")
    parser.add_argument(
        "--mode", choices=("device", "wire", "both", "replay", "all"), default="both"
    )
    parser.add_argument("--db", default="mitdb", help="replay: database (default mitdb)")
    parser.add_argument("--block-s", type=float, default=0.04, help="replay: block length, s")
    parser.add_argument("--data-dir", default=None, help="replay: data root")
    parser.add_argument("--records", nargs="+", default=None, help="replay: these records only")
    parser.add_argument(
        "--results", type=Path, default=None, metavar="FILE", help="write the lines as a block"
    )
    args = parser.parse_args(argv)
    lines = []
    if args.mode in ("device", "wire", "both", "all"):
        head = f"{args.leads} leads at {args.fs:g} Hz, {args.duration:g} s real time per mode"
        print(head)  # noqa: T201 - benchmark script output
        lines.append(head)
    if args.mode in ("device", "both", "all"):
        lines.append(bench_device(args.fs, args.leads, args.duration))
    if args.mode in ("wire", "both", "all"):
        lines.append(bench_wire(args.fs, args.leads, args.duration))
    if args.mode in ("replay", "all"):
        lines.append(bench_replay(args.db, args.block_s, args.data_dir, args.records))
    if args.results is not None:
        command = "python -m ecgcore.stream.bench " + " ".join(
            sys.argv[1:] if argv is None else argv
        )
        replace_results_block(args.results, RESULTS_COMMAND, _results_block(command, lines))


if __name__ == "__main__":
    main()
