"""Database plumbing shared by every domain: the UTC column type and SQLite connection setup."""

from __future__ import annotations

import contextvars
import fcntl
import sqlite3
import time
from contextlib import contextmanager
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


def read_first(view):
    """Mark a view that reads, then writes only inside a use case: on SQLite its request begins DEFERRED.

    A POST normally begins IMMEDIATE from its first query, so loading the user, the center and the form
    would hold SQLite's single write lock; booking views instead take it only for the use case
    (``writing``), which shortens the time every other writer waits. The mark survives decorators
    that use functools.wraps, so put it closest to the function.
    """
    view.sqlite_read_first = True
    return view


@contextmanager
def writing(session):
    """Run a use case's writes in a transaction that begins IMMEDIATE, in any request.

    In a ``read_first`` request this ends the read transaction first (there is nothing to write in
    it), so the use case re-reads what it checks under the write lock; afterwards the request is
    read-only again. Elsewhere (other requests, jobs, commands) it changes nothing.
    """
    if not sqlite_read_only.get():
        yield
        return
    if session.get_bind().dialect.name == "sqlite":
        session.commit()
    token = sqlite_read_only.set(False)
    try:
        yield
    finally:
        sqlite_read_only.reset(token)


def commit_keeping_loaded(session) -> None:
    """Commit without expiring what the session has loaded.

    A use case's objects are exactly what it just wrote, so the page (and the e-mail) after it can
    use them as they are; expiring them made every later attribute access reload its row (a booked
    page re-read the booking, its center and the center's spaces, hours, region and operator).
    """
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


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


class WriterGate:
    """A lock file beside a SQLite database that writers queue on, woken as soon as it is free.

    SQLite's busy handler polls with sleeps that grow to 100 ms, so a writer that meets the lock often
    sleeps on long after it was freed: under steady booking load that was most of the tail latency.
    Taking this gate (flock, polled every fraction of a millisecond) before BEGIN IMMEDIATE hands the
    lock from one writer to the next at once. It is only a queue: SQLite's lock stays the guarantee,
    and a writer that waits longer than the busy timeout goes on to meet that lock as before.
    """

    def __init__(self, database_path: str) -> None:
        # A file object (not a bare descriptor) is closed even if its connection is never closed.
        self.file = open(f"{database_path}-writers.lock", "ab")  # noqa: SIM115 (lives as long as the connection)
        self.held = False

    def enter(self, timeout_s: float) -> bool:
        """Wait for the gate up to ``timeout_s``; True when this connection holds it."""
        deadline = time.monotonic() + timeout_s
        pause = 0.0001
        while True:
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.002)

    def leave(self) -> None:
        """Let the next writer in."""
        if self.held:
            self.held = False
            fcntl.flock(self.file, fcntl.LOCK_UN)

    def close(self) -> None:
        """Leave the gate and close its file."""
        self.leave()
        self.file.close()


class GatedConnection(sqlite3.Connection):
    """A pysqlite connection that leaves its writer gate right after COMMIT or ROLLBACK."""

    gate: WriterGate | None = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if self.gate is not None:
                self.gate.leave()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            if self.gate is not None:
                self.gate.leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.gate is not None:
                self.gate.close()
                self.gate = None


def _on_do_connect(dialect, _record, _cargs, cparams) -> None:
    """Open SQLite connections as GatedConnection (the factory must be chosen at connect time)."""
    if dialect.name == "sqlite" and dialect.driver == "pysqlite":
        cparams.setdefault("factory", GatedConnection)


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
    main_file = next((row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main"), "")
    cursor.close()
    if isinstance(dbapi_connection, GatedConnection) and main_file:
        dbapi_connection.gate = WriterGate(main_file)


def _on_begin(connection) -> None:
    """Begin SQLite transactions IMMEDIATE (writers queue) or DEFERRED for read-only requests."""
    if connection.dialect.name != "sqlite":
        return
    if sqlite_read_only.get():
        connection.exec_driver_sql("BEGIN DEFERRED")
        return
    dbapi_connection = connection.connection.dbapi_connection
    gate = getattr(dbapi_connection, "gate", None)
    if gate is not None and not gate.held:
        timeout_ms = dbapi_connection.execute("PRAGMA busy_timeout").fetchone()[0]
        gate.enter(timeout_ms / 1000)
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except Exception:
        if gate is not None:
            gate.leave()
        raise


def install_sqlite_listeners() -> None:
    """Attach the SQLite listeners to every Engine once (idempotent)."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "do_connect", _on_do_connect)
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
