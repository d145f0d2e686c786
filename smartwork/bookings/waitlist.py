"""The waitlist: join when full, win a freed space automatically (first come, first served)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..auth.models import User
from ..centers.models import Center, Space, SpaceKind
from ..errors import Conflict, Invalid, NotFound, SmartworkError
from ..extensions import db
from ..timeutils import to_local
from . import notifications
from .core import lock_user_and_space, place_booking
from .models import Booking, Notification, NotificationKind, WaitlistEntry, WaitlistStatus
from .policies import (
    check_attendees,
    check_bookable_space,
    check_eligible,
    check_not_suspended,
    check_times,
    effective_policy,
    overlapping_live,
    user_overlap_error,
)


def free_spaces(center_id: int, kind: SpaceKind, starts_at: datetime, ends_at: datetime,
                attendees: int | None = None) -> list[Space]:
    """Active spaces of ``kind`` with no live booking overlapping; smallest fitting room first."""
    busy = (
        select(Booking.id)
        .where(
            Booking.space_id == Space.id,
            Booking.live_overlapping(starts_at, ends_at),
        )
        .exists()
    )
    stmt = select(Space).where(
        Space.center_id == center_id, Space.kind == kind, Space.is_active.is_(True), ~busy
    )
    if attendees:
        stmt = stmt.where(Space.capacity >= attendees)
    return list(db.session.scalars(stmt.order_by(Space.capacity, Space.code)))


def join(user: User, center_id: int, kind: SpaceKind, starts_at: datetime, ends_at: datetime,
         attendees: int | None, now: datetime) -> WaitlistEntry:
    """Validate as for a booking, refuse when a space is free, then add the entry (commits)."""
    center = db.session.get(Center, center_id)
    if center is None:
        raise NotFound(f"center {center_id}", rule="center_not_found")
    policy = effective_policy(center)
    sample = next((s for s in center.spaces if s.kind == kind and s.is_active), None)
    if sample is None:
        raise Invalid(_("This center has no space of that kind."), field="kind", rule="no_such_space")
    check_bookable_space(center, sample)
    check_eligible(user, center, to_local(starts_at).date())
    check_not_suspended(user, policy, now)
    check_times(center, starts_at, ends_at, policy, now)
    if kind.is_room:
        biggest = max((s for s in center.spaces if s.kind == kind and s.is_active), key=lambda s: s.capacity)
        check_attendees(biggest, attendees)
    else:
        attendees = None
    free = free_spaces(center_id, kind, starts_at, ends_at, attendees)
    if free:
        raise Conflict(
            _("Space %(space)s is free at that time: book it instead of waiting.", space=free[0].code),
            rule="space_available", allowed={"space_id": free[0].id},
        )
    mine = overlapping_live(Booking.user_id, user.id, starts_at, ends_at)
    if mine is not None:
        raise user_overlap_error(mine)
    duplicate = db.session.scalar(
        select(WaitlistEntry.id).where(
            WaitlistEntry.user_id == user.id,
            WaitlistEntry.center_id == center_id,
            WaitlistEntry.space_kind == kind,
            WaitlistEntry.waiting_overlapping(starts_at, ends_at),
        )
    )
    if duplicate is not None:
        raise Conflict(_("You are already on the waitlist for that time."), rule="already_waiting")
    entry = WaitlistEntry(user=user, center_id=center_id, space_kind=kind, starts_at=starts_at,
                          ends_at=ends_at, attendees=attendees, status=WaitlistStatus.WAITING, created_at=now)
    db.session.add(entry)
    db.session.commit()
    return entry


def offer_freed(center_id: int, kind: SpaceKind, starts_at: datetime, ends_at: datetime,
                now: datetime) -> list[Notification]:
    """Book freed time for waiting entries that overlap it, oldest first; flushes, returns notices."""
    entries = list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.center_id == center_id,
                WaitlistEntry.space_kind == kind,
                WaitlistEntry.waiting_overlapping(starts_at, ends_at),
                WaitlistEntry.starts_at > now,
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        )
    )
    pending: list[Notification] = []
    for entry in entries:
        booking = _try_book(entry, now)
        if booking is None:
            continue
        # Claim the entry; a concurrent offer that got there first leaves it untouched.
        claimed = db.session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == WaitlistStatus.WAITING)
            .values(status=WaitlistStatus.FULFILLED, booking_id=booking.id)
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if claimed:
            pending.append(notifications.queue(entry.user, NotificationKind.WAITLIST_WON, booking, now=now))
    return pending


def _try_book(entry: WaitlistEntry, now: datetime) -> Booking | None:
    """Book the best free space for ``entry`` under every rule, or None if none fits any more."""
    for space in free_spaces(entry.center_id, entry.space_kind, entry.starts_at, entry.ends_at, entry.attendees):
        try:
            with db.session.begin_nested():
                locked = lock_user_and_space(entry.user_id, space.id)
                return place_booking(entry.user, locked, entry.starts_at, entry.ends_at, entry.attendees, now)
        except Conflict:
            continue
        except SmartworkError:
            # A rule now refuses this user (suspension, weekly cap…): leave the entry waiting.
            return None
    return None


def leave(user: User, entry_id: int, now: datetime) -> WaitlistEntry:
    """Cancel the user's waiting entry (commits)."""
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.user_id != user.id:
        raise NotFound(f"waitlist entry {entry_id}", rule="waitlist_entry_not_found")
    if entry.status != WaitlistStatus.WAITING:
        raise Conflict(_("This waitlist entry is no longer waiting."), rule="not_waiting")
    entry.status = WaitlistStatus.CANCELLED
    db.session.commit()
    return entry


def mine(user: User, now: datetime) -> list[WaitlistEntry]:
    """The user's waiting entries that have not ended, soonest first."""
    return list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.user_id == user.id, WaitlistEntry.status == WaitlistStatus.WAITING,
                   WaitlistEntry.ends_at > now)
            .order_by(WaitlistEntry.starts_at)
        )
    )


def expire(now: datetime) -> int:
    """Expire waiting entries whose start has passed (one conditional UPDATE)."""
    result = db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.status == WaitlistStatus.WAITING, WaitlistEntry.starts_at <= now)
        .values(status=WaitlistStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0
