"""The center-lifecycle job: open and close centers on their dates, cancel a closed center's bookings.

Lives with the jobs because it joins three domains: centers never import bookings or planning
(DESIGN §3).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..bookings.models import Booking, BookingStatus
from ..centers.lifecycle import StatusMove, claim_closings, claim_openings
from ..centers.models import Center, CenterStatus, CenterStatusChange
from ..extensions import db
from ..timeutils import local_today, utcnow

# The statuses in which a center takes no bookings (as the planner's status change has it).
STOPS_BOOKINGS = (CenterStatus.SUSPENDED, CenterStatus.CLOSED)


def centers_holding_bookings_they_cannot_keep(now: datetime) -> list[tuple[int, CenterStatus]]:
    """Closed or suspended centers that still hold reserved bookings that have not ended."""
    return list(
        db.session.execute(
            select(Booking.center_id, Center.status)
            .join(Center, Center.id == Booking.center_id)
            .where(Center.status.in_(STOPS_BOOKINGS), Booking.status == BookingStatus.RESERVED,
                   Booking.ends_at > now)
            .distinct()
            .order_by(Booking.center_id)
        ).tuples()
    )


def _record(moves: list[StatusMove], now: datetime) -> None:
    """Write the planner's status history for moves the calendar made."""
    with force_locale("ko"):  # stored text, read by Korean planners first
        notes = {
            CenterStatus.OPEN: _("Opened on its planned date (automatic)."),
            CenterStatus.CLOSED: _("Closed on its closing date (automatic)."),
        }
    for move in moves:
        db.session.add(CenterStatusChange(
            center_id=move.center_id, from_status=move.from_status, to_status=move.to_status,
            effective_on=move.effective_on, changed_by_id=None, changed_at=now, note=notes[move.to_status],
        ))


def run_center_lifecycle(now: datetime | None = None) -> int:
    """Open ready centers, close due ones and cancel their future bookings; returns rows touched.

    Opening and closing commit together with their status history. The cancellation then sweeps
    every closed or suspended center with future bookings, not only those closed by this run, so
    a run that died between closing and cancelling (or a planner's change that did) is finished.
    """
    from ..bookings.services import cancel_future_bookings_for_center

    now = now or utcnow()
    today = local_today(now)
    moves = claim_openings(today) + claim_closings(today)
    _record(moves, now)
    db.session.commit()
    touched = len(moves)
    with force_locale("ko"):  # stored in the notification, which users read in Korean first
        reasons = {CenterStatus.CLOSED: _("The center has closed."),
                   CenterStatus.SUSPENDED: _("The center is suspended.")}
    for center_id, status in centers_holding_bookings_they_cannot_keep(now):
        touched += cancel_future_bookings_for_center(center_id, reason=reasons[status], actor=None, now=now) or 0
    return touched
