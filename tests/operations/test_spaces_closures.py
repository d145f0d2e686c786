"""Spaces (add, edit, deactivate with move-or-cancel, reactivate), closures and settings."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from smartwork.bookings.models import BookingStatus, Notification, NotificationKind
from smartwork.centers.models import ClosureKind, SpaceKind
from smartwork.errors import Conflict, Invalid
from smartwork.extensions import db
from smartwork.operations import audit, closures, spaces
from smartwork.operations.console_models import ChangeLog
from tests import factories
from tests.operations.helpers import DAY, NOW, booking, center_with_spaces, space


@pytest.fixture
def center(app):
    obj = center_with_spaces(desks=3, rooms=2)
    db.session.commit()
    return obj


@pytest.fixture
def manager(center):
    obj = factories.manager_of(center)
    db.session.commit()
    return obj


def notices(booking_id: int) -> list[NotificationKind]:
    return list(db.session.scalars(select(Notification.kind).where(Notification.booking_id == booking_id)))


def test_create_and_edit_space(center, manager):
    created = spaces.create_space(manager, center, spaces.SpaceInput(SpaceKind.BOOTH, " b09 ", 1, ["조용함"]), NOW)
    assert created.code == "B09" and created.is_active
    with pytest.raises(Invalid) as duplicate:
        spaces.create_space(manager, center, spaces.SpaceInput(SpaceKind.DESK, "b09", 1, []), NOW)
    assert duplicate.value.field == "code"
    db.session.rollback()
    with pytest.raises(Invalid) as single:
        spaces.create_space(manager, center, spaces.SpaceInput(SpaceKind.DESK, "D10", 2, []), NOW)
    assert single.value.rule == "capacity_single"
    db.session.rollback()
    edited = spaces.update_space(manager, center, created.id,
                                 spaces.SpaceInput(SpaceKind.BOOTH, "B10", 1, ["창가"]), NOW)
    assert (edited.code, edited.features) == ("B10", ["창가"])
    actions = [entry.action for entry in audit.center_history(center.id)]
    assert actions == ["space_updated", "space_created"]


def test_capacity_cannot_drop_below_future_attendees(center, manager):
    room = space(center, "M01")
    booking(room, factories.user(), "13:00", "14:00", attendees=5)
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        spaces.update_space(manager, center, room.id, spaces.SpaceInput(SpaceKind.MEETING_ROOM, "M01", 4, []), NOW)
    assert refused.value.rule == "capacity_in_use"
    db.session.rollback()
    spaces.update_space(manager, center, room.id, spaces.SpaceInput(SpaceKind.MEETING_ROOM, "M01", 5, []), NOW)


def test_deactivate_moves_to_equivalent_or_cancels(center, manager):
    d1, d2, d3 = space(center, "D01"), space(center, "D02"), space(center, "D03")
    a, b, c = factories.user(), factories.user(), factories.user()
    # 11:00–12:00: D02 is free -> moved there. 14:00–15:00: D02 and D03 are both taken -> cancelled.
    movable = booking(d1, a, "11:00", "12:00")
    booking(d2, c, "14:00", "15:00")
    booking(d3, factories.user(), "14:00", "15:00")
    stuck = booking(d1, b, "14:00", "15:00")
    past = booking(d1, c, "08:30", "09:30", BookingStatus.COMPLETED)
    db.session.commit()

    plan = spaces.deactivation_preview(center, d1.id, NOW)
    assert [(o.booking.id, o.action, o.target.code if o.target else None) for o in plan] == [
        (movable.id, "moved", "D02"), (stuck.id, "cancelled", None)]
    assert d1.is_active  # the preview changes nothing

    done = spaces.deactivate_space(manager, center, d1.id, "수리", now=NOW)
    assert [(o.booking.id, o.action) for o in done] == [(movable.id, "moved"), (stuck.id, "cancelled")]
    db.session.expire_all()
    assert movable.space_id == d2.id and movable.status == BookingStatus.RESERVED
    assert stuck.status == BookingStatus.CANCELLED and stuck.cancelled_at == NOW
    assert past.status == BookingStatus.COMPLETED and past.space_id == d1.id
    assert notices(movable.id) == [NotificationKind.BOOKING_CONFIRMED]
    assert notices(stuck.id) == [NotificationKind.BOOKING_CANCELLED]
    assert not space(center, "D01").is_active
    entry = db.session.scalar(select(ChangeLog).where(ChangeLog.action == "space_deactivated"))
    assert entry.actor_id == manager.id and entry.details["reason"] == "수리"
    assert [row["action"] for row in entry.details["bookings"]] == ["moved", "cancelled"]


def test_two_bookings_never_promised_the_same_space(center):
    d1, d3 = space(center, "D01"), space(center, "D03")
    d3.is_active = False
    first = booking(d1, factories.user(), "11:00", "12:00")
    # A second booking of D01 at the same time is impossible; use a room-sized overlap instead:
    # two rooms, one deactivated, both bookings need the single other room at overlapping times.
    m1, m2 = space(center, "M01"), space(center, "M02")
    r1 = booking(m1, factories.user(), "13:00", "14:00", attendees=3)
    booking(m2, factories.user(), "13:30", "14:30", attendees=3)
    db.session.commit()
    plan = spaces.deactivation_preview(center, m1.id, NOW)
    assert [(o.booking.id, o.action) for o in plan] == [(r1.id, "cancelled")]  # M02 is busy from 13:30
    plan = spaces.deactivation_preview(center, d1.id, NOW)
    assert plan[0].target.code == "D02"  # D03 is out of service
    assert first.id == plan[0].booking.id


def test_room_move_needs_enough_capacity(center):
    m1, m2 = space(center, "M01"), space(center, "M02")
    m2.capacity = 4
    big = booking(m1, factories.user(), "13:00", "14:00", attendees=5)
    fits = booking(m1, factories.user(), "15:00", "16:00", attendees=4)
    db.session.commit()
    plan = {o.booking.id: o.action for o in spaces.deactivation_preview(center, m1.id, NOW)}
    assert plan == {big.id: "cancelled", fits.id: "moved"}


def test_reactivate(center, manager):
    d1 = space(center, "D01")
    with pytest.raises(Conflict):
        spaces.reactivate_space(manager, center, d1.id, NOW)
    db.session.rollback()
    spaces.deactivate_space(manager, center, d1.id, now=NOW)
    assert spaces.reactivate_space(manager, center, d1.id, NOW).is_active


def test_closure_cancels_bookings_it_hits_and_notifies(center, manager):
    d1 = space(center, "D01")
    tomorrow = DAY + timedelta(days=1)
    hit = booking(d1, factories.user(), "09:00", "10:00", day=tomorrow)
    before = booking(d1, factories.user(), "11:00", "12:00", day=DAY)
    after = booking(d1, factories.user(), "09:00", "10:00", day=tomorrow + timedelta(days=1))
    db.session.commit()
    assert [b.id for b in closures.closure_hits(center, tomorrow, tomorrow, NOW)] == [hit.id]
    closure, cancelled = closures.add_closure(manager, center, ClosureKind.MAINTENANCE, tomorrow, tomorrow,
                                              " 배관 공사 ", NOW)
    assert closure.reason == "배관 공사"
    assert [b.id for b in cancelled] == [hit.id]
    db.session.expire_all()
    assert hit.status == BookingStatus.CANCELLED
    assert before.status == after.status == BookingStatus.RESERVED
    assert notices(hit.id) == [NotificationKind.CENTER_CLOSED]
    entry = db.session.scalar(select(ChangeLog).where(ChangeLog.action == "closure_added"))
    assert entry.details["bookings"][0]["booking_id"] == hit.id


def test_closure_rules(center, manager):
    with pytest.raises(Invalid) as past:
        closures.add_closure(manager, center, ClosureKind.EVENT, DAY - timedelta(days=1), DAY, "행사", NOW)
    assert past.value.rule == "in_past"
    with pytest.raises(Invalid) as order:
        closures.add_closure(manager, center, ClosureKind.EVENT, DAY + timedelta(days=2), DAY, "행사", NOW)
    assert order.value.rule == "order"
    closures.add_closure(manager, center, ClosureKind.EVENT, DAY, DAY, "행사", NOW)  # today is allowed
    with pytest.raises(Invalid) as duplicate:
        closures.add_closure(manager, center, ClosureKind.EVENT, DAY, DAY, "행사", NOW)
    assert duplicate.value.rule == "duplicate_closure"


def test_opening_hours_update_and_history(center, manager):
    with pytest.raises(Invalid):
        closures.update_opening_hours(manager, center, {0: (time(18, 0), time(9, 0))}, NOW)
    new_hours = {0: (time(7, 0), time(22, 0)), 4: None, 5: (time(9, 0), time(13, 0))}
    closures.update_opening_hours(manager, center, new_hours, NOW)
    hours = {h.weekday: (h.opens_at, h.closes_at) for h in center.opening_hours}
    assert hours[0] == (time(7, 0), time(22, 0)) and 4 not in hours and hours[5] == (time(9, 0), time(13, 0))
    entry = audit.center_history(center.id)[0]
    assert entry.action == "hours_changed" and entry.details["after"]["0"] == "07:00-22:00"


POLICY_CASES = [
    ({"no_show_grace_minutes": 5}, True),
    ({"no_show_grace_minutes": 4}, False),
    ({"no_show_grace_minutes": 120}, True),
    ({"no_show_grace_minutes": 121}, False),
    ({"slot_minutes": 45}, False),
    ({"unknown_key": 3}, False),
    ({"min_minutes": 240, "max_minutes": 120}, False),
]


def test_policy_overrides_are_validated(center, manager):
    for values, ok in POLICY_CASES:
        center.policy_overrides = {}
        db.session.commit()
        if ok:
            assert closures.update_policy(manager, center, values, NOW) == values, values
            assert center.policy_overrides == values
        else:
            with pytest.raises(Invalid):
                closures.update_policy(manager, center, values, NOW)
            db.session.rollback()
            assert center.policy_overrides == {}, values


def test_policy_blank_removes_override(center, manager):
    closures.update_policy(manager, center, {"no_show_grace_minutes": 10}, NOW)
    closures.update_policy(manager, center, {"no_show_grace_minutes": None}, NOW)
    assert center.policy_overrides == {}
    assert [e.action for e in audit.center_history(center.id)] == ["policy_changed", "policy_changed"]


def test_history_is_per_center(center, manager):
    other = center_with_spaces(desks=1)
    spaces.create_space(manager, other, spaces.SpaceInput(SpaceKind.DESK, "X1", 1, []), NOW)
    assert audit.center_history(center.id) == []
    assert len(audit.center_history(other.id)) == 1
