"""API test builders: a small town, one person per role, tokens and the headers that carry them.

The API reads the real clock (a request cannot pass ``now=``), so these tests book for ``tomorrow()``.
The ``town`` fixture (tests/conftest.py) builds this town for the API tests of every domain
(tests/<domain>/test_api.py) and for the transport tests here (tokens, auth, the spec).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from smartwork.api import tokens
from smartwork.auth.models import Role, User
from smartwork.bookings.models import Booking
from smartwork.centers.models import Center, Region, Space, SpaceKind
from smartwork.extensions import db
from smartwork.timeutils import local_today
from tests import builders
from tests import factories as f

ALL_DAY = (time(0, 0), time(23, 59))
EVERY_DAY = tuple(range(7))
ALL_SCOPES = ["read", "book", "manage"]


@dataclass
class Town:
    """Two open centers (ours near Seoul City Hall, another), and one person per role."""

    home: Region
    center: Center
    other_center: Center
    desk1: Space
    desk2: Space
    employee: User
    other: User
    manager: User
    other_manager: User
    planner: User
    admin: User


def build_town() -> Town:
    home = f.region(code="11140", lat=37.5663, lon=126.9779)
    center = f.center(code="hub", region_obj=home, hours=ALL_DAY, weekdays=EVERY_DAY,
                      spaces={SpaceKind.DESK: 2, SpaceKind.MEETING_ROOM: 1})
    other_center = f.center(code="far", hours=ALL_DAY, weekdays=EVERY_DAY, lat=35.18, lon=129.08,
                            spaces={SpaceKind.DESK: 1})
    desks = sorted((s for s in center.spaces if s.kind == SpaceKind.DESK), key=lambda s: s.code)
    town = Town(
        home=home, center=center, other_center=other_center, desk1=desks[0], desk2=desks[1],
        employee=f.user(home=home, name="김직원", locale="en"),
        other=f.user(home=home, name="박타인", locale="en"),
        manager=f.manager_of(center, locale="en"),
        other_manager=f.manager_of(other_center, locale="en"),
        planner=f.user(roles=(Role.PLANNER,), locale="en"),
        admin=f.user(roles=(Role.ADMIN,), locale="en"),
    )
    db.session.commit()
    return town


def token_for(user: User, scopes: list[str] | None = None, days: int = 30, now=None) -> str:
    """Issue a token through the service and return its secret."""
    return tokens.create_token(user, "test", scopes or ALL_SCOPES, days, now=now).secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def auth(user: User, scopes: list[str] | None = None) -> dict[str, str]:
    """Authorization headers for a fresh token of ``user``."""
    return bearer(token_for(user, scopes))


def tomorrow() -> date:
    return local_today() + timedelta(days=1)


def book(user: User, space: Space, start: str = "09:00", end: str = "10:00", day: date | None = None) -> Booking:
    """Book through the service on ``day`` (tomorrow unless told), on the real clock as the API does."""
    return builders.book(user, space, day or tomorrow(), start, end, now=None)


def local_iso(day: date, clock: str) -> str:
    """An ISO 8601 instant with the Korea offset, as a client would send it."""
    return f"{day.isoformat()}T{clock}:00+09:00"


def assert_problem(response, status: int, rule: str, field: str | None = None) -> dict:
    """The response is an RFC 9457 problem document with this status, rule (and field)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["rule"] == rule, body
    assert body["detail"]
    if field is not None:
        assert body.get("field") == field, body
    return body
