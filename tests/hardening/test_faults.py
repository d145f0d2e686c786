"""Faults: a locked or vanished database gives a 503 with Retry-After and no partial write;
the scheduler outlives a database restart (issue 9 §4)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from smartwork.bookings.models import Booking
from smartwork.extensions import db
from smartwork.jobs.models import JobRun
from smartwork.jobs.registry import JOBS_BY_NAME
from smartwork.jobs.runner import build_scheduler
from smartwork.timeutils import local_today
from tests.hardening.conftest import build_world, client_for
from tests.hardening.tcp_proxy import TcpProxy


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _booking_form(world) -> dict:
    return {"space": str(world.room.id), "date": (local_today() + timedelta(days=2)).isoformat(),
            "start": "09:00", "end": "10:00", "attendees": "2"}


@pytest.fixture
def sqlite_only(engine_name):
    if engine_name != "sqlite":
        pytest.skip("SQLite locking")


@pytest.fixture
def postgres_only(engine_name):
    if engine_name != "postgresql":
        pytest.skip("a PostgreSQL server that goes away")


def test_a_locked_sqlite_database_gives_503_and_writes_nothing(sqlite_only, app_factory):
    app = app_factory(SQLITE_BUSY_TIMEOUT_MS=150)
    with app.app_context():
        world = build_world()
        client = client_for(app, world.employee)
        bookings_before = _count(Booking)
        book_path, form, room_id = f"/bookings/centers/{world.center.code}/book", _booking_form(world), world.room.id
        path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
        db.session.remove()  # the test's own session must not hold the write lock
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            started = time.monotonic()
            page = client.post(book_path, data=form)
            elapsed = time.monotonic() - started
            api = client.post("/api/v1/bookings", json={"space_id": room_id, "starts_at": "2030-01-02T09:00:00+09:00",
                                                          "ends_at": "2030-01-02T10:00:00+09:00"})
            reading = client.get("/centers/")  # readers are not blocked by a writer (WAL)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert page.status_code == 503
        assert page.headers["Retry-After"].isdigit()
        assert page.mimetype == "text/html"
        assert elapsed < 5  # the configured timeout, not the 15 s default
        assert api.status_code == 503
        assert api.mimetype == "application/problem+json"
        assert api.json["rule"] == "unavailable"
        assert api.headers["Retry-After"].isdigit()
        assert reading.status_code == 200
        db.session.remove()
        assert _count(Booking) == bookings_before
        # Once the lock is gone the same request succeeds.
        assert client.post(book_path, data=form).status_code == 302
        assert _count(Booking) == bookings_before + 1


def _proxied(app_factory, database_urls):
    """An app reaching PostgreSQL through a proxy the test can cut."""
    url = make_url(database_urls["postgresql"])
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    app = app_factory(SQLALCHEMY_DATABASE_URI=url.set(host="127.0.0.1", port=proxy.port)
                      .render_as_string(hide_password=False))
    return app, proxy


def test_a_vanished_postgres_gives_503_and_writes_nothing(postgres_only, app, app_factory, database_urls):
    world = build_world()
    direct_client = client_for(app, world.employee)
    cookie = direct_client.get_cookie("session", domain="localhost.test")
    bookings_before = _count(Booking)
    proxied, proxy = _proxied(app_factory, database_urls)
    try:
        anonymous = proxied.test_client()
        signed_in = proxied.test_client()
        signed_in.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
        assert signed_in.get("/centers/").status_code == 200
        proxy.stop()
        responses = {
            "sign-in": anonymous.post("/auth/login", data={"identifier": "x@korea.kr", "password": "y"}),
            "page": signed_in.get("/centers/"),
            "booking": signed_in.post(f"/bookings/centers/{world.center.code}/book", data=_booking_form(world)),
            "api": signed_in.get("/api/v1/bookings"),
        }
    finally:
        proxy.stop()
    for name, response in responses.items():
        assert response.status_code == 503, (name, response.status_code, response.text[:300])
        assert response.headers["Retry-After"].isdigit(), name
    assert responses["api"].mimetype == "application/problem+json"
    assert _count(Booking) == bookings_before


def test_the_scheduler_survives_a_database_restart(postgres_only, app, app_factory, database_urls, caplog):
    spec = JOBS_BY_NAME["complete_ended"]
    proxied, proxy = _proxied(app_factory, database_urls)
    node = build_scheduler(proxied, jobs=(spec,), every=timedelta(seconds=0.2))
    outcomes: list[str] = []
    changed = threading.Condition()

    def listen(event) -> None:
        if event.job_id == spec.name:
            with changed:
                outcomes.append("error" if event.exception else "ok")
                changed.notify_all()

    def wait_for(outcome: str, after: int) -> int:
        with changed:
            assert changed.wait_for(lambda: outcome in outcomes[after:], timeout=10), outcomes
            return len(outcomes)

    node.scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    caplog.set_level(logging.ERROR, logger="apscheduler")
    node.start()
    try:
        seen = wait_for("ok", 0)
        proxy.stop()  # the database goes away: runs fail, the scheduler keeps firing
        seen = wait_for("error", seen)
        assert node.scheduler.running
        proxy.start()  # the database is back
        wait_for("ok", seen)
    finally:
        node.shutdown(wait=True)
        proxy.stop()
    assert any("raised an exception" in record.getMessage() for record in caplog.records)
    db.session.remove()
    runs = db.session.scalars(select(JobRun).where(JobRun.job == spec.name)).all()
    assert len(runs) >= 2
    assert all(run.error is None for run in runs if run.finished_at is not None)


# --- SQLite's writer gate and read-first booking requests ------------------------------------------


def _begins(app):
    """Record the BEGIN statements the app's engine sends (a list filled as requests run)."""
    from sqlalchemy import event

    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


def test_a_booking_post_holds_the_write_lock_only_for_the_use_case(sqlite_only, app):
    world = build_world()
    client = client_for(app, world.employee)
    path, form = f"/bookings/centers/{world.center.code}/book", _booking_form(world)
    db.session.rollback()  # the test's own session must not show up among the request's transactions
    seen, stop = _begins(app)
    try:
        booked = client.post(path, data=form)
        assert booked.status_code == 302, booked.text[:300]
        reading_first = list(seen)
        seen.clear()
        client.post("/auth/logout")  # an ordinary POST: IMMEDIATE from its first query
    finally:
        stop()
    # Loading the user, the center and the form read (DEFERRED); only the use case took the lock.
    assert reading_first[0] == "BEGIN DEFERRED"
    assert "BEGIN IMMEDIATE" in reading_first
    assert seen and seen[0] == "BEGIN IMMEDIATE"


def test_the_writer_gate_is_held_from_begin_to_commit_or_rollback(sqlite_only, app):
    from sqlalchemy import text

    with app.app_context():
        engine = db.engine
    with engine.connect() as connection:
        gate = connection.connection.dbapi_connection.gate
        assert gate is not None and not gate.held
        connection.execute(text("SELECT 1"))  # autobegin: IMMEDIATE outside a read-only request
        assert gate.held
        connection.commit()
        assert not gate.held
        connection.execute(text("SELECT 1"))
        connection.rollback()
        assert not gate.held


def test_a_waiting_writer_is_let_in_as_soon_as_the_holder_commits(sqlite_only, app):
    from sqlalchemy import text

    with app.app_context():
        engine = db.engine
    holding, released_at, entered_at = threading.Event(), [], []

    def holder():
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            holding.set()
            time.sleep(0.3)
            connection.commit()
            released_at.append(time.monotonic())

    def waiter():
        holding.wait(5)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            entered_at.append(time.monotonic())
            connection.rollback()

    threads = [threading.Thread(target=holder), threading.Thread(target=waiter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert released_at and entered_at
    assert 0 <= entered_at[0] - released_at[0] < 0.05  # SQLite's own busy handler sleeps up to 100 ms


def test_a_stuck_gate_falls_back_to_sqlites_own_lock_and_timeout(sqlite_only, app_factory):
    import fcntl
    import os

    from sqlalchemy import text

    app = app_factory(SQLITE_BUSY_TIMEOUT_MS=200)
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    outsider = os.open(f"{path}-writers.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(outsider, fcntl.LOCK_EX)  # holds the gate but not the database
    try:
        with app.app_context():
            engine = db.engine
        started = time.monotonic()
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            waited = time.monotonic() - started
            connection.rollback()
    finally:
        os.close(outsider)
    assert 0.15 < waited < 3  # waited the busy timeout for the gate, then SQLite let it write
