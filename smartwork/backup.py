"""Backup and restore of the whole database: SQLite's online backup API, or pg_dump/pg_restore.

Both work while the application runs: SQLite's backup API copies a consistent snapshot page by
page, and pg_dump reads one snapshot. Backups are written owner-only (0600) and appear under their
name only once complete. The PostgreSQL tools get the connection through ``PG*`` environment
variables (the password as ``PGPASSWORD``), never on their command line, where every user of the
machine could read it. A restore first checks that the file is a smartwork database at a migration
this code knows, then takes a safety copy of the live database, and only then replaces it.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.engine import URL, make_url

from .extensions import db
from .timeutils import utcnow

# Tables a smartwork database has had since its first migration.
CORE_TABLES = ("alembic_version", "users", "agencies", "centers", "spaces", "bookings")
OWNER_ONLY = 0o600


class BackupError(RuntimeError):
    """A backup or restore could not be completed (the message says why, for the operator)."""


def _url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _sqlite_path() -> Path:
    database = _url().database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


# Query parameters of the URL that libpq also reads from the environment.
_LIBPQ_PARAMETERS = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
                     "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT",
                     "application_name": "PGAPPNAME", "options": "PGOPTIONS", "passfile": "PGPASSFILE"}


def libpq_environment(url: URL) -> dict[str, str]:
    """The connection as PG* variables for pg_dump/pg_restore/psql (the password included).

    Variables already set (PGPASSWORD, PGPASSFILE for a 0600 pgpass file, PGSSLMODE…) stay unless
    the URL says otherwise.
    """
    values = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username, "PGPASSWORD": url.password,
              "PGDATABASE": url.database}
    for name, variable in _LIBPQ_PARAMETERS.items():
        if name in url.query:
            value = url.query[name]
            values[variable] = value if isinstance(value, str) else value[-1]
    return {**os.environ, **{key: str(value) for key, value in values.items() if value is not None}}


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (it comes with the PostgreSQL client tools)")
    return path


def _run(command: list[str], *, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env, umask=0o077)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")
    return result.stdout


def _owner_only_file(path: Path) -> None:
    """Create (or empty) ``path`` readable by its owner only, before anything is written to it."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
    try:
        os.fchmod(descriptor, OWNER_ONLY)  # an existing file keeps its old mode otherwise
    finally:
        os.close(descriptor)


def backup_database(target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` (SQLite file or pg_dump custom format), 0600."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    _owner_only_file(partial)
    dialect = _url().get_backend_name()
    try:
        if dialect == "sqlite":
            with closing(sqlite3.connect(_sqlite_path())) as source, closing(sqlite3.connect(partial)) as copy:
                source.backup(copy)
        elif dialect == "postgresql":
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial)],
                 env=libpq_environment(_url()))
        else:
            raise BackupError(f"backups of {dialect} databases are not supported")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


# --- restore -------------------------------------------------------------------------------------


def known_revisions() -> set[str]:
    """Every migration revision this code ships (migrations/versions)."""
    from alembic.script import ScriptDirectory

    directory = current_app.extensions["migrate"].directory
    return {script.revision for script in ScriptDirectory(directory).walk_revisions()}


def _sqlite_revision(source: Path) -> str:
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup:
            tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = [table for table in CORE_TABLES if table not in tables]
            if missing:
                raise BackupError(f"{source} is not a smartwork database (no {', '.join(missing)} table)")
            rows = backup.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not an SQLite database backup ({error})") from error
    if len(rows) != 1:
        raise BackupError(f"{source} records {len(rows)} migration versions; a smartwork database has one")
    return rows[0][0]


def _postgres_revision(source: Path) -> str:
    pg_restore = _pg_tool("pg_restore")
    try:
        listing = _run([pg_restore, "--list", str(source)])
    except BackupError as error:
        raise BackupError(f"{source} is not a pg_dump custom-format backup") from error
    tables = set(re.findall(r"\bTABLE(?: DATA)? \S+ (\w+) ", listing))
    missing = [table for table in CORE_TABLES if table not in tables]
    if missing:
        raise BackupError(f"{source} is not a smartwork database (no {', '.join(missing)} table)")
    data = _run([pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(source)])
    match = re.search(r"COPY \S*alembic_version \(version_num\) FROM stdin;\n(.*?)\n\\\.", data, re.S)
    versions = match.group(1).split("\n") if match and match.group(1) else []
    if len(versions) != 1:
        raise BackupError(f"{source} records {len(versions)} migration versions; a smartwork database has one")
    return versions[0]


def check_backup(source: Path) -> str:
    """The migration revision of the smartwork database in ``source``; BackupError if it is not one."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    dialect = _url().get_backend_name()
    if dialect == "sqlite":
        revision = _sqlite_revision(source)
    elif dialect == "postgresql":
        revision = _postgres_revision(source)
    else:
        raise BackupError(f"restores of {dialect} databases are not supported")
    if revision not in known_revisions():
        raise BackupError(
            f"{source} is at migration {revision!r}, which this version of smartwork does not know; "
            "restore it with the version that wrote it"
        )
    return revision


def safety_copy_path(source: Path, now: datetime | None = None) -> Path:
    """Where the live database is copied before a restore: beside the backup, stamped with the time."""
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%SZ")
    suffix = ".sqlite" if _url().get_backend_name() == "sqlite" else ".dump"
    return Path(source).resolve().parent / f"smartwork-before-restore-{stamp}{suffix}"


def restore_database(source: Path, *, safety_copy: Path | None = None, now: datetime | None = None) -> Path:
    """Check ``source``, copy the live database to ``safety_copy``, then replace it; return the copy's path."""
    source = Path(source)
    check_backup(source)
    safety_copy = Path(safety_copy) if safety_copy else safety_copy_path(source, now)
    backup_database(safety_copy)
    dialect = _url().get_backend_name()
    # Pooled connections would keep the old snapshot (SQLite) or hold locks pg_restore needs.
    db.session.remove()
    db.engine.dispose()
    if dialect == "sqlite":
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup, \
                closing(sqlite3.connect(_sqlite_path())) as live, live:
            backup.backup(live)
    else:
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", "--dbname", _url().database or "", str(source)],
             env=libpq_environment(_url()))
    return safety_copy


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Back the database up to PATH (SQLite: a database file; PostgreSQL: pg_dump custom format), mode 0600."""
    try:
        backup_database(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backup written to {path}")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--safety-copy", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to copy the live database first (default: beside PATH, stamped with the time).")
def restore_command(path: Path, yes: bool, safety_copy: Path | None) -> None:
    """Replace the database's contents with the smartwork backup at PATH (a safety copy is taken first)."""
    try:
        revision = check_backup(path)
    except BackupError as error:
        raise click.ClickException(f"{error}. Nothing was changed.") from error
    click.echo(f"{path}: a smartwork database at migration {revision}")
    if not yes:
        click.confirm("This replaces every table's contents. Continue?", abort=True)
    try:
        copy = restore_database(path, safety_copy=safety_copy)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"the database as it was before: {copy}")
    click.echo(f"restored from {path}; run `flask db upgrade` if this version has newer migrations")
