"""``ecg record`` and RecordWriter: exact samples, crash safety (SIGKILL), SIGINT, gaps, log."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgcore.cli.main import main
from ecgcore.cli.record import parse_duration
from ecgcore.drivers import ChannelInfo, DeviceInfo, SampleBlock
from ecgcore.drivers.sim import simulate_ecg
from ecgcore.errors import DataError
from ecgcore.stream import RecordWriter

FS = 500.0


def test_record_three_seconds_from_sim_reads_back_exactly(tmp_path):
    url = "sim://ecg?fs=500&speed=20&seed=5&lead_off=V1:1-2&emg=0.02"
    code = main(["record", url, "--duration", "3s", "--out", str(tmp_path), "--name", "r"])
    assert code == 0
    rec = wfdb.rdrecord(str(tmp_path / "r"), physical=False)
    sim = simulate_ecg(3, FS, seed=5, lead_off="V1:1-2", emg=0.02)
    assert rec.sig_len == 1500 and rec.fmt == ["16"] * 12
    assert np.array_equal(rec.d_signal, sim.recording.adc)
    assert rec.sig_name == list(sim.recording.lead_names)
    phys = wfdb.rdrecord(str(tmp_path / "r")).p_signal
    assert np.array_equal(phys, sim.recording.adc / 2000.0)
    text = "\n".join(rec.comments)
    assert "status: complete (duration of 3 s reached)" in text
    assert "model=ecgcore simulated patient" in text and "monitoring highpass=0.5" in text
    evt = wfdb.rdann(str(tmp_path / "r"), "evt")
    assert list(evt.sample) == [500, 1000]
    assert evt.aux_note[0] == "lead_off: V1 off"
    qrs = wfdb.rdann(str(tmp_path / "r"), "qrs")
    assert np.abs(qrs.sample - sim.truth.r_peak_idx).max() <= 15


def _start_recording(tmp_path: Path, name: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "ecgcore.cli.main", "record", "sim://ecg?fs=500&seed=8",
           "--out", str(tmp_path), "--name", name]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_samples(header: Path, n: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if header.exists():
            first = header.read_text().split("\n", 1)[0].split()
            if int(first[3]) >= n:
                return
        time.sleep(0.05)
    raise AssertionError(f"{header} never reached {n} samples")


def test_sigkill_leaves_a_readable_record_up_to_the_last_flush(tmp_path):
    proc = _start_recording(tmp_path, "killed")
    try:
        _wait_for_samples(tmp_path / "killed.hea", 600)
        time.sleep(0.7)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    rec = wfdb.rdrecord(str(tmp_path / "killed"), physical=False)
    assert rec.sig_len >= 600
    sim = simulate_ecg(rec.sig_len / FS, FS, seed=8)
    assert np.array_equal(rec.d_signal, sim.recording.adc)
    assert any(c.startswith("status: recording") for c in rec.comments)
    # The signal file may hold more than the header says (written before the kill), never less.
    assert (tmp_path / "killed.dat").stat().st_size >= rec.sig_len * 12 * 2


def test_sigint_finalises_the_record_and_exits_0(tmp_path):
    proc = _start_recording(tmp_path, "stopped")
    try:
        _wait_for_samples(tmp_path / "stopped.hea", 500)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stop requested" in out
    rec = wfdb.rdrecord(str(tmp_path / "stopped"), physical=False)
    sim = simulate_ecg(rec.sig_len / FS, FS, seed=8)
    assert np.array_equal(rec.d_signal, sim.recording.adc)
    assert "status: complete (stop requested)" in rec.comments
    assert os.path.getsize(tmp_path / "stopped.dat") == rec.sig_len * 12 * 2


def _device(gain, unit="uV", n=2):
    channels = tuple(ChannelInfo(f"ch{j}", unit, gain) for j in range(n))
    return DeviceInfo("OpenBCI-like", "S1", "v3", channels, FS, {"adc_bits": 24})


def _block(first, data):
    n = data.shape[0]
    return SampleBlock(first, data, 1000.0 + np.arange(first, first + n) / FS, ("uV",) * 2)


def test_writer_keeps_every_count_and_stores_missing_samples_as_invalid(tmp_path):
    gain = (2**23 - 1) * 24 / 4.5 / 1e6  # OpenBCI counts per uV at PGA gain 24
    rng = np.random.default_rng(0)
    counts = rng.integers(-(2**23) + 1, 2**23, size=(2000, 2))
    data = counts / gain
    data[100:150, 0] = np.nan  # a gap on one channel
    w = RecordWriter(tmp_path, "ob", _device(gain))
    for a in range(0, 1000, 250):
        w.write(_block(a, data[a : a + 250]))
    w.write(_block(1200, data[1200:2000]))  # samples 1000..1199 lost before reaching us
    summary = w.finish("test")
    assert summary.n_samples == 2000 and summary.missing_samples == 50 + 2 * 200
    rec = wfdb.rdrecord(str(tmp_path / "ob"), physical=False)
    # A 24-bit ADC can send -2**23, which is WFDB format 24's invalid value: format 32.
    assert rec.fmt == ["32", "32"]
    expected = counts.copy()
    expected[100:150, 0] = -(2**31)
    expected[1000:1200] = -(2**31)
    assert np.array_equal(rec.d_signal, expected)
    phys = wfdb.rdrecord(str(tmp_path / "ob")).p_signal
    assert np.isnan(phys[100:150, 0]).all() and np.isnan(phys[1000:1200]).all()
    assert np.isfinite(phys[150:1000]).all()
    ok = np.isfinite(data)
    ok[1000:1200] = False
    assert np.allclose(phys[ok], data[ok], rtol=1e-12)


def test_writer_refuses_to_overwrite_and_out_of_range_counts(tmp_path):
    w = RecordWriter(tmp_path, "a", _device(1.0))
    w.write(_block(0, np.ones((10, 2))))
    w.finish()
    with pytest.raises(DataError, match="already exists"):
        RecordWriter(tmp_path, "a", _device(1.0))
    narrow = RecordWriter(tmp_path, "b", _device(1.0), fmt="16")
    with pytest.raises(DataError, match="outside WFDB format 16"):
        narrow.write(_block(0, np.full((5, 2), 40000.0)))
    narrow.finish()
    with pytest.raises(DataError, match="not valid"):
        RecordWriter(tmp_path, "bad name", _device(1.0))


def test_record_logs_the_recording(tmp_path, monkeypatch):
    log_url = str(tmp_path / "log.sqlite")
    monkeypatch.setenv("ECGCORE_LOG_KEY_FILE", str(tmp_path / "key"))
    url = "sim://ecg?fs=500&speed=20&seed=2&leads=3"
    code = main([
        "record", url, "--duration", "2s", "--out", str(tmp_path / "out"), "--name", "p1",
        "--technician", "T1", "--patient", "MRN-7", "--log", log_url,
    ])  # fmt: skip
    assert code == 0
    from ecgcore.log import open_log

    with open_log(log_url) as log:
        entry = log.get(1)
    assert entry.technician == "T1" and entry.fs == 500.0 and entry.duration_s == 2.0
    assert entry.leads == ("I", "II", "III") and entry.device["model"].startswith("ecgcore")
    assert {Path(f.path).suffix for f in entry.files} >= {".hea", ".dat", ".qrs"}
    assert 50 < entry.heart_rate_bpm < 100
    assert main(["record", url, "--out", str(tmp_path), "--log", log_url]) == 2  # no technician


@pytest.mark.parametrize(
    ("text", "seconds"), [("10s", 10), ("2m", 120), ("1h", 3600), ("500ms", 0.5), ("1.5", 1.5)]
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "10x", "-1s", "0s"])
def test_parse_duration_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration(text)
