"""Planner numbers against hand computations on the small network of fixtures.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from smartwork.bookings.demand import SearchMiss, record_search_miss
from smartwork.bookings.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from smartwork.centers.labels import STATUS_LABELS
from smartwork.centers.models import CenterKind, CenterStatus, CenterStatusChange, Ownership, SpaceKind
from smartwork.errors import Conflict, Invalid
from smartwork.extensions import db
from smartwork.operations.models import OccupancyHourly
from smartwork.planning import billing, coverage, lifecycle, rollout, services, usage
from smartwork.planning.models import RolloutTarget
from smartwork.timeutils import local_to_utc
from tests import factories as f

from .fixtures import NOW, TODAY, build_network

PUB, PRI = Ownership.PUBLIC, Ownership.PRIVATE


@pytest.fixture
def net(app):
    network = build_network()
    rollout.ensure_default_targets(now=NOW)
    return network


# --- targets and rollout ------------------------------------------------------------------------


def test_default_targets_are_the_2010_plan_and_seeding_is_idempotent(app):
    assert rollout.ensure_default_targets(now=NOW) == 12
    assert rollout.ensure_default_targets(now=NOW) == 0
    targets = {(t.target_on.year, t.ownership): t.centers for t in rollout.list_targets()}
    assert targets[(2010, PUB)] == 2
    assert targets[(2015, PUB)] == 50
    assert targets[(2015, PRI)] == 450
    assert [targets[(y, PUB)] for y in range(2010, 2016)] == [2, 10, 20, 30, 40, 50]


def test_save_target_refuses_a_second_target_for_the_same_date_and_ownership(net):
    with pytest.raises(Conflict) as caught:
        rollout.save_target(net.planner, target_on=date(2015, 12, 31), ownership=PUB, centers=1, seats=1)
    assert caught.value.field == "target_on"
    # Same date, other ownership of an edited row is fine: editing keeps its own slot.
    target = rollout.save_target(net.planner, target_on=date(2016, 12, 31), ownership=PUB, centers=60, seats=1500)
    edited = rollout.save_target(
        net.planner, target_id=target.id, target_on=date(2016, 12, 31), ownership=PUB, centers=55, seats=1400
    )
    assert edited.centers == 55 and edited.updated_by_id == net.planner.id
    with pytest.raises(Invalid):
        rollout.save_target(net.planner, target_on=date(2017, 1, 1), ownership=PUB, centers=-1, seats=0)
    rollout.delete_target(net.planner, target.id)
    assert db.session.get(RolloutTarget, target.id) is None


def test_rollout_progress_counts_open_centers_and_seats_at_each_year_end(net):
    progress = rollout.rollout_progress(NOW)
    by_year = {p.on.year: p for p in progress.points}
    assert progress.points[0].on == date(2010, 12, 31)
    assert progress.points[-1].on == TODAY
    # 2010: c1 only (4 seats: 3 desks + 1 booth; the meeting room is not a seat).
    assert by_year[2010].open_centers == {PUB: 1, PRI: 0}
    assert by_year[2010].open_seats == {PUB: 4, PRI: 0}
    # 2011: c1 + c3 public; 2012: + c2 private; 2013: c3 closed on 30 June.
    assert by_year[2011].open_centers == {PUB: 2, PRI: 0}
    assert by_year[2011].open_seats == {PUB: 6, PRI: 0}
    assert by_year[2012].open_centers == {PUB: 2, PRI: 1}
    assert by_year[2013].open_centers == {PUB: 1, PRI: 1}
    assert by_year[2013].open_seats == {PUB: 4, PRI: 2}
    assert by_year[2011].target_centers == {PUB: 10, PRI: 50}
    assert by_year[2026].target_centers == {PUB: 50, PRI: 450}
    gaps = {gap.ownership: gap for gap in progress.gaps}
    assert (gaps[PUB].open_centers, gaps[PUB].target_centers, gaps[PUB].missing_centers) == (1, 50, 49)
    assert (gaps[PRI].open_centers, gaps[PRI].target_centers, gaps[PRI].missing_centers) == (1, 450, 449)
    assert gaps[PUB].share_of_target == pytest.approx(0.02)
    table = rollout.rollout_table(progress)
    assert table.rows[0] == [date(2010, 12, 31), 1, 2, 0, 0, 4, 50, 0, 0]


def test_a_center_closing_on_a_year_end_is_not_open_that_day(net):
    net.centers["c2"].closed_on = date(2020, 12, 31)
    db.session.commit()
    by_year = {p.on.year: p for p in rollout.rollout_progress(NOW).points}
    assert by_year[2019].open_centers[PRI] == 1
    assert by_year[2020].open_centers[PRI] == 0


def test_pipeline_counts_centers_by_status_and_ownership(net):
    table = rollout.pipeline_table()
    rows = dict(zip(CenterStatus, (row[1:] for row in table.rows), strict=True))
    assert rows[CenterStatus.PLANNED] == [0, 1, 1]
    assert rows[CenterStatus.UNDER_CONSTRUCTION] == [1, 0, 1]
    assert rows[CenterStatus.OPEN] == [1, 1, 2]
    assert rows[CenterStatus.SUSPENDED] == [0, 0, 0]
    assert rows[CenterStatus.CLOSED] == [1, 0, 1]
    assert table.footer[1:] == [3, 2, 5]


def test_overdue_lists_centers_past_their_planned_opening_with_days_late(net):
    table = rollout.overdue_table(NOW)
    # c4 was due 2026-10-01: 45 days late; c5 is due today, so not late yet.
    assert [(row[0], row[4]) for row in table.rows] == [(net.centers["c4"].name_ko, 45)]
    assert table.links == ["c4"]
    tomorrow = NOW + timedelta(days=1)
    assert [row[4] for row in rollout.overdue_table(tomorrow).rows] == [46, 1]


def test_province_table_counts_centers_seats_people_and_seats_per_thousand(net):
    table = rollout.province_table()
    rows = {row[0]: row[1:] for row in table.rows}
    # planned, under construction, open, suspended, closed, open seats, civil servants, per 1,000
    assert rows["서울특별시"] == [0, 0, 2, 0, 0, 6, 6, 1000.0]
    assert rows["경기도"] == [1, 1, 0, 0, 1, 0, 4, 0.0]
    assert rows["강원도"] == [0, 0, 0, 0, 0, 0, 4, 0.0]
    assert table.footer[1:] == [1, 1, 2, 0, 1, 6, 14, round(6000 / 14, 1)]


# --- lifecycle ----------------------------------------------------------------------------------


def test_lifecycle_moves_one_step_at_a_time_and_records_each_change(net):
    c4 = net.centers["c4"]
    with pytest.raises(Invalid) as caught:
        lifecycle.change_center_status(net.planner, c4.id, CenterStatus.OPEN, date(2026, 11, 1), now=NOW)
    assert caught.value.rule == "invalid_transition"
    assert caught.value.field == "to_status"
    assert caught.value.allowed == ["under_construction"]
    assert str(STATUS_LABELS[CenterStatus.UNDER_CONSTRUCTION]) in caught.value.message
    assert db.session.scalar(select(func.count()).select_from(CenterStatusChange)) == 0

    change = lifecycle.change_center_status(
        net.planner, c4.id, CenterStatus.UNDER_CONSTRUCTION, date(2026, 11, 2), "builder hired", now=NOW
    )
    assert (change.from_status, change.to_status, change.effective_on) == (
        CenterStatus.PLANNED,
        CenterStatus.UNDER_CONSTRUCTION,
        date(2026, 11, 2),
    )
    assert change.changed_by_id == net.planner.id and change.changed_at == NOW and change.note == "builder hired"
    lifecycle.change_center_status(net.planner, c4.id, CenterStatus.OPEN, TODAY, now=NOW)
    db.session.refresh(c4)
    assert c4.status == CenterStatus.OPEN and c4.opened_on == TODAY
    history = lifecycle.status_history(c4.id)
    assert [h.to_status for h in history] == [CenterStatus.OPEN, CenterStatus.UNDER_CONSTRUCTION]


def test_lifecycle_refuses_future_dates_and_dates_before_the_previous_change(net):
    c5 = net.centers["c5"]
    with pytest.raises(Invalid) as caught:
        lifecycle.change_center_status(net.planner, c5.id, CenterStatus.OPEN, TODAY + timedelta(days=1), now=NOW)
    assert caught.value.rule == "future_date"
    lifecycle.change_center_status(net.planner, c5.id, CenterStatus.OPEN, TODAY, now=NOW)
    with pytest.raises(Invalid) as caught:
        lifecycle.change_center_status(net.planner, c5.id, CenterStatus.SUSPENDED, TODAY - timedelta(days=1), now=NOW)
    assert caught.value.rule == "date_before_previous"


def test_suspend_reopen_keeps_the_first_opening_date_and_closing_is_final(net):
    c1 = net.centers["c1"]
    lifecycle.change_center_status(net.planner, c1.id, CenterStatus.SUSPENDED, date(2026, 1, 5), now=NOW)
    lifecycle.change_center_status(net.planner, c1.id, CenterStatus.OPEN, date(2026, 2, 5), now=NOW)
    db.session.refresh(c1)
    assert c1.opened_on == date(2010, 11, 3)
    lifecycle.change_center_status(net.planner, c1.id, CenterStatus.CLOSED, date(2026, 3, 5), now=NOW)
    db.session.refresh(c1)
    assert c1.closed_on == date(2026, 3, 5)
    with pytest.raises(Invalid) as caught:
        lifecycle.change_center_status(net.planner, c1.id, CenterStatus.OPEN, TODAY, now=NOW)
    assert caught.value.allowed == []
    assert db.session.scalar(select(func.count()).select_from(CenterStatusChange)) == 3


def test_closing_or_suspending_cancels_future_reserved_bookings(net):
    c1, c2 = net.centers["c1"], net.centers["c2"]
    holder = f.user()
    _booking(holder, c1, TODAY + timedelta(days=1), 9, 60, BookingStatus.RESERVED)
    _booking(holder, c1, TODAY - timedelta(days=1), 9, 60, BookingStatus.COMPLETED)
    _booking(holder, c2, TODAY + timedelta(days=2), 9, 60, BookingStatus.RESERVED)
    db.session.commit()
    lifecycle.change_center_status(net.planner, c1.id, CenterStatus.SUSPENDED, TODAY, now=NOW)
    statuses = dict(db.session.execute(select(Booking.center_id, Booking.status).where(Booking.starts_at > NOW)).all())
    assert statuses == {c1.id: BookingStatus.CANCELLED, c2.id: BookingStatus.RESERVED}
    past = db.session.scalar(select(Booking.status).where(Booking.center_id == c1.id, Booking.starts_at < NOW))
    assert past == BookingStatus.COMPLETED
    lifecycle.change_center_status(net.planner, c2.id, CenterStatus.CLOSED, TODAY, now=NOW)
    assert db.session.scalar(select(Booking.status).where(Booking.center_id == c2.id)) == BookingStatus.CANCELLED


def test_a_center_cannot_close_before_it_opened(net):
    c2 = net.centers["c2"]
    with pytest.raises(Invalid) as caught:
        lifecycle.change_center_status(net.planner, c2.id, CenterStatus.CLOSED, date(2012, 4, 30), now=NOW)
    assert caught.value.rule == "closed_before_opened"
    lifecycle.change_center_status(net.planner, c2.id, CenterStatus.CLOSED, date(2012, 5, 1), now=NOW)


# --- coverage and next sites --------------------------------------------------------------------


def test_coverage_within_10_and_20_km_by_province_and_overall(net):
    report = coverage.coverage_report()
    # Open centers sit at A and B: A (4) and B (2) are covered; C, D, F, G are not. 14 people in all.
    assert (report.total.people, report.total.near, report.total.reach) == (14, 6, 6)
    assert report.total.reach_share == pytest.approx(6 / 14)
    assert (report.provinces["11"].people, report.provinces["11"].reach) == (6, 6)
    assert (report.provinces["31"].people, report.provinces["31"].reach) == (4, 0)
    assert report.largest_uncovered.code == "31010"  # C: 3 civil servants
    table = coverage.coverage_table(report)
    assert table.footer[1:] == [14, 6, round(600 / 14, 1), 6, round(600 / 14, 1)]


def test_the_10_km_and_20_km_thresholds(app):
    """A center 15 km away counts within 20 km but not within 10 km; one 25 km away counts in neither."""
    home = f.region("11001", lat=37.5, lon=127.0)
    away = f.region("11002", lat=37.5 + 15 / 110.574, lon=127.0)
    far = f.region("11003", lat=37.5 - 25 / 110.574, lon=127.0)
    f.user(home=home)
    f.center(region_obj=away)
    f.user(home=far)
    db.session.commit()
    report = coverage.coverage_report()
    nearest = {r.code: r.nearest_km for r in report.regions}
    assert nearest["11001"] == pytest.approx(15, abs=0.1)
    assert nearest["11003"] is None
    assert (report.total.people, report.total.near, report.total.reach) == (2, 0, 1)


def test_greedy_picks_the_most_newly_covered_then_breaks_ties_by_unmet_demand(net):
    record_search_miss(day=TODAY, region_id=net.regions["G"].id, now=NOW)
    report = coverage.coverage_report()
    picks = coverage.next_sites(report, usage.unmet_demand(NOW))
    # E covers C (3) and D (1); then F and G tie at 2 each, and G has one unmet search.
    assert [p.region.code for p in picks] == ["31030", "32020", "32010"]
    assert [(p.new_people, p.new_regions, p.demand) for p in picks] == [(4, 2, 0), (2, 1, 1), (2, 1, 0)]
    assert [p.reach_share_after for p in picks] == [pytest.approx(10 / 14), pytest.approx(12 / 14), 1.0]
    # E is 11 km from C and D and about 55 km from the open center at A.
    assert picks[0].nearest_open_km == pytest.approx(55.1, abs=0.5)


def test_greedy_without_demand_breaks_ties_by_region_code(net):
    picks = coverage.next_sites(coverage.coverage_report(), usage.unmet_demand(NOW))
    assert [p.region.code for p in picks] == ["31030", "32010", "32020"]


# --- unmet demand and utilization ---------------------------------------------------------------


def _hour(center, day: date, hour: int, bookable: int, booked: int, checked_in: int = 0) -> None:
    db.session.add(
        OccupancyHourly(
            center_id=center.id,
            day=day,
            hour=hour,
            bookable_minutes=bookable,
            booked_minutes=booked,
            checked_in_minutes=checked_in,
        )
    )


def _waitlist(user, center, status: WaitlistStatus, created_at: datetime) -> None:
    starts = local_to_utc(TODAY + timedelta(days=1), datetime.min.time().replace(hour=9))
    db.session.add(
        WaitlistEntry(
            user_id=user.id,
            center_id=center.id,
            space_kind=SpaceKind.DESK,
            starts_at=starts,
            ends_at=starts + timedelta(hours=8),
            status=status,
            created_at=created_at,
        )
    )


def test_unmet_demand_per_center_and_region(net):
    c1, c2 = net.centers["c1"], net.centers["c2"]
    since = TODAY - timedelta(days=89)
    record_search_miss(day=TODAY, center_id=c1.id, user_id=net.planner.id, now=NOW)
    record_search_miss(day=TODAY, region_id=net.regions["G"].id, now=NOW)
    record_search_miss(day=TODAY, origin=(38.19, 128.91), now=NOW)  # nearest centroid: G
    record_search_miss(day=TODAY, region_id=net.regions["G"].id, now=NOW - timedelta(days=120))  # too old
    for status in (WaitlistStatus.WAITING, WaitlistStatus.EXPIRED, WaitlistStatus.FULFILLED, WaitlistStatus.CANCELLED):
        _waitlist(net.planner, c2, status, NOW)
    _waitlist(net.planner, c2, WaitlistStatus.WAITING, NOW - timedelta(days=120))  # too old
    _hour(c1, TODAY, 9, 60, 60)
    _hour(c1, TODAY, 10, 60, 60)  # the same day counts once
    _hour(c1, TODAY - timedelta(days=1), 9, 60, 59)  # one minute free: not full
    _hour(c1, TODAY - timedelta(days=2), 9, 0, 0)  # nothing bookable: not full
    _hour(c1, since, 9, 60, 60)  # first day of the window
    _hour(c1, since - timedelta(days=1), 9, 60, 60)  # just outside
    db.session.commit()
    report = usage.unmet_demand(NOW)
    assert report.since == since
    d1, d2 = report.by_center[c1.id], report.by_center[c2.id]
    assert (d1.misses, d1.waitlist, d1.full_days, d1.total) == (1, 0, 2, 3)
    assert (d2.misses, d2.waitlist, d2.full_days) == (0, 2, 0)
    region_a, region_g = report.by_region[net.regions["A"].id], report.by_region[net.regions["G"].id]
    assert (region_a.misses, region_a.full_days) == (1, 2)
    assert (region_g.misses, region_g.total) == (2, 2)
    assert report.by_region[net.regions["B"].id].waitlist == 2
    table = usage.demand_center_table(report)
    assert table.rows[0][2:] == [1, 0, 2, 3] and table.links == ["c1", "c2"]
    misses = db.session.scalars(select(SearchMiss).order_by(SearchMiss.id)).all()
    assert misses[0].region_id == net.regions["A"].id  # derived from the center
    assert misses[2].origin_lat == 38.19


def test_utilization_by_center_kind_per_month(net):
    c1, c2 = net.centers["c1"], net.centers["c2"]  # residential, travel
    _hour(c1, date(2026, 11, 2), 9, 120, 60, 30)
    _hour(c1, date(2026, 11, 3), 9, 120, 0, 0)
    _hour(c2, date(2026, 11, 2), 9, 60, 90, 60)  # travel hubs can run over 100 %
    _hour(c2, date(2026, 10, 30), 9, 100, 25, 20)
    _hour(c2, date(2025, 11, 30), 9, 100, 100, 100)  # 12 months back: outside the window
    db.session.commit()
    points = usage.utilization_by_kind(NOW)
    assert len(points) == 24 and points[0].month == date(2025, 12, 1)
    got = {(p.month, p.kind): p for p in points}
    nov_res = got[(date(2026, 11, 1), CenterKind.RESIDENTIAL)]
    assert (nov_res.booked_share, nov_res.used_share) == (0.25, 0.125)
    assert got[(date(2026, 11, 1), CenterKind.TRAVEL)].booked_share == 1.5
    assert got[(date(2026, 10, 1), CenterKind.TRAVEL)].used_share == 0.2
    assert got[(date(2026, 10, 1), CenterKind.RESIDENTIAL)].booked_share is None


# --- billing ------------------------------------------------------------------------------------


def _booking(user, center, day: date, start_hour: int, minutes: int, status: BookingStatus) -> None:
    starts = local_to_utc(day, datetime.min.time().replace(hour=start_hour))
    space = center.spaces[0]
    db.session.add(
        Booking(
            space_id=space.id,
            center_id=center.id,
            user_id=user.id,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes),
            status=status,
        )
    )
    db.session.flush()


@pytest.fixture
def billed(app):
    agency, other = f.agency("MOIS"), f.agency("MOEF")
    op = f.operator(Ownership.PRIVATE, code="kt")
    p1 = f.center(code="p1", ownership=Ownership.PRIVATE, operator_obj=op, spaces={SpaceKind.DESK: 1})
    p2 = f.center(code="p2", ownership=Ownership.PRIVATE, operator_obj=op, spaces={SpaceKind.DESK: 1})
    q = f.center(code="q", spaces={SpaceKind.DESK: 1})
    f.contract(agency, op, rate=6000, starts_on=date(2026, 1, 1), ends_on=date(2026, 10, 15))
    f.contract(agency, op, rate=9000, starts_on=date(2026, 10, 16))
    f.contract(other, op, rate=1000, starts_on=date(2026, 1, 1))
    u1, u2 = f.user(agency_obj=agency), f.user(agency_obj=agency)
    stranger = f.user(agency_obj=other)
    done, inside = BookingStatus.COMPLETED, BookingStatus.CHECKED_IN
    _booking(u1, p1, date(2026, 10, 5), 9, 120, done)  # 2 h × 6,000 = 12,000
    _booking(u2, p1, date(2026, 10, 20), 9, 90, inside)  # 1.5 h × 9,000 = 13,500
    _booking(u1, p2, date(2026, 10, 21), 13, 60, done)  # 1 h × 9,000 = 9,000
    _booking(u1, p1, date(2026, 10, 1), 8, 60, done)  # 2026-09-30 23:00 UTC: October in Seoul, 6,000
    _booking(u1, p1, date(2026, 11, 1), 8, 60, done)  # 2026-10-31 23:00 UTC: November in Seoul
    _booking(u1, p1, date(2026, 10, 6), 9, 60, BookingStatus.CANCELLED)
    _booking(u1, p1, date(2026, 10, 7), 9, 60, BookingStatus.RELEASED)
    _booking(u1, p1, date(2026, 10, 8), 9, 60, BookingStatus.RESERVED)
    _booking(u1, q, date(2026, 10, 9), 9, 60, done)  # public center: free
    _booking(stranger, p1, date(2026, 10, 12), 9, 60, done)  # another agency
    db.session.commit()
    return agency


def test_invoice_hours_times_the_contract_rate_of_each_day(billed):
    result = billing.invoice(billed, date(2026, 10, 1))
    lines = [(line.center_code, line.rate, line.minutes, line.amount) for line in result.lines]
    assert sorted(lines) == [
        ("p1", Decimal(6000), 180, Decimal(18000)),
        ("p1", Decimal(9000), 90, Decimal(13500)),
        ("p2", Decimal(9000), 60, Decimal(9000)),
    ]
    assert result.hours == 5.5
    assert result.total == Decimal(40500)
    table = billing.invoice_table(result)
    assert table.footer[1:] == ["", 5.5, "", 40500]
    november = billing.invoice(billed, date(2026, 11, 1))
    assert (november.minutes, november.total) == (60, Decimal(9000))


def test_billing_summary_matches_the_invoices(billed):
    bills = {bill.code: bill for bill in billing.billing_summary(date(2026, 10, 1))}
    assert (bills["MOIS"].minutes, bills["MOIS"].amount) == (330, Decimal(40500))
    assert (bills["MOEF"].minutes, bills["MOEF"].amount) == (60, Decimal(1000))
    assert billing.billing_summary(date(2026, 9, 1)) == []


def test_hours_on_days_without_a_contract_are_shown_but_not_charged(app):
    agency = f.agency("NOC")
    op = f.operator(Ownership.PRIVATE)
    p = f.center(ownership=Ownership.PRIVATE, operator_obj=op, spaces={SpaceKind.DESK: 1})
    f.contract(agency, op, rate=5000, starts_on=date(2026, 10, 10))
    user = f.user(agency_obj=agency)
    _booking(user, p, date(2026, 10, 9), 9, 60, BookingStatus.COMPLETED)
    _booking(user, p, date(2026, 10, 10), 9, 60, BookingStatus.COMPLETED)
    db.session.commit()
    result = billing.invoice(agency, date(2026, 10, 1))
    assert (result.minutes, result.unbilled_minutes, result.total) == (120, 60, Decimal(5000))


def test_previous_month_and_month_bounds():
    assert billing.previous_month(datetime(2026, 1, 10, tzinfo=UTC)) == date(2025, 12, 1)
    assert billing.previous_month(datetime(2026, 11, 15, tzinfo=UTC)) == date(2026, 10, 1)
    start, end = billing.month_bounds(date(2026, 12, 1))
    assert start == datetime(2026, 11, 30, 15, tzinfo=UTC) and end == datetime(2026, 12, 31, 15, tzinfo=UTC)


def test_export_table_builds_every_key(net):
    for key in (
        "rollout",
        "pipeline",
        "overdue",
        "provinces",
        "targets",
        "coverage",
        "uncovered",
        "next_sites",
        "demand_centers",
        "demand_regions",
        "utilization",
        "billing",
    ):
        table = services.export_table(key, NOW, month=date(2026, 10, 1))
        assert table.key == key


def test_overview_assembles_the_hand_computed_numbers(net):
    view = services.overview(NOW)
    gaps = {gap.ownership: (gap.open_centers, gap.target_centers) for gap in view.progress.gaps}
    assert gaps == {PUB: (1, 50), PRI: (1, 450)}
    assert view.tables["coverage"].footer[1:] == [14, 6, 42.9, 6, 42.9]
    assert view.largest_uncovered.code == "31010"
    assert [row[1] for row in view.tables["next_sites"].rows] == ["마시", "바군", "사군"]
    assert [row[4] for row in view.tables["overdue"].rows] == [45]
    assert len(view.map.provinces) == 17 and sorted(d.code for d in view.map.dots) == ["c1", "c2", "c3", "c4", "c5"]
    fills = {p.code: p.fill for p in view.map.provinces}
    assert fills["11"] == "#3182bd" and fills["31"] == "#eff3ff" and fills["21"] == "#e5e5e5"
    radius = {d.code: d.r for d in view.map.dots}
    assert radius["c1"] == round(2.5 + 2 * 0.6, 1)  # 4 seats
    assert [c.key for c in view.charts] == ["rollout_centers", "rollout_seats"]
    public_open = view.charts[0].series[0]
    assert len(public_open.markers) == len(view.progress.points) == 2026 - 2010 + 1


def test_the_overview_is_cached_per_worker_and_cleared_by_planner_changes(app):
    """Cached for PLANNING_OVERVIEW_CACHE_SECONDS (off elsewhere in tests); a planner's change clears it."""
    from smartwork.auth.models import Role

    app.config["PLANNING_OVERVIEW_CACHE_SECONDS"] = 60
    planner = f.user(roles=(Role.PLANNER,))
    db.session.commit()
    now = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    with app.test_request_context("/planning/"):
        first = services.cached_overview(now)
        assert services.cached_overview(now + timedelta(seconds=59)) is first
        second = services.cached_overview(now + timedelta(seconds=60))
        assert second is not first
        rollout.save_target(planner, target_on=date(2030, 12, 31), ownership=Ownership.PUBLIC, centers=60,
                            seats=1500, now=now + timedelta(seconds=61))
        assert services.cached_overview(now + timedelta(seconds=62)) is not second
    app.config["PLANNING_OVERVIEW_CACHE_SECONDS"] = 0
    with app.test_request_context("/planning/"):
        assert services.cached_overview(now) is not services.cached_overview(now)
