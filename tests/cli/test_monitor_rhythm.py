"""``ecg monitor``: rhythm label and alarms from the simulated patient, through the device path."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import numpy as np
from rich.console import Console

from ecgcore.cli.monitor import MonitorView
from ecgcore.drivers import ChannelInfo, DeviceInfo
from ecgcore.rhythm.stage import RhythmAlarmEvent, RhythmLabelEvent
from ecgcore.stream import HeartRateEvent, StreamUpdate

# VF from 12 s to 24 s, paced at 10x real time
VF_URL = "sim://ecg?fs=250&leads=2&schedule=sinus:12,vf:12,sinus&seed=4&speed=10"
_RAISED = re.compile(r"^ALARM (\w+) raised: .*; onset ([\d.]+) s.*raised at ([\d.]+) s", re.M)
_CLEARED = re.compile(r"^ALARM (\w+) cleared: .* at ([\d.]+) s; onset", re.M)


def _monitor(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "ecgcore.cli.main", "monitor", *args, "--plain"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_monitor_raises_the_vf_alarm_within_10_s_and_clears_it():
    proc = _monitor(VF_URL, "--duration", "40s", "--summary-every", "30s")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "rhythm and alarms on" in out
    assert "rhythm: sinus rhythm from 0.0 s" in out
    raised = {kind: (float(onset), float(at)) for kind, onset, at in _RAISED.findall(out)}
    onset, at = raised["VF"]
    assert abs(onset - 12.0) <= 1.0 and 12.0 < at <= 22.0
    cleared = {kind: float(t) for kind, t in _CLEARED.findall(out)}
    assert 20.0 < cleared["VF"] <= 26.0  # the VF episodes end at 24 s
    assert "ventricular fibrillation" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("ended: duration of 40 s reached")
    assert "rhythm sinus rhythm" in last and "ALARMS" not in last
    # alarms are logged too
    assert "ALARM VF raised" in proc.stderr and "ALARM VF cleared" in proc.stderr


def test_monitor_without_rhythm_analysis():
    proc = _monitor(VF_URL, "--duration", "3s", "--no-rhythm")
    assert proc.returncode == 0, proc.stderr
    assert "no rhythm analysis" in proc.stdout
    assert "rhythm: " not in proc.stdout and "ALARM" not in proc.stdout
    assert "rhythm off" in proc.stdout.strip().splitlines()[-1]


def test_terminal_view_shows_the_rhythm_and_the_alarm_with_its_onset():
    fs = 250.0
    info = DeviceInfo("sim", "S-1", "1", (ChannelInfo("II", "mV", 2000.0),), fs)
    view = MonitorView(info, ["II"], 4.0, "II", rows=1)
    label = RhythmLabelEvent(0, "N", "sinus rhythm")
    vf = RhythmAlarmEvent(3000, "VF", True, "fibrillation waveform", 3000, 4600, 12.0, 18.4)
    hr = HeartRateEvent(2900, 72.0, 10)
    view.feed(StreamUpdate(2900, np.zeros((0, 1)), None, (label, hr)))
    assert "HR 72 bpm" in view.summary_line()
    view.feed(StreamUpdate(4600, np.zeros((0, 1)), None, (vf,)))
    # no organised QRS during VF: the rate of detected peaks is not shown
    assert "HR --- bpm" in view.summary_line()
    text = _render(view)
    assert "ventricular fibrillation" in text
    assert "ALARM VF: fibrillation waveform - onset t=12.0 s" in text
    assert "ALARMS VF" in view.summary_line()
    off = RhythmAlarmEvent(6000, "VF", False, "ended", 3000, 8000, 12.0, 32.0)
    view.feed(StreamUpdate(8000, np.zeros((0, 1)), None, (off,)))
    text = _render(view)
    assert "ALARM" not in text and "sinus rhythm" in text
    assert "HR 72 bpm" in view.summary_line()


def _render(view: MonitorView) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(view.render(100))
    return console.file.getvalue()
