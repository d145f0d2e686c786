"""Booking rows for the job tests, written straight to the table (the jobs read what is there).

The clock helpers are the shared ones (tests/builders.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from smartwork.bookings.models import Booking, BookingStatus
from smartwork.centers.models import Center
from tests.builders import insert_booking, kst  # noqa: F401  (kst re-exported: the job tests import it here)


def booking(center: Center, user, starts_at: datetime, minutes: int = 60, *,
            status: BookingStatus = BookingStatus.RESERVED, space_index: int = 0, **fields) -> Booking:
    """One booking of the center's ``space_index``-th space, made the day before it starts unless told."""
    return insert_booking(center.spaces[space_index], user, starts_at, starts_at + timedelta(minutes=minutes),
                          status, created_at=fields.pop("created_at", starts_at - timedelta(days=1)), **fields)
