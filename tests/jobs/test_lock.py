"""The leader lock: one scheduler leads; the lead passes on only when the leader stops."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from smartwork.extensions import db
from smartwork.jobs.models import SchedulerLease
from smartwork.jobs.services import LeaderLock
from tests.jobs.builders import kst

NOW = kst(2026, 12, 1, 10, 0)


def test_only_one_of_two_locks_leads_until_it_releases(app_factory):
    first_app, second_app = app_factory(), app_factory()
    first, second = LeaderLock(first_app), LeaderLock(second_app)
    assert first.acquire(NOW) is True
    assert second.acquire(NOW) is False
    assert first.acquire(NOW + timedelta(seconds=1)) is True  # the leader keeps leading
    assert (first.held, second.held) == (True, False)
    first.release()
    assert second.acquire(NOW + timedelta(seconds=2)) is True
    assert first.acquire(NOW + timedelta(seconds=3)) is False
    second.release()


def test_the_leader_is_recorded_on_the_lease_row(app_factory):
    app = app_factory()
    lock = LeaderLock(app)
    assert lock.acquire(NOW)
    with app.app_context():
        lease = db.session.get(SchedulerLease, "scheduler")
        assert lease.holder == lock.holder
        assert lease.acquired_at == NOW
        assert lease.expires_at == NOW + lock.ttl
    lock.release()


def test_sqlite_lease_passes_on_only_after_it_expires(app_factory, engine_name):
    if engine_name != "sqlite":
        pytest.skip("the lease is the lock on SQLite only")
    leader, waiting = LeaderLock(app_factory()), LeaderLock(app_factory())
    ttl = leader.ttl
    assert leader.acquire(NOW)
    # The leader stops renewing (process died): others wait until the lease runs out.
    assert waiting.acquire(NOW + ttl - timedelta(seconds=1)) is False
    assert waiting.acquire(NOW + ttl + timedelta(seconds=1)) is True
    # The old leader comes back: its conditional UPDATE no longer matches.
    assert leader.acquire(NOW + ttl + timedelta(seconds=2)) is False
    assert leader.held is False


def test_sqlite_leader_renews_its_lease(app_factory, engine_name):
    if engine_name != "sqlite":
        pytest.skip("the lease is the lock on SQLite only")
    app = app_factory()
    leader, waiting = LeaderLock(app), LeaderLock(app_factory())
    ttl = leader.ttl
    assert leader.acquire(NOW)
    assert leader.acquire(NOW + ttl * 0.75)  # past half the lease: renewed
    assert waiting.acquire(NOW + ttl + timedelta(seconds=1)) is False
    with app.app_context():
        assert db.session.get(SchedulerLease, "scheduler").acquired_at == NOW  # renewal keeps the claim time


def test_postgres_lock_passes_on_when_the_leaders_connection_dies(app_factory, engine_name):
    if engine_name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    leader, waiting = LeaderLock(app_factory()), LeaderLock(app_factory())
    assert leader.acquire(NOW)
    assert waiting.acquire(NOW) is False
    # The server drops a session lock with its session (a crashed scheduler process).
    leader._connection.invalidate()
    leader._connection = None
    # The server notices the closed socket a moment later.
    deadline = time.monotonic() + 5
    while not waiting.acquire(NOW) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert waiting.held is True
    assert leader.acquire(NOW) is False
    waiting.release()
