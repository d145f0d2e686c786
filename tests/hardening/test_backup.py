"""`flask backup` and `flask restore`: a round trip on each engine; owner-only files, no password on a
command line, and a restore that refuses anything but a smartwork database at a known migration."""

from __future__ import annotations

import sqlite3
import stat
import subprocess

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from smartwork import backup
from smartwork.bookings.models import Booking, BookingStatus
from smartwork.extensions import db


@pytest.fixture(autouse=True)
def stamped(app):
    """The test schema comes from create_all: record the newest migration as `flask db upgrade` would."""
    head = max(backup.known_revisions())
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS alembic_version "
                                "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        connection.execute(text("DELETE FROM alembic_version"))
        connection.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    yield head
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _snapshot() -> list[tuple]:
    return [(b.id, b.user_id, b.status, b.starts_at) for b in db.session.scalars(select(Booking).order_by(Booking.id))]


def test_backup_then_restore_brings_the_data_back(app, world, tmp_path):
    before = _snapshot()
    assert len(before) == 2
    booking_id, other_booking_id, other_id = world.booking.id, world.other_booking.id, world.other.id
    runner = app.test_cli_runner()
    target = tmp_path / "nested" / "smartwork.backup"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0

    # Change the data after the backup: cancel one booking, delete the other.
    db.session.get(Booking, booking_id).status = BookingStatus.CANCELLED
    db.session.delete(db.session.get(Booking, other_booking_id))
    db.session.commit()
    assert _snapshot() != before

    refused = runner.invoke(args=["restore", str(target)], input="n\n")
    assert refused.exit_code != 0  # not confirmed: nothing changed
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1

    result = runner.invoke(args=["restore", "--yes", "--safety-copy", str(tmp_path / "safety"), str(target)])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert _snapshot() == before
    # The restored database still enforces its rules (constraints and triggers came back).
    copy = db.session.get(Booking, booking_id)
    db.session.add(Booking(user_id=other_id, space_id=copy.space_id, center_id=copy.center_id,
                           starts_at=copy.starts_at, ends_at=copy.ends_at, status=BookingStatus.RESERVED))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_restore_of_a_missing_or_broken_file_fails_cleanly(app, world, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["restore", "--yes", str(tmp_path / "missing")]).exit_code != 0
    broken = tmp_path / "broken.backup"
    broken.write_bytes(b"not a backup at all" * 100)
    result = runner.invoke(args=["restore", "--yes", str(broken)])
    assert result.exit_code != 0
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 2  # the data is untouched


def test_backups_are_owner_only_and_replace_atomically(app, world, tmp_path):
    target = tmp_path / "smartwork.backup"
    target.write_text("an older, world-readable file")
    target.chmod(0o644)
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*partial"))


def test_restore_takes_a_safety_copy_first(app, world, tmp_path):
    runner = app.test_cli_runner()
    backed_up = tmp_path / "before.backup"
    assert runner.invoke(args=["backup", str(backed_up)]).exit_code == 0
    db.session.delete(db.session.get(Booking, world.other_booking.id))
    db.session.commit()
    result = runner.invoke(args=["restore", "--yes", str(backed_up)])
    assert result.exit_code == 0, result.output
    [copy] = tmp_path.glob("smartwork-before-restore-*")
    assert str(copy) in result.output
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 2
    # The safety copy holds the database as it was just before: one booking. Restoring it brings that back.
    assert runner.invoke(args=["restore", "--yes", "--safety-copy", str(tmp_path / "again"), str(copy)]).exit_code == 0
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def _foreign_backup(app, engine_name, tmp_path, database_urls):
    """A valid backup of a database that is not smartwork's."""
    if engine_name == "sqlite":
        path = tmp_path / "other.sqlite"
        with sqlite3.connect(path) as other:
            other.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")
            other.execute("INSERT INTO invoices VALUES (1, 100)")
        return path
    url = make_url(database_urls["postgresql"])
    path = tmp_path / "other.dump"
    env = backup.libpq_environment(url)
    subprocess.run(["psql", "-q", "-c", "DROP SCHEMA IF EXISTS foreign_test CASCADE; CREATE SCHEMA foreign_test; "
                    "CREATE TABLE foreign_test.invoices (id int primary key)"], env=env, check=True)
    try:
        subprocess.run(["pg_dump", "--format=custom", "--schema=foreign_test", "--file", str(path)], env=env,
                       check=True)
    finally:
        subprocess.run(["psql", "-q", "-c", "DROP SCHEMA foreign_test CASCADE"], env=env, check=True)
    return path


def test_restore_refuses_a_database_that_is_not_smartwork(app, world, tmp_path, engine_name, database_urls):
    foreign = _foreign_backup(app, engine_name, tmp_path, database_urls)
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(foreign)])
    assert result.exit_code == 1
    assert "is not a smartwork database" in result.output and "Nothing was changed" in result.output
    assert "Traceback" not in result.output and result.exception.__class__.__name__ == "SystemExit"
    assert not list(tmp_path.glob("smartwork-before-restore-*"))
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 2


def test_restore_refuses_an_unknown_migration(app, world, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "future.backup"
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    result = runner.invoke(args=["restore", "--yes", str(target)])
    assert result.exit_code == 1
    assert "'9999_from_the_future', which this version of smartwork does not know" in result.output
    assert "Traceback" not in result.output


def test_restore_says_what_it_found_before_asking(app, world, tmp_path, stamped):
    runner = app.test_cli_runner()
    target = tmp_path / "ok.backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    result = runner.invoke(args=["restore", str(target)], input="n\n")
    assert f"a smartwork database at migration {stamped}" in result.output
    assert result.exit_code == 1  # declined


def test_the_postgres_password_never_reaches_a_command_line(app, engine_name, database_urls, tmp_path, monkeypatch):
    if engine_name != "postgresql":
        pytest.skip("pg_dump")
    seen = []
    real_run = subprocess.run

    def spy(command, *args, **kwargs):
        seen.append((command, kwargs.get("env") or {}))
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", spy)
    # The test server trusts local connections, so any password works: this one must not leak.
    url = make_url(database_urls["postgresql"]).set(password="s3cret-pw")
    app.config["SQLALCHEMY_DATABASE_URI"] = url.render_as_string(hide_password=False)
    target = tmp_path / "pg.backup"
    backup.backup_database(target)
    backup.restore_database(target, safety_copy=tmp_path / "safety")
    assert len(seen) >= 4  # dump, list, data, dump (safety copy), restore
    for command, _env in seen:
        assert not any("s3cret-pw" in part for part in command), command
        assert not any("postgresql://" in part for part in command), command
    connecting = [env for command, env in seen if "--list" not in command and "--data-only" not in command]
    assert {env.get("PGPASSWORD") for env in connecting} == {"s3cret-pw"}
