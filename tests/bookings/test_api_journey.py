"""The done-when journey: a client holding only a token searches near a point, books, lists, checks in,
cancels, and gets a precise problem document for each refusal."""

from __future__ import annotations

from datetime import timedelta

from smartwork.bookings.policies import floor_to_grid
from smartwork.timeutils import to_local, utcnow
from tests.api.town import assert_problem, auth, local_iso, tomorrow


def test_token_only_journey(client, town):
    headers = auth(town.employee, ["read", "book"])
    day = tomorrow()

    # Search near a point (Seoul City Hall) for tomorrow 09:00–10:00.
    found = client.get(f"/api/v1/centers?lat=37.5663&lon=126.9779&date={day}&start=09:00&end=10:00",
                       headers=headers)
    assert found.status_code == 200
    best = found.get_json()["items"][0]
    assert best["center"]["code"] == "hub" and best["distance_km"] < 1

    # Book the best space; the same space again is a conflict, and a read-only token may not book.
    body = {"space_id": best["best_space"]["id"], "starts_at": local_iso(day, "09:00"),
            "ends_at": local_iso(day, "10:00")}
    created = client.post("/api/v1/bookings", json=body, headers=headers)
    assert created.status_code == 201
    booking = created.get_json()
    assert_problem(client.post("/api/v1/bookings", json=body, headers=auth(town.other, ["book"])), 409,
                   "space_taken")
    assert_problem(client.post("/api/v1/bookings", json=body, headers=auth(town.employee, ["read"])), 403,
                   "insufficient_scope")
    assert_problem(client.post("/api/v1/bookings", json={**body, "price": 0}, headers=headers), 422,
                   "unknown_field", field="price")

    # List: the booking is there; someone else cannot see it.
    listed = client.get("/api/v1/bookings", headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [booking["id"]]
    assert_problem(client.get(f"/api/v1/bookings/{booking['id']}", headers=auth(town.other)), 404,
                   "booking_not_found")

    # Checking in a day early is refused with the time it opens.
    early = assert_problem(client.post("/api/v1/bookings/check-in", json={"space_id": body["space_id"]},
                                       headers=headers), 422, "checkin_not_open")
    assert early["allowed"]["opens_at"]

    # Cancel tomorrow's booking; cancelling twice is a conflict.
    cancelled = client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert_problem(client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=headers), 409, "not_live")

    # Book the current slot and check in by the space's id (as the QR code at the desk gives it).
    start = to_local(floor_to_grid(utcnow(), 30))
    now_body = {"space_id": town.desk2.id, "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(minutes=30)).isoformat()}
    current = client.post("/api/v1/bookings", json=now_body, headers=headers)
    assert current.status_code == 201, current.get_json()
    checked_in = client.post("/api/v1/bookings/check-in", json={"space_id": town.desk2.id}, headers=headers)
    assert checked_in.status_code == 200 and checked_in.get_json()["status"] == "checked_in"
    assert checked_in.get_json()["checked_in_at"].endswith("+09:00")

    # Once started it cannot be cancelled, only checked out.
    current_id = current.get_json()["id"]
    refused = assert_problem(client.post(f"/api/v1/bookings/{current_id}/cancel", headers=headers), 422,
                             "cancel_after_start")
    assert refused["allowed"]["cancel_before"]
    out = client.post(f"/api/v1/bookings/{current_id}/check-out", headers=headers)
    assert out.status_code == 200 and out.get_json()["status"] == "completed"

    # Nothing in this journey used a cookie.
    assert not client.get_cookie("session", domain="localhost.test")
