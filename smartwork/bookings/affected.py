"""The one path for bookings hit by a change at their center: a closure, new opening hours, a space
taken out of service, the center stopping.

Preview (which bookings, and what would happen to each) → the manager confirms → carry out: move
each booking to a free space of the same center when one is open then, else cancel it; cancel the
waitlist entries the change makes impossible; tell each holder once. Flush only: the calling use
case commits once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..centers.models import Space
from ..extensions import db
from ..timeutils import SEOUL, local_day_bounds, to_local
from . import transitions
from .models import (
    LIVE_STATUSES,
    Booking,
    BookingStatus,
    Notification,
    NotificationKind,
    WaitlistEntry,
    WaitlistStatus,
)
from .waitlist import free_spaces

MOVED, CANCELLED = "moved", "cancelled"
Hours = dict[int, "tuple[time, time] | None"]


class Cause(enum.StrEnum):
    """What hit the bookings; the change log and the notification say it."""

    CLOSURE = "closure"
    HOURS = "hours"
    SPACE = "space"
    CENTER_STOP = "center_stop"


# A closed center or closed hours leave no other space open at that time: only a space going out
# of service lets a booking move. Closures and stops say "the center is closed"; the rest say why.
MOVABLE = {Cause.SPACE}
NOTICE = {Cause.CLOSURE: NotificationKind.CENTER_CLOSED, Cause.CENTER_STOP: NotificationKind.CENTER_CLOSED}


@dataclass(frozen=True)
class Outcome:
    """What happens (or happened) to one booking: moved to ``target`` or cancelled with notice."""

    booking: Booking
    action: str
    target: Space | None = None


def _not_started(*conditions) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking)
        .where(Booking.status.in_(LIVE_STATUSES), *conditions)
        .options(selectinload(Booking.user), selectinload(Booking.space))
        .order_by(Booking.starts_at, Booking.id)
    ))


def _days_span(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    return local_day_bounds(starts_on)[0], local_day_bounds(ends_on)[1]


def hit_by_closure(center_id: int, starts_on: date, ends_on: date, now: datetime) -> list[Booking]:
    """Live bookings not yet started on the closure's days, soonest first."""
    return _not_started(Booking.center_id == center_id, Booking.overlapping(*_days_span(starts_on, ends_on)),
                        Booking.starts_at >= now)


def outside_hours(starts_at: datetime, ends_at: datetime, hours: Hours) -> bool:
    """True if [starts_at, ends_at) does not fit the (new) hours of its local weekday.

    Only weekdays present in ``hours`` are judged (None = closed that day).
    """
    local_start, local_end = to_local(starts_at), to_local(ends_at)
    day = local_start.date()
    if day.weekday() not in hours:
        return False
    pair = hours[day.weekday()]
    if pair is None:
        return True
    return local_start.time() < pair[0] or local_end > datetime.combine(day, pair[1], tzinfo=SEOUL)


def hit_by_hours(center_id: int, hours: Hours, now: datetime) -> list[Booking]:
    """Live bookings not yet started that the new opening hours leave outside, soonest first."""
    future = _not_started(Booking.center_id == center_id, Booking.starts_at >= now)
    return [b for b in future if outside_hours(b.starts_at, b.ends_at, hours)]


def hit_by_space(space_id: int, now: datetime) -> list[Booking]:
    """Live bookings of the space that start at or after ``now``, soonest first."""
    return _not_started(Booking.space_id == space_id, Booking.starts_at >= now)


def hit_by_center_stop(center_id: int, now: datetime, *, day: date | None = None,
                       until: date | None = None) -> list[Booking]:
    """Reserved bookings of the center that have not ended (only days day..until if given)."""
    conditions = [Booking.center_id == center_id, Booking.status == BookingStatus.RESERVED, Booking.ends_at > now]
    if day is not None:
        conditions.append(Booking.overlapping(*_days_span(day, until or day)))
    return _not_started(*conditions)


def plan(bookings: list[Booking], cause: Cause) -> list[Outcome]:
    """For each booking, an equivalent free space of the same center (same kind, big enough, free then)
    or cancel. Spaces already promised to an earlier booking of the list are not offered twice.
    """
    promised: list[tuple[int, Booking]] = []
    outcomes: list[Outcome] = []
    for booking in bookings:
        candidates = [] if cause not in MOVABLE else [
            s for s in free_spaces(booking.center_id, booking.space.kind, booking.starts_at, booking.ends_at,
                                   booking.attendees)
            if s.id != booking.space_id
            and not any(sid == s.id and other.overlaps(booking.starts_at, booking.ends_at)
                        for sid, other in promised)
        ]
        if candidates:
            promised.append((candidates[0].id, booking))
            outcomes.append(Outcome(booking, MOVED, candidates[0]))
        else:
            outcomes.append(Outcome(booking, CANCELLED))
    return outcomes


def carry_out(outcomes: list[Outcome], cause: Cause, reason: str, now: datetime,
              actor: User | None = None) -> tuple[list[Outcome], list[Notification]]:
    """Move or cancel each booking as planned (a move refused meanwhile falls back to a cancel)."""
    done: list[Outcome] = []
    pending: list[Notification] = []
    for outcome in outcomes:
        booking = outcome.booking
        if outcome.action == MOVED and outcome.target is not None:
            try:
                notice = transitions.move(booking, outcome.target, now, actor=actor, reason=reason, cause=cause)
            except IntegrityError:
                db.session.refresh(booking)
            else:
                pending.append(notice)
                done.append(outcome)
                continue
        # A stop may be swept by two runs at once: claim the row; the other run's cancel stands.
        notice = transitions.cancel(booking, now, actor=actor, reason=reason, cause=cause,
                                    kind=NOTICE.get(cause, NotificationKind.BOOKING_CANCELLED),
                                    claimed=cause == Cause.CENTER_STOP)
        if notice is not None:
            pending.append(notice)
            done.append(Outcome(booking, CANCELLED))
    db.session.flush()
    return done, pending


def cancel_waiting(center_id: int, now: datetime, *, span: tuple[datetime, datetime] | None = None,
                   hours: Hours | None = None) -> int:
    """Cancel the center's waiting entries the change makes impossible: all, those overlapping
    ``span``, or those outside the new ``hours``. Returns how many."""
    stmt = update(WaitlistEntry).where(WaitlistEntry.center_id == center_id,
                                       WaitlistEntry.status == WaitlistStatus.WAITING)
    if span is not None:
        stmt = stmt.where(WaitlistEntry.overlapping(*span))
    if hours is not None:
        entries = db.session.execute(
            select(WaitlistEntry.id, WaitlistEntry.starts_at, WaitlistEntry.ends_at).where(
                WaitlistEntry.center_id == center_id, WaitlistEntry.status == WaitlistStatus.WAITING,
                WaitlistEntry.ends_at > now)
        ).all()
        ids = [entry_id for entry_id, starts, ends in entries if outside_hours(starts, ends, hours)]
        if not ids:
            return 0
        stmt = stmt.where(WaitlistEntry.id.in_(ids))
    result = db.session.execute(
        stmt.values(status=WaitlistStatus.CANCELLED).execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def settle(bookings: list[Booking], cause: Cause, reason: str, now: datetime, actor: User | None = None,
           ) -> tuple[list[Outcome], list[Notification]]:
    """Plan and carry out in one step (what the preview showed is recomputed under the write lock)."""
    return carry_out(plan(bookings, cause), cause, reason, now, actor)


def closure_days_span(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    """The instants [first day 00:00, day after the last 00:00) of a closure, local time."""
    return _days_span(starts_on, ends_on)
