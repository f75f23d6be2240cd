"""The web station: devices, live monitor, log book and grading in the browser.

>>> from ecgcore.web import WebSettings, create_app
>>> app = create_app(WebSettings(data_dir="station"))     # doctest: +SKIP

Run it with ``ecg serve [--host 127.0.0.1] [--port 8000]``.
"""

from ecgcore.web.app import Station, create_app
from ecgcore.web.settings import WebSettings, is_loopback
from ecgcore.web.users import PERMISSIONS, ROLES, User, UserStore

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "Station",
    "User",
    "UserStore",
    "WebSettings",
    "create_app",
    "is_loopback",
]
