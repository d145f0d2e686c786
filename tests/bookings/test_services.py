"""Booking use cases: cancel, check in/out, search, day grid, series, waitlist, calendar, periodic jobs."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import event, select

from smartwork.bookings import services
from smartwork.bookings.models import (
    Booking,
    BookingStatus,
    CalendarFeed,
    Notification,
    NotificationKind,
    SeriesStatus,
    WaitlistStatus,
)
from smartwork.centers.models import CenterStatus, ClosureKind, Ownership, SpaceKind
from smartwork.centers.services import get_center
from smartwork.errors import Conflict, Invalid, NotFound
from smartwork.extensions import db
from tests import factories

from .helpers import NOW, TODAY, TOMORROW, at, book, raw_booking, world


def kinds(user) -> list[NotificationKind]:
    return [n.kind for n in reversed(services.list_notifications(user))]


class QueryCounter:
    """Counts SQL statements executed on the app's engine."""

    def __init__(self):
        self.count = 0
        self.statements: list[str] = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._hit)

    def _hit(self, conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            self.count += 1
            self.statements.append(statement)


# --- cancel -------------------------------------------------------------------------------------


def test_cancel_any_time_before_the_start(app):
    w = world()
    booking = book(w.user, w.desk1)
    services.cancel_booking(w.user, booking.id, now=at(TOMORROW, "08:59"))
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED
    assert kinds(w.user) == [NotificationKind.BOOKING_CONFIRMED, NotificationKind.BOOKING_CANCELLED]
    with pytest.raises(Conflict) as caught:
        services.cancel_booking(w.user, booking.id, now=at(TOMORROW, "08:59"))
    assert caught.value.rule == "not_live"


def test_cancel_refused_from_the_start(app):
    w = world()
    booking = book(w.user, w.desk1)
    with pytest.raises(Invalid) as caught:
        services.cancel_booking(w.user, booking.id, now=at(TOMORROW, "09:00"))
    assert caught.value.rule == "cancel_after_start" and "09:00" in caught.value.message


def test_only_the_owner_or_a_manager_may_cancel(app):
    w = world()
    stranger = factories.user()
    manager = factories.manager_of(w.center)
    db.session.commit()
    booking = book(w.user, w.desk1)
    with pytest.raises(NotFound):
        services.cancel_booking(stranger, booking.id, now=NOW)
    services.cancel_booking(manager, booking.id, now=NOW)


# --- check in / out -----------------------------------------------------------------------------


def test_check_in_window_opens_fifteen_minutes_before(app):
    w = world()
    booking = book(w.user, w.desk1)
    with pytest.raises(Invalid) as caught:
        services.check_in(w.user, w.desk1.id, now=at(TOMORROW, "08:44"))
    assert caught.value.rule == "checkin_not_open" and "08:45" in caught.value.message
    checked = services.check_in(w.user, w.desk1.id, now=at(TOMORROW, "08:45"))
    assert checked.id == booking.id and checked.status == BookingStatus.CHECKED_IN
    # Scanning again is harmless.
    assert services.check_in(w.user, w.desk1.id, now=at(TOMORROW, "09:00")).id == booking.id


def test_check_in_window_closes_after_the_grace(app):
    w = world(policy_overrides={"no_show_grace_minutes": 20})
    book(w.user, w.desk1)
    book(w.user, w.desk2, start="11:00", end="12:00")
    services.check_in(w.user, w.desk2.id, now=at(TOMORROW, "11:19"))
    with pytest.raises(Invalid) as caught:
        services.check_in(w.user, w.desk1.id, now=at(TOMORROW, "09:20"))
    assert caught.value.rule == "checkin_closed"


def test_check_in_without_a_booking_for_that_space(app):
    w = world()
    book(w.user, w.desk1)
    with pytest.raises(NotFound) as caught:
        services.check_in(w.user, w.desk2.id, now=at(TOMORROW, "09:00"))
    assert caught.value.rule == "no_booking_here"


def test_early_check_out_ends_on_the_grid_and_frees_the_rest(app):
    w = world()
    booking = book(w.user, w.desk1, start="09:00", end="12:00")
    with pytest.raises(Invalid):
        services.check_out(w.user, booking.id, now=at(TOMORROW, "09:00"))
    services.check_in(w.user, w.desk1.id, now=at(TOMORROW, "08:50"))
    done = services.check_out(w.user, booking.id, now=at(TOMORROW, "10:10"))
    assert done.status == BookingStatus.COMPLETED
    assert done.ends_at == at(TOMORROW, "10:30")
    other = factories.user()
    db.session.commit()
    book(other, w.desk1, start="10:30", end="12:00", now=at(TOMORROW, "10:10"))


def test_my_bookings_splits_upcoming_and_past(app):
    w = world()
    first = book(w.user, w.desk1, start="09:00", end="10:00")
    second = book(w.user, w.desk1, start="11:00", end="12:00")
    third = book(w.user, w.desk1, day=date(2026, 12, 3))
    services.cancel_booking(w.user, third.id, now=NOW)
    mine = services.my_bookings(w.user, now=at(TOMORROW, "10:00"))
    assert [b.id for b in mine.upcoming] == [second.id]
    assert [b.id for b in mine.past] == [third.id, first.id]


# --- search -------------------------------------------------------------------------------------


def _at(lat, lon, **fields):
    return factories.center(region_obj=factories.region(lat=lat, lon=lon), **fields)


def test_search_orders_by_distance_and_filters(app):
    person = factories.user()
    near = _at(37.50, 127.00, spaces={SpaceKind.DESK: 3})
    far = _at(37.60, 127.10, spaces={SpaceKind.DESK: 1})
    _at(37.50, 127.01, status=CenterStatus.PLANNED)
    _at(37.50, 127.02, ownership=Ownership.PRIVATE)  # no contract
    closed = _at(37.50, 127.03)
    factories.closure(closed, TOMORROW, kind=ClosureKind.HOLIDAY, reason="holiday")
    _at(37.50, 127.04, hours=(time(10, 0), time(18, 0)))  # opens too late
    full = _at(37.50, 127.05, spaces={SpaceKind.DESK: 1})
    db.session.commit()
    taker = factories.user()
    db.session.commit()
    book(taker, full.spaces[0], start="08:30", end="18:30")
    book(person, near.spaces[0], start="12:00", end="13:00")  # only partly overlapping: still taken
    results = services.search_centers((37.50, 127.00), TOMORROW, time(9), time(18), SpaceKind.DESK, person, now=NOW)
    assert [r.center.id for r in results] == [near.id, full.id, far.id]
    assert results[0].free_count == 2 and results[0].distance_km == 0.0
    assert results[0].best_space.code == "D02"
    assert results[1].free_count == 0 and results[1].best_space is None  # full: listed for its waitlist
    assert results[2].distance_km > 10
    assert services.search_centers((37.5, 127.0), TOMORROW, time(9), time(18), SpaceKind.MEETING_ROOM,
                                   person, now=NOW) == []


def test_full_centers_never_crowd_out_free_ones(app):
    person = factories.user()
    centers = [_at(37.50, 127.00 + i * 0.001, spaces={SpaceKind.DESK: 1}) for i in range(4)]
    db.session.commit()
    taker = factories.user()
    db.session.commit()
    book(taker, centers[0].spaces[0], start="08:30", end="18:30")  # the nearest one is full
    results = services.search_centers((37.5, 127.0), TOMORROW, time(9), time(18), SpaceKind.DESK, person,
                                      limit=2, now=NOW)
    assert [(r.center.id, r.free_count) for r in results] == [
        (centers[0].id, 0), (centers[1].id, 1), (centers[2].id, 1)
    ]


def test_search_includes_private_centers_under_contract_and_widens_the_box(app):
    person = factories.user()
    private = _at(35.10, 129.00, ownership=Ownership.PRIVATE)  # Busan, 300 km away
    factories.contract(person.agency, private.operator)
    db.session.commit()
    results = services.search_centers((37.5, 127.0), TOMORROW, time(9), time(18), SpaceKind.DESK, person, now=NOW)
    assert [r.center.id for r in results] == [private.id]


def test_search_uses_a_fixed_number_of_queries(app):
    person = factories.user()
    for i in range(30):
        _at(37.0 + i * 0.01, 127.0, spaces={SpaceKind.DESK: 3, SpaceKind.BOOTH: 1})
    db.session.commit()
    db.session.expire_all()
    assert person.agency_id  # the signed-in user is loaded before the search
    with QueryCounter() as counter:
        results = services.search_centers((37.0, 127.0), TOMORROW, time(9), time(18), SpaceKind.DESK, person,
                                          limit=10, now=NOW)
        assert all(r.best_space.code == "D01" for r in results)
    assert len(results) == 10
    # Eligible centers, free counts for the nearest batch, the chosen centers, their best spaces.
    assert counter.count <= 4, counter.statements


def test_search_counts_free_spaces_nearest_first_past_full_centers(app):
    person = factories.user()
    centers = [_at(37.0 + i * 0.01, 127.0, spaces={SpaceKind.DESK: 1}) for i in range(40)]
    db.session.commit()
    for center in centers[:25]:  # the 25 nearest are full: the first batch finds no free space
        raw_booking(factories.user(), center.spaces[0], at(TOMORROW, "08:00"), at(TOMORROW, "19:00"))
    db.session.commit()
    assert person.agency_id  # the signed-in user is loaded before the search
    with QueryCounter() as counter:
        results = services.search_centers((37.0, 127.0), TOMORROW, time(9), time(18), SpaceKind.DESK, person,
                                          limit=10, now=NOW)
    with_free = [r for r in results if r.free_count]
    assert [r.center.id for r in with_free] == [c.id for c in centers[25:35]]
    assert [r.center.id for r in results if not r.free_count] == [c.id for c in centers[:3]]
    assert [r.distance_km for r in results] == sorted(r.distance_km for r in results)
    # Eligible centers, three batches of 16 counted (16 full; 9 full + 7 free; 3 more free), the chosen
    # centers, their best spaces: never a query per center.
    assert counter.count == 6, counter.statements


def test_room_search_respects_attendees(app):
    person = factories.user()
    center = _at(37.5, 127.0, spaces={SpaceKind.MEETING_ROOM: 2})
    center.spaces[0].capacity, center.spaces[1].capacity = 4, 10
    db.session.commit()
    [result] = services.search_centers((37.5, 127.0), TOMORROW, time(9), time(10), SpaceKind.MEETING_ROOM,
                                       person, attendees=5, now=NOW)
    assert result.free_count == 1 and result.best_space.capacity == 10


# --- the day grid -------------------------------------------------------------------------------


def test_day_grid_states_and_no_names(app):
    w = world()
    other = factories.user()
    db.session.commit()
    book(w.user, w.desk1, day=TODAY, start="10:00", end="11:00")
    book(other, w.desk2, day=TODAY, start="09:00", end="09:30")
    db.session.expire_all()
    center = get_center(w.center.code)  # as the page loads it: spaces and hours included
    assert w.user.id
    with QueryCounter() as counter:
        grid = services.day_availability(center, TODAY, user=w.user, now=at(TODAY, "09:40"))
    assert counter.count <= 2, counter.statements
    assert grid.slot_starts[0].strftime("%H:%M") == "08:30" and len(grid.slot_starts) == 20
    desk1, desk2, room = grid.rows
    assert [c.state for c in desk1.cells[:6]] == ["past", "past", "free", "mine", "mine", "free"]
    assert desk1.cells[3].booking_id is not None and desk1.cells[2].booking_id is None
    assert desk2.cells[1].state == "taken" and desk2.cells[1].booking_id is None
    assert room.cells[-1].state == "free"


def test_day_grid_on_a_closure(app):
    w = world()
    factories.closure(w.center, TOMORROW, reason="national holiday")
    db.session.commit()
    grid = services.day_availability(w.center, TOMORROW, now=NOW, kind=SpaceKind.DESK)
    assert grid.closed_reason == "national holiday"
    assert len(grid.rows) == 2 and {c.state for c in grid.rows[0].cells} == {"closed"}
    saturday = services.day_availability(w.center, date(2026, 12, 5), now=NOW)
    assert saturday.slot_starts == [] and saturday.closed_reason


# --- one-click booking --------------------------------------------------------------------------


def test_book_best_space_picks_the_smallest_fitting_room(app):
    person = factories.user()
    center = factories.center(spaces={SpaceKind.MEETING_ROOM: 3})
    for space, capacity in zip(center.spaces, (12, 4, 8), strict=True):
        space.capacity = capacity
    db.session.commit()
    booking = services.book_best_space(person, center.id, SpaceKind.MEETING_ROOM, TOMORROW, time(9), time(10),
                                       attendees=5, now=NOW)
    assert booking.space.capacity == 8


def test_book_best_space_when_full_points_to_the_waitlist(app):
    w = world()
    others = [factories.user() for _ in range(2)]
    db.session.commit()
    services.book_best_space(others[0], w.center.id, SpaceKind.DESK, TOMORROW, time(9), time(18), now=NOW)
    services.book_best_space(others[1], w.center.id, SpaceKind.DESK, TOMORROW, time(9), time(18), now=NOW)
    with pytest.raises(Conflict) as caught:
        services.book_best_space(w.user, w.center.id, SpaceKind.DESK, TOMORROW, time(9), time(18), now=NOW)
    assert caught.value.rule == "center_full" and caught.value.allowed == {"waitlist": True}
    with pytest.raises(Invalid) as caught:
        services.book_best_space(w.user, w.center.id, SpaceKind.DESK, TOMORROW, time(8), time(9), now=NOW)
    assert caught.value.rule == "outside_hours"


# --- series -------------------------------------------------------------------------------------


def test_series_books_dates_and_reports_a_holiday(app):
    w = world()
    factories.closure(w.center, date(2026, 12, 9), kind=ClosureKind.HOLIDAY, reason="holiday")
    db.session.commit()
    result = services.create_series(w.user, w.desk1.id, [0, 2], time(9), time(12), TOMORROW, weeks=4, now=NOW)
    # Window: until 15 December. Wednesdays 2, 9 (holiday); Mondays 7, 14; later dates are pending.
    assert [b.starts_at for b in result.booked] == [at(d, "09:00") for d in (
        date(2026, 12, 2), date(2026, 12, 7), date(2026, 12, 14))]
    assert [(r.day, r.rule) for r in result.refused] == [(date(2026, 12, 9), "closure")]
    assert result.pending == [date(2026, 12, 16), date(2026, 12, 21), date(2026, 12, 23), date(2026, 12, 28)]
    assert all(b.series_id == result.series.id for b in result.booked)
    # As the window moves, extend_series books the pending dates; a second run touches nothing.
    assert services.extend_series(now=NOW + timedelta(days=2)) == 1  # window now ends 17 December
    assert services.extend_series(now=NOW + timedelta(days=2)) == 0
    assert services.extend_series(now=NOW + timedelta(days=14)) == 3
    series = services.get_series_for(w.user, result.series.id)
    assert series.status == SeriesStatus.FINISHED
    assert services.extend_series(now=NOW + timedelta(days=15)) == 0


def test_series_limits_and_an_all_refused_series(app):
    w = world()
    with pytest.raises(Invalid) as caught:
        services.create_series(w.user, w.desk1.id, [0], time(9), time(12), TOMORROW, weeks=9, now=NOW)
    assert caught.value.rule == "series_weeks"
    with pytest.raises(Invalid) as caught:
        services.create_series(w.user, w.desk1.id, [5], time(9), time(12), TOMORROW, weeks=2, now=NOW)
    assert caught.value.rule == "series_empty" and caught.value.allowed[0]["rule"] == "closed_day"


def test_cancel_one_date_or_the_rest_of_a_series(app):
    w = world()
    result = services.create_series(w.user, w.desk1.id, [1, 3], time(9), time(10), TOMORROW, weeks=2, now=NOW)
    assert len(result.booked) == 4
    services.cancel_series_occurrence(w.user, result.booked[0].id, now=NOW)
    assert services.cancel_series_rest(w.user, result.series.id, now=NOW) == 3
    assert services.get_series_for(w.user, result.series.id).status == SeriesStatus.CANCELLED
    assert services.my_bookings(w.user, now=NOW).upcoming == []
    assert services.extend_series(now=NOW + timedelta(days=7)) == 0


# --- waitlist -----------------------------------------------------------------------------------


def _fill(w, start="09:00", end="12:00"):
    takers = [factories.user() for _ in range(2)]
    db.session.commit()
    return [book(takers[0], w.desk1, start=start, end=end), book(takers[1], w.desk2, start=start, end=end)]


def test_join_waitlist_only_when_full(app):
    w = world()
    with pytest.raises(Conflict) as caught:
        services.join_waitlist(w.user, w.center.id, SpaceKind.DESK, at(TOMORROW, "09:00"), at(TOMORROW, "10:00"),
                               now=NOW)
    assert caught.value.rule == "space_available" and caught.value.allowed == {"space_id": w.desk1.id}
    _fill(w)
    entry = services.join_waitlist(w.user, w.center.id, SpaceKind.DESK, at(TOMORROW, "09:00"),
                                   at(TOMORROW, "10:00"), now=NOW)
    assert entry.status == WaitlistStatus.WAITING
    with pytest.raises(Conflict):
        services.join_waitlist(w.user, w.center.id, SpaceKind.DESK, at(TOMORROW, "09:30"), at(TOMORROW, "10:30"),
                               now=NOW)
    assert [e.id for e in services.my_waitlist(w.user, now=NOW)] == [entry.id]
    services.leave_waitlist(w.user, entry.id, now=NOW)
    assert services.my_waitlist(w.user, now=NOW) == []


def test_cancellation_books_the_first_waiting_user(app):
    w = world()
    taken = _fill(w)
    second = factories.user()
    db.session.commit()
    first_entry = services.join_waitlist(w.user, w.center.id, SpaceKind.DESK, at(TOMORROW, "10:00"),
                                         at(TOMORROW, "11:00"), now=NOW)
    services.join_waitlist(second, w.center.id, SpaceKind.DESK, at(TOMORROW, "10:00"), at(TOMORROW, "11:00"),
                           now=NOW + timedelta(minutes=1))
    services.cancel_booking(taken[1].user, taken[1].id, now=NOW)
    db.session.expire_all()
    entry = db.session.get(type(first_entry), first_entry.id)
    assert entry.status == WaitlistStatus.FULFILLED
    assert entry.booking.user_id == w.user.id and entry.booking.space_id == w.desk2.id
    assert NotificationKind.WAITLIST_WON in kinds(w.user)
    assert [e.status for e in services.my_waitlist(second, now=NOW)] == [WaitlistStatus.WAITING]


def test_a_no_show_release_books_the_waiting_user(app):
    w = world()
    taken = _fill(w, start="09:00", end="18:00")
    entry = services.join_waitlist(w.user, w.center.id, SpaceKind.DESK, at(TOMORROW, "14:00"),
                                   at(TOMORROW, "16:00"), now=NOW)
    services.check_in(taken[0].user, w.desk1.id, now=at(TOMORROW, "09:00"))
    assert services.release_no_shows(now=at(TOMORROW, "09:30")) == 1
    assert services.release_no_shows(now=at(TOMORROW, "09:30")) == 0
    db.session.expire_all()
    won = db.session.get(type(entry), entry.id)
    assert won.status == WaitlistStatus.FULFILLED and won.booking.space_id == w.desk2.id
    assert NotificationKind.BOOKING_RELEASED in kinds(taken[1].user)


def test_expire_waitlist_is_idempotent(app):
    w = world()
    _fill(w)
    services.join_waitlist(w.user, w.center.id, SpaceKind.DESK, at(TOMORROW, "09:00"), at(TOMORROW, "10:00"),
                           now=NOW)
    assert services.expire_waitlist(now=at(TOMORROW, "08:59")) == 0
    assert services.expire_waitlist(now=at(TOMORROW, "09:00")) == 1
    assert services.expire_waitlist(now=at(TOMORROW, "09:00")) == 0


# --- calendar -----------------------------------------------------------------------------------


def test_ics_for_a_booking(app):
    w = world()
    booking = book(w.user, w.desk1, start="09:00", end="10:30")
    raw = services.ics_for_booking(booking).decode()
    assert "DTSTART;TZID=Asia/Seoul:20261202T090000" in raw
    assert "DTEND;TZID=Asia/Seoul:20261202T103000" in raw
    assert f"UID:booking-{booking.id}@smartwork.go.kr" in raw and "BEGIN:VTIMEZONE" in raw
    event_ = Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(event_["STATUS"]) == "CONFIRMED"
    services.cancel_booking(w.user, booking.id, now=NOW)
    raw = services.ics_for_booking(db.session.get(Booking, booking.id)).decode()
    assert "STATUS:CANCELLED" in raw and f"UID:booking-{booking.id}@smartwork.go.kr" in raw


def test_feed_token_is_hashed_rotated_and_revoked(app):
    w = world()
    book(w.user, w.desk1)
    token = services.create_feed_token(w.user, now=NOW)
    assert token not in {f.token_hash for f in db.session.scalars(select(CalendarFeed))}
    assert services.feed_status(w.user) == NOW
    feed = Calendar.from_ical(services.calendar_feed(token, now=NOW))
    assert len(feed.walk("VEVENT")) == 1
    rotated = services.create_feed_token(w.user, now=NOW)
    with pytest.raises(NotFound):
        services.calendar_feed(token, now=NOW)
    services.calendar_feed(rotated, now=NOW)
    assert services.revoke_feed_token(w.user, now=NOW) is True
    assert services.revoke_feed_token(w.user, now=NOW) is False
    with pytest.raises(NotFound):
        services.calendar_feed(rotated, now=NOW)
    assert services.feed_status(w.user) is None


# --- periodic -----------------------------------------------------------------------------------


def test_release_no_shows_after_the_grace(app):
    w = world(policy_overrides={"no_show_grace_minutes": 15})
    booking = book(w.user, w.desk1)
    assert services.release_no_shows(now=at(TOMORROW, "09:14")) == 0
    assert services.release_no_shows(now=at(TOMORROW, "09:15")) == 1
    assert services.release_no_shows(now=at(TOMORROW, "09:15")) == 0
    released = db.session.get(Booking, booking.id)
    assert released.status == BookingStatus.RELEASED and released.released_at == at(TOMORROW, "09:15")


def test_complete_ended_is_idempotent(app):
    w = world()
    booking = book(w.user, w.desk1)
    services.check_in(w.user, w.desk1.id, now=at(TOMORROW, "09:00"))
    assert services.complete_ended(now=at(TOMORROW, "09:59")) == 0
    assert services.complete_ended(now=at(TOMORROW, "10:00")) == 1
    assert services.complete_ended(now=at(TOMORROW, "10:00")) == 0
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.COMPLETED


def test_reminders_once_within_the_lead(app):
    w = world()
    book(w.user, w.desk1)
    lead = timedelta(minutes=60)
    assert services.send_due_reminders(now=at(TOMORROW, "07:59"), lead=lead) == 0
    assert services.send_due_reminders(now=at(TOMORROW, "08:00"), lead=lead) == 1
    assert services.send_due_reminders(now=at(TOMORROW, "08:30"), lead=lead) == 0
    assert kinds(w.user)[-1] == NotificationKind.REMINDER


def test_cancel_future_bookings_when_a_center_closes(app):
    w = world()
    other = factories.user()
    manager = factories.manager_of(w.center)
    db.session.commit()
    book(w.user, w.desk1)
    book(other, w.desk2, day=date(2026, 12, 3))
    assert services.cancel_future_bookings_for_center(w.center.id, "flooding", manager, now=NOW,
                                                      day=TOMORROW) == 1
    assert services.cancel_future_bookings_for_center(w.center.id, "flooding", manager, now=NOW) == 1
    assert services.cancel_future_bookings_for_center(w.center.id, "flooding", manager, now=NOW) == 0
    notice = services.list_notifications(w.user)[0]
    assert notice.kind == NotificationKind.CENTER_CLOSED and notice.params["reason"] == "flooding"
    assert services.unread_count(w.user) == 2
    assert services.mark_notifications_read(w.user, now=NOW) == 2 and services.unread_count(w.user) == 0


def test_notifications_are_stored_with_the_booking(app):
    w = world()
    booking = book(w.user, w.desk1)
    [notice] = db.session.scalars(select(Notification)).all()
    assert notice.booking_id == booking.id and notice.params["space"] == "D01"
    subject, body = services.render_notification(notice)
    assert "09:00" in subject and "D01" in body


def test_reminder_lead_defaults_to_the_config(app):
    w = world()
    book(w.user, w.desk1)
    app.config["REMINDER_LEAD_MINUTES"] = 30
    assert services.send_due_reminders(now=at(TOMORROW, "08:29")) == 0
    assert services.send_due_reminders(now=at(TOMORROW, "08:30")) == 1


def test_checkin_status_and_check_in_share_one_window(app):
    """The QR page's status and the check-in itself come from one rule: 15 min before to start + 30."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from smartwork.bookings import services as booking_services
    from smartwork.centers.models import SpaceKind
    from smartwork.timeutils import local_to_utc
    from tests import factories as f

    seoul = ZoneInfo("Asia/Seoul")
    center = f.center(spaces={SpaceKind.DESK: 1})
    desk = center.spaces[0]
    user = f.user()
    from smartwork.extensions import db

    db.session.commit()
    day = datetime(2026, 12, 1, tzinfo=seoul).date()  # a Tuesday
    booked_at = datetime(2026, 11, 30, 9, 0, tzinfo=seoul)
    booking = booking_services.create_booking(
        user, desk.id, local_to_utc(day, datetime(2026, 12, 1, 10, 0).time()),
        local_to_utc(day, datetime(2026, 12, 1, 12, 0).time()), now=booked_at,
    )
    start = booking.starts_at
    expected = {
        start - timedelta(minutes=16): "too_early",
        start - timedelta(minutes=15): "open",
        start + timedelta(minutes=29): "open",
        start + timedelta(minutes=30): "too_late",
    }
    for instant, state in expected.items():
        assert booking_services.checkin_status(user, desk.id, now=instant).state == state, instant
    assert booking_services.check_in(user, desk.id, now=start - timedelta(minutes=15)).id == booking.id
    assert booking_services.checkin_status(user, desk.id, now=start).state == "checked_in"
