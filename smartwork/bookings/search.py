"""Finding a place: centers near a point with free spaces, and a center's day grid.

``find_centers`` is the search use case the web page and the JSON API both call: it owns the
booking-window check, where the search starts from (``resolve_origin``) and the record of a search
that found nothing (the planners' unmet demand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from ..auth.models import User
from ..centers import services as center_services
from ..centers.models import (
    Center,
    CenterStatus,
    Closure,
    Contract,
    OpeningHours,
    Ownership,
    Region,
    Space,
    SpaceKind,
)
from ..centers.services import haversine_km
from ..errors import Invalid
from ..extensions import db
from ..timeutils import SEOUL, local_to_utc, local_today, utcnow
from . import demand
from .models import Booking
from .policies import closure_on, effective_policy, floor_to_grid

# Free spaces are counted for this many of the nearest eligible centers at a time.
COUNT_BATCH = 16
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
class SearchResult:
    """What a search found: the point it measured from, the 시군구 that point stands for, the matches."""

    origin: tuple[float, float]
    region: Region | None
    matches: list[CenterMatch]


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
        .where(Booking.space_id == Space.id, Booking.live_overlapping(starts_at, ends_at))
        .exists()
    )


def _eligible_centers(day: date, start: time, end: time, kind: SpaceKind, user: User,
                      attendees: int | None) -> list[tuple[int, float, float]]:
    """(id, lat, lon) of the open centers the user may book that are open then and have a fitting space.

    Cheap (per-center EXISTS checks, no booking is read): free spaces are counted afterwards, only
    for the nearest of these.
    """
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
            Contract.covering_center(Center.id),
        )
        .exists()
    )
    open_then = (
        select(OpeningHours.center_id)
        .where(OpeningHours.center_id == Center.id, OpeningHours.weekday == day.weekday(),
               OpeningHours.opens_at <= start, OpeningHours.closes_at >= end)
        .exists()
    )
    has_fitting = select(Space.id).where(_fits(kind, attendees), Space.center_id == Center.id).exists()
    return [tuple(row) for row in db.session.execute(
        select(Center.id, Center.lat, Center.lon)
        .where(Center.status == CenterStatus.OPEN, ~closed, open_then, has_fitting,
               or_(Center.ownership == Ownership.PUBLIC, contracted))
    )]


def _fits(kind: SpaceKind, attendees: int | None):
    """SQL: an active space of ``kind`` (rooms: big enough for ``attendees``)."""
    condition = and_(Space.kind == kind, Space.is_active.is_(True))
    return and_(condition, Space.capacity >= attendees) if attendees else condition


def _free_counts(center_ids: list[int], kind: SpaceKind, attendees: int | None, starts_at: datetime,
                 ends_at: datetime) -> dict[int, int]:
    """Free fitting spaces per center (centers without one are absent)."""
    return dict(db.session.execute(
        select(Space.center_id, func.count(Space.id))
        .where(Space.center_id.in_(center_ids), _fits(kind, attendees), _free_space_filter(starts_at, ends_at))
        .group_by(Space.center_id)
    ).all())


def search_centers(origin: tuple[float, float], day: date, start: time, end: time, kind: SpaceKind,
                   user: User, *, attendees: int | None = None, limit: int = 10,
                   now: datetime | None = None) -> list[CenterMatch]:
    """Open centers the user may book with a space of ``kind``, nearest to ``origin`` first.

    Up to ``limit`` centers with a free space, plus the full ones (free_count 0, for the waitlist)
    that are nearer than the farthest of those, at most ``FULL_CENTERS_SHOWN``. Free spaces are
    counted nearest-first, a batch of centers at a time, so the work stays the same wherever the
    user lives (a rural origin used to widen the search to the whole country's bookings).
    """
    lat, lon = origin
    starts_at, ends_at = local_to_utc(day, start), local_to_utc(day, end)
    if ends_at <= starts_at or (now is not None and ends_at <= now):
        return []
    ranked = sorted((haversine_km(lat, lon, c_lat, c_lon), center_id)
                    for center_id, c_lat, c_lon in _eligible_centers(day, start, end, kind, user, attendees))
    with_free: list[tuple[float, int, int]] = []
    full: list[tuple[float, int, int]] = []
    for first in range(0, len(ranked), COUNT_BATCH):
        batch = ranked[first:first + COUNT_BATCH]
        counts = _free_counts([center_id for _km, center_id in batch], kind, attendees, starts_at, ends_at)
        for km, center_id in batch:
            free = counts.get(center_id, 0)
            if free:
                with_free.append((km, center_id, free))
            elif len(full) < FULL_CENTERS_SHOWN:
                full.append((km, center_id, 0))
            if len(with_free) == limit:
                break
        if len(with_free) == limit:
            break
    reach = with_free[-1][0] if len(with_free) == limit else float("inf")
    scored = sorted(with_free + [row for row in full if row[0] <= reach])
    if not scored:
        return []
    centers = {center.id: center for center in db.session.scalars(
        select(Center).where(Center.id.in_([center_id for _km, center_id, _n in scored])))}
    # The best free space per chosen center (smallest fitting room, then code).
    best: dict[int, Space] = {}
    stmt = (
        select(Space)
        .where(Space.center_id.in_(centers), _fits(kind, attendees), _free_space_filter(starts_at, ends_at))
        .order_by(Space.center_id, Space.capacity, Space.code)
    )
    for space in db.session.scalars(stmt):
        best.setdefault(space.center_id, space)
    return [CenterMatch(centers[center_id], round(km, 1), free, best.get(center_id)) for km, center_id, free in scored]


def booking_window(now: datetime | None = None) -> tuple[date, date]:
    """First and last day a search may ask for (the default policy's booking window)."""
    today = local_today(now)
    return today, today + timedelta(days=effective_policy(None).max_days_ahead)


def resolve_origin(user: User, *, region_code: str | None = None, lat: float | None = None,
                   lon: float | None = None, field: str = "origin") -> tuple[tuple[float, float], Region | None]:
    """Where a search starts: a point (lat and lon), else a 시군구 by code, else the user's home region.

    Returns the (lat, lon) to measure distances from and the region it stands for (None for a bare
    point). ``field`` names the input that should have given a place when the user has no home region.
    """
    if lat is not None or lon is not None:
        if lat is None or lon is None:
            raise Invalid(_("Give both lat and lon."), field="lon" if lon is None else "lat",
                          rule="origin_incomplete")
        return (lat, lon), None
    if region_code:
        region = center_services.get_region_by_code(region_code)
    else:
        region = center_services.get_region(user.home_region_id) if user.home_region_id else None
        if region is None:
            raise Invalid(_("Your home region is not set: pick a place to search from."), field=field,
                          rule="origin_required")
    return (region.lat, region.lon), region


def find_centers(user: User, day: date, start: time, end: time, kind: SpaceKind, *,
                 region_code: str | None = None, lat: float | None = None, lon: float | None = None,
                 attendees: int | None = None, limit: int = 10, origin_field: str = "origin",
                 now: datetime | None = None) -> SearchResult:
    """The search use case of the web page and the API: window, origin, matches, and unmet demand.

    Refuses a day outside the booking window (``Invalid`` on ``date``); a search that finds no free
    space is recorded for the planners (telemetry: a failure to record never breaks the search).
    """
    now = now or utcnow()
    first, last = booking_window(now)
    if not first <= day <= last:
        raise Invalid(_("Pick a date from %(first)s to %(last)s.", first=first.isoformat(), last=last.isoformat()),
                      field="date", rule="outside_booking_window",
                      allowed={"first": first.isoformat(), "last": last.isoformat()})
    point, region = resolve_origin(user, region_code=region_code, lat=lat, lon=lon, field=origin_field)
    matches = search_centers(point, day, start, end, kind, user, attendees=attendees, limit=limit, now=now)
    if not any(match.free_count for match in matches):
        demand.note_search_miss(day=day, user_id=user.id, origin=point, region_id=region.id if region else None,
                                space_kind=kind, now=now)
    return SearchResult(point, region, matches)


def day_availability(center: Center, day: date, *, user: User | None = None, kind: SpaceKind | None = None,
                     now: datetime | None = None) -> DayGrid:
    """The center's spaces × slots for ``day``: free, taken, mine, closed or past; never names."""
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
            Booking.center_id == center.id, Booking.live_overlapping(day_start, day_end),
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
