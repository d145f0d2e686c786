"""Occupancy: the hourly roll-up of bookable, booked and checked-in time per center."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, func, insert, select

from ..bookings.models import Booking, BookingStatus
from ..centers.models import Center, CenterStatus, Closure, OpeningHours, Space
from ..extensions import db
from ..timeutils import SEOUL, local_day_bounds, utcnow
from .models import OccupancyHourly

HOUR = timedelta(hours=1)


def _overlap_seconds(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> float:
    """Length of the overlap of two half-open intervals, in seconds."""
    return max(0.0, (min(end, window_end) - max(start, window_start)).total_seconds())


def _hour_windows(day: date) -> list[tuple[datetime, datetime]]:
    """The 24 local hours of ``day`` as aware instants."""
    return [
        (start, start + HOUR)
        for start in (datetime.combine(day, time(hour), tzinfo=SEOUL) for hour in range(24))
    ]


def _bookable_seconds(day: date, center_ids: list[int]) -> dict[tuple[int, int], float]:
    """Space-seconds open for booking per (center, hour): active spaces × opening hours, not on closures."""
    if not center_ids:
        return {}
    closed = set(
        db.session.scalars(
            select(Closure.center_id).where(
                Closure.center_id.in_(center_ids), Closure.starts_on <= day, Closure.ends_on >= day
            )
        )
    )
    spaces = dict(
        db.session.execute(
            select(Space.center_id, func.count())
            .where(Space.center_id.in_(center_ids), Space.is_active.is_(True))
            .group_by(Space.center_id)
        ).all()
    )
    hours = db.session.scalars(
        select(OpeningHours).where(OpeningHours.center_id.in_(center_ids), OpeningHours.weekday == day.weekday())
    )
    windows = _hour_windows(day)
    bookable: dict[tuple[int, int], float] = defaultdict(float)
    for row in hours:
        if row.center_id in closed or not spaces.get(row.center_id):
            continue
        opens = datetime.combine(day, row.opens_at, tzinfo=SEOUL)
        closes = datetime.combine(day, row.closes_at, tzinfo=SEOUL)
        for hour, (start, end) in enumerate(windows):
            seconds = _overlap_seconds(opens, closes, start, end)
            if seconds:
                bookable[(row.center_id, hour)] += seconds * spaces[row.center_id]
    return bookable


def held_spans(booking, now: datetime) -> tuple[tuple[datetime, datetime] | None, tuple[datetime, datetime] | None]:
    """The one definition of a booking's hours behind every occupancy figure (roll-up, report, CSV).

    ``booking`` is a Booking or a row with its columns. Booked: from the start to the end, or to the
    release for a no-show (never before the start); a cancelled booking counts nothing. Occupied
    (checked in): from the check-in (never before the start) to the check-out, the end or ``now``,
    whichever comes first. A no-show is counted once, in the hour (and day) it was due to start.
    """
    if booking.status == BookingStatus.CANCELLED:
        return None, None
    booked_end = booking.ends_at
    if booking.status == BookingStatus.RELEASED and booking.released_at is not None:
        booked_end = max(booking.starts_at, min(booking.ends_at, booking.released_at))
    present = None
    if booking.checked_in_at is not None:
        present = (max(booking.starts_at, booking.checked_in_at),
                   min(booking.ends_at, booking.checked_out_at or booking.ends_at, now))
    return (booking.starts_at, booked_end), present


def span_seconds(span: tuple[datetime, datetime] | None, start: datetime, end: datetime) -> float:
    """Seconds of ``span`` inside [start, end) (0 for no span)."""
    return _overlap_seconds(*span, start, end) if span else 0.0


def rollup_occupancy(day: date, now: datetime | None = None) -> int:
    """Recompute one local day's hourly occupancy for every center (replaces that day); returns rows written.

    Booked and checked-in time as ``held_spans`` defines them.
    """
    now = now or utcnow()
    day_start, day_end = local_day_bounds(day)
    center_ids = list(
        db.session.scalars(
            select(Center.id).where(
                Center.status.not_in((CenterStatus.PLANNED, CenterStatus.UNDER_CONSTRUCTION)),
                Center.opened_on.is_(None) | (Center.opened_on <= day),
                Center.closed_on.is_(None) | (Center.closed_on > day),
            )
        )
    )
    totals: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for key, seconds in _bookable_seconds(day, center_ids).items():
        totals[key][0] = seconds
    bookings = db.session.scalars(
        select(Booking).where(Booking.status != BookingStatus.CANCELLED, Booking.overlapping(day_start, day_end))
    )
    windows = _hour_windows(day)
    for booking in bookings:
        booked_span, present_span = held_spans(booking, now)
        for hour, (start, end) in enumerate(windows):
            booked = span_seconds(booked_span, start, end)
            present = span_seconds(present_span, start, end)
            no_show = booking.status == BookingStatus.RELEASED and start <= booking.starts_at < end
            if booked or present or no_show:
                row = totals[(booking.center_id, hour)]
                row[1] += booked
                row[2] += present
                row[3] += int(no_show)
    db.session.execute(delete(OccupancyHourly).where(OccupancyHourly.day == day))
    rows = [
        {
            "center_id": center_id,
            "day": day,
            "hour": hour,
            "bookable_minutes": round(bookable / 60),
            "booked_minutes": round(booked / 60),
            "checked_in_minutes": round(present / 60),
            "no_shows": no_shows,
            "computed_at": now,
        }
        for (center_id, hour), (bookable, booked, present, no_shows) in sorted(totals.items())
    ]
    if rows:
        db.session.execute(insert(OccupancyHourly), rows)
    db.session.commit()
    return len(rows)
