"""Who is asking, and may they: sessions, login, roles and CSRF tokens.

* A station bound to loopback without ``--login`` has one implicit local user
  with the ``admin`` role (the person at the workstation).
* Otherwise every page and API call needs a signed-in account; the session
  cookie (Starlette's signed-cookie sessions) is ``HttpOnly`` and
  ``SameSite=Strict`` and holds only the account name and a CSRF token; the
  role is looked up in the accounts file on every request.
* Every state-changing request (POST, PUT, PATCH, DELETE) must carry the
  session's CSRF token in the ``X-CSRF-Token`` header or a ``csrf_token`` form
  field, also on loopback (a web page in the same browser must not be able to
  drive the station). WebSockets must come from the station's own origin.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, WebSocket, status
from starlette.requests import HTTPConnection

from ecgcore.web.users import User

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "CurrentUser",
    "csrf_token",
    "current_user",
    "require",
    "same_origin",
    "verify_csrf",
]

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOCAL = User("local", "admin", local=True)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _user_from_session(conn: Request | WebSocket) -> User | None:
    state = conn.app.state.station
    if not state.settings.login_required:
        return _LOCAL
    name = conn.session.get("user")
    if not isinstance(name, str):
        return None
    return state.users.get(name)


def optional_user(request: Request) -> User | None:
    """The signed-in user, the local user, or None."""
    return _user_from_session(request)


def current_user(request: Request) -> User:
    """The signed-in (or local) user; 401 when a login is needed."""
    user = _user_from_session(request)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def verify_csrf(conn: HTTPConnection) -> None:
    """Reject unsafe requests without the session's CSRF token (403).

    WebSockets are checked by origin instead (:func:`same_origin`).
    """
    if not isinstance(conn, Request) or conn.method not in _UNSAFE:
        return
    request = conn
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not (
        isinstance(expected, str)
        and isinstance(given, str)
        and hmac.compare_digest(expected.encode(), given.encode())
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")


def require(permission: str) -> Any:
    """Dependency: the current user, 403 unless their role grants ``permission``."""

    def check(user: CurrentUser) -> User:
        if not user.can(permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {user.role!r} may not {permission} (signed in as {user.name})",
            )
        return user

    return Depends(check)


def same_origin(ws: WebSocket) -> bool:
    """True if the WebSocket's ``Origin`` is the station itself (or absent: not a browser)."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    host = ws.headers.get("host", "")
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def websocket_user(ws: WebSocket) -> User | None:
    """The user of a WebSocket connection (None: not signed in)."""
    return _user_from_session(ws)
