"""Center lifecycle and public holidays: conditional updates on both sides of each date."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from smartwork.centers.lifecycle import (
    add_public_holiday_closures,
    close_due_centers,
    open_ready_centers,
    public_holidays_between,
)
from smartwork.centers.models import CenterStatus, Closure, ClosureKind, SpaceKind
from smartwork.extensions import db
from tests import factories
from tests.jobs.builders import kst

# 2026-12-01 00:00 in Seoul is 2026-11-30 15:00 UTC: the local date decides.
JUST_BEFORE_DEC_1 = kst(2026, 11, 30, 23, 59)
DEC_1 = kst(2026, 12, 1, 0, 0)


def planned(status=CenterStatus.PLANNED, **fields):
    fields.setdefault("opened_on", None)
    fields.setdefault("ready_on", date(2026, 11, 20))  # marked ready by a planner
    return factories.center(status=status, planned_open_on=date(2026, 12, 1), **fields)


def test_a_ready_planned_center_opens_on_its_date(app):
    center = planned()
    building = planned(status=CenterStatus.UNDER_CONSTRUCTION)
    db.session.commit()
    assert open_ready_centers(now=JUST_BEFORE_DEC_1) == 0
    assert open_ready_centers(now=DEC_1) == 2
    db.session.refresh(center)
    db.session.refresh(building)
    assert (center.status, center.opened_on) == (CenterStatus.OPEN, date(2026, 12, 1))
    assert building.status == CenterStatus.OPEN
    assert open_ready_centers(now=DEC_1) == 0  # idempotent


def test_a_center_without_spaces_or_hours_is_not_ready(app):
    no_spaces = planned(spaces={})
    no_hours = planned(hours=None)
    inactive = planned(spaces={SpaceKind.DESK: 1})
    inactive.spaces[0].is_active = False
    db.session.commit()
    assert open_ready_centers(now=DEC_1) == 0
    for center in (no_spaces, no_hours, inactive):
        db.session.refresh(center)
        assert center.status == CenterStatus.PLANNED
    inactive.spaces[0].is_active = True
    db.session.commit()
    assert open_ready_centers(now=DEC_1) == 1


def test_a_center_closes_on_its_closing_date(app):
    closing = factories.center(closed_on=date(2026, 12, 1))
    already = factories.center(status=CenterStatus.CLOSED, closed_on=date(2026, 1, 1))
    staying = factories.center()
    db.session.commit()
    assert close_due_centers(now=JUST_BEFORE_DEC_1) == []
    assert close_due_centers(now=DEC_1) == [closing.id]
    assert close_due_centers(now=DEC_1) == []
    expected = ((closing, CenterStatus.CLOSED), (already, CenterStatus.CLOSED), (staying, CenterStatus.OPEN))
    for center, status in expected:
        db.session.refresh(center)
        assert center.status == status


def test_holidays_include_substitute_days_and_korean_names():
    days = dict(public_holidays_between(date(2027, 1, 1), date(2027, 12, 31)))
    assert days[date(2027, 2, 7)] == "설날"
    assert date(2027, 2, 9) in days  # 대체 휴일: Seollal fell on a Sunday
    assert days[date(2027, 10, 3)] == "개천절"


def test_next_years_holidays_become_closures_of_open_and_planned_centers(app):
    open_center = factories.center()
    planned_center = planned()
    closed_center = factories.center(status=CenterStatus.CLOSED)
    db.session.commit()
    added = add_public_holiday_closures(now=DEC_1)
    expected = public_holidays_between(date(2026, 12, 1), date(2027, 12, 31))
    assert added == 2 * len(expected)
    rows = db.session.execute(
        select(Closure.center_id, Closure.starts_on, Closure.reason).where(Closure.kind == ClosureKind.HOLIDAY)
    ).all()
    assert {(row.center_id, row.starts_on) for row in rows} == {
        (center.id, day) for center in (open_center, planned_center) for day, _name in expected
    }
    assert closed_center.id not in {row.center_id for row in rows}
    assert (open_center.id, date(2027, 2, 7), "설날") in {tuple(row) for row in rows}
    # Holidays already past are not added: 2026-10-03 is before "now".
    assert all(row.starts_on >= date(2026, 12, 1) for row in rows)
    assert add_public_holiday_closures(now=DEC_1) == 0  # idempotent


def test_holiday_closures_keep_an_existing_closure_on_that_day(app):
    center = factories.center()
    factories.closure(center, date(2027, 1, 1), kind=ClosureKind.HOLIDAY, reason="new year (by hand)")
    db.session.commit()
    add_public_holiday_closures(now=DEC_1)
    reasons = db.session.scalars(
        select(Closure.reason).where(Closure.center_id == center.id, Closure.starts_on == date(2027, 1, 1))
    ).all()
    assert reasons == ["new year (by hand)"]
    total = db.session.scalar(select(func.count()).select_from(Closure))
    assert total == len(public_holidays_between(date(2026, 12, 1), date(2027, 12, 31)))
