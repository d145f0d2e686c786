"""The center change log: record who changed what, and read a center's history.

One audit rule for bookings: a change someone other than the holder (a manager) makes to one
booking is logged here, in the same transaction, from the bookings' ``booking_changed`` signal;
a change that hits many bookings at once (closure, hours, space, center stop) is logged once by
its own use case, listing every booking.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..bookings.models import Booking
from ..bookings.transitions import booking_changed
from ..extensions import db
from ..timeutils import to_local, utcnow
from .console_models import ChangeLog


def record_change(
    center_id: int,
    actor: User | None,
    action: str,
    target: str = "",
    details: dict | None = None,
    now: datetime | None = None,
) -> ChangeLog:
    """Add one history entry (flush only; the calling service commits with its change)."""
    entry = ChangeLog(
        center_id=center_id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        target=target[:80],
        details=details or {},
        created_at=now or utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def center_history(center_id: int, limit: int = 200) -> list[ChangeLog]:
    """A center's changes, newest first."""
    return list(
        db.session.scalars(
            select(ChangeLog)
            .where(ChangeLog.center_id == center_id)
            .options(selectinload(ChangeLog.actor))
            .order_by(ChangeLog.created_at.desc(), ChangeLog.id.desc())
            .limit(limit)
        )
    )


def describe_booking(booking: Booking) -> dict:
    """What the history shows about one booking."""
    return {
        "booking_id": booking.id,
        "user": booking.user.name,
        "space": booking.space.code,
        "starts_at": to_local(booking.starts_at).strftime("%Y-%m-%d %H:%M"),
        "ends_at": to_local(booking.ends_at).strftime("%H:%M"),
    }


@booking_changed.connect
def _log_booking_change(booking: Booking, *, action: str, actor: User | None, now: datetime,
                        cause: str | None, reason: str, details: dict, **_kwargs) -> None:
    if cause is not None or actor is None or actor.id == booking.user_id:
        return
    entry = {**describe_booking(booking), **details}
    if reason:
        entry["reason"] = reason
    record_change(booking.center_id, actor, f"booking_{action}", f"booking:{booking.id}", entry, now)
