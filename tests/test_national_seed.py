"""The national seed's bulk history generator, at a tiny scale: its invariants on both engines."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

from sqlalchemy import func, select

from smartwork.auth.models import UserStatus
from smartwork.bookings.models import Booking, BookingStatus
from smartwork.centers.models import CenterKind, Ownership, Space, SpaceKind
from smartwork.extensions import db
from smartwork.operations.models import OccupancyHourly
from smartwork.operations.services import rollup_occupancy
from smartwork.seed.national import generate_history, top_up_spaces
from smartwork.timeutils import to_local
from tests import factories as f

# Wednesday 11 March 2026, 12:00 in Seoul.
NOW = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)
HISTORY, FUTURE = 20, 5


def _network():
    """Two public centers (a hub and a residential one), a private one, 14 employees, one closure."""
    home = f.region(sido_code="11")
    ministry, other = f.agency(), f.agency()
    hub = f.center(kind=CenterKind.TRAVEL, region_obj=home,
                   spaces={SpaceKind.DESK: 4, SpaceKind.BOOTH: 1, SpaceKind.MEETING_ROOM: 1})
    residential = f.center(region_obj=home, spaces={SpaceKind.DESK: 3})
    private = f.center(ownership=Ownership.PRIVATE, region_obj=home, spaces={SpaceKind.DESK: 2})
    f.contract(ministry, private.operator)
    f.closure(residential, date(2026, 3, 4))
    contracted = [f.user(agency_obj=ministry, home=home) for _n in range(8)]
    others = [f.user(agency_obj=other, home=home) for _n in range(5)]
    suspended = f.user(agency_obj=ministry, home=home, status=UserStatus.SUSPENDED)
    db.session.commit()
    return hub, residential, private, contracted, others, suspended


def _bookings() -> list[Booking]:
    return list(db.session.scalars(select(Booking).order_by(Booking.id)))


def test_history_invariants(app):
    hub, residential, private, contracted, _others, suspended = _network()

    report = generate_history(seed=7, now=NOW, history_days=HISTORY, future_days=FUTURE, analyze=False)

    bookings = _bookings()
    assert report.days == HISTORY + FUTURE + 1
    assert report.bookings == len(bookings) > 50
    assert Counter(b.status.value for b in bookings) == report.bookings_by_status
    first_day = date(2026, 3, 11) - timedelta(days=HISTORY)
    last_day = date(2026, 3, 11) + timedelta(days=FUTURE)
    days = {to_local(b.starts_at).date() for b in bookings}
    assert min(days) >= first_day and max(days) <= last_day
    assert any(b.starts_at > NOW for b in bookings) and any(b.ends_at <= NOW for b in bookings)

    contracted_ids = {u.id for u in contracted}
    by_space: dict[int, list[Booking]] = {}
    by_user_day: Counter = Counter()
    for b in bookings:
        start, end = to_local(b.starts_at), to_local(b.ends_at)
        # Inside opening hours on working days, never on the closure day.
        assert start.weekday() < 5 and time(8, 30) <= start.time() and end.time() <= time(18, 30)
        assert start.date() == end.date() and b.starts_at < b.ends_at
        assert not (b.center_id == residential.id and start.date() == date(2026, 3, 4))
        assert b.user_id != suspended.id
        if b.center_id == private.id:
            assert b.user_id in contracted_ids  # private centers: only agencies with a contract
        assert b.created_at <= NOW
        # Statuses follow the clock.
        if b.ends_at <= NOW:
            assert b.status in (BookingStatus.COMPLETED, BookingStatus.RELEASED, BookingStatus.CANCELLED)
        elif b.starts_at > NOW:
            assert b.status in (BookingStatus.RESERVED, BookingStatus.CANCELLED)
        if b.status == BookingStatus.COMPLETED:
            assert b.checked_in_at is not None
        if b.status == BookingStatus.RELEASED:
            assert b.released_at == b.starts_at + timedelta(minutes=30)
        if b.status == BookingStatus.CANCELLED:
            assert b.cancelled_at is not None and b.created_at <= b.cancelled_at <= min(b.starts_at, NOW)
        if b.space.kind.is_room:
            assert 1 <= b.attendees <= b.space.capacity
        else:
            assert b.attendees is None
        by_space.setdefault(b.space_id, []).append(b)
        by_user_day[(b.user_id, start.date())] += 1
    # By construction no two bookings overlap in a space (live or not), and a user books once a day.
    for rows in by_space.values():
        rows.sort(key=lambda b: b.starts_at)
        assert all(a.ends_at <= b.starts_at for a, b in pairwise(rows))
    assert max(by_user_day.values()) == 1
    # The hub runs fuller than the residential center.
    per_space = Counter(b.center_id for b in bookings)
    assert per_space[hub.id] / 6 > per_space[residential.id] / 3


def test_occupancy_matches_the_rollup_service(app):
    _network()
    generate_history(seed=11, now=NOW, history_days=HISTORY, future_days=0, analyze=False)

    def rows(day: date) -> set[tuple]:
        return set(db.session.execute(
            select(OccupancyHourly.center_id, OccupancyHourly.hour, OccupancyHourly.bookable_minutes,
                   OccupancyHourly.booked_minutes, OccupancyHourly.checked_in_minutes, OccupancyHourly.no_shows)
            .where(OccupancyHourly.day == day)
        ).all())

    assert not rows(date(2026, 3, 11))  # today is not rolled up yet (the nightly job does yesterday)
    for day in (date(2026, 3, 4), date(2026, 3, 5), date(2026, 3, 10)):
        bulk = rows(day)
        rollup_occupancy(day, now=NOW)
        assert bulk and rows(day) == bulk
    assert not rows(date(2026, 3, 7))  # a Saturday: the centers are shut


def test_rerun_leaves_the_history_alone(app):
    _network()
    first = generate_history(seed=3, now=NOW, history_days=5, future_days=2, analyze=False)
    again = generate_history(seed=3, now=NOW, history_days=5, future_days=2, analyze=False)
    assert again.skipped and not first.skipped
    assert db.session.scalar(select(func.count()).select_from(Booking)) == first.bookings


def test_top_up_spaces_adds_desks_up_to_the_target(app):
    hub, *_rest = _network()
    present = db.session.scalar(select(func.count()).select_from(Space))

    assert top_up_spaces(5, present + 7) == 7
    db.session.commit()
    assert top_up_spaces(5, present + 7) == 0
    codes = db.session.execute(select(Space.center_id, Space.code)).all()
    assert len(codes) == len(set(codes)) == present + 7
    assert db.session.scalar(select(func.count()).select_from(Space).where(Space.center_id == hub.id)) > 6
