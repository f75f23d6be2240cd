"""URL schemes -> device classes.

Every device is opened by URL, ``scheme://target?param=value&...``::

    openbci:///dev/ttyUSB0?gain=24        usb://2E73:0001?serial=ABC
    file:///data/100.hea?speed=2          sim://ecg?leads=12&fs=500

Each scheme is registered once with :func:`register_scheme`. The built-in
schemes live in their own modules and are imported lazily on first use (so a
missing optional dependency only affects its own scheme). Query parameters
are read through :class:`DeviceURL`; one that nobody reads is an error, never
silently ignored.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from ecgcore._validate import logger
from ecgcore.errors import DeviceError

if TYPE_CHECKING:
    from ecgcore.drivers.base import Device

__all__ = [
    "BUILTIN_SCHEMES",
    "DeviceURL",
    "SchemeEntry",
    "available_schemes",
    "common_options",
    "open_device",
    "register_scheme",
]

#: Built-in scheme -> module that registers it when imported.
BUILTIN_SCHEMES: Mapping[str, str] = MappingProxyType(
    {
        "openbci": "ecgcore.drivers.openbci",
        "bitalino": "ecgcore.drivers.bitalino",
        "protocentral": "ecgcore.drivers.protocentral",
        "ad8232": "ecgcore.drivers.ad8232",
        "spikerbox": "ecgcore.drivers.spikerbox",
        "usb": "ecgcore.drivers.usb",
        "file": "ecgcore.drivers.playback",
        "sim": "ecgcore.drivers.sim",
    }
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class DeviceURL:
    """A parsed device URL whose query parameters are consumed by name.

    Parameters
    ----------
    url : str
        ``scheme://target?name=value&...``. ``target`` is everything between
        ``://`` and ``?`` (a port path, ``VID:PID``, a file path, ...).
    """

    def __init__(self, url: str) -> None:
        if "://" not in url:
            raise DeviceError(
                f"device URL {url!r} has no scheme; expected e.g. 'openbci:///dev/ttyUSB0'"
            )
        parts = urlsplit(url)
        self.raw = url
        self.scheme = parts.scheme.lower()
        self.target = unquote(parts.netloc + parts.path)
        params: dict[str, str] = {}
        for name, values in parse_qs(parts.query, keep_blank_values=True).items():
            if len(values) != 1:
                raise DeviceError(f"{url}: query parameter {name!r} given {len(values)} times")
            params[name] = values[0]
        self._params = params
        self._used: set[str] = set()

    @property
    def params(self) -> Mapping[str, str]:
        """All query parameters (read-only)."""
        return MappingProxyType(self._params)

    def _take(self, name: str) -> str | None:
        self._used.add(name)
        return self._params.get(name)

    def get_str(self, name: str, default: str | None = None) -> str | None:
        """Return parameter ``name`` as a string (``default`` if absent)."""
        value = self._take(name)
        return default if value is None else value

    def get_float(self, name: str, default: float | None = None) -> float | None:
        """Return parameter ``name`` as a float."""
        value = self._take(name)
        if value is None:
            return default
        try:
            return float(value)
        except ValueError:
            raise DeviceError(f"{self.raw}: parameter {name}={value!r} is not a number") from None

    def get_int(self, name: str, default: int | None = None) -> int | None:
        """Return parameter ``name`` as an int (decimal or 0x hex)."""
        value = self._take(name)
        if value is None:
            return default
        try:
            return int(value, 0)
        except ValueError:
            raise DeviceError(f"{self.raw}: {name}={value!r} is not an integer") from None

    def get_bool(self, name: str, default: bool) -> bool:
        """Return parameter ``name`` as a bool (1/0, true/false, yes/no, on/off)."""
        value = self._take(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise DeviceError(f"{self.raw}: parameter {name}={value!r} is not a boolean (1/0)")

    def check_consumed(self) -> None:
        """Raise :class:`DeviceError` naming every query parameter nobody read."""
        unused = sorted(set(self._params) - self._used)
        if unused:
            raise DeviceError(
                f"{self.raw}: unknown parameter(s) {', '.join(unused)} for scheme {self.scheme!r}"
            )

    def __repr__(self) -> str:
        return f"DeviceURL({self.raw!r})"


def common_options(url: DeviceURL) -> dict[str, Any]:
    """Read the parameters every device accepts (passed to ``Device.__init__``).

    ``buffer_s`` (ring buffer, s), ``reconnect`` (1/0), ``reconnect_max_s``
    (longest backoff, s), ``stall_s`` (silence counted as a disconnect, s).
    """
    return {
        "buffer_s": url.get_float("buffer_s", 60.0),
        "reconnect": url.get_bool("reconnect", True),
        "reconnect_max_s": url.get_float("reconnect_max_s", 2.0),
        "stall_s": url.get_float("stall_s", 2.0),
    }


@dataclasses.dataclass(frozen=True)
class SchemeEntry:
    """A registered URL scheme."""

    scheme: str
    opener: Callable[[DeviceURL], Device]
    description: str
    example: str


_REGISTRY: dict[str, SchemeEntry] = {}


def register_scheme(
    scheme: str,
    opener: Callable[[DeviceURL], Device],
    *,
    description: str,
    example: str,
) -> None:
    """Register ``opener(url) -> Device`` (not yet opened) for ``scheme``.

    Re-registering a scheme replaces its entry (with a log message).
    """
    scheme = scheme.lower()
    if scheme in _REGISTRY and _REGISTRY[scheme].opener is not opener:
        logger.info("device scheme %r re-registered", scheme)
    _REGISTRY[scheme] = SchemeEntry(scheme, opener, description, example)


def _load(scheme: str) -> SchemeEntry:
    if scheme not in _REGISTRY and scheme in BUILTIN_SCHEMES:
        importlib.import_module(BUILTIN_SCHEMES[scheme])
    try:
        return _REGISTRY[scheme]
    except KeyError:
        known = sorted(set(_REGISTRY) | set(BUILTIN_SCHEMES))
        raise DeviceError(
            f"unknown device scheme {scheme!r}; known schemes: {', '.join(known)}"
        ) from None


def available_schemes() -> list[SchemeEntry]:
    """Return every scheme that can be opened (built-ins imported on demand)."""
    for scheme, module in BUILTIN_SCHEMES.items():
        if scheme not in _REGISTRY:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                logger.debug("device scheme %r unavailable: %s", scheme, exc)
    return [_REGISTRY[s] for s in sorted(_REGISTRY)]


def open_device(url: str) -> Device:
    """Open the device at ``url`` and return it (not yet streaming).

    Use it as a context manager so it is closed on exit::

        with open_device("bitalino:///dev/rfcomm0?fs=1000") as dev:
            dev.start()
            block = dev.read(1.0)

    Raises
    ------
    DeviceError
        Unknown scheme, unknown or malformed parameter, or the device could not be opened.
    """
    parsed = DeviceURL(url)
    entry = _load(parsed.scheme)
    device = entry.opener(parsed)
    parsed.check_consumed()
    return device.open()
