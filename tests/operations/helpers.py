"""Builders for the manager-console tests: a center with a manager, bookings at fixed local times.

Instants and rows come from the shared builders (tests/builders.py); the console's scenario day is the
Monday after the shared clock's TODAY, and ``at`` here takes the clock first because the day is implied.
"""

from __future__ import annotations

from datetime import date, datetime

from smartwork.bookings.models import Booking, BookingStatus
from smartwork.centers.models import Center, Space, SpaceKind
from tests import builders, factories

# Monday 7 December 2026, 10:00 in Seoul.
DAY = builders.next_weekday(0)
NOW = builders.at(DAY, "10:00")


def at(hhmm: str, day: date = DAY) -> datetime:
    """A local wall-clock time on ``day`` (the scenario day unless told) as an aware UTC instant."""
    return builders.at(day, hhmm)


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
    if status in (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED) and "checked_in_at" not in fields:
        fields["checked_in_at"] = at(start, day)
    return builders.insert_booking(space_obj, user, at(start, day), at(end, day), status, created_at=NOW,
                                   attendees=attendees, **fields)
