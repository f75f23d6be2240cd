"""Logging a recording from its files: the helper used by record/analyze/grade."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ecgcore.errors import LogError
from ecgcore.log.entry import LogEntry
from ecgcore.log.files import hash_file, record_files
from ecgcore.log.store import ECGLog, open_log

__all__ = ["log_recording"]


def _header_facts(files: Sequence[os.PathLike[str] | str]) -> dict[str, Any]:
    """fs, leads and duration from a WFDB header, if the record has one."""
    header = str(files[0])
    if not header.endswith(".hea"):
        return {}
    import wfdb  # noqa: PLC0415 - heavy import, only needed for WFDB records

    hdr = wfdb.rdheader(header[: -len(".hea")])
    facts: dict[str, Any] = {}
    if hdr.fs:
        facts["fs"] = float(hdr.fs)
    if getattr(hdr, "sig_name", None):
        facts["leads"] = list(hdr.sig_name)
    if hdr.fs and hdr.sig_len:
        facts["duration_s"] = hdr.sig_len / float(hdr.fs)
    return facts


def log_recording(
    log: ECGLog | str | None,
    record_path: str | os.PathLike[str],
    *,
    technician: str,
    patient: str | None,
    source: str,
    extra_files: Sequence[str | os.PathLike[str]] = (),
    **fields: Any,
) -> LogEntry:
    """Hash every file of a record and append a recording entry to the log.

    Parameters
    ----------
    log : ECGLog, str or None
        An open log, or a log URL/path (None: ``$ECGCORE_LOG`` then the default file).
    record_path : path
        The record: ``dir/100`` or ``dir/100.hea`` for WFDB (header, signal
        files and every ``100.*`` companion such as annotations are hashed),
        or a single-file record (EDF, CSV, ...).
    technician : str
        Technician identifier.
    patient : str or None
        Patient identifier; pseudonymised unless ``clear_patient=True``.
    source : str
        ``"record"``, ``"analyze"``, ``"grade"``, ``"import"`` or ``"manual"``.
    extra_files : sequence of paths
        More files to hash with the record (e.g. a PDF report).
    **fields
        Other entry fields (see :meth:`ECGLog.append`): ``subject`` (``"live"``
        for a recording on a live individual), ``device``, ``acquired_utc``,
        ``filter``, ``heart_rate_bpm``, ``rhythm``, ``alarms``, ``quality``,
        ``grade``, ``notes``, ``clear_patient``. ``fs`` (Hz), ``leads`` and
        ``duration_s`` (s) default to the WFDB header's values; a given value
        that disagrees with the header is an error.

    Returns
    -------
    LogEntry
        The entry as stored.
    """
    if "files" in fields:
        raise LogError("files: give extra_files; the record's files are found automatically")
    paths = record_files(record_path)
    for name, value in _header_facts(paths).items():
        given = fields.get(name)
        if given is None:
            fields[name] = value
        elif name == "leads" and list(given) != value:
            raise LogError(f"leads: given {list(given)} but the header says {value}")
        elif name != "leads" and abs(float(given) - value) > 1e-6 * max(1.0, value):
            raise LogError(f"{name}: given {given} but the header says {value:g}")
    refs = [hash_file(p) for p in [*paths, *extra_files]]
    fields.update(technician=technician, patient=patient, source=source, files=refs)
    if isinstance(log, ECGLog):
        return log.append(fields)
    with open_log(log) as opened:
        return opened.append(fields)
