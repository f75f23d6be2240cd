"""``ecg monitor``: summaries without a terminal, the live view on a real pseudo-terminal."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import numpy as np

from ecgcore.cli.monitor import braille_trace

URL = "sim://ecg?fs=500&speed=3&seed=4&lead_off=LA:1-4&mains=0.2"


def test_monitor_without_a_terminal_prints_summaries_and_exits_0():
    cmd = [sys.executable, "-m", "ecgcore.cli.main", "monitor", URL, "--duration", "6s"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "R-peaks on II" in out
    assert "lead I OFF at 1.0 s" in out and "lead I on at 4.0 s" in out
    summaries = [line for line in out.splitlines() if line.startswith("t=")]
    assert summaries and "HR " in summaries[-1] and "dropped 0" in summaries[-1]
    assert "mains interference" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("ended: duration of 6 s reached") and "HR 7" in last


def test_monitor_on_a_terminal_draws_braille_traces():
    master, slave = os.openpty()
    env = dict(os.environ, COLUMNS="100", LINES="70", TERM="xterm-256color")
    cmd = [sys.executable, "-m", "ecgcore.cli.main", "monitor", URL, "--duration", "4s",
           "--leads", "I,II,V2"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = b"".join(chunks).decode("utf-8", errors="replace")
    assert proc.returncode == 0, text[-2000:]
    braille = [ch for ch in text if 0x2801 <= ord(ch) <= 0x28FF]
    assert len(braille) > 500
    assert "HR" in text and "LEAD OFF: I" in text and "▲" in text
    assert "ended: duration of 4 s reached" in text


def test_braille_trace_draws_lines_and_leaves_gaps_blank():
    flat = np.zeros(8)
    rows = braille_trace(flat, flat, 1, -1.0, 1.0)
    assert len(rows) == 1 and len(rows[0]) == 4
    # A flat line at 0 sits on one dot row in every column.
    assert len(set(rows[0])) == 1 and rows[0][0] != chr(0x2800)
    ramp = np.linspace(-1, 1, 8)
    up = braille_trace(ramp, ramp, 2, -1.0, 1.0)
    assert up[1][0] != chr(0x2800) and up[0][-1] != chr(0x2800)  # bottom-left to top-right
    assert up[0][0] == chr(0x2800) and up[1][-1] == chr(0x2800)
    gap = np.where(np.arange(8) < 4, 0.0, np.nan)
    assert braille_trace(gap, gap, 1, -1.0, 1.0)[0][2:] == chr(0x2800) * 2
