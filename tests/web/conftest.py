"""Fixtures for the web station tests: isolated station folders, accounts, clients."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _web_util import ACCOUNTS, PASSWORD, client, csrf_of, login

from ecgcore.web import UserStore, WebSettings, create_app


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test away from the real user data/config dirs and env settings."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for name in ("ECGCORE_LOG", "ECGCORE_LOG_KEY_FILE", "ECGCORE_WEB_USERS"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(scope="session")
def accounts_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An accounts file with one user per role (argon2 hashing done once)."""
    path = tmp_path_factory.mktemp("accounts") / "users.json"
    store = UserStore(path)
    for name, role in ACCOUNTS.items():
        store.add(name, role, PASSWORD)
    return path


@pytest.fixture
def station_dir(tmp_path: Path, accounts_template: Path) -> Path:
    """A fresh station folder with the test accounts and an empty log."""
    root = tmp_path / "station"
    root.mkdir()
    shutil.copy(accounts_template, root / "users.json")
    return root


@pytest.fixture
def make_settings(station_dir: Path) -> Callable[..., WebSettings]:
    def make(**kwargs: object) -> WebSettings:
        kwargs.setdefault("data_dir", station_dir)
        kwargs.setdefault("log_url", str(station_dir / "log.sqlite"))
        kwargs.setdefault("users_file", station_dir / "users.json")
        return WebSettings(**kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def local_client(make_settings) -> Iterator:
    """A loopback station without login (the local admin user)."""
    with client(create_app(make_settings())) as c:
        c.headers["X-CSRF-Token"] = csrf_of(c)
        yield c


@pytest.fixture
def exposed_app(make_settings):
    """A station that requires a login (bound to a LAN address)."""
    return create_app(make_settings(host="192.0.2.10"))


@pytest.fixture
def client_as(exposed_app) -> Iterator[Callable[[str], object]]:
    """``client_as(name)`` -> a client signed in as that account, CSRF header set."""
    clients = []

    def make(name: str):
        c = client(exposed_app, "192.0.2.10")
        c.__enter__()
        clients.append(c)
        login(c, name)
        c.headers["X-CSRF-Token"] = csrf_of(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)
