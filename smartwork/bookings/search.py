"""Finding a place: centers near a point with free spaces, and a center's day grid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from math import cos, radians

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from ..auth.models import User
from ..centers.models import (
    Center,
    CenterStatus,
    Closure,
    Contract,
    OpeningHours,
    Ownership,
    Space,
    SpaceKind,
)
from ..centers.services import haversine_km
from ..extensions import db
from ..timeutils import SEOUL, local_to_utc
from .models import LIVE_STATUSES, Booking
from .policies import closure_on, effective_policy, floor_to_grid

# Bounding boxes tried in turn (km); the last None means the whole country.
SEARCH_RADII_KM = (25.0, 80.0, None)
# Full centers near the user are listed too (with a waitlist button), but never crowd out free ones.
FULL_CENTERS_SHOWN = 3


@dataclass(frozen=True)
class CenterMatch:
    """One search result: a center, how far it is, how many spaces are free, the best one."""

    center: Center
    distance_km: float
    free_count: int
    best_space: Space | None


@dataclass(frozen=True)
class SlotCell:
    """One 30-minute cell of the day grid; state is free, taken, mine, closed or past."""

    starts_at: datetime
    ends_at: datetime
    state: str
    booking_id: int | None = None  # only for the viewer's own bookings ("mine")


@dataclass(frozen=True)
class SpaceRow:
    """One space's row in the day grid."""

    space: Space
    cells: list[SlotCell]


@dataclass(frozen=True)
class DayGrid:
    """A center's day: slot start times (local) × spaces; closed_reason when shut all day."""

    center: Center
    day: date
    slot_starts: list[datetime]
    rows: list[SpaceRow]
    opens_at: time | None
    closes_at: time | None
    closed_reason: str | None = None


def _free_space_filter(starts_at: datetime, ends_at: datetime):
    """SQL: the space has no live booking overlapping [starts_at, ends_at)."""
    return ~(
        select(Booking.id)
        .where(
            Booking.space_id == Space.id,
            Booking.status.in_(LIVE_STATUSES),
            Booking.starts_at < ends_at,
            Booking.ends_at > starts_at,
        )
        .exists()
    )


def _candidates(lat, lon, radius_km, day, start, end, kind, user, attendees, starts_at, ends_at):
    """One query: open, eligible centers in the box, open at that time, with free spaces counted."""
    closed = (
        select(Closure.id)
        .where(Closure.center_id == Center.id, Closure.starts_on <= day, Closure.ends_on >= day)
        .exists()
    )
    contracted = (
        select(Contract.id)
        .where(
            Contract.operator_id == Center.operator_id,
            Contract.agency_id == user.agency_id,
            Contract.starts_on <= day,
            or_(Contract.ends_on.is_(None), Contract.ends_on >= day),
        )
        .exists()
    )
    def fits(space):
        condition = and_(space.center_id == Center.id, space.kind == kind, space.is_active.is_(True))
        return and_(condition, space.capacity >= attendees) if attendees else condition

    fitting = fits(Space)
    any_space = aliased(Space)  # its own alias: the outer query's Space must not be correlated away
    has_fitting = select(any_space.id).where(fits(any_space)).exists()
    # Outer join on the FREE fitting spaces: a full center counts 0 and is still listed (waitlist).
    stmt = (
        select(Center, func.count(Space.id))
        .join(OpeningHours, and_(
            OpeningHours.center_id == Center.id, OpeningHours.weekday == day.weekday(),
            OpeningHours.opens_at <= start, OpeningHours.closes_at >= end,
        ))
        .outerjoin(Space, and_(fitting, _free_space_filter(starts_at, ends_at)))
        .where(Center.status == CenterStatus.OPEN, ~closed, has_fitting,
               or_(Center.ownership == Ownership.PUBLIC, contracted))
        .group_by(Center.id)
    )
    if radius_km is not None:
        dlat = radius_km / 111.0
        dlon = radius_km / (111.0 * max(cos(radians(lat)), 0.1))
        stmt = stmt.where(Center.lat.between(lat - dlat, lat + dlat), Center.lon.between(lon - dlon, lon + dlon))
    return db.session.execute(stmt).all()


def search_centers(origin: tuple[float, float], day: date, start: time, end: time, kind: SpaceKind,
                   user: User, *, attendees: int | None = None, limit: int = 10,
                   now: datetime | None = None) -> list[CenterMatch]:
    """Open centers the user may book with a space of ``kind``, nearest to ``origin`` first.

    Up to ``limit`` centers with a free space, plus the full ones (free_count 0, for the waitlist)
    that are nearer than the farthest of those, at most ``FULL_CENTERS_SHOWN``.
    """
    lat, lon = origin
    starts_at, ends_at = local_to_utc(day, start), local_to_utc(day, end)
    if ends_at <= starts_at or (now is not None and ends_at <= now):
        return []
    rows = []
    for radius in SEARCH_RADII_KM:
        rows = _candidates(lat, lon, radius, day, start, end, kind, user, attendees, starts_at, ends_at)
        if sum(1 for _c, free in rows if free) >= limit:
            break
    ranked = sorted(
        ((haversine_km(lat, lon, c.lat, c.lon), c, n) for c, n in rows), key=lambda r: (r[0], r[1].id)
    )
    with_free = [row for row in ranked if row[2]][:limit]
    reach = with_free[-1][0] if len(with_free) == limit else float("inf")
    full = [row for row in ranked if not row[2] and row[0] <= reach][:FULL_CENTERS_SHOWN]
    scored = sorted(with_free + full, key=lambda r: (r[0], r[1].id))
    if not scored:
        return []
    # Second query: the best free space per chosen center (smallest fitting room, then code).
    best: dict[int, Space] = {}
    stmt = (
        select(Space)
        .where(Space.center_id.in_([c.id for _d, c, _n in scored]), Space.kind == kind,
               Space.is_active.is_(True), _free_space_filter(starts_at, ends_at))
        .order_by(Space.center_id, Space.capacity, Space.code)
    )
    if attendees:
        stmt = stmt.where(Space.capacity >= attendees)
    for space in db.session.scalars(stmt):
        best.setdefault(space.center_id, space)
    return [CenterMatch(c, round(d, 1), int(n), best.get(c.id)) for d, c, n in scored]


def day_availability(center: Center, day: date, *, user: User | None = None, kind: SpaceKind | None = None,
                     now: datetime | None = None) -> DayGrid:
    """The center's spaces × slots for ``day``: free, taken, mine, closed or past; never names."""
    from ..timeutils import utcnow

    now = now or utcnow()
    policy = effective_policy(center)
    hours = next((h for h in center.opening_hours if h.weekday == day.weekday()), None)
    spaces = [s for s in center.spaces if s.is_active and (kind is None or s.kind == kind)]
    closure = closure_on(center.id, day)
    closed_reason = None
    if center.status != CenterStatus.OPEN:
        closed_reason = _("The center is not taking bookings.")
    elif closure is not None:
        closed_reason = closure.reason
    elif hours is None:
        closed_reason = _("The center is closed on this weekday.")
    if hours is None:
        return DayGrid(center, day, [], [SpaceRow(s, []) for s in spaces], None, None, closed_reason)
    slot = timedelta(minutes=policy.slot_minutes)
    first = datetime.combine(day, hours.opens_at, tzinfo=SEOUL)
    first = floor_to_grid(first, policy.slot_minutes)
    last = datetime.combine(day, hours.closes_at, tzinfo=SEOUL)
    starts = []
    cursor = first
    while cursor < last:
        starts.append(cursor)
        cursor += slot
    day_start, day_end = local_to_utc(day, hours.opens_at), local_to_utc(day, hours.closes_at)
    bookings = db.session.execute(
        select(Booking.space_id, Booking.starts_at, Booking.ends_at, Booking.user_id, Booking.id).where(
            Booking.center_id == center.id, Booking.status.in_(LIVE_STATUSES),
            Booking.starts_at < day_end, Booking.ends_at > day_start,
        )
    ).all()
    by_space: dict[int, list] = {}
    for row in bookings:
        by_space.setdefault(row.space_id, []).append(row)
    earliest = floor_to_grid(now, policy.slot_minutes)
    rows = []
    for space in spaces:
        cells = []
        for local_start in starts:
            s, e = local_start.astimezone(now.tzinfo), (local_start + slot).astimezone(now.tzinfo)
            state, own = "free", None
            for b in by_space.get(space.id, ()):
                if b.starts_at < e and s < b.ends_at:
                    if user is not None and b.user_id == user.id:
                        state, own = "mine", b.id
                    else:
                        state = "taken"
                    break
            if state == "free":
                if closed_reason is not None:
                    state = "closed"
                elif s < earliest:
                    state = "past"
            cells.append(SlotCell(s, e, state, own))
        rows.append(SpaceRow(space, cells))
    return DayGrid(center, day, starts, rows, hours.opens_at, hours.closes_at, closed_reason)
