"""The station application: ``create_app(settings)`` builds the FastAPI app.

Pages (``/``, ``/devices``, ``/monitor``, ``/logbook``, ``/grading``,
``/gradebook``, ``/login``) are Jinja2 templates over hand-written JS/CSS in
``static/``; each page talks to a JSON API under ``/api`` and the monitor to
the WebSocket ``/ws/live/{session}``. All state lives in :class:`Station`
(``app.state.station``).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ecgcore._validate import logger
from ecgcore.errors import DataError, DeviceError, ECGCoreError, LogError
from ecgcore.log import ECGLog, open_log
from ecgcore.web.limits import BodySizeLimit
from ecgcore.web.live import SessionManager
from ecgcore.web.records import NotFound, RecordNameError
from ecgcore.web.security import verify_csrf
from ecgcore.web.settings import WebSettings
from ecgcore.web.users import UserError, UserStore

__all__ = ["STATIC_DIR", "Station", "create_app"]

STATIC_DIR = Path(__file__).parent / "static"


@dataclasses.dataclass
class Station:
    """Everything a request handler may need."""

    settings: WebSettings
    users: UserStore
    log: ECGLog
    sessions: SessionManager
    #: Last chain verification: ((head id, head hash), monotonic time, report).
    chain_check: tuple[Any, float, Any] | None = None


_ERROR_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (RecordNameError, 400),
    (UserError, 400),
    (NotFound, 404),
    (DeviceError, 409),
    (LogError, 422),
    (DataError, 422),
    (ECGCoreError, 422),
    (ValueError, 422),
)


def _error_handlers(app: FastAPI) -> None:
    """Map ecgcore errors to HTTP statuses with their one-line message."""

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        code = next(c for t, c in _ERROR_STATUS if isinstance(exc, t))
        if code >= 500:  # pragma: no cover - none mapped today
            logger.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"detail": str(exc)}, status_code=code)

    for exc_type, _ in _ERROR_STATUS:
        app.add_exception_handler(exc_type, handler)


def create_app(settings: WebSettings | None = None, *, log: ECGLog | None = None) -> FastAPI:
    """Build the station app.

    Parameters
    ----------
    settings : WebSettings, optional
        Bind address, folders, login policy, limits (defaults: loopback, user dirs).
    log : ECGLog, optional
        An open ECG log to use (default: ``open_log(settings.log_url)``, closed
        with the app).
    """
    from ecgcore.web.routes import auth, devices, grading, logbook, pages  # noqa: PLC0415

    settings = settings or WebSettings()
    own_log = log is None
    station = Station(
        settings=settings,
        users=UserStore(settings.users_file),
        log=open_log(settings.log_url) if log is None else log,
        sessions=SessionManager(settings),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Fewer worker threads for the (blocking) API handlers than anyio's default 40:
        # they all contend for the GIL with the loop that sends the live frames.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        yield
        station.sessions.close_all()
        if own_log:
            station.log.close()

    app = FastAPI(
        title="ecgcore station",
        lifespan=lifespan,
        dependencies=[Depends(verify_csrf)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.station = station
    app.state.login_failures = auth.LoginFailures()
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(devices.router)
    app.include_router(logbook.router)
    app.include_router(grading.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _error_handlers(app)
    # Outermost first: size limit, host check, then sessions.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="ecg_session",
        max_age=12 * 3600,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.hosts))
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    return app
