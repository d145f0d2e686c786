"""Spaces of a center: add, edit, deactivate (moving or cancelling its bookings), reactivate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth.models import User
from ..bookings import affected
from ..bookings.core import commit_and_deliver, use_case
from ..bookings.models import Booking
from ..centers.models import Center, Space, SpaceKind
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..timeutils import to_local, utcnow
from .audit import record_change

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,19}")
MAX_CAPACITY = 100
MAX_FEATURES = 10
FEATURE_MAX_LENGTH = 30
MOVED, CANCELLED = affected.MOVED, affected.CANCELLED


@dataclass(frozen=True)
class SpaceInput:
    """What a manager may set on a space."""

    kind: SpaceKind
    code: str
    capacity: int
    features: list[str]


BookingOutcome = affected.Outcome


def get_space(center: Center, space_id: int) -> Space:
    """A space of this center, or NotFound (another center's space is not found either)."""
    space = db.session.scalar(select(Space).where(Space.id == space_id, Space.center_id == center.id))
    if space is None:
        raise NotFound(_("There is no such space at this center."), rule="space_not_found")
    return space


def parse_features(text: str | None) -> list[str]:
    """Comma-separated features as a clean list (duplicates and blanks dropped)."""
    items = [" ".join(part.split()) for part in (text or "").split(",")]
    return list(dict.fromkeys(item for item in items if item))


def _validate(center: Center, data: SpaceInput, space_id: int | None) -> SpaceInput:
    code = data.code.strip().upper()
    if not CODE_PATTERN.fullmatch(code):
        raise Invalid(_("A space code is 1 to 20 letters, digits or hyphens."), field="code", rule="bad_code")
    taken = db.session.scalar(
        select(Space.id).where(Space.center_id == center.id, func.upper(Space.code) == code)
    )
    if taken is not None and taken != space_id:
        raise Invalid(_("This center already has a space %(code)s.", code=code), field="code",
                      rule="duplicate_code")
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise Invalid(_("Capacity must be between 1 and %(max)d.", max=MAX_CAPACITY), field="capacity",
                      rule="capacity_range", allowed={"min": 1, "max": MAX_CAPACITY})
    if not data.kind.is_room and data.capacity != 1:
        raise Invalid(_("Desks and booths are for one person."), field="capacity", rule="capacity_single",
                      allowed={"min": 1, "max": 1})
    if len(data.features) > MAX_FEATURES or any(len(f) > FEATURE_MAX_LENGTH for f in data.features):
        raise Invalid(
            _("At most %(count)d features of at most %(length)d characters each.",
              count=MAX_FEATURES, length=FEATURE_MAX_LENGTH),
            field="features", rule="features_range",
        )
    return SpaceInput(kind=data.kind, code=code, capacity=data.capacity, features=list(data.features))


def _snapshot(space: Space) -> dict:
    return {"kind": space.kind.value, "code": space.code, "capacity": space.capacity,
            "features": list(space.features or []), "active": space.is_active}


def create_space(actor: User, center: Center, data: SpaceInput, now: datetime | None = None) -> Space:
    """Add an active space to the center."""
    now = now or utcnow()
    clean = _validate(center, data, None)
    space = Space(center_id=center.id, kind=clean.kind, code=clean.code, capacity=clean.capacity,
                  features=clean.features, is_active=True)
    db.session.add(space)
    db.session.flush()
    record_change(center.id, actor, "space_created", f"space:{space.code}", {"after": _snapshot(space)}, now)
    db.session.commit()
    return space


def update_space(actor: User, center: Center, space_id: int, data: SpaceInput,
                 now: datetime | None = None) -> Space:
    """Change a space's kind, code, capacity or features; future room bookings must still fit."""
    now = now or utcnow()
    space = get_space(center, space_id)
    clean = _validate(center, data, space.id)
    future = future_bookings(space, now)
    if future and clean.kind != space.kind:
        raise Invalid(
            _("This space has %(count)d future bookings; deactivate it first to change its kind.",
              count=len(future)),
            field="kind", rule="kind_in_use",
        )
    too_big = [b for b in future if (b.attendees or 1) > clean.capacity]
    if too_big:
        raise Invalid(
            _("%(count)d future bookings have more attendees than that capacity.", count=len(too_big)),
            field="capacity", rule="capacity_in_use",
            allowed={"min": max(b.attendees or 1 for b in too_big)},
        )
    before = _snapshot(space)
    space.kind, space.code, space.capacity = clean.kind, clean.code, clean.capacity
    space.features = clean.features
    record_change(center.id, actor, "space_updated", f"space:{space.code}",
                  {"before": before, "after": _snapshot(space)}, now)
    db.session.commit()
    return space


def future_bookings(space: Space, now: datetime) -> list[Booking]:
    """Live bookings of the space that start at or after ``now``, soonest first."""
    return affected.hit_by_space(space.id, now)


def plan_moves(space: Space, bookings: list[Booking]) -> list[BookingOutcome]:
    """For each booking, an equivalent free space (same kind, big enough, free then) or cancel."""
    return affected.plan(bookings, affected.Cause.SPACE)


def deactivation_preview(center: Center, space_id: int, now: datetime | None = None) -> list[BookingOutcome]:
    """What deactivating the space would do to each future booking (nothing changes)."""
    now = now or utcnow()
    space = get_space(center, space_id)
    return plan_moves(space, future_bookings(space, now))


def _describe(outcome: BookingOutcome) -> dict:
    booking = outcome.booking
    return {
        "booking_id": booking.id,
        "user": booking.user.name,
        "starts_at": to_local(booking.starts_at).strftime("%Y-%m-%d %H:%M"),
        "ends_at": to_local(booking.ends_at).strftime("%H:%M"),
        "action": outcome.action,
        "to": outcome.target.code if outcome.target else None,
    }


@use_case
def deactivate_space(actor: User, center: Center, space_id: int, reason: str = "",
                     now: datetime | None = None) -> list[BookingOutcome]:
    """Take a space out of service; move each future booking to an equivalent space or cancel it."""
    now = now or utcnow()
    space = get_space(center, space_id)
    if not space.is_active:
        raise Conflict(_("Space %(code)s is already out of service.", code=space.code), rule="already_inactive")
    reason = reason.strip() or _("Space %(code)s is out of service.", code=space.code)
    plan = plan_moves(space, future_bookings(space, now))
    space.is_active = False
    db.session.flush()
    done, pending = affected.carry_out(plan, affected.Cause.SPACE, reason, now, actor)
    record_change(center.id, actor, "space_deactivated", f"space:{space.code}",
                  {"reason": reason, "bookings": [_describe(o) for o in done]}, now)
    commit_and_deliver(pending)
    return done


def reactivate_space(actor: User, center: Center, space_id: int, now: datetime | None = None) -> Space:
    """Put a space back in service."""
    now = now or utcnow()
    space = get_space(center, space_id)
    if space.is_active:
        raise Conflict(_("Space %(code)s is already in service.", code=space.code), rule="already_active")
    space.is_active = True
    record_change(center.id, actor, "space_reactivated", f"space:{space.code}", {}, now)
    db.session.commit()
    return space
