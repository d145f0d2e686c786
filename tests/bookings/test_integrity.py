"""The database itself refuses overlapping live bookings (DESIGN §5), and races leave one winner."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from smartwork.auth.models import User
from smartwork.bookings import policies, services
from smartwork.bookings.models import Booking, BookingStatus
from smartwork.centers.models import SpaceKind
from smartwork.errors import Conflict
from smartwork.extensions import db
from tests import factories

from .helpers import NOW, TOMORROW, at, book, live_bookings, raw_booking, world


def _raw_refused(*args, **kwargs) -> str:
    """Insert a raw row that must be refused; returns the database's message."""
    with pytest.raises(IntegrityError) as caught, db.session.begin_nested():
        raw_booking(*args, **kwargs)
    return str(caught.value.orig)


def test_database_refuses_an_overlapping_row_of_the_same_space(app):
    w = world()
    other = factories.user()
    raw_booking(w.user, w.desk1, at(TOMORROW, "09:00"), at(TOMORROW, "11:00"))
    message = _raw_refused(other, w.desk1, at(TOMORROW, "10:30"), at(TOMORROW, "12:00"))
    assert "booking_overlap_space" in message or "ex_bookings_space_overlap" in message


def test_database_refuses_an_overlapping_row_of_the_same_user(app):
    w = world()
    raw_booking(w.user, w.desk1, at(TOMORROW, "09:00"), at(TOMORROW, "11:00"))
    message = _raw_refused(w.user, w.desk2, at(TOMORROW, "08:30"), at(TOMORROW, "09:30"))
    assert "booking_overlap_user" in message or "ex_bookings_user_overlap" in message


def test_half_open_intervals_let_adjacent_bookings_touch(app):
    w = world()
    raw_booking(w.user, w.desk1, at(TOMORROW, "09:00"), at(TOMORROW, "10:00"))
    raw_booking(w.user, w.desk1, at(TOMORROW, "10:00"), at(TOMORROW, "11:00"))
    raw_booking(w.user, w.desk1, at(TOMORROW, "08:00"), at(TOMORROW, "09:00"))
    db.session.commit()
    assert len(live_bookings()) == 3


@pytest.mark.parametrize("status", [BookingStatus.CANCELLED, BookingStatus.RELEASED, BookingStatus.COMPLETED])
def test_rows_that_are_not_live_do_not_block(app, status):
    w = world()
    other = factories.user()
    raw_booking(w.user, w.desk1, at(TOMORROW, "09:00"), at(TOMORROW, "11:00"), status=status)
    raw_booking(other, w.desk1, at(TOMORROW, "09:00"), at(TOMORROW, "11:00"))
    raw_booking(w.user, w.desk2, at(TOMORROW, "09:00"), at(TOMORROW, "11:00"))
    db.session.commit()
    assert len(live_bookings()) == 2


def test_database_refuses_reviving_a_cancelled_row_into_an_overlap(app):
    w = world()
    other = factories.user()
    old = raw_booking(w.user, w.desk1, at(TOMORROW, "09:00"), at(TOMORROW, "11:00"), status=BookingStatus.CANCELLED)
    raw_booking(other, w.desk1, at(TOMORROW, "10:00"), at(TOMORROW, "12:00"))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(update(Booking).where(Booking.id == old).values(status=BookingStatus.RESERVED))
    # Moving it clear of the other booking is fine.
    db.session.execute(
        update(Booking).where(Booking.id == old).values(
            status=BookingStatus.RESERVED, starts_at=at(TOMORROW, "08:30"), ends_at=at(TOMORROW, "10:00"))
    )
    db.session.commit()
    assert len(live_bookings()) == 2


def test_database_refuses_an_empty_or_reversed_interval(app):
    w = world()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        raw_booking(w.user, w.desk1, at(TOMORROW, "10:00"), at(TOMORROW, "10:00"))


def test_a_collision_only_the_database_saw_is_a_precise_conflict(app, monkeypatch):
    """Even if the Python check misses a race, the constraint's refusal becomes a 409 naming it."""
    w = world()
    other = factories.user()
    db.session.commit()
    book(w.user, w.desk1, start="09:00", end="11:00")
    monkeypatch.setattr(policies, "check_no_collision", lambda *args, **kwargs: None)
    with pytest.raises(Conflict) as caught:
        book(other, w.desk1, start="10:00", end="12:00")
    assert caught.value.rule == "space_taken"
    assert "D01" in caught.value.message and "09:00" in caught.value.message
    with pytest.raises(Conflict) as caught:
        book(w.user, w.desk2, start="10:30", end="12:00")
    assert caught.value.rule == "user_overlap"
    assert len(live_bookings()) == 1


def _race(app_factory, attempts):
    """Run ``attempts`` (callables taking no argument, inside their own app) at the same instant."""
    apps = [app_factory() for _ in attempts]
    # The test's own session must not hold SQLite's write lock (a lazy refresh would take it).
    db.session.close()
    barrier = threading.Barrier(len(attempts))
    outcomes: list[object] = [None] * len(attempts)

    def run(index: int) -> None:
        with apps[index].app_context():
            try:
                barrier.wait(timeout=30)
                outcomes[index] = attempts[index]()
            except Exception as error:  # collected and asserted on below
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for application in apps:
        with application.app_context():
            db.engine.dispose()
    return outcomes


THREADS = 16


def test_concurrent_requests_for_one_space_leave_exactly_one_booking(app, app_factory):
    w = world()
    users = [factories.user() for _ in range(THREADS)]
    db.session.commit()
    user_ids, space_id = [u.id for u in users], w.desk1.id
    starts_at, ends_at = at(TOMORROW, "09:00"), at(TOMORROW, "18:00")

    def attempt(user_id):
        return lambda: services.create_booking(
            db.session.get(User, user_id), space_id, starts_at, ends_at, now=NOW
        ).id

    outcomes = _race(app_factory, [attempt(uid) for uid in user_ids])
    winners = [o for o in outcomes if isinstance(o, int)]
    losers = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(winners) == 1, outcomes
    assert len(losers) == THREADS - 1, outcomes
    assert {error.rule for error in losers} == {"space_taken"}
    live = live_bookings()
    assert [b.id for b in live] == winners


def test_one_user_racing_for_two_spaces_gets_one(app, app_factory):
    center = factories.center(spaces={SpaceKind.DESK: THREADS})
    person = factories.user()
    db.session.commit()
    space_ids, user_id = [s.id for s in center.spaces], person.id
    starts_at, ends_at = at(TOMORROW, "13:00"), at(TOMORROW, "14:00")

    def attempt(space_id):
        return lambda: services.create_booking(
            db.session.get(User, user_id), space_id, starts_at, ends_at, now=NOW
        ).id

    outcomes = _race(app_factory, [attempt(sid) for sid in space_ids])
    assert len([o for o in outcomes if isinstance(o, int)]) == 1, outcomes
    assert {o.rule for o in outcomes if not isinstance(o, int)} == {"user_overlap"}, outcomes
    assert len(live_bookings()) == 1


def test_the_migrated_sqlite_schema_has_the_triggers(tmp_path):
    """A database built by Alembic (not create_all) refuses overlaps too."""
    from flask_migrate import upgrade

    from smartwork import create_app

    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.sqlite'}"})
    with application.app_context():
        upgrade()
        w = world()
        other = factories.user()
        raw_booking(w.user, w.desk1, at(TOMORROW, "09:00"), at(TOMORROW, "10:00"))
        raw_booking(other, w.desk1, at(TOMORROW, "10:00"), at(TOMORROW, "11:00"))
        assert "booking_overlap_space" in _raw_refused(other, w.desk1, at(TOMORROW, "09:30"), at(TOMORROW, "10:30"))
        assert "booking_overlap_user" in _raw_refused(w.user, w.desk2, at(TOMORROW, "09:30"), at(TOMORROW, "10:30"))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_the_postgresql_migration_adds_the_exclusion_constraints(capsys):
    """The revision's PostgreSQL DDL (rendered offline; tests/test_migrations.py executes it)."""
    from flask_migrate import upgrade

    from smartwork import create_app

    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1/none"})
    with application.app_context():
        upgrade(revision="0001_foundation:0002_bookings", sql=True)
    ddl = capsys.readouterr().out
    assert "CREATE EXTENSION IF NOT EXISTS btree_gist" in ddl
    for column, name in (("space_id", "ex_bookings_space_overlap"), ("user_id", "ex_bookings_user_overlap")):
        assert (
            f"ADD CONSTRAINT {name} EXCLUDE USING gist ({column} WITH =, tstzrange(starts_at, ends_at, '[)') "
            f"WITH &&) WHERE (status IN ('reserved', 'checked_in'))"
        ) in ddl


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_a_postgresql_deadlock_is_retried_once_nothing_was_committed(app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    w = world()
    real = services.place_booking
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, _Deadlock("deadlock detected"))
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "place_booking", flaky)
    booking = book(w.user, w.desk1)
    assert len(calls) == 2 and [b.id for b in live_bookings()] == [booking.id]
    # Other database faults are not retried.
    calls.clear()

    def broken(*args, **kwargs):
        calls.append(1)
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(services, "place_booking", broken)
    with pytest.raises(OperationalError):
        book(w.user, w.desk2, start="11:00", end="12:00")
    assert len(calls) == 1
