"""HTML pages (Jinja2 templates); each page loads its own script from ``/static``."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ecgcore._version import __version__
from ecgcore.web.routes._common import station
from ecgcore.web.security import csrf_token, optional_user

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")

#: path -> (template, title, nav label)
PAGES: dict[str, tuple[str, str]] = {
    "/": ("home.html", "Station"),
    "/devices": ("devices.html", "Devices"),
    "/monitor": ("monitor.html", "Live monitor"),
    "/logbook": ("logbook.html", "Log book"),
    "/grading": ("grading.html", "Grading"),
    "/gradebook": ("gradebook.html", "Gradebook"),
}

_SECURITY_HEADERS = {
    # Scripts and styles only from the station itself; no framing (clickjacking).
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _render(request: Request, template: str, title: str, **extra: Any) -> Response:
    st = station(request)
    user = optional_user(request)
    context = {
        "title": title,
        "user": user,
        "login_required": st.settings.login_required,
        "csrf": csrf_token(request),
        "version": __version__,
        "pages": PAGES,
        "path": request.url.path,
        **extra,
    }
    response = templates.TemplateResponse(request, template, context)
    response.headers.update(_SECURITY_HEADERS)
    return response


def _page(path: str, template: str, title: str) -> None:
    def view(request: Request) -> Response:
        if optional_user(request) is None:
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return _render(request, template, title)

    view.__name__ = f"page_{template.split('.', maxsplit=1)[0]}"
    router.add_api_route(path, view, methods=["GET"], response_class=HTMLResponse)


for _path, (_template, _title) in PAGES.items():
    _page(_path, _template, _title)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", failed: int = 0) -> Response:
    """The sign-in form (only meaningful when a login is required)."""
    if not station(request).settings.login_required:
        return RedirectResponse("/", status_code=303)
    safe_next = next if next.startswith("/") and not next.startswith("//") else "/"
    return _render(request, "login.html", "Sign in", next=safe_next, failed=bool(failed))
