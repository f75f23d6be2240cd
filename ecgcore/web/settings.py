"""Configuration of the web station (one frozen object, built by ``ecg serve``)."""

from __future__ import annotations

import dataclasses
import ipaddress
import secrets
from pathlib import Path

import platformdirs

__all__ = ["DEFAULT_MAX_UPLOAD_BYTES", "WebSettings", "default_station_dir", "is_loopback"]

#: Largest accepted upload (all files of one record together), bytes.
DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def default_station_dir() -> Path:
    """Where the station keeps recordings, uploads and reports by default."""
    return platformdirs.user_data_path("ecgcore", appauthor=False) / "station"


def is_loopback(host: str) -> bool:
    """True if ``host`` (an address or ``localhost``) only listens on this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclasses.dataclass(frozen=True)
class WebSettings:
    """Everything the station app needs to know.

    Parameters
    ----------
    host : str
        Address the server binds to. A non-loopback address switches the login on.
    port : int
        TCP port.
    data_dir : Path
        Station folder: ``recordings/`` (made here), ``uploads/`` (for grading),
        ``reports/`` (grading reports). Record names are resolved only inside it.
    log_url : str or None
        ECG log URL (None: ``$ECGCORE_LOG`` then the default file).
    users_file : Path or None
        Accounts file (None: :func:`~ecgcore.web.users.default_users_path`).
    require_login : bool or None
        Force the login on (True) or follow the bind address (None). A station
        bound to a non-loopback address always requires a login.
    max_upload_bytes : int
        Size limit of one upload (all files together), bytes.
    secret_key : str
        Key that signs session cookies; random per process by default, so a
        restart signs everybody out.
    frame_s : float
        Live monitor batch length, seconds (frames of 50-100 ms keep the
        trace smooth without flooding the socket).
    allowed_hosts : tuple of str
        ``Host`` header values accepted (DNS-rebinding guard); on loopback
        ``localhost``, ``127.0.0.1`` and ``[::1]``.
    secure_cookies : bool
        Mark cookies ``Secure`` (behind an HTTPS proxy).
    api_threads : int
        Worker threads for the blocking API handlers (log, grading, files).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = dataclasses.field(default_factory=default_station_dir)
    log_url: str | None = None
    users_file: Path | None = None
    require_login: bool | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    secret_key: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(32))
    frame_s: float = 0.08
    allowed_hosts: tuple[str, ...] = ()
    secure_cookies: bool = False
    api_threads: int = 4

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())
        if self.users_file is not None:
            object.__setattr__(self, "users_file", Path(self.users_file).expanduser())
        if not is_loopback(self.host) and self.require_login is False:
            raise ValueError(
                f"host {self.host!r} is not a loopback address: the login cannot be switched off"
            )
        if not 0.02 <= self.frame_s <= 0.5:
            raise ValueError(f"frame_s must be within 0.02-0.5 s, got {self.frame_s}")
        if self.max_upload_bytes < 1024:
            raise ValueError(
                f"max_upload_bytes must be at least 1024, got {self.max_upload_bytes}"
            )

    @property
    def login_required(self) -> bool:
        """Whether every page and API call needs a signed-in user."""
        if self.require_login is not None:
            return self.require_login or not is_loopback(self.host)
        return not is_loopback(self.host)

    @property
    def hosts(self) -> tuple[str, ...]:
        """Accepted ``Host`` header names."""
        if self.allowed_hosts:
            return self.allowed_hosts
        if is_loopback(self.host):
            return ("localhost", "127.0.0.1", "::1", "[::1]")
        return ("*",)

    def folder(self, name: str) -> Path:
        """A station sub-folder (created with mode 0700 on first use)."""
        path = self.data_dir / name
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path
