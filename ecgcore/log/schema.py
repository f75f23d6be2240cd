"""Tables of the ECG log and their migrations (same schema on SQLite and PostgreSQL).

* ``log_entries``: one row per entry; ``body`` is the canonical JSON that is
  hashed, the other columns repeat a few body fields for filtering (``verify``
  checks they agree with the body).
* ``chain_head``: a single row with the id and hash of the last entry. Appends
  lock it (``SELECT ... FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` takes
  the write lock on SQLite), which serialises writers.
* ``schema_version``: one row per applied migration.

Migrations are plain functions applied in order inside one locked transaction;
a database newer than this code is refused, never downgraded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ecgcore.errors import LogError
from ecgcore.log._canonical import GENESIS_HASH

__all__ = ["LATEST_VERSION", "MIGRATIONS", "chain_head", "log_entries", "metadata", "migrate"]

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_utc", sa.String(32), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
)

log_entries = sa.Table(
    "log_entries",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("logged_utc", sa.String(32), nullable=False),
    sa.Column("when_utc", sa.String(32), nullable=False),
    sa.Column("technician", sa.String(512)),
    sa.Column("patient_ref", sa.String(512)),
    sa.Column("amends", sa.BigInteger, sa.ForeignKey("log_entries.id")),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False, unique=True),
)

chain_head = sa.Table(
    "chain_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_id", sa.BigInteger, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
    sa.CheckConstraint("id = 1", name="chain_head_single_row"),
)

_APPEND_ONLY_MESSAGE = "ecgcore log entries are append-only"

# Raw DDL below is constant text (no user input), per dialect.
_APPEND_ONLY_DDL = {
    "sqlite": [
        "CREATE TRIGGER log_entries_no_update BEFORE UPDATE ON log_entries "
        f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END",
        "CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries "
        f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION ecgcore_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY_MESSAGE}'; END $$",
        "CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries "
        "FOR EACH ROW EXECUTE FUNCTION ecgcore_log_append_only()",
        "CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION ecgcore_log_append_only()",
    ],
}


def _v1_tables(conn: Connection) -> None:
    metadata.create_all(conn, tables=[log_entries, chain_head])
    conn.execute(sa.insert(chain_head).values(id=1, last_id=0, last_hash=GENESIS_HASH))


def _v2_indexes_and_append_only(conn: Connection) -> None:
    # Plain DDL rather than sa.Index objects, which would attach to the shared
    # Table and be created again by the version 1 migration of another database.
    for column in ("technician", "patient_ref", "when_utc", "amends", "kind"):
        conn.exec_driver_sql(f"CREATE INDEX ix_log_entries_{column} ON log_entries ({column})")
    for ddl in _APPEND_ONLY_DDL[conn.dialect.name]:
        conn.exec_driver_sql(ddl)


#: Ordered migrations: (version, description, function(connection)).
MIGRATIONS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "entries and chain head", _v1_tables),
    (2, "filter indexes, append-only triggers", _v2_indexes_and_append_only),
)
LATEST_VERSION = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    """Highest applied schema version (0 for an empty database)."""
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0


def migrate(conn: Connection, *, target: int = LATEST_VERSION) -> int:
    """Apply pending migrations up to ``target`` inside the caller's locked transaction.

    Returns the version reached. Raises :class:`LogError` if the database
    is newer than this code.
    """
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise LogError(
            f"log schema version {version} is newer than this ecgcore supports "
            f"({LATEST_VERSION}); upgrade ecgcore"
        )
    if version == 0:
        metadata.create_all(conn, tables=[schema_version])
    for number, description, func in MIGRATIONS:
        if version < number <= target:
            func(conn)
            conn.execute(
                sa.insert(schema_version).values(
                    version=number,
                    applied_utc=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    description=description,
                )
            )
            version = number
    return version
