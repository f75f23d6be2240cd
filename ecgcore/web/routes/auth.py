"""Sign in and out; who am I (with the CSRF token the pages send back)."""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse

from ecgcore._validate import logger
from ecgcore.web.routes._common import station
from ecgcore.web.security import csrf_token, optional_user
from ecgcore.web.users import PERMISSIONS

__all__ = ["LoginFailures", "router"]

router = APIRouter(tags=["auth"])

#: Failed sign-ins of one account within this window (s) ...
_FAIL_WINDOW_S = 300.0
#: ... beyond this count lock the account's sign-in for the rest of the window.
_MAX_FAILS = 10


class LoginFailures:
    """Failed sign-in attempts per account name (in memory, per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[str, list[float]] = {}

    def locked(self, name: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._times.get(name, []) if now - t < _FAIL_WINDOW_S]
            self._times[name] = recent
            return len(recent) >= _MAX_FAILS

    def add(self, name: str) -> None:
        with self._lock:
            self._times.setdefault(name, []).append(time.monotonic())

    def clear(self, name: str) -> None:
        with self._lock:
            self._times.pop(name, None)


def _failures(request: Request) -> LoginFailures:
    """The app's failed sign-in tracker (one per station app)."""
    state = request.app.state
    if not hasattr(state, "login_failures"):
        state.login_failures = LoginFailures()
    return state.login_failures


@router.get("/api/me")
def me(request: Request) -> dict[str, Any]:
    """The current user (or null), whether a login is required, and the CSRF token."""
    user = optional_user(request)
    return {
        "user": None
        if user is None
        else {
            "name": user.name,
            "role": user.role,
            "local": user.local,
            "permissions": sorted(PERMISSIONS[user.role]),
        },
        "login_required": station(request).settings.login_required,
        "csrf_token": csrf_token(request),
    }


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next_url: Annotated[str, Form(alias="next")] = "/",
) -> RedirectResponse:
    """Check the password and start a fresh session (new CSRF token)."""
    failures = _failures(request)
    if failures.locked(username):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "too many failed sign-ins; try again later"
        )
    user = station(request).users.authenticate(username, password)
    if user is None:
        failures.add(username)
        logger.warning("web: failed sign-in for %r", username)
        return RedirectResponse("/login?failed=1", status_code=status.HTTP_303_SEE_OTHER)
    failures.clear(username)
    request.session.clear()
    request.session["user"] = user.name
    csrf_token(request)
    logger.info("web: %s signed in (%s)", user.name, user.role)
    # Only same-site paths: never redirect to another host.
    target = next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
