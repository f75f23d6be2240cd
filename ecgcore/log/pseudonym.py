"""Patient pseudonymisation with a per-installation secret key.

A patient identifier is stored as ``HMAC-SHA256(key, identifier)`` (hex),
never in clear unless the caller asks for it. The 256-bit key is created on
first use in a file readable by its owner only (mode 0600, directory 0700),
outside the database (see :mod:`ecgcore.log.location`). Stations sharing a
PostgreSQL log should share the key file (``$ECGCORE_LOG_KEY_FILE``) so that
the same patient gets the same pseudonym everywhere; every entry records the
key's fingerprint (``key_id``) so mixed keys are visible.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
import tempfile
from pathlib import Path

from ecgcore.errors import LogError
from ecgcore.log.location import default_key_path

__all__ = ["Pseudonymiser", "load_key"]

_KEY_BYTES = 32


def _read_key(path: Path) -> bytes:
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LogError(
            f"{path}: pseudonymisation key is readable by others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); run 'chmod 600 {path}'"
        )
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise LogError(f"{path}: pseudonymisation key belongs to another user")
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != _KEY_BYTES:
        raise LogError(f"{path}: expected {2 * _KEY_BYTES} hex digits (a 256-bit key)")
    return key


def load_key(path: str | os.PathLike[str] | None = None, *, create: bool = True) -> bytes | None:
    """Read the key file, creating it (mode 0600) if missing and ``create``.

    Returns None if the file is missing and ``create`` is false. Creation is
    atomic: concurrent first uses agree on one key.
    """
    key_path = Path(path).expanduser() if path is not None else default_key_path()
    if key_path.is_file():
        return _read_key(key_path)
    if not create:
        return None
    key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=key_path.parent, prefix=".log-key-")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(_KEY_BYTES) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process created it first
            os.link(tmp, key_path)
    finally:
        os.unlink(tmp)
    return _read_key(key_path)


class Pseudonymiser:
    """Keyed HMAC-SHA256 pseudonyms for patient identifiers.

    Parameters
    ----------
    key : bytes
        The 256-bit installation secret (see :func:`load_key`).
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise LogError(f"pseudonymisation key must be {_KEY_BYTES} bytes")
        self._key = key
        self.key_id = hmac.new(key, b"ecgcore-log-key-id", hashlib.sha256).hexdigest()[:16]

    def pseudonym(self, patient: str) -> str:
        """HMAC-SHA256 hex of the (NFC-normalised) patient identifier."""
        message = b"ecgcore-patient\x00" + patient.encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return f"Pseudonymiser(key_id={self.key_id!r})"
