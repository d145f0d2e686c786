"""Booking use cases: search, book, cancel, check in/out, series, waitlist, calendar, periodic jobs.

Public API (views, the JSON API, the CLI and the scheduler call only these):

- search_centers, day_availability                          (search)
- create_booking, book_best_space, cancel_booking, check_in, check_out, my_bookings,
  get_booking_for                                           (one booking)
- create_series, cancel_series_occurrence, cancel_series_rest, get_series_for
- join_waitlist, leave_waitlist, my_waitlist
- ics_for_booking, calendar_feed, create_feed_token (also rotates), revoke_feed_token,
  feed_status
- list_notifications, unread_count, mark_notifications_read
- periodic (scheduler): release_no_shows, complete_ended, send_due_reminders, extend_series,
  expire_waitlist, cancel_bookings_of_stopped_centers
- a manager's changes: cancel_booking(reason=…), check_in_at_desk, mark_no_show, move_booking,
  move_targets; cancel_future_bookings_for_center (also run on the centers' "stopped taking
  bookings" signal)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..audit import AuditEventType, record_audit
from ..auth.models import User
from ..centers.models import Center, Space, SpaceKind
from ..centers.services import can_manage_center
from ..errors import Conflict, Invalid, NotFound, PermissionDenied
from ..extensions import db
from ..timeutils import local_to_utc, utcnow
from . import calendar as _calendar
from . import manage as _manage
from . import notifications as _notifications
from . import periodic as _periodic
from . import search as _search
from . import series as _series
from . import transitions as _transitions
from . import waitlist as _waitlist
from .core import (
    clean_reason,
    commit_and_deliver,
    load_booking,
    lock_user_and_space,
    not_live_error,
    place_booking,
    use_case,
)
from .models import (
    LIVE_STATUSES,
    Booking,
    BookingStatus,
    Notification,
    NotificationKind,
    Series,
    WaitlistEntry,
)
from .policies import ceil_to_grid, check_times, effective_policy, hhmm
from .search import CenterMatch, DayGrid, SlotCell, SpaceRow
from .series import RefusedDate, SeriesResult

__all__ = [
    "CenterMatch", "DayGrid", "MyBookings", "RefusedDate", "SeriesResult", "SlotCell", "SpaceRow",
]


@dataclass(frozen=True)
class MyBookings:
    """A user's bookings: upcoming (live, not ended; soonest first) and past (latest first)."""

    upcoming: list[Booking]
    past: list[Booking]


# --- search ---------------------------------------------------------------------------------


def search_centers(
    origin: tuple[float, float],
    day: date,
    start: time,
    end: time,
    kind: SpaceKind,
    user: User,
    *,
    attendees: int | None = None,
    limit: int = 10,
    now: datetime | None = None,
) -> list[CenterMatch]:
    """Open centers the user may book with a free space of ``kind``, nearest to ``origin`` first."""
    return _search.search_centers(origin, day, start, end, kind, user, attendees=attendees, limit=limit,
                                  now=now or utcnow())


def day_availability(
    center: Center,
    day: date,
    now: datetime | None = None,
    *,
    user: User | None = None,
    kind: SpaceKind | None = None,
) -> DayGrid:
    """The center's spaces × 30-minute slots for ``day``; never shows who holds a slot."""
    return _search.day_availability(center, day, user=user, kind=kind, now=now or utcnow())


# --- one booking ----------------------------------------------------------------------------


@use_case
def create_booking(
    user: User,
    space_id: int,
    starts_at: datetime,
    ends_at: datetime,
    attendees: int | None = None,
    on_behalf_of: User | int | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book a space for [starts_at, ends_at); ``on_behalf_of`` lets a manager book for someone."""
    now = now or utcnow()
    target = _behalf_target(user, space_id, on_behalf_of)
    space = lock_user_and_space(target.id, space_id)
    booking = place_booking(target, space, starts_at, ends_at, attendees, now, booked_by=user)
    if target.id != user.id:
        record_audit(AuditEventType.BOOKING_ON_BEHALF, actor=user, target=target.employee_number,
                     details={"booking_id": booking.id, "space_id": space.id}, now=now)
    commit_and_deliver([_notifications.queue(target, NotificationKind.BOOKING_CONFIRMED, booking, now=now)],
                       keep_loaded=True)
    return booking


def _behalf_target(actor: User, space_id: int, on_behalf_of: User | int | None) -> User:
    """The user a booking is for; booking for someone else needs the center in the actor's scope."""
    if on_behalf_of is None:
        return actor
    target = on_behalf_of if isinstance(on_behalf_of, User) else db.session.get(User, on_behalf_of)
    if target is None:
        raise NotFound(f"user {on_behalf_of}", rule="user_not_found")
    if target.id == actor.id:
        return actor
    space = db.session.get(Space, space_id)
    if space is None:
        raise NotFound(f"space {space_id}", rule="space_not_found")
    if not can_manage_center(actor, space.center_id):
        raise PermissionDenied(
            _("You can book on behalf of others only at centers you manage."), rule="on_behalf_forbidden"
        )
    return target


@use_case
def book_best_space(
    user: User,
    center_id: int,
    kind: SpaceKind,
    day: date,
    start: time,
    end: time,
    attendees: int | None = None,
    now: datetime | None = None,
) -> Booking:
    """One click: book the best free space of ``kind`` in the center for that day and time."""
    now = now or utcnow()
    center = db.session.get(Center, center_id)
    if center is None:
        raise NotFound(f"center {center_id}", rule="center_not_found")
    starts_at, ends_at = local_to_utc(day, start), local_to_utc(day, end)
    check_times(center, starts_at, ends_at, effective_policy(center), now)
    for space in _waitlist.free_spaces(center_id, kind, starts_at, ends_at, attendees if kind.is_room else None):
        try:
            with db.session.begin_nested():
                locked = lock_user_and_space(user.id, space.id)
                booking = place_booking(user, locked, starts_at, ends_at, attendees, now)
        except Conflict as error:
            if error.rule == "space_taken":
                continue  # someone took it a moment ago: try the next best space
            raise
        commit_and_deliver([_notifications.queue(user, NotificationKind.BOOKING_CONFIRMED, booking, now=now)],
                           keep_loaded=True)
        return booking
    raise Conflict(
        _("No free space of that kind at this center at that time: join the waitlist to get the next one."),
        rule="center_full", allowed={"waitlist": True},
    )


def _may_act_on(actor: User, booking: Booking) -> bool:
    return actor.id in (booking.user_id, booking.booked_by_id) or can_manage_center(actor, booking.center_id)


@use_case
def cancel_booking(actor: User, booking_id: int, now: datetime | None = None, *, reason: str = "",
                   center_id: int | None = None) -> Booking:
    """Cancel a booking before it starts (owner, the booker, or a manager of the center).

    ``reason`` (a manager's, at most 200 characters) is shown to the holder; ``center_id`` limits
    the booking to that center (the manager console), else NotFound.
    """
    now = now or utcnow()
    booking = load_booking(booking_id, lock=True)
    if not _may_act_on(actor, booking) or center_id not in (None, booking.center_id):
        raise NotFound(f"booking {booking_id}", rule="booking_not_found")
    if not booking.is_live:
        raise not_live_error(booking)
    if booking.status == BookingStatus.CHECKED_IN or now >= booking.starts_at:
        raise Invalid(
            _("A booking can be cancelled only before it starts (%(start)s); after that, check out.",
              start=hhmm(booking.starts_at)),
            rule="cancel_after_start", allowed={"cancel_before": booking.starts_at.isoformat()},
        )
    reason = clean_reason(reason)
    pending = [_transitions.cancel(booking, now, actor=actor, reason=reason)]
    db.session.flush()
    pending += _waitlist.offer_freed(booking.center_id, booking.space.kind, booking.starts_at, booking.ends_at, now)
    commit_and_deliver(pending)
    return booking


@dataclass(frozen=True)
class CheckinStatus:
    """Where now stands for a user's booking of one space: the one rule behind the QR page and check-in.

    state: ``open`` (check-in possible), ``checked_in``, ``too_early``, ``too_late`` or ``none``.
    """

    booking: Booking | None
    state: str
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def _space_or_404(space_id: int) -> Space:
    space = db.session.get(Space, space_id)
    if space is None:
        raise NotFound(_("This space does not exist."), rule="space_not_found")
    return space


def _checkin_status(user: User, space: Space, now: datetime, *, lock: bool) -> CheckinStatus:
    policy = effective_policy(space.center)
    opens, grace = timedelta(minutes=policy.checkin_opens_minutes), timedelta(minutes=policy.no_show_grace_minutes)
    stmt = (
        select(Booking)
        .where(Booking.user_id == user.id, Booking.space_id == space.id,
               Booking.status.in_(LIVE_STATUSES), Booking.ends_at > now)
        .order_by(Booking.starts_at)
    )
    bookings = list(db.session.scalars(stmt.with_for_update(of=Booking) if lock else stmt))
    for booking in bookings:
        window = (booking.starts_at - opens, booking.starts_at + grace)
        if booking.status == BookingStatus.CHECKED_IN and window[0] <= now:
            return CheckinStatus(booking, "checked_in", *window)  # scanning the QR code twice is harmless
        if window[0] <= now < window[1]:
            return CheckinStatus(booking, "open", *window)
    later = next((b for b in bookings if b.starts_at - opens > now), None)
    if later is not None:
        return CheckinStatus(later, "too_early", later.starts_at - opens, later.starts_at + grace)
    missed = next((b for b in bookings if b.status == BookingStatus.RESERVED), None)
    if missed is not None:
        return CheckinStatus(missed, "too_late", missed.starts_at - opens, missed.starts_at + grace)
    return CheckinStatus(None, "none")


def checkin_status(user: User, space_id: int, now: datetime | None = None) -> CheckinStatus:
    """What opening the space's QR URL would do now for this user (read only)."""
    return _checkin_status(user, _space_or_404(space_id), now or utcnow(), lock=False)


@use_case
def check_in(user: User, space_id: int, now: datetime | None = None) -> Booking:
    """Check in to the user's booking of this space whose check-in window is open."""
    now = now or utcnow()
    space = _space_or_404(space_id)
    policy = effective_policy(space.center)
    status = _checkin_status(user, space, now, lock=True)
    booking = status.booking
    if status.state == "checked_in":
        return booking
    if status.state == "open":
        _transitions.check_in(booking, now, actor=user)
        db.session.commit()
        return booking
    if status.state == "too_early":
        raise Invalid(
            _("Check-in opens at %(time)s, %(minutes)d minutes before your booking starts.",
              time=hhmm(status.opens_at), minutes=policy.checkin_opens_minutes),
            rule="checkin_not_open", allowed={"opens_at": status.opens_at.isoformat()},
        )
    if status.state == "too_late":
        raise Invalid(
            _("Check-in closed at %(time)s (%(minutes)d minutes after the start); the booking is released.",
              time=hhmm(status.closes_at), minutes=policy.no_show_grace_minutes),
            rule="checkin_closed",
        )
    raise NotFound(_("You have no booking for space %(space)s now.", space=space.code), rule="no_booking_here")


@use_case
def check_out(user: User, booking_id: int, now: datetime | None = None, *, center_id: int | None = None) -> Booking:
    """Check out (early): the booking ends now, rounded up to the grid, and is completed.

    The holder, the booker or a manager of the center (``center_id``: only that center's bookings).
    """
    now = now or utcnow()
    booking = load_booking(booking_id, lock=True)
    if not _may_act_on(user, booking) or center_id not in (None, booking.center_id):
        raise NotFound(f"booking {booking_id}", rule="booking_not_found")
    if booking.status != BookingStatus.CHECKED_IN:
        if booking.status == BookingStatus.RESERVED:
            raise Invalid(_("Check in before checking out."), rule="not_checked_in")
        raise not_live_error(booking)
    slot = effective_policy(booking.center).slot_minutes
    new_end = max(ceil_to_grid(now, slot), booking.starts_at + timedelta(minutes=slot))
    freed_from, freed_until = new_end, booking.ends_at
    _transitions.check_out(booking, now, new_end, actor=user)
    db.session.flush()
    pending: list[Notification] = []
    if freed_from < freed_until:
        pending = _waitlist.offer_freed(booking.center_id, booking.space.kind, freed_from, freed_until, now)
    commit_and_deliver(pending)
    return booking


def my_bookings(user: User, now: datetime | None = None, past_limit: int = 50) -> MyBookings:
    """The user's upcoming and past bookings."""
    now = now or utcnow()
    base = select(Booking).where(Booking.user_id == user.id).options(
        selectinload(Booking.space), selectinload(Booking.center)
    )
    upcoming = list(db.session.scalars(
        base.where(Booking.status.in_(LIVE_STATUSES), Booking.ends_at > now).order_by(Booking.starts_at)
    ))
    past = list(db.session.scalars(
        base.where(~(Booking.status.in_(LIVE_STATUSES) & (Booking.ends_at > now)))
        .order_by(Booking.starts_at.desc()).limit(past_limit)
    ))
    return MyBookings(upcoming, past)


def get_booking_for(user: User, booking_id: int) -> Booking:
    """A booking the user may see (their own, or one at a center they manage), else NotFound."""
    booking = load_booking(booking_id)
    if not _may_act_on(user, booking):
        raise NotFound(f"booking {booking_id}", rule="booking_not_found")
    return booking


# --- series ---------------------------------------------------------------------------------


@use_case
def create_series(
    user: User,
    space_id: int,
    weekdays: list[int],
    start: time,
    end: time,
    first_day: date,
    weeks: int,
    attendees: int | None = None,
    now: datetime | None = None,
) -> SeriesResult:
    """Book weekly on ``weekdays`` (0 = Monday) for up to 8 weeks; reports booked and refused dates."""
    return _series.create(user, space_id, weekdays, start, end, first_day, weeks, attendees, now or utcnow())


def cancel_series_occurrence(actor: User, booking_id: int, now: datetime | None = None) -> Booking:
    """Cancel one date of a series (the same rules as cancel_booking)."""
    return cancel_booking(actor, booking_id, now)


@use_case
def cancel_series_rest(actor: User, series_id: int, now: datetime | None = None) -> int:
    """Cancel every future date of a series and stop it; returns how many bookings were cancelled."""
    return _series.cancel_rest(actor, series_id, now or utcnow())


def get_series_for(user: User, series_id: int) -> Series:
    """A series the user owns, else NotFound."""
    return _series.get_for(user, series_id)


# --- waitlist -------------------------------------------------------------------------------


@use_case
def join_waitlist(
    user: User,
    center_id: int,
    kind: SpaceKind,
    starts_at: datetime,
    ends_at: datetime,
    attendees: int | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Wait for a space of ``kind``; refused when one is free (book it instead)."""
    return _waitlist.join(user, center_id, kind, starts_at, ends_at, attendees, now or utcnow())


@use_case
def leave_waitlist(user: User, entry_id: int, now: datetime | None = None) -> WaitlistEntry:
    """Cancel the user's waiting entry."""
    return _waitlist.leave(user, entry_id, now or utcnow())


def my_waitlist(user: User, now: datetime | None = None) -> list[WaitlistEntry]:
    """The user's waiting entries, soonest first."""
    return _waitlist.mine(user, now or utcnow())


# --- calendar -------------------------------------------------------------------------------

ics_for_booking = _calendar.ics_for_booking
calendar_feed = _calendar.calendar_feed
create_feed_token = _calendar.create_feed_token
rotate_feed_token = _calendar.create_feed_token  # issuing a new token revokes the old one
revoke_feed_token = _calendar.revoke_feed_token
feed_status = _calendar.feed_status

# --- notifications --------------------------------------------------------------------------

list_notifications = _notifications.list_for
unread_count = _notifications.unread_count


def mark_notifications_read(user: User, now: datetime | None = None) -> int:
    """Mark every notification read; returns how many changed."""
    return _notifications.mark_read(user, now or utcnow())


def render_notification(notification: Notification) -> tuple[str, str]:
    """The (subject, body) of a notification in the current locale."""
    return _notifications.render(notification)


# --- periodic (scheduler) -------------------------------------------------------------------

release_no_shows = use_case(_periodic.release_no_shows)
complete_ended = use_case(_periodic.complete_ended)
send_due_reminders = use_case(_periodic.send_due_reminders)


@use_case
def extend_series(now: datetime | None = None) -> int:
    """Book the newly reachable dates of active series as the window moves; returns bookings made."""
    return _series.extend(now or utcnow())


expire_waitlist = use_case(_periodic.expire_waitlist)

# --- a manager's changes, and a center that stops taking bookings ---------------------------

check_in_at_desk = _manage.check_in_at_desk
mark_no_show = _manage.mark_no_show
move_booking = _manage.move_booking
move_targets = _manage.move_targets
cancel_future_bookings_for_center = _manage.cancel_future_bookings_for_center
cancel_bookings_of_stopped_centers = _manage.cancel_bookings_of_stopped_centers
