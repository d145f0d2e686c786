"""Hardening fixtures: a small world with one person per role, request-isolated clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest

from smartwork.api import tokens
from smartwork.api.models import ApiToken
from smartwork.auth.models import Role, User
from smartwork.bookings.calendar import create_feed_token
from smartwork.bookings.models import Booking, BookingStatus, Series, WaitlistEntry
from smartwork.centers.models import Center, Closure, Ownership, Space, SpaceKind
from smartwork.extensions import db
from smartwork.planning.models import RolloutTarget
from smartwork.timeutils import utcnow
from tests import factories as f
from tests.auth.helpers import isolate, use_fast_password_hashing

ALL_DAY = (time(0, 0), time(23, 59))
EVERY_DAY = tuple(range(7))


@dataclass
class World:
    """Two open centers; a person per role; one future booking each for two employees."""

    center: Center
    other_center: Center
    desk: Space
    room: Space
    other_desk: Space
    closure: Closure
    employee: User
    other: User
    manager: User
    other_manager: User
    planner: User
    admin: User
    booking: Booking
    other_booking: Booking
    series: Series
    waitlist_entry: WaitlistEntry
    target: RolloutTarget
    api_token: ApiToken
    api_secret: str
    feed_token: str

    def person(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


def _booking(user: User, space: Space, start: datetime) -> Booking:
    booking = Booking(user_id=user.id, space_id=space.id, center_id=space.center_id, starts_at=start,
                      ends_at=start + timedelta(hours=2),
                      status=BookingStatus.RESERVED)
    db.session.add(booking)
    db.session.flush()
    return booking


def build_world() -> World:
    home = f.region(code="11140", lat=37.5663, lon=126.9779)
    center = f.center(code="hub", region_obj=home, hours=ALL_DAY, weekdays=EVERY_DAY,
                      spaces={SpaceKind.DESK: 2, SpaceKind.MEETING_ROOM: 1})
    other_center = f.center(code="far", hours=ALL_DAY, weekdays=EVERY_DAY, lat=35.18, lon=129.08,
                            spaces={SpaceKind.DESK: 1})
    desks = sorted((s for s in center.spaces if s.kind == SpaceKind.DESK), key=lambda s: s.code)
    room = next(s for s in center.spaces if s.kind == SpaceKind.MEETING_ROOM)
    # Whole hours, a few days ahead, at 10:00 Seoul (01:00 UTC): inside every booking window.
    start = (utcnow() + timedelta(days=3)).replace(hour=1, minute=0, second=0, microsecond=0, tzinfo=UTC)
    employee = f.user(home=home, name="김직원", locale="en")
    other = f.user(home=home, name="박타인", locale="en")
    today = utcnow().date()
    series = Series(user=employee, space=room, weekdays=[0, 1, 2, 3, 4], start_time=time(14, 0),
                    end_time=time(15, 0), first_day=today + timedelta(days=30), last_day=today + timedelta(days=60))
    entry = WaitlistEntry(user=employee, center=center, space_kind=SpaceKind.DESK, starts_at=start + timedelta(days=1),
                          ends_at=start + timedelta(days=1, hours=1))
    target = RolloutTarget(target_on=today.replace(month=12, day=31), ownership=Ownership.PUBLIC, centers=50, seats=500)
    db.session.add_all([series, entry, target])
    db.session.flush()
    issued = tokens.create_token(employee, "matrix", ["read", "book", "manage"], 30)
    world = World(
        center=center, other_center=other_center, desk=desks[0], room=room, other_desk=other_center.spaces[0],
        closure=f.closure(center, today + timedelta(days=20)),
        employee=employee, other=other,
        manager=f.manager_of(center, locale="en"),
        other_manager=f.manager_of(other_center, locale="en"),
        planner=f.user(roles=(Role.PLANNER,), locale="en"),
        admin=f.user(roles=(Role.ADMIN,), locale="en"),
        booking=_booking(employee, desks[0], start),
        other_booking=_booking(other, desks[1], start),
        series=series, waitlist_entry=entry, target=target, api_token=issued.token, api_secret=issued.secret,
        feed_token=create_feed_token(employee),
    )
    db.session.commit()
    return world


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap argon2id parameters: these tests sign in often."""
    use_fast_password_hashing(monkeypatch)


@pytest.fixture
def world(app) -> World:
    return build_world()


@pytest.fixture
def client(app):
    """A client whose requests each get their own app context and session."""
    return isolate(app).test_client()


def client_for(app, user: User | None):
    """A fresh isolated client, signed in as ``user`` (anonymous when None)."""
    client = isolate(app).test_client()
    if user is not None:
        response = f.login(client, user)
        assert response.status_code == 302, response.text[:500]
    return client
