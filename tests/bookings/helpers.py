"""Builders for booking tests: the shared clock and bookings (tests/builders.py), a small world of centers and users."""

from __future__ import annotations

from dataclasses import dataclass

from smartwork.auth.models import User
from smartwork.centers.models import Center, Ownership, Space, SpaceKind
from smartwork.extensions import db
from tests import factories
from tests.builders import (  # noqa: F401  (re-exported: the booking tests import them from here)
    NOW,
    TODAY,
    TOMORROW,
    at,
    book,
    live_bookings,
    next_weekday,
    raw_booking,
)


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
