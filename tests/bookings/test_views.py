"""The employee's booking pages: status codes, ownership, CSRF, refusals on the page, no names on grids.

Views take no clock, so bookings here are placed relative to the real "now" (tomorrow's local date,
or a raw row around the current instant) in a center open 00:00–23:59 every day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from smartwork.auth.models import Role, User
from smartwork.bookings import services
from smartwork.bookings.models import Booking, BookingStatus, Notification, Series, WaitlistEntry
from smartwork.centers.models import Center, Ownership, Region, Space, SpaceKind
from smartwork.extensions import db
from smartwork.timeutils import local_today, utcnow
from tests import builders
from tests import factories as f
from tests.bookings.helpers import raw_booking
from tests.bookings.test_journey import Forms, submit
from tests.builders import at
from tests.test_pages import audit

ALL_DAY = (time(0, 0), time(23, 59))
EVERY_DAY = tuple(range(7))


@dataclass
class Town:
    """A center near the owner's home (2 desks, a room for 6), a far center, and three people."""

    home: Region
    far_region: Region
    center: Center
    far: Center
    desk1: Space
    desk2: Space
    room: Space
    owner: User
    other: User
    manager: User


def build_town(owner_locale: str | None = "en") -> Town:
    """Build and commit the standard town (owner reads English so messages can be asserted)."""
    home = f.region(lat=37.55, lon=126.98)
    far_region = f.region(lat=35.18, lon=129.08, sido_code="26", sido_name_ko="부산광역시",
                          sido_name_en="Busan", name_ko="해운대구", name_en="Haeundae-gu")
    center = f.center(code="hub", region_obj=home, hours=ALL_DAY, weekdays=EVERY_DAY,
                      spaces={SpaceKind.DESK: 2, SpaceKind.MEETING_ROOM: 1})
    far = f.center(code="far", region_obj=far_region, hours=ALL_DAY, weekdays=EVERY_DAY,
                   spaces={SpaceKind.DESK: 1})
    desks = [s for s in center.spaces if s.kind == SpaceKind.DESK]
    room = next(s for s in center.spaces if s.kind == SpaceKind.MEETING_ROOM)
    owner = f.user(home=home, name="김소유", locale=owner_locale)
    other = f.user(home=home, name="박타인", locale="en")
    manager = f.manager_of(center, locale="en")
    db.session.commit()
    return Town(home, far_region, center, far, desks[0], desks[1], room, owner, other, manager)


def sign_in(client, user: User) -> None:
    """Sign in by session cookie (the login form itself is tested in auth and in the journey; argon2 is slow)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True


def tomorrow() -> date:
    return local_today() + timedelta(days=1)


def book(user: User, space: Space, day: date | None = None, start: str = "09:00", end: str = "18:00") -> Booking:
    """Book through the service at the real current time (the pages read the wall clock)."""
    return builders.book(user, space, day or tomorrow(), start, end, now=None)


def form_for(day: date, start: str, end: str, **extra) -> dict:
    return {"date": day.isoformat(), "start": start, "end": end, **extra}


def status_of(booking_id: int) -> BookingStatus:
    """A booking's status fresh from the database; ends the read so no lock is held (SQLite)."""
    db.session.expire_all()
    status = db.session.get(Booking, booking_id).status
    db.session.rollback()
    return status


@pytest.fixture
def town(app) -> Town:
    return build_town()


# --- every page, for the owner ----------------------------------------------------------------


def test_every_page_renders_for_the_owner(client, town):
    booking = book(town.owner, town.desk1)
    result = services.create_series(town.owner, town.desk2.id, [tomorrow().weekday()], time(19, 0), time(20, 0),
                                     tomorrow(), 1)
    sign_in(client, town.owner)
    paths = [
        "/bookings/find",
        f"/bookings/find?date={tomorrow().isoformat()}&start=10:00&end=12:00&kind=desk&origin={town.far_region.code}",
        "/bookings/centers/hub/day",
        f"/bookings/centers/hub/day?date={tomorrow().isoformat()}&kind=desk",
        f"/bookings/centers/hub/day?date={tomorrow().isoformat()}&space={town.desk2.id}&start=10:00&end=11:00",
        "/bookings/mine",
        "/bookings/calendar",
        "/bookings/notifications",
        "/bookings/series/new",
        "/bookings/series/new?center=hub",
        f"/bookings/series/{result.series.id}",
        f"/bookings/checkin/{town.desk1.id}",
        f"/bookings/{booking.id}/cancel",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        audit(client, response, path)
    ics = client.get(f"/bookings/{booking.id}.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert "DTSTART;TZID=Asia/Seoul" in ics.get_data(as_text=True)


def test_korean_is_the_default_language(client, app):
    town = build_town(owner_locale=None)
    sign_in(client, town.owner)
    for path in ("/bookings/find", "/bookings/mine", "/bookings/centers/hub/day"):
        page = client.get(path).get_data(as_text=True)
        assert '<html lang="ko">' in page, path
        assert "내 예약" in page, path  # the navigation's "My bookings"


# --- ownership and sign-in --------------------------------------------------------------------


def test_other_users_get_404_for_someone_elses_booking_ics_and_series(client, town):
    booking = book(town.owner, town.desk1)
    result = services.create_series(town.owner, town.desk2.id, [tomorrow().weekday()], time(19, 0), time(20, 0),
                                     tomorrow(), 1)
    day_after = tomorrow() + timedelta(days=1)
    for space in (town.desk1, town.desk2):
        book(f.user(), space, day=day_after)
    entry = services.join_waitlist(town.owner, town.center.id, SpaceKind.DESK, at(day_after, "09:00"),
                                   at(day_after, "18:00"))
    sign_in(client, town.other)
    assert client.post(f"/bookings/waitlist/{entry.id}/leave").status_code == 404
    assert client.get(f"/bookings/{booking.id}.ics").status_code == 404
    assert client.get(f"/bookings/{booking.id + 999}.ics").status_code == 404
    assert client.get(f"/bookings/series/{result.series.id}").status_code == 404
    assert client.get(f"/bookings/{booking.id}/cancel").status_code == 404
    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 404
    assert client.post(f"/bookings/{booking.id}/checkout").status_code == 404
    series_booking = result.booked[0].id
    assert client.post(f"/bookings/series/{result.series.id}/cancel/{series_booking}").status_code == 404
    assert client.post(f"/bookings/series/{result.series.id}/cancel-rest").status_code == 404
    assert status_of(booking.id) == BookingStatus.RESERVED
    assert status_of(series_booking) == BookingStatus.RESERVED


def test_a_manager_may_not_download_an_employees_ics(client, town):
    booking = book(town.owner, town.desk1)
    sign_in(client, town.manager)
    assert client.get(f"/bookings/{booking.id}.ics").status_code == 404


@pytest.mark.parametrize("path", [
    "/bookings/find", "/bookings/mine", "/bookings/centers/hub/day", "/bookings/calendar",
    "/bookings/notifications", "/bookings/series/new", "/bookings/1.ics", "/bookings/checkin/1",
])
def test_anonymous_users_are_sent_to_sign_in(client, town, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert "next=" in response.headers["Location"]


def test_anonymous_post_is_refused(client, town):
    booking = book(town.owner, town.desk1)
    response = client.post(f"/bookings/{booking.id}/cancel")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert status_of(booking.id) == BookingStatus.RESERVED


def test_checkin_qr_sends_anonymous_users_to_sign_in_and_back(client, town):
    response = client.get(f"/bookings/checkin/{town.desk1.id}")
    assert response.status_code == 302
    assert f"next=%2Fbookings%2Fcheckin%2F{town.desk1.id}" in response.headers["Location"]


# --- CSRF -------------------------------------------------------------------------------------


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_post_without_csrf_is_refused_when_csrf_is_enabled(app_factory, town):
    booking_id, email, desk2 = book(town.owner, town.desk1).id, town.owner.email, town.desk2.id
    db.session.rollback()  # the other app's requests must not wait for this session's read lock
    csrf_app = app_factory(WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    signed_in = client.post("/auth/login", data={"identifier": email, "password": f.PASSWORD,
                                                 "csrf_token": _token(login_page)})
    assert signed_in.status_code == 302
    assert client.post(f"/bookings/{booking_id}/cancel").status_code == 400
    assert client.post("/bookings/centers/hub/book", data={
        "space": desk2, **form_for(tomorrow() + timedelta(days=1), "09:00", "10:00")}).status_code == 400
    assert status_of(booking_id) == BookingStatus.RESERVED
    token = _token(client.get("/bookings/mine").get_data(as_text=True))
    response = client.post(f"/bookings/{booking_id}/cancel", data={"csrf_token": token})
    assert response.status_code == 302
    assert status_of(booking_id) == BookingStatus.CANCELLED
    # Every form on the pages carries its token under the name its form expects.
    later = (tomorrow() + timedelta(days=2)).isoformat()
    find = Forms(client.get(f"/bookings/find?date={later}&origin=home").get_data(as_text=True))
    assert submit(client, find.find("/bookings/book-best")).status_code == 302
    day = Forms(client.get(f"/bookings/centers/hub/day?date={later}").get_data(as_text=True))
    book_form = day.find("/bookings/centers/hub/book")
    book_form["data"].update(space=str(desk2), start="19:00", end="20:00")
    assert submit(client, book_form).status_code == 302
    waitlist = day.find("/bookings/waitlist")
    waitlist["data"].update({"wl-kind": "desk", "wl-start": "07:00", "wl-end": "08:00"})
    assert submit(client, waitlist).status_code in (409, 422)


# --- find -------------------------------------------------------------------------------------


def test_find_lists_open_centers_nearest_first_with_distance_and_free_spaces(client, town):
    book(town.other, town.desk1)
    sign_in(client, town.owner)
    page = client.get("/bookings/find").get_data(as_text=True)  # defaults: tomorrow 09–18, desk, home
    assert "0.0 km" in page
    assert town.center.name_en in page or town.center.name_ko in page
    hub_at = page.index("/centers/hub")
    far_at = page.index("/centers/far")
    assert hub_at < far_at
    assert "1 free" in page  # desk1 is taken by someone else
    assert "Book the best free space (D02)" in page
    # From Busan (a travel day) the far center comes first.
    page = client.get(f"/bookings/find?origin={town.far_region.code}&date={tomorrow().isoformat()}"
                      "&start=09:00&end=18:00&kind=desk").get_data(as_text=True)
    assert page.index("/centers/far") < page.index("/centers/hub")


def test_find_validates_times_and_the_date_window(client, town):
    sign_in(client, town.owner)
    day = tomorrow().isoformat()
    response = client.get(f"/bookings/find?date={day}&start=10:00&end=10:00&kind=desk&origin=home")
    assert response.status_code == 422
    assert "The end must be after the start." in response.get_data(as_text=True)
    response = client.get(f"/bookings/find?date={day}&start=10:15&end=11:00&kind=desk&origin=home")
    assert response.status_code == 422  # off the 30-minute grid: not a valid choice
    last = local_today() + timedelta(days=14)
    assert client.get(f"/bookings/find?date={last.isoformat()}&kind=desk&origin=home").status_code == 200
    response = client.get(f"/bookings/find?date={(last + timedelta(days=1)).isoformat()}&kind=desk&origin=home")
    assert response.status_code == 422
    assert "Pick a date from" in response.get_data(as_text=True)
    yesterday = local_today() - timedelta(days=1)
    assert client.get(f"/bookings/find?date={yesterday.isoformat()}&origin=home").status_code == 422
    assert client.get("/bookings/find?origin=99999").status_code == 422


def test_find_without_a_home_region_asks_for_a_place(client, town):
    homeless = f.user(locale="en")
    db.session.commit()
    sign_in(client, homeless)
    response = client.get("/bookings/find?kind=desk&start=09:00&end=18:00")
    assert response.status_code == 200
    assert "Your home region is not set" in response.get_data(as_text=True)
    response = client.get(f"/bookings/find?kind=desk&start=09:00&end=18:00&origin={town.home.code}")
    assert response.status_code == 200 and "/centers/hub" in response.get_data(as_text=True)
    assert client.get("/bookings/find?kind=desk&origin=home").status_code == 422


def test_find_shows_an_empty_state_with_what_to_change(client, town):
    sign_in(client, town.owner)
    response = client.get(f"/bookings/find?date={tomorrow().isoformat()}&start=09:00&end=10:00&kind=video_room"
                          "&origin=home")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "No open center has a free space" in page
    assert "another kind of space" in page


def test_book_best_books_and_redirects_to_my_bookings(client, town):
    sign_in(client, town.owner)
    response = client.post("/bookings/book-best", data={
        "center": "hub", "kind": "desk", "origin": "home", **form_for(tomorrow(), "09:00", "18:00")})
    assert response.status_code == 302
    assert "/bookings/mine" in response.headers["Location"]
    booking = db.session.scalar(select(Booking).where(Booking.user_id == town.owner.id))
    assert booking.space_id == town.desk1.id and booking.status == BookingStatus.RESERVED


def test_book_best_when_full_is_409_with_the_message_on_the_page(client, town):
    book(town.other, town.desk1)
    book(f.user(), town.desk2)
    db.session.commit()
    sign_in(client, town.owner)
    response = client.post("/bookings/book-best", data={
        "center": "hub", "kind": "desk", "origin": "home", **form_for(tomorrow(), "09:00", "18:00")})
    assert response.status_code == 409
    audit(client, response, "find, 409")
    page = response.get_data(as_text=True)
    assert "join the waitlist" in page
    assert 'name="wl-center" value="hub"' in page  # the full center's waitlist, one click away


# --- the day view -----------------------------------------------------------------------------


def test_day_view_never_shows_another_users_name(client, town):
    book(town.other, town.desk1)
    book(town.owner, town.desk2, start="12:00", end="13:00")
    sign_in(client, town.owner)
    page = client.get(f"/bookings/centers/hub/day?date={tomorrow().isoformat()}").get_data(as_text=True)
    assert town.other.name not in page
    assert town.other.employee_number not in page and town.other.email not in page
    assert 'class="slot-taken"' in page and 'class="slot-mine"' in page and 'class="slot-free"' in page


def test_day_view_books_a_space_and_refuses_a_taken_one_with_409(client, town):
    book(town.other, town.desk1)
    sign_in(client, town.owner)
    response = client.post("/bookings/centers/hub/book",
                           data={"space": town.desk1.id, **form_for(tomorrow(), "10:00", "11:00")})
    assert response.status_code == 409
    audit(client, response, "day view, 409")
    page = response.get_data(as_text=True)
    assert "Space D01 is already booked from 09:00 to 18:00." in page
    assert town.other.name not in page
    response = client.post("/bookings/centers/hub/book",
                           data={"space": town.desk2.id, **form_for(tomorrow(), "10:00", "11:00")})
    assert response.status_code == 302


@pytest.mark.parametrize("days_ahead, status", [(14, 302), (15, 422)])
def test_day_view_booking_window_edges(client, town, days_ahead, status):
    sign_in(client, town.owner)
    day = local_today() + timedelta(days=days_ahead)
    response = client.post("/bookings/centers/hub/book",
                           data={"space": town.desk1.id, **form_for(day, "09:00", "10:00")})
    assert response.status_code == status
    if status == 422:
        assert "at most 14 days ahead" in response.get_data(as_text=True)


def test_day_view_form_errors(client, town):
    sign_in(client, town.owner)
    response = client.post("/bookings/centers/hub/book",
                           data={"space": town.desk1.id, **form_for(tomorrow(), "11:00", "10:00")})
    assert response.status_code == 422
    assert "The end must be after the start." in response.get_data(as_text=True)
    response = client.post("/bookings/centers/hub/book",
                           data={"space": town.room.id, **form_for(tomorrow(), "10:00", "11:00"), "attendees": "7"})
    assert response.status_code == 422
    assert "holds at most 6 people" in response.get_data(as_text=True)
    response = client.post("/bookings/centers/hub/book",
                           data={"space": town.room.id, **form_for(tomorrow(), "10:00", "11:00"), "attendees": "6"})
    assert response.status_code == 302
    assert client.get("/bookings/centers/nowhere/day").status_code == 404


def test_private_center_without_contract_is_403_on_the_page(client, town):
    private = f.center(code="priv", ownership=Ownership.PRIVATE, region_obj=town.home, hours=ALL_DAY,
                       weekdays=EVERY_DAY, spaces={SpaceKind.DESK: 1})
    db.session.commit()
    sign_in(client, town.owner)
    response = client.post("/bookings/centers/priv/book",
                           data={"space": private.spaces[0].id, **form_for(tomorrow(), "09:00", "10:00")})
    assert response.status_code == 403
    assert "private center" in response.get_data(as_text=True)


# --- my bookings: cancel, check out -----------------------------------------------------------


def test_cancel_before_start_and_refusal_after_start(client, town):
    booking = book(town.owner, town.desk1)
    now = utcnow()
    started = raw_booking(town.owner, town.desk2, now - timedelta(minutes=60), now + timedelta(minutes=60))
    db.session.commit()
    sign_in(client, town.owner)
    assert f"booking-{booking.id}" in client.get("/bookings/mine").get_data(as_text=True)
    response = client.post(f"/bookings/{started}/cancel")
    assert response.status_code == 422
    assert "can be cancelled only before it starts" in response.get_data(as_text=True)
    assert status_of(started) == BookingStatus.RESERVED
    response = client.post(f"/bookings/{booking.id}/cancel")
    assert response.status_code == 302
    assert status_of(booking.id) == BookingStatus.CANCELLED
    response = client.post(f"/bookings/{booking.id}/cancel")
    assert response.status_code == 409  # no longer active


def test_check_out_early(client, town):
    now = utcnow()
    booking_id = raw_booking(town.owner, town.desk1, now - timedelta(minutes=60), now + timedelta(minutes=120),
                             status=BookingStatus.CHECKED_IN, checked_in_at=now - timedelta(minutes=60))
    reserved = raw_booking(town.owner, town.desk2, now + timedelta(hours=5), now + timedelta(hours=6))
    db.session.commit()
    sign_in(client, town.owner)
    assert client.post(f"/bookings/{reserved}/checkout").status_code == 422  # check in first
    assert client.post(f"/bookings/{booking_id}/checkout").status_code == 302
    assert status_of(booking_id) == BookingStatus.COMPLETED


# --- check-in by QR ---------------------------------------------------------------------------


def test_checkin_page_explains_no_booking_too_early_and_too_late(client, town):
    sign_in(client, town.owner)
    url = f"/bookings/checkin/{town.desk1.id}"
    page = client.get(url).get_data(as_text=True)
    assert "You have no booking of this space" in page
    response = client.post(url)
    assert response.status_code == 404
    assert "You have no booking for space D01 now." in response.get_data(as_text=True)

    now = utcnow()
    early = raw_booking(town.owner, town.desk1, now + timedelta(minutes=16), now + timedelta(minutes=76))
    db.session.commit()
    response = client.get(url)
    audit(client, response, "check-in, too early")
    page = response.get_data(as_text=True)
    assert "too early to check in" in page
    assert client.post(url).status_code == 422
    assert status_of(early) == BookingStatus.RESERVED

    db.session.execute(db.delete(Booking))
    late = raw_booking(town.owner, town.desk1, now - timedelta(minutes=31), now + timedelta(minutes=60))
    db.session.commit()
    assert "too late to check in" in client.get(url).get_data(as_text=True)
    response = client.post(url)
    assert response.status_code == 422
    assert "Check-in closed" in response.get_data(as_text=True)
    assert status_of(late) == BookingStatus.RESERVED


def test_checkin_inside_the_window(client, town):
    now = utcnow()
    booking_id = raw_booking(town.owner, town.desk1, now + timedelta(minutes=14), now + timedelta(minutes=74))
    db.session.commit()
    sign_in(client, town.owner)
    url = f"/bookings/checkin/{town.desk1.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'action="' + url + '"' in page
    response = client.post(url)
    assert response.status_code == 302
    assert status_of(booking_id) == BookingStatus.CHECKED_IN
    assert "You are checked in here" in client.get(url).get_data(as_text=True)
    assert client.get("/bookings/checkin/999999").status_code == 404


# --- calendar feed ----------------------------------------------------------------------------


def test_calendar_feed_create_rotate_revoke(client, town):
    book(town.owner, town.desk1)
    sign_in(client, town.owner)
    response = client.post("/bookings/calendar/token")
    assert response.status_code == 200
    audit(client, response, "calendar, new address")
    first = re.search(r"/bookings/feed/([\w-]+)\.ics", response.get_data(as_text=True)).group(1)
    assert first not in client.get("/bookings/calendar").get_data(as_text=True)  # shown once
    anonymous = client  # the feed needs no sign-in; a signed-in client changes nothing
    feed = anonymous.get(f"/bookings/feed/{first}.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert "DTSTART;TZID=Asia/Seoul" in feed.get_data(as_text=True)
    second = re.search(r"/bookings/feed/([\w-]+)\.ics",
                       client.post("/bookings/calendar/token").get_data(as_text=True)).group(1)
    assert second != first
    assert anonymous.get(f"/bookings/feed/{first}.ics").status_code == 404
    assert anonymous.get(f"/bookings/feed/{second}.ics").status_code == 200
    assert client.post("/bookings/calendar/revoke").status_code == 302
    assert anonymous.get(f"/bookings/feed/{second}.ics").status_code == 404
    assert anonymous.get("/bookings/feed/not-a-token.ics").status_code == 404


# --- recurring --------------------------------------------------------------------------------


def test_series_create_shows_booked_and_refused_dates_then_cancel_one_and_the_rest(client, town):
    first_day = tomorrow()
    # Someone else holds desk2 on the first date: that date is refused with the reason.
    book(town.other, town.desk2, day=first_day, start="09:00", end="10:00")
    sign_in(client, town.owner)
    response = client.post("/bookings/series/new?center=hub", data={
        "space": town.desk2.id, "weekdays": [str(first_day.weekday())], "start": "09:00", "end": "10:00",
        "first_day": first_day.isoformat(), "weeks": "2"})
    assert response.status_code == 201
    audit(client, response, "series result")
    page = response.get_data(as_text=True)
    assert "1 date booked" in page and "1 date refused" in page
    assert "already booked" in page
    series = db.session.scalar(select(Series).where(Series.user_id == town.owner.id))
    page = client.get(f"/bookings/series/{series.id}").get_data(as_text=True)
    (booked,) = [b for b in series.bookings if b.status == BookingStatus.RESERVED]
    assert f"/bookings/series/{series.id}/cancel/{booked.id}" in page
    assert client.post(f"/bookings/series/{series.id}/cancel/{booked.id}").status_code == 302
    assert status_of(booked.id) == BookingStatus.CANCELLED
    assert client.post(f"/bookings/series/{series.id}/cancel-rest").status_code == 302


def test_series_form_errors(client, town):
    sign_in(client, town.owner)
    base = {"space": town.desk2.id, "start": "09:00", "end": "10:00", "first_day": tomorrow().isoformat()}
    response = client.post("/bookings/series/new?center=hub", data={**base, "weekdays": ["1"], "weeks": "9"})
    assert response.status_code == 422 and "From 1 to 8 weeks." in response.get_data(as_text=True)
    response = client.post("/bookings/series/new?center=hub", data={**base, "weeks": "2"})
    assert response.status_code == 422 and "Pick at least one weekday." in response.get_data(as_text=True)
    response = client.post("/bookings/series/new?center=hub", data={**base, "weekdays": ["1"], "weeks": "8"})
    assert response.status_code == 201  # 8 weeks is the most allowed; later dates wait for the window


# --- waitlist ---------------------------------------------------------------------------------


def test_waitlist_join_when_full_and_leave(client, town):
    day = tomorrow()
    book(town.other, town.desk1, day=day)
    book(f.user(), town.desk2, day=day)
    db.session.commit()
    sign_in(client, town.owner)
    data = {"wl-center": "hub", "wl-kind": "desk", "wl-date": day.isoformat(), "wl-start": "09:00",
            "wl-end": "18:00"}
    response = client.post("/bookings/waitlist", data=data)
    assert response.status_code == 302
    entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.user_id == town.owner.id))
    assert entry is not None
    assert f"/bookings/waitlist/{entry.id}/leave" in client.get("/bookings/mine").get_data(as_text=True)
    assert client.post(f"/bookings/waitlist/{entry.id}/leave").status_code == 302
    assert f"/bookings/waitlist/{entry.id}/leave" not in client.get("/bookings/mine").get_data(as_text=True)


def test_waitlist_join_refused_when_a_space_is_free(client, town):
    sign_in(client, town.owner)
    response = client.post("/bookings/waitlist", data={
        "wl-center": "hub", "wl-kind": "desk", "wl-date": tomorrow().isoformat(), "wl-start": "09:00",
        "wl-end": "18:00"})
    assert response.status_code in (409, 422)
    assert db.session.scalar(select(WaitlistEntry)) is None


# --- notifications ----------------------------------------------------------------------------


def test_notifications_list_newest_first_and_mark_read(client, town):
    first = book(town.owner, town.desk1)
    services.cancel_booking(town.owner, first.id)
    sign_in(client, town.owner)
    response = client.get("/bookings/notifications")
    audit(client, response, "notifications")
    page = response.get_data(as_text=True)
    assert page.index("Booking cancelled") < page.index("Booking confirmed")
    assert "Mark all as read" in page
    assert client.post("/bookings/notifications/read").status_code == 302
    db.session.expire_all()
    assert all(n.read_at is not None for n in db.session.scalars(select(Notification)))
    assert "Mark all as read" not in client.get("/bookings/notifications").get_data(as_text=True)


# --- on behalf --------------------------------------------------------------------------------


def test_manager_books_on_behalf_of_an_employee(client, town):
    sign_in(client, town.manager)
    page = client.get("/bookings/centers/hub/on-behalf")
    assert page.status_code == 200
    audit(client, page, "on-behalf")
    day = client.get("/bookings/centers/hub/day")
    assert "/bookings/centers/hub/on-behalf" in day.get_data(as_text=True)
    response = client.post("/bookings/centers/hub/on-behalf", data={
        "employee_number": town.owner.employee_number, "space": town.desk1.id,
        **form_for(tomorrow(), "09:00", "12:00")})
    assert response.status_code == 302
    booking = db.session.scalar(select(Booking).where(Booking.user_id == town.owner.id))
    assert booking.booked_by_id == town.manager.id
    response = client.post("/bookings/centers/hub/on-behalf", data={
        "employee_number": "NOPE", "space": town.desk2.id, **form_for(tomorrow(), "09:00", "12:00")})
    assert response.status_code == 422 and "No account has this employee number." in response.get_data(as_text=True)
    # The employee already has a booking then: a 409 that says so.
    response = client.post("/bookings/centers/hub/on-behalf", data={
        "employee_number": town.owner.employee_number, "space": town.desk2.id,
        **form_for(tomorrow(), "10:00", "11:00")})
    assert response.status_code == 409
    assert "This person already has a booking" in response.get_data(as_text=True)


def test_admin_may_book_on_behalf_anywhere(client, town):
    admin = f.user(roles=(Role.ADMIN,), locale="en")
    db.session.commit()
    sign_in(client, admin)
    response = client.post("/bookings/centers/far/on-behalf", data={
        "employee_number": town.owner.employee_number, "space": town.far.spaces[0].id,
        **form_for(tomorrow(), "09:00", "12:00")})
    assert response.status_code == 302


@pytest.mark.parametrize("who", ["employee", "other_manager"])
def test_on_behalf_is_403_for_others(client, town, who):
    actor = town.other if who == "employee" else f.manager_of(town.far)
    db.session.commit()
    sign_in(client, actor)
    assert client.get("/bookings/centers/hub/on-behalf").status_code == 403
    response = client.post("/bookings/centers/hub/on-behalf", data={
        "employee_number": town.owner.employee_number, "space": town.desk1.id,
        **form_for(tomorrow(), "09:00", "12:00")})
    assert response.status_code == 403
    assert db.session.scalar(select(Booking)) is None


def test_the_feed_needs_no_sign_in(client, town):
    book(town.owner, town.desk1)
    token = services.create_feed_token(town.owner)
    response = client.get(f"/bookings/feed/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in response.get_data(as_text=True)
    assert client.get(f"/bookings/feed/{token}x.ics").status_code == 404
