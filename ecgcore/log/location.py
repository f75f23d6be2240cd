"""Where the log and its pseudonymisation key live.

The log URL is taken from, in order: an explicit ``--log URL`` / ``url``
argument, the ``ECGCORE_LOG`` environment variable, the default SQLite file
``<user data dir>/ecgcore/log.sqlite`` (platformdirs). URLs are SQLAlchemy
URLs: ``sqlite:///path/to/log.sqlite`` or ``postgresql://user@host/db``
(``postgresql://`` uses the psycopg 3 driver); a bare path means an SQLite file.

The key is ``$ECGCORE_LOG_KEY_FILE`` if set, else
``<user config dir>/ecgcore/log.key``: outside the database, so a copy of the
database alone cannot be used to test guesses of patient identifiers.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ecgcore.errors import LogError

__all__ = [
    "ENV_LOG",
    "ENV_LOG_KEY_FILE",
    "default_key_path",
    "default_log_path",
    "resolve_log_url",
]

#: Environment variable naming the log URL.
ENV_LOG = "ECGCORE_LOG"
#: Environment variable naming the pseudonymisation key file.
ENV_LOG_KEY_FILE = "ECGCORE_LOG_KEY_FILE"

_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


def default_log_path() -> Path:
    """The default SQLite log file in the user's data directory."""
    return platformdirs.user_data_path("ecgcore", appauthor=False) / "log.sqlite"


def default_key_path() -> Path:
    """The pseudonymisation key file (``$ECGCORE_LOG_KEY_FILE`` or the user config dir)."""
    env = os.environ.get(ENV_LOG_KEY_FILE)
    if env:
        return Path(env).expanduser()
    return platformdirs.user_config_path("ecgcore", appauthor=False) / "log.key"


def resolve_log_url(url: str | None = None) -> URL:
    """Resolve the log URL (argument, then ``$ECGCORE_LOG``, then the default file).

    Raises
    ------
    LogError
        For an unparsable URL, an unsupported database or an in-memory SQLite URL.
    """
    text = url or os.environ.get(ENV_LOG) or None
    if text is None:
        return URL.create("sqlite", database=str(default_log_path()))
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).expanduser().resolve()))
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise LogError(f"cannot parse log URL {text!r}") from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise LogError(
            f"unsupported log URL scheme {parsed.drivername!r}; "
            "expected sqlite:///path/to/log.sqlite or postgresql://user@host/db"
        )
    if driver == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise LogError("an in-memory SQLite log would be lost on exit; give a file path")
    return parsed.set(drivername=driver)
