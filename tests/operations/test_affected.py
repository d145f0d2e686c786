"""Issue 16 drifts, each with a test that failed on the code before: closures and hours changes
through the one affected-bookings path, the board's tiles and counters, and one definition of
booked / occupied / no-show hours in every row of the report and its CSV."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from smartwork.bookings import services as booking_services
from smartwork.bookings.models import (
    BookingStatus,
    Notification,
    NotificationKind,
    WaitlistEntry,
    WaitlistStatus,
)
from smartwork.centers.models import ClosureKind, SpaceKind
from smartwork.errors import Conflict, Invalid, NotFound
from smartwork.extensions import db
from smartwork.operations import board, closures, reports
from smartwork.operations.console_models import ChangeLog
from smartwork.operations.services import rollup_occupancy
from tests import factories
from tests.operations.helpers import DAY, NOW, at, booking, center_with_spaces, space

TOMORROW = DAY + timedelta(days=1)  # Tuesday


@pytest.fixture
def center(app):
    return center_with_spaces(desks=3)


@pytest.fixture
def manager(center):
    return factories.manager_of(center)


def waiting(center, start: str, end: str, day=TOMORROW) -> WaitlistEntry:
    entry = WaitlistEntry(user=factories.user(), center_id=center.id, space_kind=SpaceKind.DESK,
                          starts_at=at(start, day), ends_at=at(end, day), status=WaitlistStatus.WAITING,
                          created_at=NOW)
    db.session.add(entry)
    db.session.flush()
    return entry


def status_of(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id).status


def notices(booking_id: int) -> list[tuple[NotificationKind, str | None]]:
    rows = db.session.scalars(select(Notification).where(Notification.booking_id == booking_id))
    return [(n.kind, (n.params or {}).get("reason")) for n in rows]


# --- closures and hours: one path, waitlist included ------------------------------------------


def test_a_closure_cancels_the_waitlist_entries_of_its_days(center, manager):
    hit_entry = waiting(center, "09:00", "10:00")
    other_day = waiting(center, "09:00", "10:00", day=TOMORROW + timedelta(days=1))
    db.session.commit()
    closures.add_closure(manager, center, ClosureKind.MAINTENANCE, TOMORROW, TOMORROW, "배관 공사", NOW)
    assert status_of(hit_entry) == WaitlistStatus.CANCELLED  # was left waiting before issue 16
    assert status_of(other_day) == WaitlistStatus.WAITING
    entry = db.session.scalar(select(ChangeLog).where(ChangeLog.action == "closure_added"))
    assert entry.details["waitlist_cancelled"] == 1


def test_an_hours_change_cancels_bookings_and_waiting_entries_outside_the_new_hours(center, manager):
    d1, d2 = space(center, "D01"), space(center, "D02")
    guest = factories.user()
    inside = booking(d1, guest, "09:00", "12:00", day=TOMORROW)
    evening = booking(d2, factories.user(), "17:00", "18:30", day=TOMORROW)
    friday = booking(d1, factories.user(), "09:00", "10:00", day=DAY + timedelta(days=4))
    late_entry = waiting(center, "16:30", "17:30")
    early_entry = waiting(center, "09:00", "10:00")
    db.session.commit()
    new_hours = {1: (time(8, 30), time(16, 0)), 4: None}  # Tuesday closes at 16:00, Friday is closed
    preview = closures.hours_hits(center, new_hours, NOW)
    assert [b.id for b in preview] == [evening.id, friday.id]
    assert status_of(evening) == BookingStatus.RESERVED  # the preview changes nothing
    _center, cancelled = closures.update_opening_hours(manager, center, new_hours, NOW)
    assert [b.id for b in cancelled] == [evening.id, friday.id]
    assert status_of(evening) == status_of(friday) == BookingStatus.CANCELLED
    assert status_of(inside) == BookingStatus.RESERVED
    assert status_of(late_entry) == WaitlistStatus.CANCELLED
    assert status_of(early_entry) == WaitlistStatus.WAITING
    [(kind, reason)] = notices(evening.id)
    assert kind == NotificationKind.BOOKING_CANCELLED and reason  # told once, with why
    history = db.session.scalar(select(ChangeLog).where(ChangeLog.action == "hours_changed"))
    assert [b["booking_id"] for b in history.details["bookings"]] == [evening.id, friday.id]


def test_hours_unchanged_cancel_nothing(center, manager):
    late = booking(space(center, "D01"), factories.user(), "17:00", "18:30", day=TOMORROW)
    db.session.commit()
    same = {h.weekday: (h.opens_at, h.closes_at) for h in center.opening_hours}
    assert closures.update_opening_hours(manager, center, same, NOW)[1] == []
    assert status_of(late) == BookingStatus.RESERVED


# --- a manager's changes to one booking -------------------------------------------------------


def test_manager_cancels_with_a_reason_the_holder_reads_and_the_history_keeps(center, manager):
    later = booking(space(center, "D01"), factories.user(), "14:00", "15:00")
    db.session.commit()
    with pytest.raises(Invalid):
        board.manager_cancel(manager, center, later.id, "가" * 201, NOW)
    board.manager_cancel(manager, center, later.id, " 행사  준비 ", NOW)
    assert status_of(later) == BookingStatus.CANCELLED
    assert notices(later.id) == [(NotificationKind.BOOKING_CANCELLED, "행사 준비")]
    entry = db.session.scalar(select(ChangeLog).where(ChangeLog.action == "booking_cancelled"))
    assert entry.actor_id == manager.id and entry.details["reason"] == "행사 준비"


def test_manager_moves_one_booking_to_a_free_space_of_the_same_kind(center, manager):
    d1, d2, d3 = space(center, "D01"), space(center, "D02"), space(center, "D03")
    later = booking(d1, factories.user(), "14:00", "15:00")
    booking(d2, factories.user(), "13:00", "16:00")
    db.session.commit()
    assert [s.code for s in board.move_targets(manager, center, later.id)] == ["D03"]
    with pytest.raises(Conflict):
        board.manager_move(manager, center, later.id, d2.id, "정비", NOW)  # taken then: the database says no
    moved = board.manager_move(manager, center, later.id, d3.id, "정비", NOW)
    assert moved.space_id == d3.id and moved.status == BookingStatus.RESERVED
    assert notices(later.id) == [(NotificationKind.BOOKING_CONFIRMED, "정비")]
    entry = db.session.scalar(select(ChangeLog).where(ChangeLog.action == "booking_moved"))
    assert entry.details["from"] == "D01" and entry.details["to"] == "D03"


def test_another_centers_manager_cannot_touch_the_booking(center):
    later = booking(space(center, "D01"), factories.user(), "14:00", "15:00")
    other = center_with_spaces(desks=1)
    outsider = factories.manager_of(other)
    db.session.commit()
    with pytest.raises(NotFound):
        board.manager_cancel(outsider, other, later.id, "?", NOW)
    with pytest.raises(NotFound):
        booking_services.mark_no_show(outsider, later.id, now=NOW)
    assert status_of(later) == BookingStatus.RESERVED


# --- the live board -------------------------------------------------------------------------


def test_a_desk_check_in_before_the_start_shows_the_space_occupied(center, manager):
    soon = booking(space(center, "D01"), factories.user(name="김민준"), "10:10", "12:00")
    db.session.commit()
    before = board.live_board(center, NOW)
    # A booking starting in 10 minutes already counts as reserved (it showed 예약됨 0).
    assert before.counts["reserved"] == 1 and before.rows[0].state == "reserved"
    board.manager_check_in(manager, center, soon.id, NOW)
    after = board.live_board(center, NOW)
    d1 = next(r for r in after.rows if r.space.code == "D01")
    assert [b.id for b in after.checked_in] == [soon.id]
    # The tile and the counter agree with the "checked in" list (it said 비어 있음, 사용 중 0).
    assert d1.state == "occupied" and d1.current.id == soon.id
    assert after.counts["occupied"] == 1
    # The kiosk still offers nothing that is held now.
    assert "D01" not in [s.code for s in board.free_spaces_now(center, NOW)]


def test_a_closed_day_shows_closed_not_free(center):
    factories.closure(center, DAY, reason="정기 점검")
    db.session.commit()
    result = board.live_board(center, NOW)
    assert result.closed_reason == "정기 점검"
    assert {row.state for row in result.rows} == {"closed"}
    assert result.counts["free"] == 0 and result.counts["closed"] == 3
    sunday = board.live_board(center, at("10:00", DAY - timedelta(days=1)))
    assert sunday.closed_reason and sunday.counts["free"] == 0 and sunday.counts["closed"] == 3


# --- one definition of hours in the report ----------------------------------------------------


def test_every_row_of_the_report_and_csv_counts_hours_the_same_way(center):
    d1, d2 = space(center, "D01"), space(center, "D02")
    people = [factories.user() for _ in range(4)]
    day = DAY - timedelta(days=3)  # Friday 4 December
    booking(d1, people[0], "09:00", "12:00", BookingStatus.COMPLETED, day=day,
            checked_in_at=at("09:20", day), checked_out_at=at("11:00", day))
    booking(d2, people[1], "09:00", "11:00", BookingStatus.RELEASED, day=day, released_at=at("09:30", day))
    booking(d2, people[2], "13:00", "14:00", BookingStatus.CANCELLED, day=day)
    booking(d1, people[3], "14:00", "15:00", BookingStatus.COMPLETED, day=day)
    db.session.commit()
    rollup_occupancy(day, now=NOW)
    report = reports.build_report(center, day, day, now=NOW)
    [row] = report.days
    # Booked: 3 h + the no-show's 30 minutes until its release + 1 h; occupied: 09:20–11:00 + 1 h.
    assert (row.booked_minutes, row.checked_in_minutes, row.no_shows) == (270, 160, 1)
    [desks] = report.kinds
    assert (desks.booked_minutes, desks.checked_in_minutes) == (row.booked_minutes, row.checked_in_minutes)
    assert sum(s.booked_minutes for s in report.busiest) == row.booked_minutes
    lines = reports.report_csv(report).strip().splitlines()
    day_line = next(line for line in lines if line.startswith("day,"))
    kind_line = next(line for line in lines if line.startswith("kind,"))
    assert day_line.split(",")[3:5] == kind_line.split(",")[3:5] == ["4.50", "2.67"]


def test_a_desk_no_show_offers_the_rest_of_the_time_to_the_waitlist_as_the_scheduler_does(app):
    center = center_with_spaces(desks=1)
    manager = factories.manager_of(center)
    late = booking(space(center, "D01"), factories.user(), "09:30", "12:00")
    entry = waiting(center, "10:30", "12:00", day=DAY)
    db.session.commit()
    board.mark_no_show(manager, center, late.id, NOW)
    assert status_of(late) == BookingStatus.RELEASED
    assert status_of(entry) == WaitlistStatus.FULFILLED  # the desk's no-show left it waiting
    assert [kind for kind, _reason in notices(late.id)] == [NotificationKind.BOOKING_RELEASED]
