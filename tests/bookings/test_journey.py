"""Issue 3's done-when, as a user would click it: home → nearest free desk tomorrow 09:00–18:00 → booked
in at most three clicks → My bookings → .ics → check in on the day → cancel another booking."""

from __future__ import annotations

from datetime import time, timedelta
from html.parser import HTMLParser

from sqlalchemy import select

from smartwork.bookings.models import Booking, BookingStatus
from smartwork.bookings.policies import floor_to_grid
from smartwork.centers.models import SpaceKind
from smartwork.extensions import db
from smartwork.timeutils import local_to_utc, local_today, to_local, utcnow
from tests import factories as f
from tests.bookings.helpers import raw_booking

ALL_DAY = (time(0, 0), time(23, 59))


class Forms(HTMLParser):
    """Every <form> of a page: action, method, the values it would submit, and its button's text."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._in_button = False
        self.links: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "form":
            self._form = {"action": attributes.get("action", ""), "method": attributes.get("method", "get").lower(),
                          "data": {}, "button": ""}
            self.forms.append(self._form)
        elif self._form is not None and tag == "input" and attributes.get("name"):
            self._form["data"][attributes["name"]] = attributes.get("value", "")
        elif self._form is not None and tag == "button":
            self._in_button = True

    def handle_data(self, data):
        if self._form is not None and self._in_button:
            self._form["button"] += data.strip()

    def handle_endtag(self, tag):
        if tag == "button":
            self._in_button = False
        elif tag == "form":
            self._form = None

    def find(self, action_part: str) -> dict:
        matches = [form for form in self.forms if action_part in form["action"]]
        assert matches, f"no form posting to {action_part!r}"
        return matches[0]


def submit(client, form: dict):
    """Click a form's button: GET or POST its values to its action."""
    if form["method"] == "post":
        return client.post(form["action"], data=form["data"])
    return client.get(form["action"], query_string=form["data"])


def test_a_new_user_books_the_nearest_free_desk_tomorrow_in_three_clicks_or_fewer(app, client):
    home = f.region(lat=37.50, lon=127.03)
    f.center(code="far", lat=37.80, lon=127.30, region_obj=f.region(lat=37.80, lon=127.30),
                   hours=ALL_DAY, weekdays=tuple(range(7)), spaces={SpaceKind.DESK: 3})
    near = f.center(code="near", lat=37.51, lon=127.04, region_obj=home, hours=ALL_DAY,
                    weekdays=tuple(range(7)), spaces={SpaceKind.DESK: 2, SpaceKind.BOOTH: 1})
    full_but_nearer = f.center(code="full", lat=37.50, lon=127.03, region_obj=home, hours=ALL_DAY,
                               weekdays=tuple(range(7)), spaces={SpaceKind.DESK: 1})
    someone = f.user()
    user = f.user(home=home, name="신입직원", locale="en")
    db.session.commit()
    tomorrow = local_today() + timedelta(days=1)
    # The nearest center is full tomorrow; the journey must land on the next nearest one.
    raw_booking(someone, full_but_nearer.spaces[0], *_local(tomorrow, "08:00", "19:00"))
    db.session.commit()
    assert f.login(client, user).status_code == 302  # a new user signs in through the real form

    clicks = 0
    home_page = client.get("/")
    assert home_page.status_code == 200
    quick = Forms(home_page.get_data(as_text=True)).find("/bookings/find")
    results = submit(client, quick)
    clicks += 1
    assert results.status_code == 200
    page = results.get_data(as_text=True)
    assert page.index("/centers/near") < page.index("/centers/far")
    # The full center is listed where it stands (with its waitlist), but the one click books "near".
    assert page.index("/centers/full") < page.index("/centers/near")
    book_best = Forms(page).find("/bookings/book-best")
    assert book_best["data"]["center"] == "near"
    assert book_best["data"]["date"] == tomorrow.isoformat()
    assert [book_best["data"][key] for key in ("start", "end", "kind")] == ["09:00", "18:00", "desk"]
    booked = submit(client, book_best)
    clicks += 1
    assert booked.status_code == 302
    assert clicks <= 3

    booking = db.session.scalar(select(Booking).where(Booking.user_id == user.id))
    assert booking.center_id == near.id and booking.status == BookingStatus.RESERVED
    assert to_local(booking.starts_at).date() == tomorrow
    assert to_local(booking.starts_at).time() == time(9) and to_local(booking.ends_at).time() == time(18)

    # My bookings lists it, with its calendar file.
    mine = client.get(booked.headers["Location"])
    assert mine.status_code == 200
    mine_page = mine.get_data(as_text=True)
    assert f'id="booking-{booking.id}"' in mine_page
    ics_link = f"/bookings/{booking.id}.ics"
    assert ics_link in Forms(mine_page).links
    ics = client.get(ics_link)
    assert ics.status_code == 200
    assert ics.mimetype == "text/calendar"
    body = ics.get_data(as_text=True)
    assert f"DTSTART;TZID=Asia/Seoul:{tomorrow:%Y%m%d}T090000" in body
    assert f"DTEND;TZID=Asia/Seoul:{tomorrow:%Y%m%d}T180000" in body

    # On the day: a booking that starts in the current half hour, checked in by the space's QR URL.
    desk, other_desk = (space for space in near.spaces if space.kind == SpaceKind.DESK)
    now = utcnow()
    start = floor_to_grid(now, 30)
    end = start + timedelta(minutes=30)
    if to_local(end).date() == to_local(start).date():
        made = client.post("/bookings/centers/near/book", data={
            "space": desk.id, "date": to_local(start).date().isoformat(),
            "start": to_local(start).strftime("%H:%M"), "end": to_local(end).strftime("%H:%M")})
        assert made.status_code == 302, made.get_data(as_text=True)
        today_id = db.session.scalar(select(Booking.id).where(Booking.user_id == user.id,
                                                              Booking.starts_at == start))
    else:
        # 23:30–24:00 local: a booking cannot cross midnight, so the row is put in place directly.
        today_id = raw_booking(user, desk, start, start + timedelta(minutes=20))
        db.session.commit()
    checkin_page = client.get(f"/bookings/checkin/{desk.id}")
    assert checkin_page.status_code == 200
    checked = submit(client, Forms(checkin_page.get_data(as_text=True)).find(f"/bookings/checkin/{desk.id}"))
    assert checked.status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, today_id).status == BookingStatus.CHECKED_IN

    # And cancel another one.
    later = tomorrow + timedelta(days=1)
    made = client.post("/bookings/centers/near/book", data={
        "space": other_desk.id, "date": later.isoformat(), "start": "10:00", "end": "11:00"})
    assert made.status_code == 302
    other_id = db.session.scalar(select(Booking.id).where(Booking.user_id == user.id,
                                                          Booking.starts_at == _local(later, "10:00", "11:00")[0]))
    cancel_link = f"/bookings/{other_id}/cancel"
    assert cancel_link in Forms(client.get("/bookings/mine").get_data(as_text=True)).links
    confirm = client.get(cancel_link)  # "Cancel this booking?" works without JavaScript
    assert confirm.status_code == 200
    assert submit(client, Forms(confirm.get_data(as_text=True)).find(cancel_link)).status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, other_id).status == BookingStatus.CANCELLED
    assert db.session.get(Booking, booking.id).status == BookingStatus.RESERVED


def _local(day, start: str, end: str):
    """A local day and two "HH:MM" times as a UTC interval."""
    return tuple(local_to_utc(day, time(*map(int, value.split(":")))) for value in (start, end))
