"""Database plumbing shared by every domain: the UTC column type and SQLite connection setup."""

from __future__ import annotations

import contextvars
import sqlite3
from datetime import UTC, datetime

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

# Read-only requests (GET/HEAD) begin DEFERRED transactions on SQLite; everything else
# begins IMMEDIATE so that writers queue on the lock instead of failing mid-transaction.
sqlite_read_only: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "sqlite_read_only", default=False
)


def reads_only_from_now() -> None:
    """Mark the rest of this request read-only (SQLite: later transactions begin DEFERRED).

    Called after a use case was refused and rolled back: re-rendering the form only reads, and must
    not queue behind (or hold) the write lock while other writers wait. Outside a request nothing
    changes, so jobs and commands keep their IMMEDIATE transactions.
    """
    from flask import has_request_context

    if has_request_context():
        sqlite_read_only.set(True)


class UTCDateTime(TypeDecorator):
    """An instant stored in UTC: ``timestamptz`` on PostgreSQL, naive UTC text on SQLite.

    Always returns aware UTC datetimes and refuses naive input, so local wall-clock
    times can never slip into the database by accident.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _on_connect(dbapi_connection, _record) -> None:
    """Per-connection SQLite settings: WAL, foreign keys, a busy timeout."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let the "begin" listener emit BEGIN itself (pysqlite would defer it to the first write).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA journal_mode")
    if cursor.fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_begin(connection) -> None:
    """Begin SQLite transactions IMMEDIATE (writers queue) or DEFERRED for read-only requests."""
    if connection.dialect.name != "sqlite":
        return
    mode = "DEFERRED" if sqlite_read_only.get() else "IMMEDIATE"
    connection.exec_driver_sql(f"BEGIN {mode}")


def install_sqlite_listeners() -> None:
    """Attach the SQLite listeners to every Engine once (idempotent)."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)


def enum_column_type(enum_cls, name: str):
    """A portable enum column: VARCHAR plus a named CHECK constraint, storing the values."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_cls),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
