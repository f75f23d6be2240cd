"""The one error hierarchy of ecgcore.

Every error the library raises on purpose derives from :class:`ECGCoreError`,
so callers can catch everything ecgcore-specific with one ``except`` clause
while still telling device problems from bad signals or bad files.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "DependencyError",
    "DeviceError",
    "ECGCoreError",
    "FormatError",
    "LogError",
    "SignalError",
]


class ECGCoreError(Exception):
    """Base class of every error raised by ecgcore."""


class SignalError(ECGCoreError, ValueError):
    """A signal array is unusable: wrong shape, dtype, sampling rate, NaNs, empty."""


class DataError(ECGCoreError):
    """A record, annotation or database could not be read or written."""


class FormatError(DataError, ValueError):
    """A file does not follow its format.

    The message names the file, the field (or byte offset) and what was expected.
    """

    def __init__(self, path: object, field: str, expected: str, found: object = None) -> None:
        self.path = str(path)
        self.field = field
        self.expected = expected
        self.found = found
        msg = f"{self.path}: field {field!r}: expected {expected}"
        if found is not None:
            msg += f", found {found!r}"
        super().__init__(msg)


class DependencyError(ECGCoreError, ImportError):
    """An optional dependency needed by the requested feature is not installed.

    The message names the package and the ``pip install`` extra that provides it.
    """


class DeviceError(ECGCoreError):
    """A device could not be opened, configured or read."""


class LogError(ECGCoreError):
    """The ECG log could not be read, written or verified."""
