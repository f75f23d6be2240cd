"""Station accounts: names, roles and argon2 password hashes in a JSON file.

The file (default ``<user config dir>/ecgcore/web-users.json``, or
``$ECGCORE_WEB_USERS``) is created with mode 0600. Passwords are hashed with
argon2id (argon2-cffi); the clear password is never stored or logged.

Roles and what they may do are listed in :data:`PERMISSIONS`; the web
application checks them on the server for every request.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import platformdirs
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ecgcore.errors import ECGCoreError

__all__ = [
    "ENV_USERS",
    "PERMISSIONS",
    "ROLES",
    "User",
    "UserError",
    "UserStore",
    "default_users_path",
]

#: Environment variable naming the accounts file.
ENV_USERS = "ECGCORE_WEB_USERS"

#: Roles a station account can have.
ROLES = ("technician", "grader", "admin")

#: Role -> permissions. ``amend`` corrects recording entries of the log (never
#: their grade), ``grade`` grades recordings and changes grades, ``record``
#: connects devices and records, ``view`` reads the log and the gradebook.
PERMISSIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "technician": frozenset({"view", "record", "amend"}),
        "grader": frozenset({"view", "grade", "upload"}),
        "admin": frozenset({"view", "record", "amend", "grade", "upload", "admin"}),
    }
)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_MIN_PASSWORD = 8
_HASHER = PasswordHasher()


class UserError(ECGCoreError, ValueError):
    """An account could not be created, changed or read."""


def default_users_path() -> Path:
    """The accounts file (``$ECGCORE_WEB_USERS`` or the user config dir)."""
    env = os.environ.get(ENV_USERS)
    if env:
        return Path(env).expanduser()
    return platformdirs.user_config_path("ecgcore", appauthor=False) / "web-users.json"


@dataclasses.dataclass(frozen=True)
class User:
    """A signed-in (or local) station user.

    Attributes
    ----------
    name : str
        Account name (also used as the technician/author identifier in the log).
    role : str
        One of :data:`ROLES`.
    local : bool
        True for the implicit user of a loopback-only station without login.
    """

    name: str
    role: str
    local: bool = False

    def can(self, permission: str) -> bool:
        """Whether this user's role grants ``permission``."""
        return permission in PERMISSIONS[self.role]


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid account name, else raise :class:`UserError`."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise UserError(
            f"user name {name!r}: expected 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_role(role: str) -> str:
    """Return ``role`` if it is one of :data:`ROLES`, else raise :class:`UserError`."""
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    return role


class UserStore:
    """The accounts file: ``{"users": {name: {"role": ..., "hash": ...}}}``.

    Parameters
    ----------
    path : path, optional
        The JSON file; default :func:`default_users_path`. It is read on every
        lookup, so accounts added with ``ecg serve --add-user`` while the
        station runs take effect at once.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_users_path()
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise UserError(f"{self.path}: cannot read the accounts file: {exc}") from None
        try:
            doc = json.loads(text)
            users = doc["users"]
            if not isinstance(users, dict):
                raise TypeError("'users' is not an object")
            for name, rec in users.items():
                check_name(name)
                check_role(rec["role"])
                if not isinstance(rec["hash"], str):
                    raise TypeError(f"hash of {name!r} is not text")
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError(f"{self.path}: malformed accounts file: {exc}") from None
        return users

    def _write(self, users: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.partial")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"version": 1, "users": users}, fh, indent=1, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, self.path)

    def names(self) -> dict[str, str]:
        """Account name -> role."""
        return {name: rec["role"] for name, rec in sorted(self._read().items())}

    def __len__(self) -> int:
        return len(self._read())

    def add(self, name: str, role: str, password: str, *, replace: bool = False) -> User:
        """Create (or with ``replace`` reset) an account; returns it.

        Raises
        ------
        UserError
            Bad name or role, a password shorter than 8 characters, or an
            existing account without ``replace``.
        """
        check_name(name)
        check_role(role)
        if not isinstance(password, str) or len(password) < _MIN_PASSWORD:
            raise UserError(f"password of {name!r}: at least {_MIN_PASSWORD} characters")
        with self._lock:
            users = self._read()
            if name in users and not replace:
                raise UserError(f"user {name!r} exists (use --replace to reset it)")
            users[name] = {"role": role, "hash": _HASHER.hash(password)}
            self._write(users)
        return User(name, role)

    def remove(self, name: str) -> None:
        """Delete an account (raises :class:`UserError` if unknown)."""
        with self._lock:
            users = self._read()
            if name not in users:
                raise UserError(f"no user {name!r}")
            del users[name]
            self._write(users)

    def get(self, name: str) -> User | None:
        """The account ``name`` (None if unknown)."""
        rec = self._read().get(name)
        return None if rec is None else User(name, rec["role"])

    def authenticate(self, name: str, password: str) -> User | None:
        """The account if ``password`` is right, else None (same work either way)."""
        rec = self._read().get(name) if isinstance(name, str) else None
        # Hash against a dummy when the user is unknown so timing does not tell.
        stored = rec["hash"] if rec is not None else _dummy_hash()
        try:
            _HASHER.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if rec is None:
            return None
        return User(name, rec["role"])


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("not a password of anyone")
