"""The center-lifecycle job: the centers' calendar, then the bookings' sweep of stopped centers.

Thin on purpose: the centers domain opens and closes centers and announces each one that stops
taking bookings (bookings cancel them on that signal); the sweep finishes what a run, or a
planner's change, that died half-way left behind.
"""

from __future__ import annotations

from datetime import datetime

from ..bookings import services as booking_services
from ..centers import lifecycle as center_lifecycle
from ..centers.lifecycle import STOPS_BOOKINGS  # noqa: F401  (kept for callers that imported it here)
from ..timeutils import utcnow


def run_center_lifecycle(now: datetime | None = None) -> int:
    """Open ready centers, close due ones and cancel what stopped centers still hold; returns rows touched."""
    now = now or utcnow()
    touched = center_lifecycle.run_calendar(now)
    return touched + booking_services.cancel_bookings_of_stopped_centers(now)
