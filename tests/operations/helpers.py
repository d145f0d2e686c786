"""Builders for the manager-console tests: a center with a manager, bookings at fixed local times."""

from __future__ import annotations

from datetime import date, datetime, time

from smartwork.bookings.models import Booking, BookingStatus
from smartwork.centers.models import Center, Space, SpaceKind
from smartwork.extensions import db
from smartwork.timeutils import SEOUL, local_to_utc
from tests import factories

# Monday 7 December 2026, 10:00 in Seoul.
DAY = date(2026, 12, 7)
NOW = local_to_utc(DAY, time(10, 0))


def at(hhmm: str, day: date = DAY) -> datetime:
    """A local wall-clock time on ``day`` as an aware UTC instant."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=SEOUL).astimezone(NOW.tzinfo)


def center_with_spaces(desks: int = 3, rooms: int = 0, **fields) -> Center:
    """An open public center (Mon–Fri 08:30–18:30) with desks D01… and meeting rooms M01…."""
    spaces = {SpaceKind.DESK: desks}
    if rooms:
        spaces[SpaceKind.MEETING_ROOM] = rooms
    return factories.center(spaces=spaces, **fields)


def space(center: Center, code: str) -> Space:
    """The center's space with ``code``."""
    return next(s for s in center.spaces if s.code == code)


def booking(space_obj: Space, user, start: str, end: str, status: BookingStatus = BookingStatus.RESERVED,
            day: date = DAY, attendees: int | None = None, **fields) -> Booking:
    """Insert a booking row directly (the engine's rules are tested elsewhere)."""
    obj = Booking(
        space_id=space_obj.id, center_id=space_obj.center_id, user_id=user.id,
        starts_at=at(start, day), ends_at=at(end, day), status=status, attendees=attendees,
        created_at=NOW, **fields,
    )
    if status in (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED) and "checked_in_at" not in fields:
        obj.checked_in_at = obj.starts_at
    db.session.add(obj)
    db.session.flush()
    return obj
