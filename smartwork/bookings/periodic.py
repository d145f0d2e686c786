"""Periodic services for the scheduler; each claims rows with a conditional UPDATE (idempotent)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..auth.models import User
from ..centers.services import can_manage_center
from ..errors import PermissionDenied
from ..extensions import db
from ..timeutils import utcnow
from . import affected, notifications, transitions
from .core import commit_and_deliver
from .models import Booking, BookingStatus, Notification, NotificationKind
from .policies import effective_policy, hhmm
from .waitlist import offer_freed

DEFAULT_REMINDER_LEAD = timedelta(minutes=60)


def release_no_shows(now: datetime | None = None) -> int:
    """Release reserved bookings not checked in by start + grace; offer the time to the waitlist."""
    now = now or utcnow()
    candidates = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.status == BookingStatus.RESERVED, Booking.starts_at < now)
            .order_by(Booking.starts_at, Booking.id)
        )
    )
    touched = 0
    pending: list[Notification] = []
    for booking in candidates:
        grace = timedelta(minutes=effective_policy(booking.center).no_show_grace_minutes)
        deadline = booking.starts_at + grace
        if deadline > now:
            continue
        notices = release_no_show(booking, now, hhmm(deadline))
        if notices:
            touched += 1
            pending += notices
    commit_and_deliver(pending)
    return touched


def release_no_show(booking: Booking, now: datetime, deadline: str, actor: User | None = None
                    ) -> list[Notification]:
    """The one no-show rule (the scheduler's and the desk's): release the booking, tell the holder,
    offer the rest of its time to the waitlist. Flushes; empty if someone released it already."""
    notice = transitions.release(booking, now, deadline, actor=actor)
    if notice is None:
        return []
    pending = [notice]
    if booking.ends_at > now:
        pending += offer_freed(booking.center_id, booking.space.kind, now, booking.ends_at, now)
    return pending


def complete_ended(now: datetime | None = None) -> int:
    """Complete checked-in bookings whose end has passed (one conditional UPDATE)."""
    completed = transitions.complete_ended(now or utcnow())
    db.session.commit()
    return completed


def send_due_reminders(now: datetime | None = None, lead: timedelta | None = None) -> int:
    """Remind users of reserved bookings starting within ``lead``; once per booking."""
    now = now or utcnow()
    if lead is None:
        minutes = current_app.config.get("REMINDER_LEAD_MINUTES")
        lead = timedelta(minutes=minutes) if minutes else DEFAULT_REMINDER_LEAD
    candidates = list(
        db.session.scalars(
            select(Booking).where(
                Booking.status == BookingStatus.RESERVED,
                Booking.reminder_sent_at.is_(None),
                Booking.starts_at > now,
                Booking.starts_at <= now + lead,
            )
        )
    )
    pending: list[Notification] = []
    for booking in candidates:
        claimed = db.session.execute(
            update(Booking)
            .where(Booking.id == booking.id, Booking.reminder_sent_at.is_(None),
                   Booking.status == BookingStatus.RESERVED)
            .values(reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            pending.append(notifications.queue(booking.user, NotificationKind.REMINDER, booking, now=now))
    commit_and_deliver(pending)
    return len(pending)


def expire_waitlist(now: datetime | None = None) -> int:
    """Expire waiting entries whose start has passed."""
    from .waitlist import expire

    return expire(now or utcnow())


def cancel_future_bookings_for_center(
    center_id: int, reason: str, actor: User | None = None, now: datetime | None = None,
    *, day: date | None = None, until: date | None = None,
) -> int:
    """Cancel the center's reserved bookings that have not ended (only days day..until if given),
    and its waiting entries then; each holder is told once."""
    now = now or utcnow()
    if actor is not None and not can_manage_center(actor, center_id):
        raise PermissionDenied(_("You do not manage this center."), rule="not_center_manager")
    hits = affected.hit_by_center_stop(center_id, now, day=day, until=until)
    done, pending = affected.settle(hits, affected.Cause.CENTER_STOP, reason, now, actor)
    affected.cancel_waiting(center_id, now, span=affected.closure_days_span(day, until or day) if day else None)
    commit_and_deliver(pending)
    return len(done)
