"""Booking rules: one function per rule, each refusal naming the rule and what would be allowed."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth.models import User, UserStatus
from ..centers.models import Center, CenterStatus, Closure, Contract, Ownership, Space
from ..errors import Conflict, Invalid, PermissionDenied
from ..extensions import db
from ..i18n import localized_name
from ..timeutils import SEOUL, local_to_utc, to_local
from .models import Booking, BookingStatus


@dataclass(frozen=True)
class Policy:
    """The booking rules in force at one center (config defaults + the center's overrides)."""

    slot_minutes: int = 30
    max_days_ahead: int = 14
    min_minutes: int = 30
    max_minutes: int = 600
    max_hours_per_week: int = 40
    checkin_opens_minutes: int = 15
    no_show_grace_minutes: int = 30
    no_show_limit: int = 3
    no_show_window_days: int = 30
    suspension_days: int = 7


_POLICY_KEYS = {f.name for f in fields(Policy)}


def effective_policy(center: Center | None) -> Policy:
    """The policy for ``center``: BOOKING_POLICY from config, overridden per center."""
    values = {k: v for k, v in current_app.config.get("BOOKING_POLICY", {}).items() if k in _POLICY_KEYS}
    if center is not None and center.policy_overrides:
        values.update({k: int(v) for k, v in center.policy_overrides.items() if k in _POLICY_KEYS})
    return Policy(**values)


# --- small time helpers ----------------------------------------------------------------------


def floor_to_grid(value: datetime, minutes: int) -> datetime:
    """Round an instant down to the slot grid (local wall clock; Seoul has whole-hour offsets)."""
    local = to_local(value)
    floored = local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)
    return floored.astimezone(value.tzinfo)


def ceil_to_grid(value: datetime, minutes: int) -> datetime:
    """Round an instant up to the slot grid."""
    floored = floor_to_grid(value, minutes)
    return floored if floored == value else floored + timedelta(minutes=minutes)


def on_grid(value: datetime, minutes: int) -> bool:
    """True if ``value`` is a slot boundary."""
    return floor_to_grid(value, minutes) == value


def hhmm(value: datetime) -> str:
    """Local wall-clock time for messages."""
    return to_local(value).strftime("%H:%M")


def format_hours(minutes: int) -> str:
    """Minutes as hours for messages: 600 → "10", 90 → "1.5"."""
    return f"{minutes / 60:g}"


def week_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC instants of the local ISO week (Monday 00:00 to next Monday 00:00) containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return local_to_utc(monday, datetime.min.time()), local_to_utc(monday + timedelta(days=7), datetime.min.time())


# --- who may book ----------------------------------------------------------------------------


def has_contract(user: User, center: Center, day: date) -> bool:
    """True if the user's agency has a contract with the center's operator covering ``day`` and this center."""
    return db.session.scalar(
        select(func.count()).select_from(Contract).where(
            Contract.agency_id == user.agency_id,
            Contract.operator_id == center.operator_id,
            Contract.starts_on <= day,
            (Contract.ends_on.is_(None)) | (Contract.ends_on >= day),
            Contract.covering_center(center.id),
        )
    ) > 0


def check_eligible(user: User, center: Center, day: date) -> None:
    """Active civil servants book public centers; private centers need the agency's contract."""
    if user.status != UserStatus.ACTIVE:
        raise PermissionDenied(_("Only active accounts can book."), rule="account_inactive")
    if center.ownership == Ownership.PRIVATE and not has_contract(user, center, day):
        raise PermissionDenied(
            _(
                "%(center)s is a private center: only agencies with a contract with its operator "
                "can book it, and your agency has none for %(date)s.",
                center=localized_name(center), date=day.isoformat(),
            ),
            rule="no_contract",
        )


def suspension_until(user_id: int, policy: Policy, now: datetime) -> datetime | None:
    """When a no-show suspension ends, if one is in force at ``now``."""
    window = timedelta(days=policy.no_show_window_days)
    length = timedelta(days=policy.suspension_days)
    times = list(
        db.session.scalars(
            select(Booking.starts_at)
            .where(
                Booking.user_id == user_id,
                Booking.status == BookingStatus.RELEASED,
                Booking.starts_at > now - window - length,
                Booking.starts_at <= now,
            )
            .order_by(Booking.starts_at)
        )
    )
    limit = max(policy.no_show_limit, 1)
    until = None
    for i in range(limit - 1, len(times)):
        # The no-show at i is the limit-th within the window: suspended for `length` from it.
        if times[i] - times[i - limit + 1] <= window and now < times[i] + length:
            until = times[i] + length
    return until


def check_not_suspended(user: User, policy: Policy, now: datetime) -> None:
    """Three no-shows within 30 days suspend booking for 7 days from the third."""
    until = suspension_until(user.id, policy, now)
    if until is not None:
        raise PermissionDenied(
            _(
                "After %(count)d no-shows within %(days)d days, booking is suspended until %(until)s.",
                count=policy.no_show_limit, days=policy.no_show_window_days,
                until=to_local(until).strftime("%Y-%m-%d %H:%M"),
            ),
            rule="suspended",
            allowed={"from": until.isoformat()},
        )


# --- the center and the time -----------------------------------------------------------------


def check_bookable_space(center: Center, space: Space) -> None:
    """The center must be open and the space active."""
    if center.status != CenterStatus.OPEN:
        raise Invalid(
            _("%(center)s is not taking bookings (it is not open).", center=localized_name(center)),
            rule="center_not_open",
        )
    if not space.is_active:
        raise Invalid(
            _("Space %(space)s is not available for booking.", space=space.code), rule="space_inactive"
        )


def check_times(center: Center, starts_at: datetime, ends_at: datetime, policy: Policy, now: datetime) -> None:
    """Grid, order, not past, length, days ahead, opening hours and closures."""
    slot = policy.slot_minutes
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("booking times must be aware datetimes")
    if not (on_grid(starts_at, slot) and on_grid(ends_at, slot)):
        raise Invalid(
            _("Bookings start and end on the %(minutes)d-minute grid (for example 09:00 or 09:30).",
              minutes=slot),
            field="starts_at", rule="grid", allowed={"slot_minutes": slot},
        )
    if ends_at <= starts_at:
        raise Invalid(_("The end must be after the start."), field="ends_at", rule="order")
    earliest = floor_to_grid(now, slot)
    if starts_at < earliest:
        raise Invalid(
            _("That time has passed: bookings can start from %(time)s.", time=hhmm(earliest)),
            field="starts_at", rule="in_past", allowed={"earliest_start": earliest.isoformat()},
        )
    minutes = int((ends_at - starts_at).total_seconds() // 60)
    if minutes < policy.min_minutes:
        raise Invalid(
            _("A booking must last at least %(minutes)d minutes.", minutes=policy.min_minutes),
            field="ends_at", rule="too_short", allowed={"min_minutes": policy.min_minutes},
        )
    if minutes > policy.max_minutes:
        hours = format_hours(policy.max_minutes)
        raise Invalid(
            _("A booking can last at most %(hours)s hours.", hours=hours),
            field="ends_at", rule="too_long", allowed={"max_minutes": policy.max_minutes},
        )
    local_start, local_end = to_local(starts_at), to_local(ends_at)
    day = local_start.date()
    last_day = to_local(now).date() + timedelta(days=policy.max_days_ahead)
    if day > last_day:
        raise Invalid(
            _("You can book at most %(days)d days ahead: until %(date)s.",
              days=policy.max_days_ahead, date=last_day.isoformat()),
            field="day", rule="too_far_ahead", allowed={"last_day": last_day.isoformat()},
        )
    check_opening_hours(center, day, local_start, local_end)
    check_no_closure(center, day)


def check_opening_hours(center: Center, day: date, local_start: datetime, local_end: datetime) -> None:
    """Inside the center's opening hours for that weekday (local time)."""
    hours = next((h for h in center.opening_hours if h.weekday == day.weekday()), None)
    if hours is None:
        open_days = sorted(h.weekday for h in center.opening_hours)
        raise Invalid(
            _("The center is closed on %(date)s (it does not open on that weekday).", date=day.isoformat()),
            field="day", rule="closed_day", allowed={"weekdays": open_days},
        )
    allowed = {"opens": hours.opens_at.strftime("%H:%M"), "closes": hours.closes_at.strftime("%H:%M")}
    if local_start.time() < hours.opens_at:
        raise Invalid(
            _("Bookings can start at %(time)s at the earliest (the center opens then).", time=allowed["opens"]),
            field="starts_at", rule="outside_hours", allowed=allowed,
        )
    closes = datetime.combine(day, hours.closes_at, tzinfo=SEOUL)
    if local_end > closes:
        raise Invalid(
            _("Bookings must end by %(time)s (the center closes then).", time=allowed["closes"]),
            field="ends_at", rule="outside_hours", allowed=allowed,
        )


def closure_on(center_id: int, day: date) -> Closure | None:
    """The closure covering ``day`` (inclusive dates), if any."""
    return db.session.scalar(
        select(Closure).where(
            Closure.center_id == center_id, Closure.starts_on <= day, Closure.ends_on >= day
        ).limit(1)
    )


def check_no_closure(center: Center, day: date) -> None:
    """Not on a closure day (holidays are closures)."""
    closure = closure_on(center.id, day)
    if closure is not None:
        raise Invalid(
            _("The center is closed on %(date)s: %(reason)s.", date=day.isoformat(), reason=closure.reason),
            field="day", rule="closure",
            allowed={"closed_from": closure.starts_on.isoformat(), "closed_until": closure.ends_on.isoformat()},
        )


def check_attendees(space: Space, attendees: int | None) -> int | None:
    """Rooms state 1..capacity attendees; desks and booths are for one person (stored as None)."""
    if not space.kind.is_room:
        if attendees is not None and attendees > 1:
            raise Invalid(
                _("Space %(space)s is for one person.", space=space.code),
                field="attendees", rule="attendees_single", allowed={"max": 1},
            )
        return None
    allowed = {"min": 1, "max": space.capacity}
    if attendees is None or attendees < 1:
        raise Invalid(
            _("Say how many people will attend (1 to %(capacity)d).", capacity=space.capacity),
            field="attendees", rule="attendees_required", allowed=allowed,
        )
    if attendees > space.capacity:
        raise Invalid(
            _("Room %(space)s holds at most %(capacity)d people.", space=space.code, capacity=space.capacity),
            field="attendees", rule="attendees_over_capacity", allowed=allowed,
        )
    return attendees


def booked_minutes_in_week(user_id: int, day: date, exclude_id: int | None = None) -> int:
    """Minutes of live bookings the user holds in the local ISO week containing ``day``."""
    start, end = week_bounds(day)
    rows = db.session.execute(
        select(Booking.id, Booking.starts_at, Booking.ends_at).where(
            Booking.user_id == user_id,
            Booking.live_overlapping(start, end),
        )
    )
    return sum(
        int((min(e, end) - max(s, start)).total_seconds() // 60) for i, s, e in rows if i != exclude_id
    )


def check_weekly_hours(user: User, starts_at: datetime, ends_at: datetime, policy: Policy) -> None:
    """At most max_hours_per_week of live bookings per user per local ISO week."""
    day = to_local(starts_at).date()
    used = booked_minutes_in_week(user.id, day)
    wanted = int((ends_at - starts_at).total_seconds() // 60)
    limit = policy.max_hours_per_week * 60
    if used + wanted > limit:
        left = max(limit - used, 0)
        monday = day - timedelta(days=day.weekday())
        left_hours = format_hours(left)
        raise Invalid(
            _("You can book at most %(limit)d hours per week; %(left)s hours are left in the week of %(monday)s.",
              limit=policy.max_hours_per_week, left=left_hours, monday=monday.isoformat()),
            rule="weekly_hours", allowed={"remaining_minutes": left},
        )


# --- collisions ------------------------------------------------------------------------------


def overlapping_live(column, value: int, starts_at: datetime, ends_at: datetime) -> Booking | None:
    """A live booking with ``column == value`` overlapping [starts_at, ends_at), if any."""
    return db.session.scalar(
        select(Booking)
        .where(
            column == value,
            Booking.live_overlapping(starts_at, ends_at),
        )
        .order_by(Booking.starts_at)
        .limit(1)
    )


def check_no_collision(
    user: User, space: Space, starts_at: datetime, ends_at: datetime, *, self_booking: bool = True
) -> None:
    """No live booking of the space, nor of the user, overlaps; the message names the collision."""
    taken = overlapping_live(Booking.space_id, space.id, starts_at, ends_at)
    if taken is not None:
        raise space_taken_error(space, taken)
    mine = overlapping_live(Booking.user_id, user.id, starts_at, ends_at)
    if mine is not None:
        raise user_overlap_error(mine, self_booking=self_booking)


def space_taken_error(space: Space, taken: Booking | None) -> Conflict:
    """The 409 for a space already booked at that time."""
    if taken is None:
        return Conflict(_("Space %(space)s is already booked at that time.", space=space.code), rule="space_taken")
    return Conflict(
        _("Space %(space)s is already booked from %(start)s to %(end)s.",
          space=space.code, start=hhmm(taken.starts_at), end=hhmm(taken.ends_at)),
        rule="space_taken",
        allowed={"taken_from": taken.starts_at.isoformat(), "taken_until": taken.ends_at.isoformat()},
    )


def user_overlap_error(mine: Booking | None, *, self_booking: bool = True) -> Conflict:
    """The 409 for a user who already holds a booking at that time."""
    if mine is None:
        return Conflict(_("You already have a booking at that time."), rule="user_overlap")
    params = {
        "center": localized_name(mine.center), "space": mine.space.code,
        "start": hhmm(mine.starts_at), "end": hhmm(mine.ends_at),
    }
    if self_booking:
        message = _(
            "You already have a booking at that time: %(center)s, space %(space)s, %(start)s–%(end)s.", **params
        )
    else:
        message = _(
            "This person already has a booking at that time: %(center)s, space %(space)s, %(start)s–%(end)s.",
            **params,
        )
    return Conflict(message, rule="user_overlap", allowed={"booking_id": mine.id})


def validate_booking(
    user: User, space: Space, starts_at: datetime, ends_at: datetime, attendees: int | None,
    now: datetime, *, self_booking: bool = True,
) -> int | None:
    """Every rule for a new booking, in the order people find most useful; returns attendees."""
    center = space.center
    policy = effective_policy(center)
    check_bookable_space(center, space)
    check_eligible(user, center, to_local(starts_at).date())
    check_not_suspended(user, policy, now)
    check_times(center, starts_at, ends_at, policy, now)
    attendees = check_attendees(space, attendees)
    check_no_collision(user, space, starts_at, ends_at, self_booking=self_booking)
    check_weekly_hours(user, starts_at, ends_at, policy)
    return attendees
