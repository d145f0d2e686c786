"""Kiosk mode: a tablet at the entrance shows free spaces and lets a walk-in take one.

How the tablet is trusted: a manager, signed in on the tablet, presses "start kiosk mode". That
issues a random token (only its SHA-256 is stored), signs the manager out, and keeps the token in
the tablet's session cookie (signed, HttpOnly). The token opens only that center's kiosk pages,
nothing else, and any manager of the center can revoke every token at once. A walk-in types their
credentials on each use; they are checked with auth's ``authenticate`` (lockout included) and the
person is never signed in, so nothing of theirs stays on the tablet.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, time

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..auth.models import User
from ..auth.services import authenticate
from ..bookings import services as booking_services
from ..bookings.models import Booking
from ..bookings.policies import effective_policy, floor_to_grid, on_grid
from ..centers.models import Center
from ..errors import Invalid
from ..extensions import db
from ..timeutils import SEOUL, to_local, utcnow
from .audit import record_change
from .board import free_spaces_now
from .console_models import KioskToken


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(actor: User, center: Center, now: datetime | None = None) -> str:
    """A new kiosk token for the center; the plain token is returned only now."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(KioskToken(center_id=center.id, token_hash=_hash(token), created_by_id=actor.id,
                              created_at=now))
    record_change(center.id, actor, "kiosk_started", "kiosk", {}, now)
    db.session.commit()
    return token


def token_valid(center_id: int, token: str | None) -> bool:
    """True if ``token`` is an unrevoked kiosk token of this center."""
    if not token:
        return False
    stored = db.session.scalar(
        select(KioskToken.token_hash).where(
            KioskToken.center_id == center_id,
            KioskToken.token_hash == _hash(token),
            KioskToken.revoked_at.is_(None),
        )
    )
    return stored is not None


def revoke_tokens(actor: User, center: Center, now: datetime | None = None) -> int:
    """Revoke every kiosk token of the center; returns how many were active."""
    now = now or utcnow()
    count = db.session.execute(
        update(KioskToken)
        .where(KioskToken.center_id == center.id, KioskToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount or 0
    record_change(center.id, actor, "kiosk_revoked", "kiosk", {"tokens": count}, now)
    db.session.commit()
    return count


def active_token_count(center_id: int) -> int:
    """How many kiosk tablets are currently trusted for the center."""
    return len(list(db.session.scalars(
        select(KioskToken.id).where(KioskToken.center_id == center_id, KioskToken.revoked_at.is_(None))
    )))


def walk_in_end(center: Center, chosen: time | None, now: datetime) -> datetime:
    """When a walk-in booking ends: the chosen time, else closing time today."""
    local_now = to_local(now)
    hours = next((h for h in center.opening_hours if h.weekday == local_now.weekday()), None)
    if hours is None:
        raise Invalid(_("The center is closed today."), rule="closed_day")
    closes = datetime.combine(local_now.date(), hours.closes_at, tzinfo=SEOUL)
    end = datetime.combine(local_now.date(), chosen, tzinfo=SEOUL) if chosen else closes
    if end <= local_now:
        raise Invalid(_("Choose an end time later than now."), field="ends_at", rule="end_in_past")
    if end > closes:
        raise Invalid(_("Bookings must end by %(time)s (the center closes then).",
                        time=hours.closes_at.strftime("%H:%M")), field="ends_at", rule="outside_hours")
    return end.astimezone(now.tzinfo)


def walk_in(center: Center, identifier: str, password: str, space_id: int, chosen_end: time | None = None,
            now: datetime | None = None) -> Booking:
    """Sign the person in for this request only, book the free space from now and check them in."""
    now = now or utcnow()
    user = authenticate(identifier, password, now=now)
    if space_id not in {space.id for space in free_spaces_now(center, now)}:
        raise Invalid(_("That space is no longer free. Choose another."), field="space_id", rule="space_taken")
    policy = effective_policy(center)
    starts_at = floor_to_grid(now, policy.slot_minutes)
    ends_at = walk_in_end(center, chosen_end, now)
    if not on_grid(ends_at, policy.slot_minutes):
        raise Invalid(_("Choose an end time on the %(minutes)d-minute grid.", minutes=policy.slot_minutes),
                      field="ends_at", rule="grid")
    space = next(s for s in center.spaces if s.id == space_id)
    # A walk-in takes a room for themselves; rooms need a stated number of attendees.
    attendees = 1 if space.kind.is_room else None
    booking = booking_services.create_booking(user, space_id, starts_at, ends_at, attendees, now=now)
    booking = booking_services.check_in(user, space_id, now=now)
    record_change(center.id, None, "kiosk_walk_in", f"booking:{booking.id}",
                  {"booking_id": booking.id, "user": user.name, "space": booking.space.code,
                   "ends_at": to_local(booking.ends_at).strftime("%H:%M")}, now)
    db.session.commit()
    return booking
