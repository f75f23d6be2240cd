"""Side-by-side detector benchmark: scoring plumbing, executors, missing peers, CLI."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ecgcore.benchmarks import peers
from ecgcore.benchmarks.aami import aami_class
from ecgcore.benchmarks.ec57 import compare_beats
from ecgcore.benchmarks.executors import DaskExecutor, LocalExecutor, make_executor
from ecgcore.benchmarks.peers import DetectorFamily, detector_status, parse_detector
from ecgcore.benchmarks.report import format_markdown
from ecgcore.benchmarks.results import BenchmarkResult
from ecgcore.benchmarks.runner import DetectConfig, run_benchmark
from ecgcore.cli.main import main
from ecgcore.datasets import get_database
from ecgcore.errors import DataError

QUICK = {"max_duration_s": 300.0, "start_s": 60.0}


def _key(result: BenchmarkResult) -> list[tuple]:
    return [(r.record, r.detector, r.n_samples, r.tp, r.fn, r.fp, r.error) for r in result.rows]


@pytest.fixture
def fake_families() -> Iterator[None]:
    def broken(_: str | None) -> peers.DetectFn:
        def detect(signal: np.ndarray, fs: float) -> np.ndarray:
            raise RuntimeError("detector exploded")

        return detect

    added = [
        DetectorFamily(
            name="absentpeer",
            description="needs a module that is not installed",
            requires=("ecgcore_no_such_module_xyz",),
            build=broken,
            install_hint="pip install absentpeer",
        ),
        DetectorFamily(name="brokenpeer", description="raises", requires=(), build=broken),
    ]
    for fam in added:
        peers.register_detector_family(fam)
    yield
    for fam in added:
        del peers._FAMILIES[fam.name]


def test_parse_detector_names() -> None:
    fam, opt = parse_detector("neurokit2:pantompkins1985")
    assert (fam.name, opt) == ("neurokit2", "pantompkins1985")
    assert parse_detector("neurokit2")[1] == "neurokit"
    with pytest.raises(ValueError, match="unknown detector 'nosuch'"):
        parse_detector("nosuch")
    with pytest.raises(ValueError, match="sleepecg takes no option"):
        parse_detector("sleepecg:fast")
    with pytest.raises(ValueError, match="already registered"):
        peers.register_detector_family(peers.DETECTOR_FAMILIES["sleepecg"])


def test_missing_peer_status(fake_families: None) -> None:
    ok, reason = detector_status("absentpeer")
    assert not ok and "ecgcore_no_such_module_xyz is not installed" in reason
    assert "pip install absentpeer" in reason
    with pytest.raises(ImportError, match="unavailable"):
        peers.build_detector("absentpeer")


def test_executor_options_are_checked() -> None:
    with pytest.raises(ValueError, match="needs --scheduler"):
        make_executor("dask")
    with pytest.raises(ValueError, match="--jobs is for --executor local"):
        make_executor("dask", scheduler="tcp://127.0.0.1:1", jobs=2)
    with pytest.raises(ValueError, match="--scheduler is for --executor dask"):
        make_executor("local", scheduler="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="jobs"):
        LocalExecutor(0)
    with pytest.raises(ValueError, match="unknown executor"):
        make_executor("slurm")


@pytest.mark.shared_data
def test_rows_are_ec57_scores_of_the_detector_output(data_dir: Path) -> None:
    import sleepecg
    import wfdb

    cfg = DetectConfig(
        records=("101", "208"), detectors=("ecgcore", "sleepecg"), data_dir=str(data_dir), **QUICK
    )
    result = run_benchmark("detect", cfg, progress=False)
    assert [(r.record, r.detector) for r in result.rows] == [
        ("101", "ecgcore"),
        ("101", "sleepecg"),
        ("208", "ecgcore"),
        ("208", "sleepecg"),
    ]
    fs = 360.0
    for record in ("101", "208"):
        ann = wfdb.rdann(str(data_dir / "mitdb" / record), "atr")
        sig, _ = wfdb.rdsamp(str(data_dir / "mitdb" / record), channels=[0], sampto=108000)
        is_beat = np.array([aami_class(sym) is not None for sym in ann.symbol])
        beats = ann.sample[is_beat]
        in_scored = np.count_nonzero((beats >= 60 * fs) & (beats < 300 * fs))
        rows = {r.detector: r for r in result.rows if r.record == record}
        for r in rows.values():
            assert r.error is None
            assert r.n_samples == 108000 and r.fs == fs
            assert r.n_ref == r.tp + r.fn == in_scored
            assert r.seconds > 0 and r.msamples_per_s > 0
        # the same numbers straight from the peer and the EC57 comparison
        peaks = sleepecg.detect_heartbeats(sig[:, 0], fs)
        keep = ann.sample < 108000
        direct = compare_beats(
            ann.sample[keep],
            peaks,
            fs,
            start_s=60.0,
            ref_symbols=[s for s, k in zip(ann.symbol, keep, strict=True) if k],
        )
        got = rows["sleepecg"]
        assert (got.tp, got.fn, got.fp) == (direct.tp, direct.fn, direct.fp)
    gross = {g.detector: g for g in result.gross}
    assert gross["sleepecg"].tp == sum(r.tp for r in result.rows if r.detector == "sleepecg")
    assert gross["ecgcore"].n_records == 2


@pytest.mark.shared_data
def test_process_pool_and_dask_give_identical_results(data_dir: Path) -> None:
    from distributed import LocalCluster

    cfg = DetectConfig(
        records=("101", "208"), detectors=("sleepecg",), data_dir=str(data_dir), **QUICK
    )
    inline = run_benchmark("detect", cfg, executor=LocalExecutor(1), progress=False)
    pool = run_benchmark("detect", cfg, executor=LocalExecutor(2), progress=False)
    assert pool.executor == "local, 2 processes"
    assert _key(pool) == _key(inline)
    with LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        dask = run_benchmark(
            "detect", cfg, executor=DaskExecutor(cluster.scheduler_address), progress=False
        )
    assert dask.executor.startswith("dask, scheduler tcp://127.0.0.1:")
    assert _key(dask) == _key(inline)


@pytest.mark.shared_data
def test_missing_and_failing_peers_are_reported(data_dir: Path, fake_families: None) -> None:
    cfg = DetectConfig(
        records=("101",),
        detectors=("sleepecg", "absentpeer", "brokenpeer"),
        data_dir=str(data_dir),
        **QUICK,
    )
    result = run_benchmark("detect", cfg, progress=False)
    states = {d.name: d for d in result.detectors}
    assert not states["absentpeer"].available and states["sleepecg"].available
    assert [r.detector for r in result.rows] == ["sleepecg", "brokenpeer"]
    broken = result.rows[1]
    assert broken.error == "RuntimeError: detector exploded"
    gross = {g.detector: g for g in result.gross}
    assert gross["brokenpeer"].failed_records == ("101",) and gross["brokenpeer"].n_records == 0
    md = format_markdown(result)
    assert "Not run: absentpeer (ecgcore_no_such_module_xyz is not installed" in md
    assert "failed: RuntimeError: detector exploded" in md


@pytest.mark.shared_data
def test_run_refuses_what_cannot_be_scored(data_dir: Path, fake_families: None) -> None:
    with pytest.raises(DataError, match="no requested detector can run here"):
        run_benchmark("detect", DetectConfig(detectors=("absentpeer",), data_dir=str(data_dir)))
    with pytest.raises(DataError, match="vfdb has no beat-by-beat reference"):
        run_benchmark("detect", DetectConfig(database="vfdb", data_dir=str(data_dir)))
    with pytest.raises(DataError, match=r"record\(s\) 999 not found"):
        run_benchmark("detect", DetectConfig(records=("999",), data_dir=str(data_dir)))


@pytest.mark.shared_data
def test_cli_detect_writes_table_csv_json_png(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "out"
    argv = [
        "bench", "detect", "--db", "mitdb", "--records", "101",
        "--detectors", "ecgcore,sleepecg", "--max-duration-s", "300", "--start-s", "60",
        "--data-dir", str(data_dir), "--out", str(out), "--quiet",
    ]  # fmt: skip
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    assert "| detector | condition | records | ref beats | Se % | +P % | F1 %" in stdout
    assert "| 101 | clean | sleepecg |" in stdout
    status = get_database("mitdb", data_dir).status()
    if status.state == "partial":
        assert f"Note: mitdb is partial here: {status.present} of 48 records present" in stdout
    for name in ("bench_detect.md", "bench_detect.csv", "bench_detect.json"):
        assert (out / name).stat().st_size > 0
    for name in ("bench_detect_scatter.png", "bench_detect_records.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((out / "bench_detect.json").read_text())
    assert data["command"].startswith("ecg ") or data["command"] == ""
    assert {g["detector"] for g in data["gross"]} == {"ecgcore", "sleepecg"}
    assert data["machine"]["python"]
    with (out / "bench_detect.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["record"] for r in rows].count("GROSS") == 2
    assert main([*argv[:7], "nosuch", *argv[8:]]) == 1
    assert "unknown detector 'nosuch'" in capsys.readouterr().err


@pytest.mark.shared_data
def test_cli_noise_runs_stress_records_and_added_noise(
    data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    if not (data_dir / "nstdb" / "ma.hea").exists():
        pytest.skip("nstdb noise records not in the local data")
    argv = [
        "bench", "noise", "--records", "118", "--noise", "ma", "--snr", "6",
        "--detectors", "sleepecg", "--max-duration-s", "480", "--data-dir", str(data_dir),
        "--quiet", "--no-record-table",
    ]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "| sleepecg | ma 6 dB | 1 |" in out
    assert "| sleepecg | em 0 dB (nstdb) | 1 |" in out


@pytest.mark.shared_data
def test_records_without_reference_are_skipped_or_refused(data_dir: Path) -> None:
    nstdb = get_database("nstdb", data_dir)
    stress = [r for r in nstdb.records() if nstdb.has_reference(r)]
    if not stress or "bw" not in nstdb.records():
        pytest.skip("nstdb stress and noise records not in the local data")
    cfg = DetectConfig(database="nstdb", detectors=("sleepecg",), data_dir=str(data_dir), **QUICK)
    result = run_benchmark("detect", cfg, progress=False)
    assert [r.record for r in result.rows] == stress  # bw, ma (no .atr) left out
    with pytest.raises(DataError, match=r"bw have no reference annotations \(.atr\)"):
        run_benchmark(
            "detect", DetectConfig(database="nstdb", records=("bw",), data_dir=str(data_dir))
        )


@pytest.mark.shared_data
def test_results_report_is_generated(data_dir: Path, tmp_path: Path) -> None:
    from ecgcore.benchmarks.results_md import generate_results

    path = generate_results(
        tmp_path,
        data_dir=str(data_dir),
        records=("101",),
        max_duration_s=360.0,
        detectors=("sleepecg",),
        progress=False,
    )
    text = path.read_text()
    assert "shortened run: not the published figures" in text
    for heading in ("### R-peak detection on MIT-BIH", "### Noise robustness", "### Scale-out"):
        assert heading in text
    assert "| sleepecg | clean | 1 |" in text and "| sleepecg | bw 0 dB | 1 |" in text
    assert "Per-record counts identical between the two runs: yes" in text
    for name in ("mitdb_detect.csv", "mitdb_detect_scatter.png", "nstdb_noise.json"):
        assert (tmp_path / "results" / name).is_file()
    # other sections of RESULTS.md survive a regeneration
    path.write_text("# results\n\n## Rhythm\nkept\n\n" + text + "\n## Grading\nkept too\n")
    generate_results(
        tmp_path,
        data_dir=str(data_dir),
        records=("101",),
        max_duration_s=360.0,
        detectors=("sleepecg",),
        progress=False,
    )
    again = path.read_text()
    assert again.startswith("# results\n\n## Rhythm\nkept\n")
    assert again.rstrip().endswith("## Grading\nkept too")
    assert again.count("### R-peak detection on MIT-BIH") == 1
