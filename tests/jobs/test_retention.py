"""Retention: bookings older than the period lose their person; newer ones keep it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from smartwork.auth.models import User
from smartwork.bookings.models import Booking, BookingStatus, Notification, NotificationKind
from smartwork.extensions import db
from smartwork.jobs.retention import ANONYMOUS_EMPLOYEE_NUMBER, anonymize_old_bookings, retention_cutoff
from tests import factories
from tests.jobs.builders import booking, kst

NOW = kst(2026, 12, 1, 4, 0)


def test_cutoff_is_calendar_years_back():
    assert retention_cutoff(NOW, 3) == kst(2023, 12, 1, 4, 0)
    assert retention_cutoff(kst(2028, 2, 29, 12, 0), 1) == kst(2027, 2, 28, 12, 0)


def test_bookings_older_than_the_period_are_anonymized_once(app):
    center = factories.center()
    person = factories.user()
    cutoff = retention_cutoff(NOW, 3)
    old = booking(center, person, cutoff - timedelta(minutes=61), 60, status=BookingStatus.COMPLETED)
    recent = booking(center, person, cutoff - timedelta(minutes=59), 60, status=BookingStatus.COMPLETED,
                     space_index=1)
    old_notice = Notification(user_id=person.id, kind=NotificationKind.REMINDER, params={}, booking_id=old.id,
                              created_at=cutoff - timedelta(days=1))
    db.session.add(old_notice)
    db.session.commit()
    old_id, recent_id = old.id, recent.id

    assert anonymize_old_bookings(now=NOW, years=3) == 1

    anonymous = db.session.scalar(select(User).where(User.employee_number == ANONYMOUS_EMPLOYEE_NUMBER))
    assert not anonymous.is_active
    assert db.session.get(Booking, old_id).user_id == anonymous.id
    assert db.session.get(Booking, recent_id).user_id == person.id
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert anonymize_old_bookings(now=NOW, years=3) == 0  # nothing left to claim
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.employee_number == ANONYMOUS_EMPLOYEE_NUMBER)) == 1


def test_a_longer_period_keeps_more(app):
    center = factories.center()
    person = factories.user()
    booking(center, person, kst(2022, 6, 1, 9, 0), 60, status=BookingStatus.RELEASED)
    db.session.commit()
    assert anonymize_old_bookings(now=NOW, years=5) == 0
    assert anonymize_old_bookings(now=NOW, years=3) == 1


def test_a_live_booking_is_never_anonymized(app):
    center = factories.center()
    person = factories.user()
    stuck = booking(center, person, kst(2020, 6, 1, 9, 0), 60, status=BookingStatus.RESERVED)
    db.session.commit()
    assert anonymize_old_bookings(now=NOW, years=3) == 0
    assert db.session.get(Booking, stuck.id).user_id == person.id


def test_old_searches_lose_who_searched_and_from_where(app):
    from smartwork.bookings.demand import SearchMiss

    person = factories.user()
    cutoff = retention_cutoff(NOW, 3)
    old = SearchMiss(user_id=person.id, origin_lat=37.5, origin_lon=127.0, day=cutoff.date(),
                     created_at=cutoff - timedelta(seconds=1))
    recent = SearchMiss(user_id=person.id, origin_lat=37.5, origin_lon=127.0, day=cutoff.date(),
                        created_at=cutoff + timedelta(seconds=1))
    db.session.add_all([old, recent])
    db.session.commit()
    anonymize_old_bookings(now=NOW, years=3)
    db.session.expire_all()
    assert (old.user_id, old.origin_lat, old.origin_lon) == (None, None, None)
    assert (recent.user_id, recent.origin_lat) == (person.id, 37.5)
