"""Builders for booking tests: a fixed clock, local times, a small world of centers and users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert

from smartwork.auth.models import User
from smartwork.bookings import services
from smartwork.bookings.models import Booking, BookingStatus
from smartwork.centers.models import Center, Ownership, Space, SpaceKind
from smartwork.extensions import db
from smartwork.timeutils import local_to_utc
from tests import factories

# Tuesday 2026-12-01 09:00 in Seoul (00:00 UTC): the clock every booking test starts from.
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
TOMORROW = TODAY + timedelta(days=1)  # Wednesday


def at(day: date, clock: str) -> datetime:
    """The UTC instant of a local (Asia/Seoul) wall-clock time, e.g. at(TOMORROW, "09:30")."""
    hour, minute = (int(part) for part in clock.split(":"))
    return local_to_utc(day, time(hour, minute))


def next_weekday(weekday: int, after: date = TODAY) -> date:
    """The first date after ``after`` falling on ``weekday`` (0 = Monday)."""
    days = (weekday - after.weekday()) % 7 or 7
    return after + timedelta(days=days)


@dataclass
class World:
    """A public center (2 desks, 1 meeting room for 6) open Mon–Fri 08:30–18:30, and an employee."""

    center: Center
    desk1: Space
    desk2: Space
    room: Space
    user: User


def world(**center_fields) -> World:
    """Build the standard world and commit it."""
    center = factories.center(spaces={SpaceKind.DESK: 2, SpaceKind.MEETING_ROOM: 1}, **center_fields)
    desks = [s for s in center.spaces if s.kind == SpaceKind.DESK]
    room = next(s for s in center.spaces if s.kind == SpaceKind.MEETING_ROOM)
    user = factories.user()
    db.session.commit()
    return World(center, desks[0], desks[1], room, user)


def private_center(**fields) -> Center:
    """A private center with one desk (its operator has no contracts yet)."""
    center = factories.center(ownership=Ownership.PRIVATE, spaces={SpaceKind.DESK: 1}, **fields)
    db.session.commit()
    return center


def book(user: User, space: Space, day: date = TOMORROW, start: str = "09:00", end: str = "10:00",
         now: datetime = NOW, **kwargs) -> Booking:
    """Book through the service."""
    return services.create_booking(user, space.id, at(day, start), at(day, end), now=now, **kwargs)


def raw_booking(user: User, space: Space, starts_at: datetime, ends_at: datetime,
                status: BookingStatus = BookingStatus.RESERVED, **fields) -> int:
    """Insert a booking row directly (behind the services' back); returns its id. Flushes only."""
    values = dict(space_id=space.id, center_id=space.center_id, user_id=user.id, starts_at=starts_at,
                  ends_at=ends_at, status=status, created_at=NOW, **fields)
    return db.session.execute(insert(Booking).values(**values).returning(Booking.id)).scalar_one()


def live_bookings() -> list[Booking]:
    """Every live booking, fresh from the database."""
    db.session.expire_all()
    return list(db.session.scalars(
        db.select(Booking).where(Booking.status.in_([BookingStatus.RESERVED, BookingStatus.CHECKED_IN]))
    ))
