"""``ecg serve``: account management and refusing an exposed station without accounts."""

from __future__ import annotations

import io
import json

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
