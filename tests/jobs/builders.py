"""Booking rows for the job tests, written straight to the table (the jobs read what is there)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smartwork.bookings.models import Booking, BookingStatus
from smartwork.centers.models import Center
from smartwork.extensions import db
from smartwork.timeutils import SEOUL


def kst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given as Seoul wall-clock time, returned in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=SEOUL).astimezone(UTC)


def booking(center: Center, user, starts_at: datetime, minutes: int = 60, *,
            status: BookingStatus = BookingStatus.RESERVED, space_index: int = 0, **fields) -> Booking:
    """One booking of the center's ``space_index``-th space."""
    space = center.spaces[space_index]
    obj = Booking(space_id=space.id, center_id=center.id, user_id=user.id, starts_at=starts_at,
                  ends_at=starts_at + timedelta(minutes=minutes), status=status,
                  created_at=fields.pop("created_at", starts_at - timedelta(days=1)), **fields)
    db.session.add(obj)
    db.session.flush()
    return obj
