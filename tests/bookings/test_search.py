"""The search use case (bookings/search.find_centers) the web page and the API share, on a fixed clock."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from smartwork.bookings.demand import SearchMiss
from smartwork.bookings.search import booking_window, find_centers, resolve_origin
from smartwork.centers.models import SpaceKind
from smartwork.errors import Invalid, NotFound
from smartwork.extensions import db
from tests import factories as f
from tests.builders import NOW, TODAY, TOMORROW, book

NINE, TEN = time(9, 0), time(10, 0)


@pytest.fixture
def place(app):
    """A 시군구 with a one-desk center, an employee living there and a planner with no home."""
    home = f.region(code="11140", lat=37.5663, lon=126.9779)
    center = f.center(region_obj=home, spaces={SpaceKind.DESK: 1})
    employee, homeless = f.user(home=home), f.user()
    db.session.commit()
    return home, center, employee, homeless


def test_the_booking_window_runs_from_today_to_the_policys_last_day(app):
    assert booking_window(NOW) == (TODAY, TODAY + timedelta(days=14))


def test_a_day_outside_the_window_is_refused_on_the_date_field(place):
    _home, _center, employee, _homeless = place
    assert find_centers(employee, TODAY + timedelta(days=14), NINE, TEN, SpaceKind.DESK, now=NOW).matches
    for day in (TODAY - timedelta(days=1), TODAY + timedelta(days=15)):
        with pytest.raises(Invalid) as refused:
            find_centers(employee, day, NINE, TEN, SpaceKind.DESK, now=NOW)
        assert (refused.value.rule, refused.value.field) == ("outside_booking_window", "date")
    assert db.session.scalars(select(SearchMiss)).all() == []


def test_the_origin_is_a_point_a_region_or_home(place):
    home, _center, employee, homeless = place
    assert resolve_origin(employee, lat=35.1, lon=129.0) == ((35.1, 129.0), None)
    assert resolve_origin(homeless, region_code="11140") == ((home.lat, home.lon), home)
    assert resolve_origin(employee) == ((home.lat, home.lon), home)
    with pytest.raises(Invalid) as incomplete:
        resolve_origin(employee, lat=35.1)
    assert (incomplete.value.rule, incomplete.value.field) == ("origin_incomplete", "lon")
    with pytest.raises(Invalid) as homeless_refused:
        resolve_origin(homeless, field="region")
    assert (homeless_refused.value.rule, homeless_refused.value.field) == ("origin_required", "region")
    with pytest.raises(NotFound):
        resolve_origin(employee, region_code="99999")


def test_a_search_that_finds_no_free_space_is_recorded_once_at_now(place):
    home, center, employee, homeless = place
    found = find_centers(employee, TOMORROW, NINE, TEN, SpaceKind.DESK, now=NOW)
    assert [match.free_count for match in found.matches] == [1] and found.region == home
    assert db.session.scalars(select(SearchMiss)).all() == []

    book(homeless, center.spaces[0], TOMORROW, "09:00", "10:00")
    full = find_centers(employee, TOMORROW, NINE, TEN, SpaceKind.DESK, now=NOW)
    assert [match.free_count for match in full.matches] == [0]  # listed for its waitlist, not free
    misses = db.session.scalars(select(SearchMiss)).all()
    assert [(m.user_id, m.region_id, m.space_kind, m.day, m.created_at) for m in misses] == [
        (employee.id, home.id, SpaceKind.DESK, TOMORROW, NOW)
    ]
