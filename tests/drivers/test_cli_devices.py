"""``ecg devices`` and ``ecg sim serve``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ecgcore.cli.main import main

pytestmark = pytest.mark.timeout(60)


def test_ecg_devices_lists_ports_schemes_and_simulators(capsys):
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "Serial ports" in out and "USB devices" in out
    for scheme in ("openbci://", "bitalino://", "ad8232://", "usb://", "file://"):
        assert scheme in out
    assert "ecg sim serve" in out and "openbci-daisy" in out


def test_ecg_sim_serve_prints_a_port_a_driver_can_open(tmp_path):
    from ecgcore.drivers import open_device

    cmd = [sys.executable, "-m", "ecgcore.cli.main", "sim", "serve", "bitalino"]
    cmd += ["--duration", "20", "--link-dir", str(tmp_path)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        try:
            lines = [proc.stdout.readline() for _ in range(3)]
            assert lines[1].startswith("port: ") and str(tmp_path) in lines[1]
            url = lines[2].split("url:", 1)[1].strip()
            with open_device(url) as dev:
                dev.start()
                block = dev.read(2.0)
                assert block is not None and block.n_samples > 0
        finally:
            proc.terminate()
            proc.wait(10)
