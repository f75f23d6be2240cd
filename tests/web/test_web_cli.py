"""``ecg serve``: account management and refusing an exposed station without accounts."""

from __future__ import annotations

import io
import json
from pathlib import Path

from ecgcore.cli.main import COMMAND_MODULES, main


def test_serve_is_registered():
    assert "serve" in COMMAND_MODULES


def test_add_list_remove_users(tmp_path, monkeypatch, capsys):
    users = tmp_path / "users.json"
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    args = ["serve", "--users", str(users), "--add-user", "nurse1", "--role", "technician"]
    assert main([*args, "--password-stdin"]) == 0
    assert json.loads(users.read_text())["users"]["nurse1"]["role"] == "technician"
    capsys.readouterr()
    assert main(["serve", "--users", str(users), "--list-users"]) == 0
    assert capsys.readouterr().out.split() == ["nurse1", "technician"]
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main([*args, "--password-stdin", "--replace"]) == 1
    assert "at least 8" in capsys.readouterr().err
    assert main(["serve", "--users", str(users), "--remove-user", "nurse1"]) == 0
    assert json.loads(users.read_text())["users"] == {}


def test_add_user_needs_a_role(tmp_path, capsys):
    assert main(["serve", "--users", str(tmp_path / "u.json"), "--add-user", "x"]) == 2
    assert "--role" in capsys.readouterr().err


def test_exposed_station_without_accounts_does_not_start(tmp_path, capsys):
    code = main(
        ["serve", "--host", "0.0.0.0", "--users", str(tmp_path / "none.json"),
         "--log", str(tmp_path / "log.sqlite"), "--data-dir", str(tmp_path / "st")]
    )  # fmt: skip
    assert code == 2
    assert "requires a login but there are no accounts" in capsys.readouterr().err


def test_ecg_serve_runs_uvicorn_on_loopback_and_stops_cleanly(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    import httpx
    from _browser import free_port

    port = free_port()
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecgcore.cli.main", "serve", "--port", str(port),
         "--data-dir", str(tmp_path / "station"), "--log", str(tmp_path / "log.sqlite")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "ecg serve did not start"
                time.sleep(0.2)
        assert r.status_code == 200 and "ecgcore" in r.text
        assert "server" not in r.headers
        me = httpx.get(f"http://127.0.0.1:{port}/api/me").json()
        assert me["login_required"] is False and me["user"]["name"] == "local"
        assert _listening_addresses(port) == {"127.0.0.1"}
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why.
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert "Traceback" not in err
    assert f"station at http://127.0.0.1:{port}/ (loopback, no login)" in out


def _listening_addresses(port: int) -> set[str]:
    """IPv4 addresses with a listening TCP socket on ``port`` (from /proc/net/tcp)."""
    import ipaddress

    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":  # 0A = LISTEN
            out.add(str(ipaddress.IPv4Address(bytes.fromhex(addr)[::-1])))
    return out
