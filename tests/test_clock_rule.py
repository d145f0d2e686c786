"""Code under a ``now=`` parameter never reads the wall clock (issue 13).

The wall clock is switched off (every ``smartwork`` module's ``utcnow`` raises) and the booking life
cycle and every scheduled job run for an instant years away from any real date. A service that
reads the clock instead of its ``now`` fails here; so does a row stamped by a column default (the
wall clock) instead of ``now``, found by scanning every time column for the real year.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import DateTime, select

from smartwork import timeutils
from smartwork.bookings import services
from smartwork.bookings.models import Booking
from smartwork.centers.models import SpaceKind
from smartwork.extensions import db
from smartwork.jobs.registry import JOBS
from smartwork.jobs.services import run_job
from smartwork.timeutils import local_to_utc
from tests import factories

# Tuesday 2031-03-04 10:00 in Seoul: no real clock a test runs under comes near it.
NOW = datetime(2031, 3, 4, 1, 0, tzinfo=UTC)
DAY = date(2031, 3, 4)


class WallClockRead(AssertionError):
    """Raised when code reads the wall clock while the test forbids it."""


@pytest.fixture
def no_wall_clock(monkeypatch):
    """Make ``utcnow`` raise in every loaded smartwork module (they import the function by name)."""

    def refuse():
        raise WallClockRead("the wall clock was read although now= was given")

    wall_clock = timeutils.utcnow
    for name, module in list(sys.modules.items()):
        if name.startswith("smartwork") and getattr(module, "utcnow", None) is wall_clock:
            monkeypatch.setattr(module, "utcnow", refuse)


def at(clock: str, day: date = DAY) -> datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    return local_to_utc(day, time(hour, minute))


def stamps_far_from(now: datetime) -> list[tuple[str, str, datetime]]:
    """Every stored instant more than two years from ``now`` (table, column, value)."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [column for column in table.columns if isinstance(column.type, DateTime)
                   or (getattr(column.type, "impl", None) is not None and isinstance(column.type.impl, DateTime))]
        for column in columns:
            for value in db.session.scalars(select(column).where(column.is_not(None))):
                if value.tzinfo is None:
                    value = value.replace(tzinfo=UTC)
                if abs(value - now) > timedelta(days=730):
                    found.append((table.name, column.name, value))
    return found


def test_the_booking_life_and_every_job_run_on_the_given_instant_only(app, no_wall_clock):
    center = factories.center(spaces={SpaceKind.DESK: 3, SpaceKind.MEETING_ROOM: 1}, weekdays=tuple(range(7)),
                              opened_on=date(2030, 1, 2))
    employee, *others = (factories.user() for _ in range(4))
    desk, second_desk, third_desk = (space for space in center.spaces if space.kind == SpaceKind.DESK)
    for made in (center, employee, *others):
        made.created_at = NOW  # the factories' rows; what the services and jobs write is under test
    db.session.commit()

    booked_id = services.create_booking(employee, desk.id, at("10:00"), at("12:00"), now=NOW).id
    services.check_in(employee, desk.id, now=NOW + timedelta(minutes=5))
    services.check_out(employee, booked_id, now=NOW + timedelta(hours=2))
    later = services.create_booking(employee, second_desk.id, at("14:00"), at("15:00"), now=NOW)
    services.cancel_booking(employee, later.id, now=NOW, reason="plans changed")
    for person, space in zip(others, (desk, second_desk, third_desk), strict=True):  # tomorrow is full
        services.create_booking(person, space.id, at("09:00", DAY + timedelta(days=1)),
                                at("18:00", DAY + timedelta(days=1)), now=NOW)
    services.join_waitlist(employee, center.id, SpaceKind.DESK, at("09:00", DAY + timedelta(days=1)),
                           at("10:00", DAY + timedelta(days=1)), now=NOW)
    services.create_series(employee, second_desk.id, [0, 2], time(9), time(11), DAY + timedelta(days=6), 2,
                           now=NOW)
    services.mark_notifications_read(employee, now=NOW)

    for offset, spec in enumerate(JOBS):
        run = run_job(spec.name, now=NOW + timedelta(days=1, minutes=offset), source="cli")
        assert run.error is None, (spec.name, run.error)

    db.session.remove()
    assert db.session.scalar(select(Booking.status).where(Booking.id == booked_id)) == "completed"
    found = stamps_far_from(NOW)
    assert found == [], "\n".join(map(str, found))


def test_the_rule_can_fail(app, no_wall_clock):
    """The guard itself: a call that needs the clock (no now=) is caught."""
    with pytest.raises(WallClockRead):
        services.my_bookings(factories.user())
