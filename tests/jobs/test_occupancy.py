"""The hourly occupancy roll-up: bookable, booked, checked-in minutes and no-shows per local hour."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from smartwork.bookings.models import BookingStatus
from smartwork.centers.models import ClosureKind, SpaceKind
from smartwork.extensions import db
from smartwork.operations.models import OccupancyHourly
from smartwork.operations.services import rollup_occupancy
from tests import factories
from tests.jobs.builders import booking, kst

MONDAY = date(2026, 11, 30)
NEXT_MORNING = kst(2026, 12, 1, 1, 0)


def rows_by_hour(center_id: int, day: date = MONDAY) -> dict[int, tuple[int, int, int, int]]:
    rows = db.session.scalars(
        select(OccupancyHourly).where(OccupancyHourly.center_id == center_id, OccupancyHourly.day == day)
    )
    return {
        row.hour: (row.bookable_minutes, row.booked_minutes, row.checked_in_minutes, row.no_shows) for row in rows
    }


def test_rollup_counts_bookable_booked_checked_in_and_no_shows(app):
    center = factories.center(hours=(time(9, 0), time(11, 30)), spaces={SpaceKind.DESK: 2})
    user = factories.user()
    other = factories.user()
    # Checked in 9:10–10:00 of a 9:00–10:30 booking.
    booking(center, user, kst(2026, 11, 30, 9, 0), 90, status=BookingStatus.COMPLETED,
            checked_in_at=kst(2026, 11, 30, 9, 10), checked_out_at=kst(2026, 11, 30, 10, 0))
    # A no-show at 10:00, released at 10:30.
    booking(center, other, kst(2026, 11, 30, 10, 0), 60, status=BookingStatus.RELEASED, space_index=1,
            released_at=kst(2026, 11, 30, 10, 30))
    # Cancelled bookings hold nothing.
    booking(center, other, kst(2026, 11, 30, 9, 0), 60, status=BookingStatus.CANCELLED, space_index=1)
    # The day before (Sunday) and after are not this day's.
    booking(center, user, kst(2026, 12, 1, 9, 0), 60)
    db.session.commit()

    written = rollup_occupancy(MONDAY, now=NEXT_MORNING)

    assert rows_by_hour(center.id) == {
        9: (120, 60, 50, 0),
        10: (120, 60, 0, 1),
        11: (60, 0, 0, 0),
    }
    assert written == 3


def test_rollup_replaces_the_day_and_leaves_other_days(app):
    center = factories.center(hours=(time(9, 0), time(10, 0)), spaces={SpaceKind.DESK: 1})
    user = factories.user()
    first = booking(center, user, kst(2026, 11, 30, 9, 0), 60)
    db.session.commit()
    rollup_occupancy(MONDAY, now=NEXT_MORNING)
    rollup_occupancy(MONDAY - timedelta(days=7), now=NEXT_MORNING)
    first.status = BookingStatus.CANCELLED
    db.session.commit()
    assert rollup_occupancy(MONDAY, now=NEXT_MORNING) == 1  # recomputed, not added to
    assert rows_by_hour(center.id) == {9: (60, 0, 0, 0)}
    assert rows_by_hour(center.id, MONDAY - timedelta(days=7)) == {9: (60, 0, 0, 0)}


def test_closed_days_and_unopened_centers_offer_nothing(app):
    closed_today = factories.center(hours=(time(9, 0), time(10, 0)))
    factories.closure(closed_today, MONDAY, kind=ClosureKind.HOLIDAY)
    not_yet = factories.center(opened_on=MONDAY + timedelta(days=1))
    weekend_only = factories.center(weekdays=(5, 6))
    db.session.commit()
    assert rollup_occupancy(MONDAY, now=NEXT_MORNING) == 0
    for center in (closed_today, not_yet, weekend_only):
        assert rows_by_hour(center.id) == {}


def test_checked_in_time_of_a_booking_still_running_stops_at_now(app):
    center = factories.center(hours=(time(9, 0), time(18, 0)), spaces={SpaceKind.DESK: 1})
    booking(center, factories.user(), kst(2026, 11, 30, 9, 0), 120, status=BookingStatus.CHECKED_IN,
            checked_in_at=kst(2026, 11, 30, 8, 50))
    db.session.commit()
    rollup_occupancy(MONDAY, now=kst(2026, 11, 30, 10, 15))
    hours = rows_by_hour(center.id)
    assert hours[9] == (60, 60, 60, 0)  # check-in before the start counts from the start
    assert hours[10] == (60, 60, 15, 0)
