"""Manager console pages: route × role authorisation, and the flows through the browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from smartwork.auth.models import Role
from smartwork.bookings.models import Booking, BookingStatus
from smartwork.extensions import db
from smartwork.operations import views
from smartwork.operations.console_models import KioskToken
from smartwork.operations.models import OccupancyHourly
from tests import factories
from tests.operations.helpers import DAY, NOW, booking, center_with_spaces, space


@pytest.fixture
def fixed_now(monkeypatch):
    """The console's views read the clock once per request, through views.utcnow."""
    monkeypatch.setattr(views, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture
def world(app, fixed_now):
    center = center_with_spaces(desks=3, rooms=1, code="gwacheon")
    other = center_with_spaces(desks=1, code="sejong")
    people = {
        "manager": factories.manager_of(center, name="관리자"),
        "other_manager": factories.manager_of(other),
        "employee": factories.user(name="직원"),
        "planner": factories.user(roles=(Role.PLANNER,)),
        "admin": factories.user(roles=(Role.ADMIN,)),
    }
    guest = factories.user(name="홍길동")
    b = booking(space(center, "D01"), guest, "09:30", "12:00")
    closure = factories.closure(center, DAY + timedelta(days=20), reason="점검")
    db.session.commit()
    return {"center": center, "other": other, "people": people, "booking": b, "closure": closure, "guest": guest}


def routes(w) -> list[tuple[str, str, dict]]:
    c, b = w["center"].code, w["booking"].id
    d1, closure_id = space(w["center"], "D01").id, w["closure"].id
    base = f"/operations/centers/{c}"
    return [
        ("GET", f"{base}/", {}),
        ("GET", f"{base}/board", {}),
        ("POST", f"{base}/bookings/{b}/check-in", {}),
        ("POST", f"{base}/bookings/{b}/check-out", {}),
        ("POST", f"{base}/bookings/{b}/no-show", {}),
        ("GET", f"{base}/spaces", {}),
        ("GET", f"{base}/spaces/new", {}),
        ("POST", f"{base}/spaces/new", {"kind": "desk", "code": "D77", "capacity": "1"}),
        ("GET", f"{base}/spaces/{d1}/edit", {}),
        ("POST", f"{base}/spaces/{d1}/edit", {"kind": "desk", "code": "D01", "capacity": "1", "features": "창가"}),
        ("GET", f"{base}/spaces/{d1}/deactivate", {}),
        ("POST", f"{base}/spaces/{d1}/reactivate", {}),
        ("GET", f"{base}/closures", {}),
        ("POST", f"{base}/closures", {"kind": "event", "starts_on": "2026-12-20", "ends_on": "2026-12-20",
                                      "reason": "행사"}),
        ("POST", f"{base}/closures/{closure_id}/delete", {}),
        ("GET", f"{base}/settings", {}),
        ("POST", f"{base}/settings/hours", {"opens_0": "08:30", "closes_0": "18:30"}),
        ("POST", f"{base}/settings/policy", {"no_show_grace_minutes": "20"}),
        ("GET", f"{base}/history", {}),
        ("GET", f"{base}/reports", {}),
        ("GET", f"{base}/reports.csv", {}),
        ("GET", f"{base}/qr", {}),
        ("GET", f"{base}/kiosk", {}),
        ("GET", f"{base}/kiosk/free", {}),
        ("POST", f"{base}/kiosk/walk-in", {}),
        ("POST", f"{base}/kiosk/revoke", {}),
        ("POST", f"{base}/ready", {}),
        ("GET", f"{base}/bookings/{b}", {}),
        ("POST", f"{base}/bookings/{b}/move", {"space_id": str(space(w["center"], "D02").id), "reason": "정비"}),
        ("POST", f"{base}/bookings/{b}/cancel", {"reason": "정비"}),
        ("POST", f"{base}/spaces/{d1}/deactivate", {"reason": "고장"}),
    ]


@pytest.mark.parametrize("role", ["anonymous", "employee", "planner", "other_manager", "manager", "admin"])
def test_route_by_role(client, world, role):
    if role != "anonymous":
        assert factories.login(client, world["people"][role]).status_code == 302
    for method, url, data in routes(world):
        response = client.open(url, method=method, data=data)
        where = f"{role} {method} {url}"
        if role == "anonymous":
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"], where
        elif role in ("employee", "planner"):
            assert response.status_code == 403, where
        elif role == "other_manager":
            assert response.status_code == 404, where  # the center's existence does not leak
        else:
            assert response.status_code in (200, 303, 409, 422), where


def test_unknown_center_and_foreign_objects_are_404(client, world):
    factories.login(client, world["people"]["manager"])
    assert client.get("/operations/centers/nowhere/").status_code == 404
    foreign = space(world["other"], "D01").id
    assert client.get(f"/operations/centers/{world['center'].code}/spaces/{foreign}/edit").status_code == 404
    foreign_booking = booking(space(world["other"], "D01"), world["guest"], "13:00", "14:00", day=DAY)
    db.session.commit()
    url = f"/operations/centers/{world['center'].code}/bookings/{foreign_booking.id}/check-in"
    assert client.post(url).status_code == 404


def test_index_lists_only_managed_centers(client, world):
    factories.login(client, world["people"]["manager"])
    page = client.get("/operations/").get_data(as_text=True)
    assert "/operations/centers/gwacheon/" in page and "/operations/centers/sejong/" not in page
    client.post("/auth/logout")
    factories.login(client, world["people"]["admin"])
    page = client.get("/operations/").get_data(as_text=True)
    assert "/operations/centers/gwacheon/" in page and "/operations/centers/sejong/" in page


def test_board_shows_names_and_refreshes_by_fragment(client, world):
    factories.login(client, world["people"]["manager"])
    page = client.get("/operations/centers/gwacheon/").get_data(as_text=True)
    assert "홍길동" in page  # the manager sees who is due at their own center
    assert 'data-refresh-url="/operations/centers/gwacheon/board"' in page
    assert "js/board.js" in page and "<script>" not in page
    fragment = client.get("/operations/centers/gwacheon/board").get_data(as_text=True)
    assert "<html" not in fragment and "홍길동" in fragment and 'data-state="reserved"' in fragment
    script = client.get("/static/js/board.js")
    assert script.status_code == 200 and "data-refresh-url" in script.get_data(as_text=True)
    script.close()


def test_board_check_in_and_no_show_buttons(client, world):
    factories.login(client, world["people"]["manager"])
    b = world["booking"]
    response = client.post(f"/operations/centers/gwacheon/bookings/{b.id}/check-in")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Booking, b.id).status == BookingStatus.CHECKED_IN
    # A second check-in is refused politely (flash), not a server error.
    assert client.post(f"/operations/centers/gwacheon/bookings/{b.id}/check-in").status_code == 303
    history = client.get("/operations/centers/gwacheon/history").get_data(as_text=True)
    assert "관리자" in history and f"booking:{b.id}" in history


def test_deactivate_flow_confirms_then_moves(client, world):
    factories.login(client, world["people"]["manager"])
    d1 = space(world["center"], "D01")
    later = booking(d1, world["guest"], "14:00", "15:00")
    db.session.commit()
    confirm = client.get(f"/operations/centers/gwacheon/spaces/{d1.id}/deactivate").get_data(as_text=True)
    assert "홍길동" in confirm and "D02" in confirm  # the 14:00 booking would move to D02
    assert d1.is_active
    done = client.post(f"/operations/centers/gwacheon/spaces/{d1.id}/deactivate", data={"reason": "고장"})
    assert done.status_code == 200 and 'class="outcome-moved"' in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Booking, later.id).space_id == space(world["center"], "D02").id
    assert not db.session.get(type(d1), d1.id).is_active


def test_closure_flow_asks_for_confirmation(client, world):
    factories.login(client, world["people"]["manager"])
    d2 = space(world["center"], "D02")
    hit = booking(d2, world["guest"], "09:00", "10:00", day=DAY + timedelta(days=1))
    db.session.commit()
    data = {"kind": "maintenance", "starts_on": (DAY + timedelta(days=1)).isoformat(),
            "ends_on": (DAY + timedelta(days=1)).isoformat(), "reason": "배관"}
    first = client.post("/operations/centers/gwacheon/closures", data=data)
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and "confirm-hits" in page and 'value="yes"' in page
    db.session.expire_all()
    assert db.session.get(Booking, hit.id).status == BookingStatus.RESERVED
    second = client.post("/operations/centers/gwacheon/closures", data={**data, "confirm": "yes"})
    assert second.status_code == 303
    db.session.expire_all()
    assert db.session.get(Booking, hit.id).status == BookingStatus.CANCELLED


def test_settings_errors_show_on_the_form(client, world):
    factories.login(client, world["people"]["manager"])
    bad = client.post("/operations/centers/gwacheon/settings/policy", data={"no_show_grace_minutes": "500"})
    assert bad.status_code == 422
    hours = client.post("/operations/centers/gwacheon/settings/hours", data={"opens_0": "09:00"})
    assert hours.status_code == 422
    good = client.post("/operations/centers/gwacheon/settings/hours",
                       data={f"opens_{d}": "08:00" for d in range(5)} | {f"closes_{d}": "20:00" for d in range(5)})
    assert good.status_code == 303


def test_report_page_has_svg_charts_and_csv(client, world):
    factories.login(client, world["people"]["manager"])
    center = world["center"]
    for day_offset, booked in ((1, 300), (2, 150)):
        db.session.add(OccupancyHourly(center_id=center.id, day=DAY - timedelta(days=day_offset), hour=9,
                                       bookable_minutes=600, booked_minutes=booked, checked_in_minutes=booked,
                                       no_shows=0))
    db.session.commit()
    page = client.get("/operations/centers/gwacheon/reports?start=2026-12-05&end=2026-12-06").get_data(as_text=True)
    days_chart = page[page.index('class="chart chart-days"'):page.index('class="chart chart-checkin"')]
    assert "<svg" in days_chart and days_chart.count("<rect") == 2
    assert ">50%<" in days_chart and ">25%<" in days_chart
    assert 'class="chart heatmap"' in page
    bad = client.get("/operations/centers/gwacheon/reports?start=2026-12-06&end=2026-12-05")
    assert bad.status_code == 422
    csv = client.get("/operations/centers/gwacheon/reports.csv?start=2026-12-05&end=2026-12-06")
    assert csv.mimetype == "text/csv" and "day,2026-12-06,10.00,5.00" in csv.get_data(as_text=True)


def test_qr_sheet_has_one_code_per_active_space(client, world):
    factories.login(client, world["people"]["manager"])
    center = world["center"]
    space(center, "D03").is_active = False
    db.session.commit()
    page = client.get("/operations/centers/gwacheon/qr").get_data(as_text=True)
    assert page.count('class="qr-code"') == 3  # D01, D02, M01 — not D03
    for code in ("D01", "D02", "M01"):
        assert f"/bookings/checkin/{space(center, code).id}<" in page
    assert f"/bookings/checkin/{space(center, 'D03').id}<" not in page
    assert "css/operations.css" in page


def test_kiosk_walk_in_books_checks_in_and_keeps_no_session(client, world):
    manager, employee = world["people"]["manager"], world["people"]["employee"]
    factories.login(client, manager)
    started = client.post("/operations/centers/gwacheon/kiosk/start")
    assert started.status_code == 303
    with client.session_transaction() as stored:
        assert "_user_id" not in stored and stored["kiosk"]["center_id"] == world["center"].id
    page = client.get("/operations/centers/gwacheon/kiosk")
    assert page.status_code == 200
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    assert "D02" in page.get_data(as_text=True)
    d2 = space(world["center"], "D02")
    wrong = client.post("/operations/centers/gwacheon/kiosk/walk-in",
                        data={"space_id": d2.id, "identifier": employee.email, "password": "wrong-password-1"})
    assert wrong.status_code == 422
    done = client.post("/operations/centers/gwacheon/kiosk/walk-in",
                       data={"space_id": d2.id, "identifier": employee.employee_number,
                             "password": factories.PASSWORD, "ends_at": "12:00"})
    assert done.status_code == 303
    made = db.session.scalar(select(Booking).where(Booking.user_id == employee.id))
    assert made.status == BookingStatus.CHECKED_IN and made.space_id == d2.id
    assert made.checked_in_at == NOW and made.ends_at.hour == 3  # 12:00 in Seoul
    with client.session_transaction() as stored:
        assert "_user_id" not in stored  # the walk-in was never signed in
    assert client.get("/bookings/mine").status_code == 302
    assert client.get("/operations/").status_code == 302
    # D02 is no longer offered.
    assert f'value="{d2.id}"' not in client.get("/operations/centers/gwacheon/kiosk").get_data(as_text=True)


def test_kiosk_token_is_bound_to_its_center_and_revocable(client, world):
    manager = world["people"]["manager"]
    factories.login(client, manager)
    client.post("/operations/centers/gwacheon/kiosk/start")
    assert client.get("/operations/centers/sejong/kiosk").status_code == 302  # another center: sign in
    second = client.application.test_client()
    factories.login(second, manager)
    assert second.post("/operations/centers/gwacheon/kiosk/revoke").status_code == 303
    assert db.session.scalar(select(KioskToken.revoked_at)) is not None
    # The test's app context outlives requests; forget the user Flask-Login cached for `second`.
    g.pop("_login_user", None)
    assert client.get("/operations/centers/gwacheon/kiosk").status_code == 302


def test_kiosk_without_free_spaces_closed_day(client, world, monkeypatch):
    saturday = NOW + timedelta(days=5)
    monkeypatch.setattr(views, "utcnow", lambda: saturday)
    factories.login(client, world["people"]["manager"])
    page = client.get("/operations/centers/gwacheon/kiosk").get_data(as_text=True)
    assert re.search(r'name="space_id" value="\d+"', page) is None


def test_hours_change_previews_the_bookings_it_cancels_then_confirms(client, world):
    factories.login(client, world["people"]["manager"])
    tomorrow = DAY + timedelta(days=1)  # a Tuesday
    late = booking(space(world["center"], "D02"), world["guest"], "17:00", "18:00", day=tomorrow)
    db.session.commit()
    data = {f"opens_{d}": "08:30" for d in range(5)} | {f"closes_{d}": "18:30" for d in range(5)}
    data["closes_1"] = "16:00"
    first = client.post("/operations/centers/gwacheon/settings/hours", data=data)
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and "confirm-hits" in page and 'value="yes"' in page and "홍길동" in page
    db.session.expire_all()
    assert db.session.get(Booking, late.id).status == BookingStatus.RESERVED
    assert {h.weekday: h.closes_at.hour for h in world["center"].opening_hours}[1] == 18  # nothing saved yet
    second = client.post("/operations/centers/gwacheon/settings/hours", data={**data, "confirm": "yes"})
    assert second.status_code == 303
    db.session.expire_all()
    assert db.session.get(Booking, late.id).status == BookingStatus.CANCELLED


def test_manager_moves_then_cancels_one_booking_with_a_reason(client, world):
    factories.login(client, world["people"]["manager"])
    later = booking(space(world["center"], "D01"), world["guest"], "14:00", "15:00")
    db.session.commit()
    page = client.get(f"/operations/centers/gwacheon/bookings/{later.id}").get_data(as_text=True)
    assert "D02" in page and "D03" in page and "홍길동" in page
    d3 = space(world["center"], "D03")
    moved = client.post(f"/operations/centers/gwacheon/bookings/{later.id}/move",
                        data={"space_id": str(d3.id), "reason": "창가 자리 정비"})
    assert moved.status_code == 303
    db.session.expire_all()
    assert db.session.get(Booking, later.id).space_id == d3.id
    missing = client.post(f"/operations/centers/gwacheon/bookings/{later.id}/cancel", data={"reason": ""})
    assert missing.status_code == 422
    done = client.post(f"/operations/centers/gwacheon/bookings/{later.id}/cancel", data={"reason": "행사 준비"})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Booking, later.id).status == BookingStatus.CANCELLED
    history = client.get("/operations/centers/gwacheon/history").get_data(as_text=True)
    assert "history-booking_moved" in history and "history-booking_cancelled" in history and "행사 준비" in history
    other = world["other"]
    assert client.get(f"/operations/centers/{other.code}/bookings/{later.id}").status_code == 404


def test_the_manager_marks_a_planned_center_ready_on_the_settings_page(client, app, fixed_now):
    from smartwork.centers.models import Center, CenterStatus
    from smartwork.operations.console_models import ChangeLog

    center = center_with_spaces(desks=1, code="hanam", status=CenterStatus.PLANNED, opened_on=None)
    manager = factories.manager_of(center)
    db.session.commit()
    factories.login(client, manager)
    page = client.get("/operations/centers/hanam/settings").get_data(as_text=True)
    assert "/operations/centers/hanam/ready" in page
    assert client.post("/operations/centers/hanam/ready").status_code == 303
    db.session.expire_all()
    assert db.session.get(Center, center.id).ready_on == DAY
    assert db.session.scalar(select(ChangeLog.action).where(ChangeLog.center_id == center.id)) == "center_ready"
