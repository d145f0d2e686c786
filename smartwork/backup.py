"""Backup and restore of the whole database: SQLite's online backup API, or pg_dump/pg_restore.

Both work while the application runs: SQLite's backup API copies a consistent snapshot page by
page, and pg_dump reads one snapshot. Restoring replaces every table's contents.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.engine import make_url

from .extensions import db


class BackupError(RuntimeError):
    """A backup or restore could not be completed."""


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _sqlite_path() -> Path:
    database = _url().database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq_url() -> str:
    """The SQLAlchemy URL as a libpq connection string (no '+driver')."""
    return _url().set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (it comes with the PostgreSQL client tools)")
    return path


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def backup_database(target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` (SQLite file or pg_dump custom format)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    dialect = _url().get_backend_name()
    if dialect == "sqlite":
        source = sqlite3.connect(_sqlite_path())
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
    elif dialect == "postgresql":
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target),
              "--dbname", _libpq_url()])
    else:
        raise BackupError(f"backups of {dialect} databases are not supported")
    return target


def restore_database(source: Path) -> None:
    """Replace the database's contents with the backup at ``source``."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    dialect = _url().get_backend_name()
    # Pooled connections would keep the old snapshot (SQLite) or hold locks pg_restore needs.
    db.session.remove()
    db.engine.dispose()
    if dialect == "sqlite":
        backup = sqlite3.connect(source)
        live = sqlite3.connect(_sqlite_path())
        try:
            with live:
                backup.backup(live)
        finally:
            live.close()
            backup.close()
    elif dialect == "postgresql":
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", "--dbname", _libpq_url(), str(source)])
    else:
        raise BackupError(f"restores of {dialect} databases are not supported")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Back the database up to PATH (SQLite: a database file; PostgreSQL: pg_dump custom format)."""
    try:
        backup_database(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backup written to {path}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database's contents with the backup at PATH."""
    if not yes:
        click.confirm("This replaces every table's contents. Continue?", abort=True)
    try:
        restore_database(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored from {path}")
