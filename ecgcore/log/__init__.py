"""Accurate, tamper-evident ECG logs.

One entry per recording (and per certification, CE course and amendment),
append-only, each carrying the hash of the previous one; stored through
SQLAlchemy in an SQLite file (default, no setup) or PostgreSQL (clinics).

>>> from ecgcore.log import open_log, log_recording
>>> log = open_log()                       # $ECGCORE_LOG or the default file
>>> entry = log_recording(log, "rec/100", technician="T1", patient="MRN-1",
...                       source="record", subject="live")   # doctest: +SKIP
>>> log.verify().ok                        # doctest: +SKIP
True
"""

from ecgcore.log.chain import Problem, VerifyReport
from ecgcore.log.entry import INPUT_FIELDS, KINDS, SOURCES, SUBJECTS, EntryHistory, LogEntry
from ecgcore.log.export import EXPORTERS, export_log
from ecgcore.log.files import FileRef, hash_file, record_files
from ecgcore.log.location import ENV_LOG, ENV_LOG_KEY_FILE, default_log_path, resolve_log_url
from ecgcore.log.pseudonym import Pseudonymiser
from ecgcore.log.record import log_recording
from ecgcore.log.store import ChainHead, ECGLog, open_log
from ecgcore.log.technician import (
    ExamResult,
    TechnicianStatus,
    add_ce_credits,
    certify,
    technician_status,
)

__all__ = [
    "ENV_LOG",
    "ENV_LOG_KEY_FILE",
    "EXPORTERS",
    "INPUT_FIELDS",
    "KINDS",
    "SOURCES",
    "SUBJECTS",
    "ChainHead",
    "ECGLog",
    "EntryHistory",
    "ExamResult",
    "FileRef",
    "LogEntry",
    "Problem",
    "Pseudonymiser",
    "TechnicianStatus",
    "VerifyReport",
    "add_ce_credits",
    "certify",
    "default_log_path",
    "export_log",
    "hash_file",
    "log_recording",
    "open_log",
    "record_files",
    "resolve_log_url",
    "technician_status",
]
