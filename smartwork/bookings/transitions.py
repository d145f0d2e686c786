"""Every change of a booking's status, one function each: the only code that writes ``Booking.status``.

Each function (flush only; the calling use case commits once) sets the status and its timestamp,
queues the holder's notification (one rule per change) and announces the change on
``booking_changed``, so the manager console logs a change made by someone other than the holder
in the same transaction (bookings never import operations). ``tests/bookings/test_one_writer.py``
fails when anything outside ``smartwork/bookings/`` writes a booking's status.
"""

from __future__ import annotations

from datetime import datetime

from blinker import Namespace
from sqlalchemy import update

from ..auth.models import User
from ..centers.models import Space
from ..extensions import db
from . import notifications
from .models import Booking, BookingStatus, Notification, NotificationKind

_signals = Namespace()
# sender: the Booking; kwargs: action, actor (User | None), now, cause (None for a single change,
# else what hit many bookings at once: closure, hours, space, center_stop), reason, details.
booking_changed = _signals.signal("booking-changed")

CHECKED_IN, CHECKED_OUT, NO_SHOW, CANCELLED, MOVED, COMPLETED = (
    "checked_in", "checked_out", "no_show", "cancelled", "moved", "completed",
)


def announce(booking: Booking, action: str, actor: User | None, now: datetime, *, cause: str | None = None,
             reason: str = "", **details) -> None:
    """Tell subscribers (the center's change log) what happened to one booking."""
    booking_changed.send(booking, action=action, actor=actor, now=now, cause=cause, reason=reason,
                         details=details)


def _queue(booking: Booking, kind: NotificationKind, reason: str, notify: bool, now: datetime,
           **extra) -> Notification | None:
    if not notify:
        return None
    if reason:
        extra["reason"] = reason
    return notifications.queue(booking.user, kind, booking, now=now, **extra)


def claim(booking: Booking, from_statuses: tuple[BookingStatus, ...], **values) -> bool:
    """Move one booking out of ``from_statuses`` with a conditional UPDATE; False if someone else did.

    The scheduler's sweeps use it so two runs never act twice; the row is reloaded afterwards.
    """
    moved = db.session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status.in_(from_statuses))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved:
        db.session.refresh(booking)
    return bool(moved)


def cancel(booking: Booking, now: datetime, *, actor: User | None = None, reason: str = "",
           cause: str | None = None, kind: NotificationKind = NotificationKind.BOOKING_CANCELLED,
           notify: bool = True, claimed: bool = False) -> Notification | None:
    """Cancel a live booking; the holder is told why (``reason``) unless ``notify`` is False.

    ``claimed``: take it only if still reserved (a conditional UPDATE), for sweeps that may race;
    returns None when another run got there first.
    """
    if claimed:
        if not claim(booking, (BookingStatus.RESERVED,), status=BookingStatus.CANCELLED, cancelled_at=now):
            return None
    else:
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
    notice = _queue(booking, kind, reason, notify, now)
    announce(booking, CANCELLED, actor, now, cause=cause, reason=reason)
    return notice


def check_in(booking: Booking, now: datetime, *, actor: User | None = None) -> None:
    """A reserved booking's holder is here (self, at the desk or at the kiosk); no notification."""
    booking.status = BookingStatus.CHECKED_IN
    booking.checked_in_at = now
    announce(booking, CHECKED_IN, actor, now)


def check_out(booking: Booking, now: datetime, new_end: datetime, *, actor: User | None = None) -> None:
    """A checked-in booking ends at ``new_end`` (never later than booked) and is completed."""
    booking.status = BookingStatus.COMPLETED
    booking.checked_out_at = now
    if new_end < booking.ends_at:
        booking.ends_at = new_end
    announce(booking, CHECKED_OUT, actor, now)


def release(booking: Booking, now: datetime, deadline: str, *, actor: User | None = None) -> Notification | None:
    """A no-show: the reserved booking gives its space back; the holder is told (None if already done)."""
    if not claim(booking, (BookingStatus.RESERVED,), status=BookingStatus.RELEASED, released_at=now):
        return None
    notice = notifications.queue(booking.user, NotificationKind.BOOKING_RELEASED, booking, now=now,
                                 deadline=deadline)
    announce(booking, NO_SHOW, actor, now)
    return notice


def complete_ended(now: datetime) -> int:
    """Complete every checked-in booking whose end has passed (one conditional UPDATE, no notice)."""
    result = db.session.execute(
        update(Booking)
        .where(Booking.status == BookingStatus.CHECKED_IN, Booking.ends_at <= now)
        .values(status=BookingStatus.COMPLETED, checked_out_at=Booking.ends_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def move(booking: Booking, target: Space, now: datetime, *, actor: User | None = None, reason: str = "",
         cause: str | None = None, notify: bool = True) -> Notification | None:
    """Give a live booking another space at the same time (flush in a savepoint: the database guards overlaps).

    Raises IntegrityError when the target was taken meanwhile; the booking is then unchanged.
    """
    source = booking.space.code
    with db.session.begin_nested():
        booking.space_id = target.id
        booking.space = target
        db.session.flush()
    # The confirmation names the new space; the reason says why it changed.
    notice = _queue(booking, NotificationKind.BOOKING_CONFIRMED, reason, notify, now)
    announce(booking, MOVED, actor, now, cause=cause, reason=reason, **{"from": source, "to": target.code})
    return notice

