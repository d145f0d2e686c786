"""The one set of test builders: a fixed clock, local wall-clock instants, bookings (through the service or raw).

Domain helpers (tests/bookings/helpers.py, tests/operations/helpers.py, tests/jobs/builders.py,
tests/planning/fixtures.py, tests/api/town.py) re-export these or are thin shapes over them; a new
test imports from here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select

from smartwork.auth.models import User
from smartwork.bookings import services
from smartwork.bookings.models import LIVE_STATUSES, Booking, BookingStatus
from smartwork.centers.models import Space
from smartwork.extensions import db
from smartwork.timeutils import local_to_utc

# Tuesday 2026-12-01 09:00 in Seoul (00:00 UTC): the clock tests pass as ``now=``.
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
TOMORROW = TODAY + timedelta(days=1)  # Wednesday


def at(day: date, clock: str) -> datetime:
    """The UTC instant of a local (Asia/Seoul) wall-clock time, e.g. at(TOMORROW, "09:30")."""
    hour, minute = (int(part) for part in clock.split(":"))
    return local_to_utc(day, time(hour, minute))


def kst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """``at`` with the date and time given as numbers: kst(2026, 12, 1, 9, 30) == at(date(2026, 12, 1), "09:30")."""
    return at(date(year, month, day), f"{hour:02d}:{minute:02d}")


def next_weekday(weekday: int, after: date = TODAY) -> date:
    """The first date after ``after`` falling on ``weekday`` (0 = Monday)."""
    days = (weekday - after.weekday()) % 7 or 7
    return after + timedelta(days=days)


def book(user: User, space: Space, day: date = TOMORROW, start: str = "09:00", end: str = "10:00",
         now: datetime | None = NOW, **kwargs) -> Booking:
    """Book through the service (every rule applies); ``now=None`` means the real clock (API tests)."""
    return services.create_booking(user, space.id, at(day, start), at(day, end), now=now, **kwargs)


def insert_booking(space: Space, user: User, starts_at: datetime, ends_at: datetime,
                   status: BookingStatus = BookingStatus.RESERVED, *, created_at: datetime = NOW,
                   **fields) -> Booking:
    """Add a booking row behind the services' back (the rules under test are elsewhere); flushes only."""
    obj = Booking(space_id=space.id, center_id=space.center_id, user_id=user.id, starts_at=starts_at,
                  ends_at=ends_at, status=status, created_at=created_at, **fields)
    db.session.add(obj)
    db.session.flush()
    return obj


def raw_booking(user: User, space: Space, starts_at: datetime, ends_at: datetime,
                status: BookingStatus = BookingStatus.RESERVED, **fields) -> int:
    """Insert a booking row with a Core INSERT (no ORM object in the session); returns its id. Flushes only."""
    values = dict(space_id=space.id, center_id=space.center_id, user_id=user.id, starts_at=starts_at,
                  ends_at=ends_at, status=status, created_at=NOW, **fields)
    return db.session.execute(insert(Booking).values(**values).returning(Booking.id)).scalar_one()


def live_bookings() -> list[Booking]:
    """Every live booking, fresh from the database."""
    db.session.expire_all()
    return list(db.session.scalars(select(Booking).where(Booking.status.in_(LIVE_STATUSES))))
