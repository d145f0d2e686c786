"""A center manager's changes to one booking (desk check-in, no-show, move), and what bookings do
when a center stops taking them. Each public function is one use case (the services re-export them).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..centers.lifecycle import STOPS_BOOKINGS, stopped_taking_bookings
from ..centers.models import Center, CenterStatus, Space
from ..centers.services import can_manage_center
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..timeutils import utcnow
from . import transitions
from .core import clean_reason, commit_and_deliver, load_booking, not_live_error, use_case
from .models import Booking, BookingStatus
from .periodic import cancel_future_bookings_for_center, release_no_show
from .policies import effective_policy, hhmm
from .waitlist import free_spaces


def _managed_booking(actor: User, booking_id: int, center_id: int | None) -> Booking:
    """A booking (locked) at a center the actor manages, of ``center_id`` if given; else NotFound."""
    booking = load_booking(booking_id, lock=True)
    if center_id not in (None, booking.center_id) or not can_manage_center(actor, booking.center_id):
        raise NotFound(_("There is no such booking at this center."), rule="booking_not_found")
    return booking


def desk_checkin_opens(booking: Booking) -> datetime:
    """When the desk (and the QR code) may first check this booking in."""
    return booking.starts_at - timedelta(minutes=effective_policy(booking.center).checkin_opens_minutes)


@use_case
def check_in_at_desk(actor: User, booking_id: int, now: datetime | None = None, *,
                     center_id: int | None = None) -> Booking:
    """A manager checks a person in: a reserved booking, from check-in opening until its end.

    Later than the QR window on purpose: the person stands at the desk, late but here, and the
    no-show sweep has not released the booking yet.
    """
    now = now or utcnow()
    booking = _managed_booking(actor, booking_id, center_id)
    if booking.status != BookingStatus.RESERVED:
        raise Conflict(_("Only a reserved booking can be checked in."), rule="not_reserved")
    opens = desk_checkin_opens(booking)
    if not opens <= now < booking.ends_at:
        raise Conflict(_("Check-in is open from %(start)s until the booking ends.", start=hhmm(opens)),
                       rule="checkin_window")
    transitions.check_in(booking, now, actor=actor)
    db.session.commit()
    return booking


@use_case
def mark_no_show(actor: User, booking_id: int, now: datetime | None = None, *,
                 center_id: int | None = None) -> Booking:
    """A manager releases a reserved booking whose start has passed: the scheduler's no-show rule
    (the holder is told, the rest of the time goes to the waitlist)."""
    now = now or utcnow()
    booking = _managed_booking(actor, booking_id, center_id)
    if booking.status != BookingStatus.RESERVED:
        raise Conflict(_("Only a reserved booking can be marked as a no-show."), rule="not_reserved")
    if now < booking.starts_at:
        raise Conflict(_("A booking can be marked as a no-show only after it starts (%(start)s).",
                         start=hhmm(booking.starts_at)), rule="not_started")
    commit_and_deliver(release_no_show(booking, now, hhmm(now), actor))
    return booking


def move_targets(actor: User, booking_id: int, center_id: int | None = None) -> list[Space]:
    """Spaces of the same center and kind, big enough and free for the booking's time (read only)."""
    booking = load_booking(booking_id)
    if center_id not in (None, booking.center_id) or not can_manage_center(actor, booking.center_id):
        raise NotFound(_("There is no such booking at this center."), rule="booking_not_found")
    return [s for s in free_spaces(booking.center_id, booking.space.kind, booking.starts_at, booking.ends_at,
                                   booking.attendees) if s.id != booking.space_id]


@use_case
def move_booking(actor: User, booking_id: int, space_id: int, reason: str, now: datetime | None = None, *,
                 center_id: int | None = None) -> Booking:
    """A manager gives a booking that has not started another free space of the same center and kind;
    the holder gets the new confirmation with the reason."""
    now = now or utcnow()
    booking = _managed_booking(actor, booking_id, center_id)
    if booking.status != BookingStatus.RESERVED:
        raise not_live_error(booking) if not booking.is_live else Conflict(
            _("Only a booking that has not started can be moved."), rule="not_reserved")
    if now >= booking.starts_at:
        raise Invalid(_("Only a booking that has not started can be moved."), rule="move_after_start")
    reason = clean_reason(reason)
    if not reason:
        raise Invalid(_("Give a reason of at most %(max)d characters.", max=200), field="reason", rule="bad_reason")
    target = db.session.get(Space, space_id)
    if (target is None or target.center_id != booking.center_id or target.id == booking.space_id
            or target.kind != booking.space.kind or not target.is_active
            or (booking.attendees or 1) > target.capacity):
        raise Invalid(_("Choose a free space of the same kind at this center."), field="space_id",
                      rule="bad_target")
    try:
        notice = transitions.move(booking, target, now, actor=actor, reason=reason)
    except IntegrityError:
        raise Conflict(_("Space %(space)s is no longer free at that time.", space=target.code),
                       field="space_id", rule="space_taken") from None
    commit_and_deliver([notice] if notice else [])
    return booking


def _stop_reason(status: CenterStatus) -> str:
    with force_locale("ko"):  # stored in the notification, which users read in Korean first
        return _("The center has closed.") if status == CenterStatus.CLOSED else _("The center is suspended.")


def cancel_bookings_of_stopped_centers(now: datetime | None = None) -> int:
    """Sweep every closed or suspended center that still holds reserved bookings not yet ended.

    The scheduler runs it after the calendar, so a run (or a planner's change) that died between
    stopping a center and cancelling its bookings is finished. Each center is its own use case.
    Returns bookings cancelled.
    """
    now = now or utcnow()
    holding = db.session.execute(
        select(Booking.center_id, Center.status)
        .join(Center, Center.id == Booking.center_id)
        .where(Center.status.in_(STOPS_BOOKINGS), Booking.status == BookingStatus.RESERVED, Booking.ends_at > now)
        .distinct()
        .order_by(Booking.center_id)
    ).tuples().all()
    return sum(cancel_future_bookings_for_center(center_id, _stop_reason(status), None, now)
               for center_id, status in holding)


cancel_future_bookings_for_center = use_case(cancel_future_bookings_for_center)


@stopped_taking_bookings.connect
def _on_center_stopped(sender, *, center_id: int, status: CenterStatus, now: datetime, **_kwargs) -> int:
    """The centers domain says a center stopped taking bookings: cancel them and tell each holder."""
    return cancel_future_bookings_for_center(center_id, _stop_reason(status), None, now)
