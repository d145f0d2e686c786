"""Every API route × role: what each person sees, ownership (404 for others), and each refusal's problem."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smartwork.bookings import services
from smartwork.bookings.models import Booking
from smartwork.extensions import db
from tests import factories as f
from tests.api.conftest import assert_problem, auth, local_iso, tomorrow


def at(day, clock: str) -> datetime:
    return datetime.fromisoformat(local_iso(day, clock))


def book(user, space, start="09:00", end="10:00", day=None) -> Booking:
    day = day or tomorrow()
    return services.create_booking(user, space.id, at(day, start), at(day, end))


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


# --- bookings -----------------------------------------------------------------------------------


def booking_body(space, start="09:00", end="10:00", **extra) -> dict:
    day = tomorrow()
    return {"space_id": space.id, "starts_at": local_iso(day, start), "ends_at": local_iso(day, end), **extra}


def test_create_booking_returns_it_in_korea_time(client, town):
    response = client.post("/api/v1/bookings", json=booking_body(town.desk1), headers=auth(town.employee))
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "reserved"
    assert body["starts_at"] == local_iso(tomorrow(), "09:00")
    assert body["center"]["code"] == "hub" and body["space"]["id"] == town.desk1.id


def test_create_accepts_any_offset(client, town):
    day = tomorrow()
    body = {"space_id": town.desk1.id, "starts_at": at(day, "09:00").astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "ends_at": at(day, "10:00").astimezone(UTC).isoformat()}
    response = client.post("/api/v1/bookings", json=body, headers=auth(town.employee))
    assert response.status_code == 201
    assert response.get_json()["ends_at"] == local_iso(day, "10:00")


def test_unknown_body_field_is_422_naming_it(client, town):
    body = booking_body(town.desk1, user_id=town.other.id)
    problem = assert_problem(client.post("/api/v1/bookings", json=body, headers=auth(town.employee)), 422,
                             "unknown_field", field="user_id")
    assert problem["errors"] == {"user_id": ["Unknown field."]}
    assert db.session.scalar(db.select(Booking.id)) is None


def test_naive_or_missing_times_are_422(client, town):
    body = booking_body(town.desk1)
    body["starts_at"] = body["starts_at"].replace("+09:00", "")
    assert_problem(client.post("/api/v1/bookings", json=body, headers=auth(town.employee)), 422, "invalid_input",
                   field="starts_at")
    assert_problem(client.post("/api/v1/bookings", json={"space_id": town.desk1.id}, headers=auth(town.employee)),
                   422, "invalid_input")


def test_body_that_is_not_json_is_400(client, town):
    response = client.post("/api/v1/bookings", data="{nope", content_type="application/json",
                           headers=auth(town.employee))
    assert_problem(response, 400, "invalid_json")


def test_service_rules_come_back_as_problems(client, town):
    headers = auth(town.employee)
    assert_problem(client.post("/api/v1/bookings", json=booking_body(town.desk1, "09:10", "10:00"), headers=headers),
                   422, "grid", field="starts_at")
    assert client.post("/api/v1/bookings", json=booking_body(town.desk1), headers=headers).status_code == 201
    assert_problem(client.post("/api/v1/bookings", json=booking_body(town.desk1), headers=auth(town.other)),
                   409, "space_taken")
    assert_problem(client.post("/api/v1/bookings", json=booking_body(town.desk2), headers=headers), 409,
                   "user_overlap")
    assert_problem(client.post("/api/v1/bookings", json=booking_body(town.desk1) | {"space_id": 999_999},
                               headers=headers), 404, "space_not_found")


def test_book_best_space_then_center_full_offers_the_waitlist(client, town):
    body = {"center_id": town.other_center.id, "date": tomorrow().isoformat(), "start": "09:00", "end": "10:00"}
    response = client.post("/api/v1/bookings/best", json=body, headers=auth(town.employee))
    assert response.status_code == 201
    assert response.get_json()["space"]["id"] == town.other_center.spaces[0].id
    full = assert_problem(client.post("/api/v1/bookings/best", json=body, headers=auth(town.other)), 409,
                          "center_full")
    assert full["allowed"] == {"waitlist": True}
    assert_problem(client.post("/api/v1/bookings/best", json=body | {"center_id": 999_999},
                               headers=auth(town.other)), 404, "center_not_found")


def test_list_mine_pages_and_never_shows_others(client, town):
    first = book(town.employee, town.desk1, "09:00", "10:00")
    second = book(town.employee, town.desk1, "11:00", "12:00")
    book(town.other, town.desk2, "09:00", "10:00")
    page1 = client.get("/api/v1/bookings?per_page=1", headers=auth(town.employee)).get_json()
    assert [b["id"] for b in page1["items"]] == [first.id] and page1["next_page"] == 2
    page2 = client.get("/api/v1/bookings?per_page=1&page=2", headers=auth(town.employee)).get_json()
    assert [b["id"] for b in page2["items"]] == [second.id] and page2["next_page"] is None
    past = client.get("/api/v1/bookings?when=past", headers=auth(town.employee)).get_json()
    assert past["items"] == []
    assert_problem(client.get("/api/v1/bookings?per_page=101", headers=auth(town.employee)), 422, "invalid_input",
                   field="per_page")


@pytest.mark.parametrize(("role", "status"), [
    ("employee", 200), ("other", 404), ("manager", 200), ("other_manager", 404), ("planner", 404), ("admin", 200),
])
def test_booking_detail_by_role(client, town, role, status):
    booking = book(town.employee, town.desk1)
    response = client.get(f"/api/v1/bookings/{booking.id}", headers=auth(getattr(town, role)))
    if status == 200:
        assert response.status_code == 200 and response.get_json()["id"] == booking.id
    else:
        assert_problem(response, 404, "booking_not_found")


@pytest.mark.parametrize(("role", "status"), [("other", 404), ("other_manager", 404), ("employee", 200),
                                              ("manager", 200)])
def test_cancel_by_role(client, town, role, status):
    booking = book(town.employee, town.desk1)
    response = client.post(f"/api/v1/bookings/{booking.id}/cancel", headers=auth(getattr(town, role)))
    if status == 200:
        assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
        assert_problem(client.post(f"/api/v1/bookings/{booking.id}/cancel", headers=auth(town.employee)), 409,
                       "not_live")
    else:
        assert_problem(response, 404, "booking_not_found")


def test_check_out_someone_elses_booking_is_404(client, town):
    booking = book(town.employee, town.desk1)
    assert_problem(client.post(f"/api/v1/bookings/{booking.id}/check-out", headers=auth(town.other)), 404,
                   "booking_not_found")
    assert_problem(client.post(f"/api/v1/bookings/{booking.id}/check-out", headers=auth(town.employee)), 422,
                   "not_checked_in")


def test_check_in_too_early_says_when_it_opens(client, town):
    book(town.employee, town.desk1)
    body = assert_problem(client.post("/api/v1/bookings/check-in", json={"space_id": town.desk1.id},
                                      headers=auth(town.employee)), 422, "checkin_not_open")
    assert "opens_at" in body["allowed"]
    assert_problem(client.post("/api/v1/bookings/check-in", json={"space_id": town.desk2.id},
                               headers=auth(town.employee)), 404, "no_booking_here")


# --- series -------------------------------------------------------------------------------------


def series_body(space, **extra) -> dict:
    return {"space_id": space.id, "weekdays": list(range(7)), "start": "13:00", "end": "14:00",
            "first_day": tomorrow().isoformat(), "weeks": 1, **extra}


def test_series_create_list_detail_cancel(client, town):
    headers = auth(town.employee)
    response = client.post("/api/v1/series", json=series_body(town.desk1), headers=headers)
    assert response.status_code == 201
    result = response.get_json()
    series_id = result["series"]["id"]
    assert len(result["booked"]) >= 6 and result["series"]["start"] == "13:00"
    listed = client.get("/api/v1/series", headers=headers).get_json()
    assert [s["id"] for s in listed["items"]] == [series_id]
    detail = client.get(f"/api/v1/series/{series_id}", headers=headers).get_json()
    assert len(detail["bookings"]) == len(result["booked"])
    assert_problem(client.get(f"/api/v1/series/{series_id}", headers=auth(town.other)), 404, "series_not_found")
    assert_problem(client.post(f"/api/v1/series/{series_id}/cancel", headers=auth(town.other)), 404,
                   "series_not_found")
    assert client.get("/api/v1/series", headers=auth(town.other)).get_json()["items"] == []
    cancelled = client.post(f"/api/v1/series/{series_id}/cancel", headers=headers).get_json()
    assert cancelled == {"cancelled": len(result["booked"])}


def test_series_rules_as_problems(client, town):
    headers = auth(town.employee)
    assert_problem(client.post("/api/v1/series", json=series_body(town.desk1, weeks=9), headers=headers), 422,
                   "series_weeks", field="weeks")
    assert_problem(client.post("/api/v1/series", json=series_body(town.desk1, weekdays=[7]), headers=headers), 422,
                   "invalid_input", field="weekdays.0")
    assert_problem(client.post("/api/v1/series", json=series_body(town.desk1, colour="red"), headers=headers), 422,
                   "unknown_field", field="colour")


# --- waitlist -----------------------------------------------------------------------------------


def waitlist_body(town, start="09:00", end="10:00") -> dict:
    day = tomorrow()
    return {"center_id": town.other_center.id, "kind": "desk", "starts_at": local_iso(day, start),
            "ends_at": local_iso(day, end)}


def test_waitlist_refused_while_a_space_is_free(client, town):
    body = assert_problem(client.post("/api/v1/waitlist", json=waitlist_body(town), headers=auth(town.employee)),
                          409, "space_available")
    assert body["allowed"]["space_id"] == town.other_center.spaces[0].id


def test_waitlist_join_list_leave(client, town):
    book(town.other, town.other_center.spaces[0])
    headers = auth(town.employee)
    response = client.post("/api/v1/waitlist", json=waitlist_body(town), headers=headers)
    assert response.status_code == 201
    entry = response.get_json()
    assert entry["status"] == "waiting" and entry["kind"] == "desk"
    assert_problem(client.post("/api/v1/waitlist", json=waitlist_body(town), headers=headers), 409,
                   "already_waiting")
    assert [e["id"] for e in client.get("/api/v1/waitlist", headers=headers).get_json()["items"]] == [entry["id"]]
    assert client.get("/api/v1/waitlist", headers=auth(town.other)).get_json()["items"] == []
    assert_problem(client.delete(f"/api/v1/waitlist/{entry['id']}", headers=auth(town.other)), 404,
                   "waitlist_entry_not_found")
    assert client.delete(f"/api/v1/waitlist/{entry['id']}", headers=headers).get_json()["status"] == "cancelled"
    assert_problem(client.delete(f"/api/v1/waitlist/{entry['id']}", headers=headers), 409, "not_waiting")


# --- me -----------------------------------------------------------------------------------------


def test_profile_shows_roles_and_managed_centers(client, town):
    employee = client.get("/api/v1/me", headers=auth(town.employee)).get_json()
    assert employee["roles"] == ["employee"] and employee["home_region"]["code"] == "11140"
    manager = client.get("/api/v1/me", headers=auth(town.manager)).get_json()
    assert manager["roles"] == ["center_manager", "employee"] and manager["managed_centers"] == ["hub"]


def test_notifications_list_and_mark_read(client, town):
    book(town.employee, town.desk1)
    headers = auth(town.employee)
    body = client.get("/api/v1/me/notifications", headers=headers).get_json()
    assert body["unread"] == 1 and body["items"][0]["kind"] == "booking_confirmed"
    assert body["items"][0]["read_at"] is None and body["items"][0]["subject"]
    assert client.get("/api/v1/me/notifications", headers=auth(town.other)).get_json()["items"] == []
    assert client.post("/api/v1/me/notifications/read", headers=headers).get_json() == {"marked": 1}
    assert client.get("/api/v1/me/notifications", headers=headers).get_json()["unread"] == 0
    assert_problem(client.post("/api/v1/me/notifications/read", headers=auth(town.employee, ["read"])), 403,
                   "insufficient_scope")


# --- operations and planning --------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status", "rule"), [
    ("employee", 403, "role_required"), ("planner", 403, "role_required"), ("manager", 200, None),
    ("other_manager", 404, "center_not_found"), ("admin", 200, None),
])
@pytest.mark.parametrize("what", ["board", "report"])
def test_operations_by_role(client, town, role, status, rule, what):
    response = client.get(f"/api/v1/operations/centers/hub/{what}", headers=auth(getattr(town, role)))
    if status == 200:
        assert response.status_code == 200
        assert response.get_json()["center"]["code"] == "hub"
    else:
        assert_problem(response, status, rule)


def test_board_lists_spaces_and_counts(client, town):
    body = client.get("/api/v1/operations/centers/hub/board", headers=auth(town.manager)).get_json()
    assert len(body["spaces"]) == 3
    assert sum(body["counts"].values()) == 3


def test_report_range_refusal(client, town):
    response = client.get("/api/v1/operations/centers/hub/report?start=2026-02-01&end=2026-01-01",
                          headers=auth(town.manager))
    assert_problem(response, 422, "order", field="end")
    ok = client.get("/api/v1/operations/centers/hub/report?start=2026-01-01&end=2026-01-31",
                    headers=auth(town.manager)).get_json()
    # No roll-up rows yet: nothing booked, nothing to divide by.
    assert (ok["start"], ok["end"], ok["booked_minutes"], ok["utilization"]) == ("2026-01-01", "2026-01-31", 0, None)


@pytest.mark.parametrize(("role", "status"), [
    ("employee", 403), ("manager", 403), ("planner", 200), ("admin", 200),
])
@pytest.mark.parametrize("what", ["rollout", "coverage"])
def test_planning_by_role(client, town, role, status, what):
    response = client.get(f"/api/v1/planning/{what}", headers=auth(getattr(town, role)))
    if status == 200:
        assert response.status_code == 200
    else:
        assert_problem(response, 403, "role_required")


def test_coverage_and_rollout_figures(client, town):
    f.user(home=town.home)
    db.session.commit()
    coverage = client.get("/api/v1/planning/coverage", headers=auth(town.planner)).get_json()
    region = next(r for r in coverage["regions"] if r["code"] == "11140")
    assert region["within_near"] is True and region["people"] >= 3
    assert coverage["total"]["people"] >= 3
    rollout = client.get("/api/v1/planning/rollout", headers=auth(town.planner)).get_json()
    assert rollout["total_open"] == 2
    assert {gap["ownership"] for gap in rollout["gaps"]} == {"public", "private"}


def test_unknown_field_is_named_even_beside_other_errors(client, town):
    problem = assert_problem(client.post("/api/v1/bookings", json={"is_admin": True}, headers=auth(town.employee)),
                             422, "unknown_field", field="is_admin")
    assert {"space_id", "starts_at", "ends_at", "is_admin"} <= set(problem["errors"])
