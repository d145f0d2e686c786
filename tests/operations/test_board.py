"""The live board at a fixed instant, and the desk actions (check in, check out, no-show)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from smartwork.bookings.models import BookingStatus, Notification, NotificationKind
from smartwork.errors import Conflict, NotFound
from smartwork.extensions import db
from smartwork.operations import board
from smartwork.operations.console_models import ChangeLog
from tests import factories
from tests.operations.helpers import NOW, at, booking, center_with_spaces, space


@pytest.fixture
def scene(app):
    center = center_with_spaces(desks=4)
    manager = factories.manager_of(center)
    people = [factories.user(name=f"사람{i}") for i in range(6)]
    d1, d2, d3, d4 = (space(center, code) for code in ("D01", "D02", "D03", "D04"))
    d4.is_active = False
    bookings = {
        "in": booking(d1, people[0], "09:00", "12:00", BookingStatus.CHECKED_IN),
        "reserved_now": booking(d2, people[1], "09:45", "11:00"),  # started, within grace
        "due_soon": booking(d3, people[2], "10:30", "12:00"),
        "due_edge": booking(d1, people[3], "12:00", "13:00"),  # not within the hour
        "at_eleven": booking(d3, people[4], "14:00", "15:00"),
    }
    db.session.commit()
    return center, manager, bookings


def test_space_states_now(scene):
    center, _manager, _b = scene
    result = board.live_board(center, NOW)
    states = {row.space.code: row.state for row in result.rows}
    # D03's booking starts at 10:30, within the hour: the space counts as reserved (issue 16).
    assert states == {"D01": "occupied", "D02": "reserved", "D03": "reserved", "D04": "out_of_service"}
    assert result.counts == {"free": 0, "reserved": 2, "occupied": 1, "out_of_service": 1, "closed": 0}


def test_state_changes_at_the_booking_edges(scene):
    center, _manager, _b = scene
    # D03 is booked from 10:30: free while that is an hour or more away (as "due"), reserved after.
    before = {r.space.code: r.state for r in board.live_board(center, at("09:30")).rows}
    on = {r.space.code: r.state for r in board.live_board(center, at("09:31")).rows}
    assert before["D03"] == "free" and on["D03"] == "reserved"
    # D02's booking ends at 11:00: free from 11:00.
    assert {r.space.code: r.state for r in board.live_board(center, at("11:00")).rows}["D02"] == "free"


def test_timeline_covers_opening_hours(scene):
    center, _manager, _b = scene
    result = board.live_board(center, NOW)
    assert result.hours == list(range(8, 19))  # 08:30–18:30 shows the 8 and 18 o'clock hours
    d1 = next(r for r in result.rows if r.space.code == "D01")
    cells = {c.hour: c.state for c in d1.cells}
    assert cells[9] == cells[11] == "occupied"
    assert cells[12] == "reserved" and cells[13] == "free"
    d4 = next(r for r in result.rows if r.space.code == "D04")
    assert {c.state for c in d4.cells} == {"out_of_service"}


def test_due_within_the_hour_and_checked_in(scene):
    center, _manager, b = scene
    result = board.live_board(center, NOW)
    assert [x.id for x in result.due] == [b["reserved_now"].id, b["due_soon"].id]
    assert [x.id for x in result.checked_in] == [b["in"].id]
    # At 11:00 the 12:00 booking is exactly one hour away: not yet due (half-open hour).
    assert b["due_edge"].id not in [x.id for x in board.live_board(center, at("11:00")).due]
    assert b["due_edge"].id in [x.id for x in board.live_board(center, at("11:01")).due]


def test_late_booking_leaves_due_after_grace(scene):
    center, _manager, b = scene
    # Started 09:45, grace 30 min: due until 10:15 inclusive, not after.
    assert b["reserved_now"].id in [x.id for x in board.live_board(center, at("10:15")).due]
    assert b["reserved_now"].id not in [x.id for x in board.live_board(center, at("10:16")).due]


def test_closure_day_shows_closed(scene):
    center, _manager, _b = scene
    factories.closure(center, NOW.date() + timedelta(days=0), reason="공사")
    db.session.commit()
    result = board.live_board(center, NOW)
    assert result.closed_reason == "공사"
    assert board.free_spaces_now(center, NOW) == []


def test_manager_check_in_inside_window_only(scene):
    center, manager, b = scene
    with pytest.raises(Conflict) as refused:
        board.manager_check_in(manager, center, b["at_eleven"].id, now=at("13:44"))
    assert refused.value.rule == "checkin_window"
    db.session.rollback()
    checked = board.manager_check_in(manager, center, b["at_eleven"].id, now=at("13:45"))
    assert checked.status == BookingStatus.CHECKED_IN and checked.checked_in_at == at("13:45")
    log = db.session.scalar(select(ChangeLog).where(ChangeLog.action == "booking_checked_in"))
    assert log.actor_id == manager.id and log.details["booking_id"] == checked.id


def test_mark_no_show_after_start_notifies(scene):
    center, manager, b = scene
    with pytest.raises(Conflict):
        board.mark_no_show(manager, center, b["due_soon"].id, now=at("10:29"))
    db.session.rollback()
    released = board.mark_no_show(manager, center, b["due_soon"].id, now=at("10:30"))
    assert released.status == BookingStatus.RELEASED
    notice = db.session.scalar(select(Notification).where(Notification.booking_id == released.id))
    assert notice.kind == NotificationKind.BOOKING_RELEASED
    assert db.session.scalar(select(ChangeLog.action).where(ChangeLog.target == f"booking:{released.id}")) \
        == "booking_no_show"


def test_check_out_completes_and_is_recorded(scene):
    center, manager, b = scene
    done = board.manager_check_out(manager, center, b["in"].id, now=at("10:10"))
    assert done.status == BookingStatus.COMPLETED
    assert done.ends_at == at("10:30")  # rounded up to the grid
    assert db.session.scalar(select(ChangeLog.action).where(ChangeLog.target == f"booking:{done.id}")) \
        == "booking_checked_out"


def test_actions_refuse_another_centers_booking(scene):
    _center, manager, b = scene
    other = center_with_spaces(desks=1)
    with pytest.raises(NotFound):
        board.manager_check_in(manager, other, b["due_soon"].id, now=NOW)
