"""JSON API of centers (api/centers.py): search near a point or a 시군구, a center, its day availability."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from smartwork.bookings.demand import SearchMiss
from smartwork.centers.models import SpaceKind
from smartwork.extensions import db
from smartwork.timeutils import local_today
from tests.api.town import assert_problem, auth, book, local_iso, tomorrow


def search_query(**extra) -> str:
    params = {"date": tomorrow().isoformat(), "start": "09:00", "end": "10:00", **extra}
    return "&".join(f"{key}={value}" for key, value in params.items())


# --- centers ------------------------------------------------------------------------------------


def test_search_near_a_point_finds_the_nearest_center_first(client, town):
    response = client.get(f"/api/v1/centers?lat=37.56&lon=126.97&{search_query()}", headers=auth(town.employee))
    assert response.status_code == 200
    body = response.get_json()
    codes = [item["center"]["code"] for item in body["items"]]
    assert codes[0] == "hub" and "far" in codes
    assert body["items"][0]["free_count"] == 2
    assert body["items"][0]["best_space"]["kind"] == "desk"
    assert body["origin"] == {"lat": 37.56, "lon": 126.97, "region": None}


def test_search_by_region_code_and_by_home(client, town):
    by_code = client.get(f"/api/v1/centers?region=11140&{search_query()}", headers=auth(town.other))
    assert by_code.get_json()["origin"]["region"]["code"] == "11140"
    by_home = client.get(f"/api/v1/centers?{search_query()}", headers=auth(town.employee))
    assert by_home.get_json()["items"][0]["center"]["code"] == "hub"


def test_search_counts_free_spaces_after_a_booking(client, town):
    book(town.other, town.desk1)
    body = client.get(f"/api/v1/centers?region=11140&{search_query()}", headers=auth(town.employee)).get_json()
    hub = next(item for item in body["items"] if item["center"]["code"] == "hub")
    assert hub["free_count"] == 1 and hub["best_space"]["id"] == town.desk2.id


def test_search_refusals(client, town):
    headers = auth(town.planner)  # the planner has no home region
    assert_problem(client.get(f"/api/v1/centers?{search_query()}", headers=headers), 422, "origin_required",
                   field="region")
    assert_problem(client.get(f"/api/v1/centers?lat=37.5&{search_query()}", headers=headers), 422,
                   "origin_incomplete", field="lon")
    assert_problem(client.get(f"/api/v1/centers?region=99999&{search_query()}", headers=headers), 404,
                   "region_not_found")
    assert_problem(client.get(f"/api/v1/centers?region=11140&{search_query(kind='sofa')}", headers=headers), 422,
                   "invalid_input", field="kind")
    assert_problem(client.get(f"/api/v1/centers?lat=91&lon=0&{search_query()}", headers=headers), 422,
                   "invalid_input", field="lat")
    assert_problem(client.get(f"/api/v1/centers?region=11140&{search_query(limit=51)}", headers=headers), 422,
                   "invalid_input", field="limit")


def test_center_detail_and_unknown_center(client, town):
    body = client.get("/api/v1/centers/hub", headers=auth(town.employee)).get_json()
    assert body["code"] == "hub" and len(body["spaces"]) == 3
    assert {h["weekday"] for h in body["opening_hours"]} == set(range(7))
    assert body["opening_hours"][0]["opens_at"] == "00:00"
    assert_problem(client.get("/api/v1/centers/nowhere", headers=auth(town.employee)), 404, "center_not_found")
    assert_problem(client.get("/api/v1/centers/%C3%BC%20x", headers=auth(town.employee)), 404, "center_not_found")


def test_availability_shows_mine_and_taken_but_never_who(client, town):
    mine = book(town.employee, town.desk1, "09:00", "10:00")
    book(town.other, town.desk2, "09:00", "10:00")
    response = client.get(f"/api/v1/centers/hub/availability?date={tomorrow().isoformat()}&kind=desk",
                          headers=auth(town.employee))
    assert response.status_code == 200
    body = response.get_json()
    assert "박타인" not in response.get_data(as_text=True) and str(town.other.id) not in {
        str(c["booking_id"]) for row in body["spaces"] for c in row["cells"]}
    rows = {row["space"]["id"]: row["cells"] for row in body["spaces"]}
    nine = local_iso(tomorrow(), "09:00")
    cell = next(c for c in rows[town.desk1.id] if c["starts_at"] == nine)
    assert cell == {"starts_at": nine, "ends_at": local_iso(tomorrow(), "09:30"), "state": "mine",
                    "booking_id": mine.id}
    taken = next(c for c in rows[town.desk2.id] if c["starts_at"] == nine)
    assert taken["state"] == "taken" and taken["booking_id"] is None


# --- the search rules are the web page's (bookings/search.find_centers) ----------------------------


def test_an_api_search_that_finds_nothing_is_recorded_as_unmet_demand(client, town):
    # The town has no video room: nothing is free, so the planners should hear of it, as from the page.
    response = client.get(f"/api/v1/centers?region=11140&{search_query(kind='video_room')}",
                          headers=auth(town.employee))
    assert response.status_code == 200
    assert [item["free_count"] for item in response.get_json()["items"]] == []
    misses = db.session.scalars(select(SearchMiss)).all()
    assert [(m.user_id, m.region_id, m.space_kind, m.day) for m in misses] == [
        (town.employee.id, town.home.id, SpaceKind.VIDEO_ROOM, tomorrow())
    ]
    assert (misses[0].origin_lat, misses[0].origin_lon) == (town.home.lat, town.home.lon)


def test_an_api_search_with_a_free_space_records_nothing(client, town):
    response = client.get(f"/api/v1/centers?lat=37.56&lon=126.97&{search_query()}", headers=auth(town.employee))
    assert response.get_json()["items"][0]["free_count"] == 2
    assert db.session.scalars(select(SearchMiss)).all() == []


def test_the_api_refuses_a_date_outside_the_booking_window_like_the_page(client, town):
    headers = auth(town.employee)
    last = local_today() + timedelta(days=14)  # the default policy books 14 days ahead
    assert client.get(f"/api/v1/centers?{search_query(date=last.isoformat())}", headers=headers).status_code == 200
    for day in (last + timedelta(days=1), local_today() - timedelta(days=1)):
        problem = assert_problem(client.get(f"/api/v1/centers?{search_query(date=day.isoformat())}", headers=headers),
                                 422, "outside_booking_window", field="date")
        assert problem["allowed"] == {"first": local_today().isoformat(), "last": last.isoformat()}
    # A refused search is not demand the network failed to meet.
    assert db.session.scalars(select(SearchMiss)).all() == []
