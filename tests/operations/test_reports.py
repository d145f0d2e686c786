"""Report numbers against a hand computation on a small fixture; charts and CSV."""

from __future__ import annotations

from datetime import date

import pytest

from smartwork.bookings.models import BookingStatus
from smartwork.centers.models import SpaceKind
from smartwork.errors import Invalid
from smartwork.extensions import db
from smartwork.operations import reports
from smartwork.operations.models import OccupancyHourly
from tests import factories
from tests.operations.helpers import NOW, at, booking, center_with_spaces, space

MON, TUE, WED = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)


@pytest.fixture
def center(app):
    center = center_with_spaces(desks=2, rooms=1)  # D01, D02, M01; open 08:30–18:30 (600 min)
    other = center_with_spaces(desks=1)
    d1, d2, m1 = space(center, "D01"), space(center, "D02"), space(center, "M01")
    for day, hour, bookable, booked, present, no_shows in [
        (MON, 9, 180, 120, 60, 0),
        (MON, 10, 180, 60, 60, 1),
        (TUE, 9, 180, 0, 0, 0),
        (WED, 9, 180, 180, 180, 0),  # outside the range
    ]:
        db.session.add(OccupancyHourly(center_id=center.id, day=day, hour=hour, bookable_minutes=bookable,
                                       booked_minutes=booked, checked_in_minutes=present, no_shows=no_shows))
    db.session.add(OccupancyHourly(center_id=other.id, day=MON, hour=9, bookable_minutes=60, booked_minutes=60,
                                   checked_in_minutes=60, no_shows=5))
    people = [factories.user() for _ in range(6)]
    booking(d1, people[0], "09:00", "11:00", BookingStatus.COMPLETED, day=MON)
    booking(d2, people[1], "09:00", "10:00", BookingStatus.COMPLETED, day=MON)
    booking(d2, people[2], "10:00", "11:00", BookingStatus.RELEASED, day=MON, released_at=at("10:30", MON))
    booking(m1, people[3], "09:30", "10:30", BookingStatus.RESERVED, day=MON, attendees=3)
    booking(d1, people[4], "13:00", "14:00", BookingStatus.CANCELLED, day=TUE)
    booking(d1, people[5], "09:00", "10:00", BookingStatus.COMPLETED, day=WED)  # outside the range
    booking(space(other, "D01"), people[0], "12:00", "13:00", BookingStatus.COMPLETED, day=MON)
    db.session.commit()
    return center


def test_numbers_match_a_hand_computation(center):
    report = reports.build_report(center, MON, TUE, now=NOW)
    assert [(d.day, d.bookable_minutes, d.booked_minutes, d.checked_in_minutes, d.no_shows) for d in report.days] == [
        (MON, 360, 180, 120, 1), (TUE, 180, 0, 0, 0)]
    assert report.days[0].utilization == pytest.approx(0.5)
    assert report.days[0].checkin_rate == pytest.approx(2 / 3)
    assert report.days[1].utilization == 0 and report.days[1].checkin_rate is None
    assert report.utilization == pytest.approx(180 / 540)
    assert report.checkin_rate == pytest.approx(120 / 180)
    # 1 released out of 4 bookings that reached their start (the cancelled one never did).
    assert (report.no_shows, report.started_bookings) == (1, 4)
    assert report.no_show_rate == pytest.approx(0.25)
    # At 09:30 on Monday D01, D02 and M01 are all in use.
    assert report.peak_concurrent == 3 and report.peak_at == at("09:30", MON)


def test_by_kind_and_busiest(center):
    report = reports.build_report(center, MON, TUE, now=NOW)
    kinds = {k.kind: (k.spaces, k.bookable_minutes, k.booked_minutes, k.checked_in_minutes) for k in report.kinds}
    # Two open days of 600 minutes per space; the no-show held D02 for 30 minutes, until its release
    # (the roll-up's definition, issue 16).
    assert kinds == {SpaceKind.DESK: (2, 2400, 210, 180), SpaceKind.MEETING_ROOM: (1, 1200, 60, 0)}
    desk = next(k for k in report.kinds if k.kind == SpaceKind.DESK)
    assert desk.utilization == pytest.approx(210 / 2400) and desk.checkin_rate == pytest.approx(180 / 210)
    assert [(s.code, s.bookings, s.booked_minutes) for s in report.busiest] == [
        ("D01", 1, 120), ("D02", 2, 90), ("M01", 1, 60)]
    assert report.busiest[0].utilization == pytest.approx(0.1)


def test_heatmap(center):
    report = reports.build_report(center, MON, TUE, now=NOW)
    cells = {(c.weekday, c.hour): c for c in report.heatmap}
    assert report.heat_hours == [9, 10]
    assert cells[(0, 9)].utilization == pytest.approx(120 / 180)
    assert cells[(0, 10)].utilization == pytest.approx(60 / 180)
    assert cells[(1, 9)].utilization == 0 and cells[(1, 9)].level == 1
    assert cells[(2, 9)].utilization is None and cells[(2, 9)].level == 0  # Wednesday is outside the range
    assert cells[(0, 9)].level > cells[(0, 10)].level


def test_charts_place_bars(center):
    report = reports.build_report(center, MON, TUE, now=NOW)
    days = report.charts["days"]
    assert [b.text for b in days.bars] == ["50%", "0%"]
    plot_height = days.height - 40
    assert days.bars[0].height == pytest.approx(plot_height / 2) and days.bars[1].height == 0
    assert days.bars[0].y + days.bars[0].height == pytest.approx(days.baseline)


def test_closure_days_are_not_bookable_by_kind(center):
    factories.closure(center, TUE)
    db.session.commit()
    kinds = {k.kind: k.bookable_minutes for k in reports.build_report(center, MON, TUE, now=NOW).kinds}
    assert kinds[SpaceKind.DESK] == 2 * 600


def test_csv(center):
    text = reports.report_csv(reports.build_report(center, MON, TUE, now=NOW))
    lines = text.strip().splitlines()
    assert lines[0].startswith("section,date_or_key")
    assert "day,2026-11-30,6.00,3.00,2.00,0.5000,0.6667,1" in lines
    assert lines[-1].startswith("total,2026-11-30..2026-12-01,9.00,3.00,2.00,0.3333,0.6667,1")


def test_range_is_validated(center):
    with pytest.raises(Invalid):
        reports.build_report(center, TUE, MON)
    with pytest.raises(Invalid):
        reports.build_report(center, date(2025, 1, 1), date(2026, 1, 2))
    reports.build_report(center, date(2025, 1, 2), date(2026, 1, 2))  # 366 days is allowed


def test_peak_treats_intervals_as_half_open(app):
    center = center_with_spaces(desks=3)
    d1, d2, d3 = (space(center, code) for code in ("D01", "D02", "D03"))
    a, b, c = factories.user(), factories.user(), factories.user()
    booking(d1, a, "09:00", "10:00", BookingStatus.COMPLETED, day=MON)
    booking(d2, b, "10:00", "11:00", BookingStatus.COMPLETED, day=MON)  # starts as the first ends
    booking(d3, c, "10:30", "12:00", BookingStatus.COMPLETED, day=MON)
    booking(d1, a, "23:00", "23:30", BookingStatus.CANCELLED, day=MON)
    db.session.commit()
    assert reports.peak_concurrency(center.id, MON, MON) == (2, at("10:30", MON))
    assert reports.peak_concurrency(center.id, TUE, TUE) == (0, None)
