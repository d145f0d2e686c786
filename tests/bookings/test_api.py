"""JSON API of bookings (api/bookings.py, notifications of api/me.py): each route × role, ownership
(404 for others), and each refusal's problem document."""

from __future__ import annotations

from datetime import UTC

import pytest

from smartwork.bookings.models import Booking
from smartwork.extensions import db
from tests.api.town import assert_problem, auth, book, local_iso, tomorrow
from tests.builders import at

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


# --- notifications (/me) -------------------------------------------------------------------------


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


def test_unknown_field_is_named_even_beside_other_errors(client, town):
    problem = assert_problem(client.post("/api/v1/bookings", json={"is_admin": True}, headers=auth(town.employee)),
                             422, "unknown_field", field="is_admin")
    assert {"space_id", "starts_at", "ends_at", "is_admin"} <= set(problem["errors"])
