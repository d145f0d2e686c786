"""Searches that find nothing are recorded as unmet demand for the planners."""

from __future__ import annotations

from sqlalchemy import func, select

from smartwork.bookings.demand import SearchMiss
from smartwork.centers.models import SpaceKind
from smartwork.extensions import db
from tests.bookings.test_views import build_town, sign_in, tomorrow


def test_a_search_that_finds_nothing_is_recorded_once(app, client):
    town = build_town()
    sign_in(client, town.owner)
    query = f"/bookings/find?date={tomorrow().isoformat()}&start=09:00&end=18:00&kind=video_room&origin=home"

    page = client.get(query)

    assert page.status_code == 200
    misses = db.session.scalars(select(SearchMiss)).all()
    assert len(misses) == 1
    assert misses[0].user_id == town.owner.id
    assert misses[0].region_id == town.home.id
    assert misses[0].space_kind == SpaceKind.VIDEO_ROOM
    assert misses[0].day == tomorrow()
    db.session.rollback()


def test_a_search_with_results_records_nothing(app, client):
    town = build_town()
    sign_in(client, town.owner)

    client.get(f"/bookings/find?date={tomorrow().isoformat()}&start=09:00&end=18:00&kind=desk&origin=home")

    assert db.session.scalar(select(func.count()).select_from(SearchMiss)) == 0
    db.session.rollback()
