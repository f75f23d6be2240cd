"""The ECG log store: an append-only hash chain in SQLite or PostgreSQL.

Appends are serialised so the chain stays linear with many writers: on SQLite
every write transaction starts with ``BEGIN IMMEDIATE`` (the database write
lock, waited for up to 60 s); on PostgreSQL the single ``chain_head`` row is
locked with ``SELECT ... FOR UPDATE``. An entry and the new head are written
in one transaction, so a process killed mid-append leaves nothing behind.

The default SQLite file is created on first use with mode 0600 in a 0700
directory, in WAL mode with ``synchronous=FULL`` (a committed entry survives a
power cut).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from ecgcore._validate import logger
from ecgcore.errors import LogError
from ecgcore.log import _fields as F
from ecgcore.log._canonical import canonical_json, hash_text
from ecgcore.log.chain import ChainVerifier, VerifyReport
from ecgcore.log.entry import (
    AMENDABLE_FIELDS,
    KINDS,
    EntryHistory,
    LogEntry,
    apply_changes,
    check_body_size,
    entry_values,
    normalise_fields,
)
from ecgcore.log.location import resolve_log_url
from ecgcore.log.pseudonym import Pseudonymiser, load_key
from ecgcore.log.schema import LATEST_VERSION, chain_head, current_version, log_entries, migrate

__all__ = ["ChainHead", "ECGLog", "open_log"]

# Used only by the test suite: when set to a file path, an append writes that
# file and then sleeps inside its open transaction, so a test can kill the
# process mid-append and check that nothing partial is left.
_ENV_TEST_PAUSE = "ECGCORE_LOG_TEST_PAUSE_IN_APPEND"
_PG_MIGRATION_LOCK = 0x4543474C4F47  # "ECGLOG": serialises schema migrations
_SQLITE_BUSY_TIMEOUT_S = 60.0
_SQLITE_BEGIN_MODES = ("DEFERRED", "IMMEDIATE")


class ChainHead(NamedTuple):
    """Id and hash of the last entry (0 and the genesis hash for an empty log)."""

    last_id: int
    last_hash: str


def _prepare_sqlite_file(path: Path) -> None:
    """Create the log file (mode 0600, parents 0700) unless it exists."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            logger.warning("log file %s is accessible by others (mode %04o)", path, mode)
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)
    logger.info("created ECG log %s", path)


def _set_wal(cur: Any) -> None:
    """Switch the connection to WAL, waiting up to the busy timeout.

    While another connection holds the write lock on a database that is still
    in rollback-journal mode (a new log being created by another process),
    SQLite refuses the switch at once, without calling its busy handler; so
    the switch is retried here until the lock is free.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_S
    delay_s = 0.001
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay_s)
        delay_s = min(2.0 * delay_s, 0.05)


def _install_sqlite_events(engine: Engine) -> None:
    # SQLAlchemy's documented recipe: take BEGIN away from the sqlite3 driver
    # and emit it ourselves, so the write lock is taken at the start.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(_SQLITE_BUSY_TIMEOUT_S * 1000)}")
        _set_wal(cur)
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("ecgcore_sqlite_begin", "DEFERRED")
        if mode not in _SQLITE_BEGIN_MODES:
            raise LogError(f"internal: bad SQLite BEGIN mode {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _db_message(exc: sa.exc.SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _parse_id(entry_id: Any) -> int:
    if isinstance(entry_id, bool):
        raise LogError(f"entry id must be a positive integer, got {entry_id!r}")
    try:
        number = int(str(entry_id).strip()) if isinstance(entry_id, str) else int(entry_id)
    except (TypeError, ValueError):
        raise LogError(f"entry id must be a positive integer, got {entry_id!r}") from None
    if number < 1 or number >= 2**63:
        raise LogError(f"entry id must be a positive integer, got {entry_id!r}")
    return number


def _until_bound(value: Any) -> tuple[str, bool]:
    """Upper time bound and whether it is inclusive; a bare date covers its whole day."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return F.check_utc("until", value + timedelta(days=1)), False
    if isinstance(value, str) and len(value.strip()) == 10:
        day = date.fromisoformat(F.check_utc("until", value)[:10])
        return F.check_utc("until", day + timedelta(days=1)), False
    return F.check_utc("until", value), True


def _test_pause_hook() -> None:
    marker = os.environ.get(_ENV_TEST_PAUSE)
    if marker:
        Path(marker).write_text(str(os.getpid()), encoding="ascii")
        time.sleep(600)


class ECGLog:
    """An open ECG log (see :func:`open_log`).

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL or SQLite file path; default ``$ECGCORE_LOG`` then the
        default file (see :mod:`ecgcore.log.location`).
    key_file : path, optional
        Pseudonymisation key file; default ``$ECGCORE_LOG_KEY_FILE`` then the
        user config dir. Created on first pseudonymisation.
    """

    def __init__(self, url: str | None = None, *, key_file: str | os.PathLike[str] | None = None):
        self.url = resolve_log_url(url)
        self.backend = "sqlite" if self.url.get_backend_name() == "sqlite" else "postgresql"
        self._key_file = key_file
        self._pseudonymiser: Pseudonymiser | None = None
        try:
            if self.backend == "sqlite":
                _prepare_sqlite_file(Path(self.url.database or ""))
                self._engine = sa.create_engine(
                    self.url, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S}
                )
                _install_sqlite_events(self._engine)
            else:
                self._engine = sa.create_engine(self.url, pool_size=2, max_overflow=2)
        except ModuleNotFoundError as exc:
            raise LogError(
                f"log {self}: database driver missing ({exc.name}); "
                "install ecgcore[postgres] for PostgreSQL"
            ) from None
        except OSError as exc:
            raise LogError(f"log {self}: cannot create the log file: {exc}") from None
        try:
            self._ensure_schema()
        except BaseException:
            self._engine.dispose()
            raise

    # --- plumbing -----------------------------------------------------------

    def __repr__(self) -> str:
        return f"ECGLog({self})"

    def __str__(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def __enter__(self) -> ECGLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    @contextlib.contextmanager
    def _transaction(self, *, write: bool, snapshot: bool = False) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                if self.backend == "sqlite" and write:
                    conn.execution_options(ecgcore_sqlite_begin="IMMEDIATE")
                elif self.backend == "postgresql" and snapshot:
                    conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise LogError(f"log {self}: {_db_message(exc)}") from None

    def _ensure_schema(self) -> None:
        with self._transaction(write=False) as conn:
            version = current_version(conn)
        if version == LATEST_VERSION:
            return
        with self._transaction(write=True) as conn:
            if self.backend == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
            reached = migrate(conn)
        if reached != version:
            logger.info("log %s: schema migrated from version %d to %d", self, version, reached)

    @property
    def schema_version(self) -> int:
        """Schema version of the database."""
        with self._transaction(write=False) as conn:
            return current_version(conn)

    def pseudonymiser(self, *, create: bool = True) -> Pseudonymiser | None:
        """The installation's :class:`Pseudonymiser` (key created on first use if ``create``)."""
        if self._pseudonymiser is None:
            key = load_key(self._key_file, create=create)
            if key is None:
                return None
            self._pseudonymiser = Pseudonymiser(key)
        return self._pseudonymiser

    # --- writing --------------------------------------------------------------

    def _patient_fields(self, patient: Any, clear: Any) -> dict[str, Any]:
        if not isinstance(clear, bool):
            raise LogError(f"clear_patient: expected true or false, got {clear!r}")
        if patient is None:
            if clear:
                raise LogError("clear_patient is set but no patient was given")
            return {"patient_ref": None, "patient_ref_kind": None, "key_id": None}
        pid = F.check_identifier("patient", patient)
        if clear:
            return {"patient_ref": pid, "patient_ref_kind": "clear", "key_id": None}
        pseudo = self.pseudonymiser()
        assert pseudo is not None
        return {
            "patient_ref": pseudo.pseudonym(pid),
            "patient_ref_kind": "pseudonym",
            "key_id": pseudo.key_id,
        }

    def _prepare(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Validate caller fields; return body-form fields (patient pseudonymised)."""
        norm = normalise_fields(fields)
        has_patient = "patient" in norm or "clear_patient" in norm
        patient = norm.pop("patient", None)
        clear = norm.pop("clear_patient", False)
        if has_patient:
            norm.update(self._patient_fields(patient, clear))
        return norm

    def _insert(self, drafts: list[dict[str, Any]]) -> list[LogEntry]:
        """Chain and insert drafts (kind + body-form fields) in one locked transaction."""
        out: list[LogEntry] = []
        with self._transaction(write=True) as conn:
            head = conn.execute(
                sa.select(chain_head.c.last_id, chain_head.c.last_hash)
                .where(chain_head.c.id == 1)
                .with_for_update()
            ).one_or_none()
            if head is None:
                raise LogError(f"log {self}: chain head row is missing; run 'ecg log verify'")
            last_id, last_hash = int(head[0]), str(head[1])
            logged = F.format_utc(datetime.now(UTC))
            rows = []
            for draft in drafts:
                target = draft.get("amends")
                if target is not None:
                    self._check_amend_target(conn, target, out)
                entry = LogEntry(
                    id=last_id + 1,
                    logged_utc=logged,
                    prev_hash=last_hash,
                    entry_hash="",
                    **entry_values(draft),
                )
                text = canonical_json(entry.body())
                check_body_size(text)
                entry = dataclasses.replace(entry, entry_hash=hash_text(text))
                rows.append(
                    {
                        "id": entry.id,
                        "kind": entry.kind,
                        "logged_utc": entry.logged_utc,
                        "when_utc": entry.when_utc,
                        "technician": entry.technician,
                        "patient_ref": entry.patient_ref,
                        "amends": entry.amends,
                        "body": text,
                        "prev_hash": entry.prev_hash,
                        "entry_hash": entry.entry_hash,
                    }
                )
                out.append(entry)
                last_id, last_hash = entry.id, entry.entry_hash
            conn.execute(sa.insert(log_entries), rows)
            _test_pause_hook()
            conn.execute(
                sa.update(chain_head)
                .where(chain_head.c.id == 1)
                .values(last_id=last_id, last_hash=last_hash)
            )
        for entry in out:
            logger.debug("log %s: appended entry %d (%s)", self, entry.id, entry.kind)
        return out

    def _check_amend_target(self, conn: Connection, target: int, pending: list[LogEntry]) -> None:
        kind = next((e.kind for e in pending if e.id == target), None)
        if kind is None:
            kind = conn.execute(
                sa.select(log_entries.c.kind).where(log_entries.c.id == target)
            ).scalar_one_or_none()
        if kind is None:
            raise LogError(f"cannot amend entry {target}: no such entry")
        if kind == "amendment":
            raise LogError(f"cannot amend entry {target}: it is an amendment; amend the original")

    def append(self, entry: Mapping[str, Any] | None = None, /, **fields: Any) -> LogEntry:
        """Append one recording entry and return it as stored.

        Parameters
        ----------
        entry : mapping, optional
            Fields as a mapping (merged with keyword ``fields``).
        **fields
            Any of :data:`~ecgcore.log.entry.INPUT_FIELDS`: ``technician``,
            ``patient`` (pseudonymised unless ``clear_patient=True``),
            ``acquired_utc``, ``source``, ``subject``, ``device``, ``leads``,
            ``fs`` (Hz), ``duration_s`` (s), ``filter``, ``heart_rate_bpm``,
            ``rhythm``, ``alarms``, ``quality``, ``grade``, ``files`` (paths,
            hashed now, or FileRef), ``notes``.

        Raises
        ------
        LogError
            Unknown field, bad value, or the database cannot be written.
        """
        return self.append_many([{**(entry or {}), **fields}])[0]

    def append_many(self, entries: Iterable[Mapping[str, Any]]) -> list[LogEntry]:
        """Append several recording entries in one transaction (all or none)."""
        drafts = []
        for fields in entries:
            if "details" in fields:
                raise LogError("details: only for certification and CE entries")
            drafts.append({"kind": "recording", **self._prepare(fields)})
        if not drafts:
            return []
        return self._insert(drafts)

    def append_kind(self, kind: str, fields: Mapping[str, Any]) -> LogEntry:
        """Append one entry of ``kind`` (``recording``, ``certification`` or ``ce_credit``).

        Certifications and CE credits are best written with
        :func:`~ecgcore.log.technician.certify` and
        :func:`~ecgcore.log.technician.add_ce_credits`; amendments with :meth:`amend`.
        """
        F.check_choice("kind", kind, ("recording", "certification", "ce_credit"))
        return self._insert([{"kind": kind, **self._prepare(fields)}])[0]

    def amend(self, entry_id: int | str, *, reason: str, author: str, **changes: Any) -> LogEntry:
        """Append an amendment correcting entry ``entry_id``; the original stays as it was.

        Parameters
        ----------
        entry_id : int
            The entry to correct (not itself an amendment).
        reason : str
            Why the correction is made (required).
        author : str
            Who makes it (identifier).
        **changes
            New values, same names as for :meth:`append` (``patient`` and
            ``clear_patient`` set a new patient reference).

        Raises
        ------
        LogError
            Unknown entry, no changes, or bad values.
        """
        target = _parse_id(entry_id)
        reason = F.check_text("reason", reason, multiline=True).strip()
        if not reason:
            raise LogError("reason: an amendment needs a reason")
        author = F.check_identifier("author", author)
        if not changes:
            raise LogError("an amendment must change at least one field")
        if "clear_patient" in changes and "patient" not in changes:
            raise LogError("clear_patient: give the patient again to change how it is stored")
        body_changes = self._prepare(changes)
        if set(body_changes) - set(AMENDABLE_FIELDS):
            raise LogError("internal: unamendable field in changes")
        draft = {
            "kind": "amendment",
            "amends": target,
            "reason": reason,
            "author": author,
            "changes": body_changes,
        }
        return self._insert([draft])[0]

    # --- reading --------------------------------------------------------------

    @staticmethod
    def _entry_from_row(row: Any) -> LogEntry:
        try:
            body = json.loads(row.body)
        except ValueError:
            raise LogError(f"entry {row.id}: stored body is not JSON") from None
        return LogEntry.from_body(body, row.entry_hash)

    def head(self) -> ChainHead:
        """Id and hash of the last entry."""
        with self._transaction(write=False) as conn:
            row = conn.execute(sa.select(chain_head.c.last_id, chain_head.c.last_hash)).one()
        return ChainHead(int(row[0]), str(row[1]))

    def count(self) -> int:
        """Number of entries (amendments included)."""
        with self._transaction(write=False) as conn:
            query = sa.select(sa.func.count()).select_from(log_entries)
            return int(conn.execute(query).scalar_one())

    def get(self, entry_id: int | str) -> LogEntry:
        """The entry with id ``entry_id`` as stored (raises :class:`LogError` if unknown)."""
        number = _parse_id(entry_id)
        with self._transaction(write=False) as conn:
            row = conn.execute(
                sa.select(log_entries.c.id, log_entries.c.body, log_entries.c.entry_hash).where(
                    log_entries.c.id == number
                )
            ).one_or_none()
        if row is None:
            raise LogError(f"no log entry with id {number}")
        return self._entry_from_row(row)

    def _amendments_of(self, conn: Connection, ids: list[int] | None) -> dict[int, list[LogEntry]]:
        query = sa.select(log_entries.c.id, log_entries.c.body, log_entries.c.entry_hash).where(
            log_entries.c.kind == "amendment"
        )
        if ids is not None:
            query = query.where(log_entries.c.amends.in_(ids))
        grouped: dict[int, list[LogEntry]] = {}
        for row in conn.execute(query.order_by(log_entries.c.id)):
            amendment = self._entry_from_row(row)
            assert amendment.amends is not None
            grouped.setdefault(amendment.amends, []).append(amendment)
        return grouped

    @staticmethod
    def _history(original: LogEntry, amendments: list[LogEntry]) -> EntryHistory:
        current = original
        for amendment in amendments:
            current = apply_changes(current, amendment.changes or {})
        return EntryHistory(original, tuple(amendments), current)

    def show(self, entry_id: int | str) -> EntryHistory:
        """An entry with its amendments and current values.

        For the id of an amendment, the history of the entry it amends.
        """
        entry = self.get(entry_id)
        if entry.kind == "amendment":
            assert entry.amends is not None
            entry = self.get(entry.amends)
        with self._transaction(write=False) as conn:
            amendments = self._amendments_of(conn, [entry.id]).get(entry.id, [])
        return self._history(entry, amendments)

    def list(
        self,
        *,
        technician: str | None = None,
        patient: str | None = None,
        since: Any = None,
        until: Any = None,
        rhythm: str | None = None,
        kind: str | None = "recording",
    ) -> list[EntryHistory]:
        """Entries (not amendments) matching every given filter, in chain order.

        Filters apply to current values (after amendments).

        Parameters
        ----------
        technician : str, optional
            Technician identifier.
        patient : str, optional
            Patient identifier as given when logging (matched against clear
            references and against pseudonyms made with this installation's key).
        since, until : date, datetime or ISO text, optional
            Acquisition time (logging time if unknown) bounds, UTC; ``since`` is
            inclusive; ``until`` is inclusive, and a bare date covers its whole day.
        rhythm : str, optional
            Case-insensitive substring of the rhythm summary.
        kind : str or None
            Entry kind (default ``"recording"``); None for every kind but amendments.
        """
        c = log_entries.c
        conds: list[Any] = []
        checks: list[Any] = []
        if kind is not None:
            F.check_choice("kind", kind, [k for k in KINDS if k != "amendment"])
        if technician is not None:
            tech = F.check_identifier("technician", technician)
            conds.append(c.technician == tech)
            checks.append(lambda e: e.technician == tech)
        if patient is not None:
            pid = F.check_identifier("patient", patient)
            pseudo = self.pseudonymiser(create=False)
            refs = [pid] + ([pseudo.pseudonym(pid)] if pseudo is not None else [])
            conds.append(c.patient_ref.in_(refs))

            def _patient_ok(e: LogEntry) -> bool:
                if e.patient_ref_kind == "clear":
                    return e.patient_ref == pid
                return (
                    pseudo is not None
                    and e.key_id == pseudo.key_id
                    and e.patient_ref == pseudo.pseudonym(pid)
                )

            checks.append(_patient_ok)
        if since is not None:
            low = F.check_utc("since", since)
            conds.append(c.when_utc >= low)
            checks.append(lambda e: e.when_utc >= low)
        if until is not None:
            high, inclusive = _until_bound(until)
            conds.append(c.when_utc <= high if inclusive else c.when_utc < high)
            checks.append(lambda e: e.when_utc <= high if inclusive else e.when_utc < high)
        if rhythm is not None:
            wanted = F.check_text("rhythm", rhythm).casefold()
            checks.append(lambda e: wanted in (e.rhythm or "").casefold())

        amended = sa.select(c.amends).where(c.kind == "amendment")
        query = sa.select(c.id, c.body, c.entry_hash).where(c.kind != "amendment")
        if kind is not None:
            query = query.where(c.kind == kind)
        if conds:
            query = query.where(sa.or_(sa.and_(*conds), c.id.in_(amended)))
        with self._transaction(write=False, snapshot=True) as conn:
            rows = conn.execute(query.order_by(c.id)).all()
            amendments = self._amendments_of(conn, None)
        out = []
        for row in rows:
            history = self._history(self._entry_from_row(row), amendments.get(row.id, []))
            if all(check(history.current) for check in checks):
                out.append(history)
        return out

    def entries(self, *, batch: int = 5000) -> Iterator[LogEntry]:
        """Every entry as stored, amendments included, in chain order."""
        c = log_entries.c
        with self._transaction(write=False, snapshot=True) as conn:
            result = conn.execution_options(yield_per=batch).execute(
                sa.select(c.id, c.body, c.entry_hash).order_by(c.id)
            )
            for row in result:
                yield self._entry_from_row(row)

    # --- verification ---------------------------------------------------------

    def verify(
        self, *, check_files: bool = True, expect_head: str | None = None, workers: int = 4
    ) -> VerifyReport:
        """Re-hash the chain (and record files) and report every mismatch.

        Parameters
        ----------
        check_files : bool
            Re-hash every record file named by the entries (as last amended).
        expect_head : str, optional
            Head hash recorded elsewhere (e.g. printed log book footer).
        workers : int
            Threads used to hash record files.
        """
        verifier = ChainVerifier()
        c = log_entries.c
        columns = (
            c.id, c.kind, c.logged_utc, c.when_utc, c.technician, c.patient_ref,
            c.amends, c.body, c.prev_hash, c.entry_hash,
        )  # fmt: skip
        with self._transaction(write=False, snapshot=True) as conn:
            result = conn.execution_options(yield_per=10_000).execute(
                sa.select(*columns).order_by(c.id)
            )
            for row in result.mappings():
                verifier.feed(dict(row))
            head = conn.execute(sa.select(chain_head.c.last_id, chain_head.c.last_hash)).first()
        head_tuple = (int(head[0]), str(head[1])) if head is not None else None
        return verifier.finish(
            head_tuple, check_files=check_files, expect_head=expect_head, workers=workers
        )


def open_log(url: str | None = None, *, key_file: str | os.PathLike[str] | None = None) -> ECGLog:
    """Open (creating on first use) the ECG log at ``url``.

    ``url`` falls back to ``$ECGCORE_LOG``, then to the default SQLite file in
    the user's data directory. See :class:`ECGLog`.
    """
    return ECGLog(url, key_file=key_file)
