"""Every booking rule: the allowed edge and the refused edge, with the rule and what is allowed."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from flask_babel import force_locale

from smartwork.auth.models import Role, UserStatus
from smartwork.bookings import policies, services
from smartwork.bookings.models import BookingStatus
from smartwork.centers.models import CenterStatus, SpaceKind
from smartwork.errors import Invalid, PermissionDenied
from smartwork.extensions import db
from tests import factories

from .helpers import NOW, TODAY, TOMORROW, at, book, private_center, raw_booking, world


def refused(error_type, rule, call):
    """Assert ``call`` is refused with ``rule``; returns the error (its message in English)."""
    with force_locale("en"), pytest.raises(error_type) as caught:
        call()
    assert caught.value.rule == rule, caught.value.message
    return caught.value


# --- the grid, the clock and the calendar -------------------------------------------------------


def test_grid_allows_half_hours_and_refuses_quarters(app):
    w = world()
    book(w.user, w.desk1, start="09:30", end="10:00")
    error = refused(Invalid, "grid", lambda: book(w.user, w.desk2, start="10:15", end="11:00"))
    assert error.allowed == {"slot_minutes": 30}


def test_a_center_can_override_the_grid(app):
    w = world(policy_overrides={"slot_minutes": 15})
    book(w.user, w.desk1, start="10:15", end="11:00")
    refused(Invalid, "grid", lambda: book(w.user, w.desk2, start="11:05", end="12:00"))


def test_opening_hours_edges(app):
    w = world()  # open 08:30–18:30 on weekdays
    other = factories.user()
    db.session.commit()
    book(w.user, w.desk1, start="08:30", end="09:00")
    book(other, w.desk2, start="18:00", end="18:30")
    error = refused(Invalid, "outside_hours", lambda: book(w.user, w.desk1, start="08:00", end="08:30"))
    assert error.allowed == {"opens": "08:30", "closes": "18:30"}
    error = refused(Invalid, "outside_hours", lambda: book(w.user, w.desk1, start="18:00", end="19:00"))
    assert error.message == "Bookings must end by 18:30 (the center closes then)."


def test_weekdays_without_hours_are_closed(app):
    w = world()
    saturday = date(2026, 12, 5)
    error = refused(Invalid, "closed_day", lambda: book(w.user, w.desk1, day=saturday))
    assert error.allowed == {"weekdays": [0, 1, 2, 3, 4]}
    book(w.user, w.desk1, day=date(2026, 12, 4))  # the Friday before is fine


def test_closures_are_inclusive_and_holidays_are_closures(app):
    w = world()
    factories.closure(w.center, date(2026, 12, 2), date(2026, 12, 3), reason="maintenance")
    db.session.commit()
    refused(Invalid, "closure", lambda: book(w.user, w.desk1, day=date(2026, 12, 2)))
    error = refused(Invalid, "closure", lambda: book(w.user, w.desk1, day=date(2026, 12, 3)))
    assert error.allowed == {"closed_from": "2026-12-02", "closed_until": "2026-12-03"}
    book(w.user, w.desk1, day=date(2026, 12, 4))


def test_at_most_fourteen_days_ahead(app):
    w = world()
    book(w.user, w.desk1, day=TODAY + timedelta(days=14))
    error = refused(Invalid, "too_far_ahead", lambda: book(w.user, w.desk1, day=TODAY + timedelta(days=15)))
    assert error.message == "You can book at most 14 days ahead: until 2026-12-15."
    assert error.allowed == {"last_day": "2026-12-15"}


def test_not_in_the_past_but_the_current_slot_is_fine(app):
    w = world()
    now = NOW + timedelta(minutes=10)  # 09:10 local
    book(w.user, w.desk1, day=TODAY, start="09:00", end="10:00", now=now)
    error = refused(Invalid, "in_past", lambda: book(w.user, w.desk2, day=TODAY, start="08:30", end="09:00", now=now))
    assert error.allowed == {"earliest_start": at(TODAY, "09:00").isoformat()}


def test_length_between_thirty_minutes_and_ten_hours(app):
    w = world(hours=(time(7, 0), time(21, 0)), policy_overrides={"slot_minutes": 15})
    other = factories.user()
    db.session.commit()
    book(w.user, w.desk1, start="07:00", end="07:30")
    refused(Invalid, "too_short", lambda: book(w.user, w.desk1, start="08:00", end="08:15"))
    book(other, w.desk2, start="08:00", end="18:00")
    error = refused(Invalid, "too_long", lambda: book(w.user, w.desk1, start="08:00", end="18:15"))
    assert error.allowed == {"max_minutes": 600}


def test_end_must_follow_start(app):
    w = world()
    refused(Invalid, "order", lambda: book(w.user, w.desk1, start="10:00", end="09:00"))


# --- rooms ------------------------------------------------------------------------------------


def test_rooms_take_one_to_capacity_attendees(app):
    w = world()  # the room holds 6
    booking = book(w.user, w.room, start="09:00", end="10:00", attendees=6)
    assert booking.attendees == 6
    error = refused(Invalid, "attendees_over_capacity",
                    lambda: book(w.user, w.room, start="10:00", end="11:00", attendees=7))
    assert error.allowed == {"min": 1, "max": 6}
    refused(Invalid, "attendees_required", lambda: book(w.user, w.room, start="10:00", end="11:00"))
    refused(Invalid, "attendees_required", lambda: book(w.user, w.room, start="10:00", end="11:00", attendees=0))
    book(w.user, w.room, start="10:00", end="11:00", attendees=1)


def test_desks_are_for_one_person(app):
    w = world()
    assert book(w.user, w.desk1, attendees=1).attendees is None
    refused(Invalid, "attendees_single", lambda: book(w.user, w.desk2, start="11:00", end="12:00", attendees=2))


# --- the weekly cap -----------------------------------------------------------------------------


def test_forty_hours_per_iso_week(app):
    center = factories.center(hours=(time(8, 0), time(20, 0)), spaces={SpaceKind.DESK: 1})
    person = factories.user()
    db.session.commit()
    desk = center.spaces[0]
    # Tuesday 09:00–18:00 (9 h), Wednesday to Friday 10 h each: 39 h of the week of 30 November.
    book(person, desk, day=TODAY, start="09:00", end="18:00")
    for day in (date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)):
        book(person, desk, day=day, start="08:00", end="18:00")
    assert policies.booked_minutes_in_week(person.id, TODAY) == 39 * 60
    book(person, desk, day=TODAY, start="18:00", end="19:00")  # exactly 40 h
    error = refused(Invalid, "weekly_hours", lambda: book(person, desk, day=TODAY, start="19:00", end="19:30"))
    assert error.allowed == {"remaining_minutes": 0}
    assert "40" in error.message and "2026-11-30" in error.message
    # The next ISO week starts on Monday with a clean slate.
    book(person, desk, day=date(2026, 12, 7), start="08:00", end="18:00")


def test_cancelled_hours_do_not_count_towards_the_cap(app):
    w = world(policy_overrides={"max_hours_per_week": 2})
    first = book(w.user, w.desk1, start="09:00", end="11:00")
    refused(Invalid, "weekly_hours", lambda: book(w.user, w.desk1, start="11:00", end="11:30"))
    services.cancel_booking(w.user, first.id, now=NOW)
    book(w.user, w.desk1, start="11:00", end="13:00")


# --- who may book -------------------------------------------------------------------------------


def test_public_centers_take_any_active_civil_servant(app):
    w = world()
    retired = factories.user(status=UserStatus.RETIRED)
    db.session.commit()
    book(w.user, w.desk1)
    refused(PermissionDenied, "account_inactive", lambda: book(retired, w.desk2))


def test_private_centers_need_a_contract_covering_the_day(app):
    center = private_center()
    desk = center.spaces[0]
    person = factories.user()
    db.session.commit()
    error = refused(PermissionDenied, "no_contract", lambda: book(person, desk))
    assert "2026-12-02" in error.message
    # A contract with another operator does not help; one ending the day before neither.
    factories.contract(person.agency, factories.operator())
    factories.contract(person.agency, center.operator, starts_on=date(2025, 1, 1), ends_on=TODAY)
    db.session.commit()
    refused(PermissionDenied, "no_contract", lambda: book(person, desk))
    factories.contract(person.agency, center.operator, starts_on=TOMORROW)
    db.session.commit()
    book(person, desk)


def test_the_center_must_be_open_and_the_space_active(app):
    w = world()
    w.desk2.is_active = False
    db.session.commit()
    refused(Invalid, "space_inactive", lambda: book(w.user, w.desk2))
    w.center.status = CenterStatus.SUSPENDED
    db.session.commit()
    refused(Invalid, "center_not_open", lambda: book(w.user, w.desk1))


# --- no-shows -----------------------------------------------------------------------------------


def _no_shows(person, space, days_ago: list[float]):
    for ago in days_ago:
        start = NOW - timedelta(days=ago)
        raw_booking(person, space, start, start + timedelta(hours=1), status=BookingStatus.RELEASED,
                    released_at=start + timedelta(minutes=30))
    db.session.commit()


def test_three_no_shows_within_thirty_days_suspend_for_seven_days(app):
    w = world()
    _no_shows(w.user, w.desk1, [20, 10, 3])  # the third was 3 days ago: suspended 4 more days
    error = refused(PermissionDenied, "suspended", lambda: book(w.user, w.desk2))
    assert error.allowed == {"from": (NOW + timedelta(days=4)).isoformat()}
    # Seven days after the third no-show the suspension is over.
    refused(PermissionDenied, "suspended", lambda: book(w.user, w.desk2, day=date(2026, 12, 7),
                                                        now=NOW + timedelta(days=4, seconds=-1)))
    book(w.user, w.desk2, day=date(2026, 12, 7), now=NOW + timedelta(days=4))


def test_suspension_ends_exactly_seven_days_after_the_third(app):
    w = world()
    _no_shows(w.user, w.desk1, [21, 14, 7])
    book(w.user, w.desk2)
    other = world()
    _no_shows(other.user, other.desk1, [21, 14, 7 - 1 / 48])  # 30 minutes later: still suspended
    refused(PermissionDenied, "suspended", lambda: book(other.user, other.desk2))


def test_no_shows_spread_over_more_than_thirty_days_do_not_suspend(app):
    w = world()
    _no_shows(w.user, w.desk1, [34, 10, 3])  # 31 days from the first to the third
    book(w.user, w.desk2)
    other = world()
    _no_shows(other.user, other.desk1, [33, 10, 3])  # exactly 30 days: within the window
    refused(PermissionDenied, "suspended", lambda: book(other.user, other.desk2))


def test_two_no_shows_do_not_suspend(app):
    w = world()
    _no_shows(w.user, w.desk1, [2, 1])
    book(w.user, w.desk2)


# --- on behalf ----------------------------------------------------------------------------------


def test_managers_book_on_behalf_only_at_their_centers(app):
    w = world()
    manager = factories.manager_of(w.center)
    elsewhere = factories.manager_of(factories.center())
    admin = factories.user(roles=(Role.ADMIN,))
    employee = factories.user()
    db.session.commit()
    booking = book(manager, w.desk1, on_behalf_of=w.user.id)
    assert (booking.user_id, booking.booked_by_id) == (w.user.id, manager.id)
    refused(PermissionDenied, "on_behalf_forbidden", lambda: book(elsewhere, w.desk2, on_behalf_of=w.user))
    refused(PermissionDenied, "on_behalf_forbidden", lambda: book(employee, w.desk2, on_behalf_of=w.user))
    other = factories.user()
    db.session.commit()
    assert book(admin, w.desk2, on_behalf_of=other).booked_by_id == admin.id
    # The target's own rules apply: the user already holds 09:00–10:00.
    error = refused(Exception, "user_overlap", lambda: book(manager, w.room, attendees=2, on_behalf_of=w.user))
    assert error.message.startswith("This person already has a booking")


def test_effective_policy_merges_overrides(app):
    w = world(policy_overrides={"no_show_grace_minutes": 10, "unknown": 3})
    policy = policies.effective_policy(w.center)
    assert policy.no_show_grace_minutes == 10 and policy.max_days_ahead == 14
