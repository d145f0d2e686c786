"""Unmet demand (searches with no result, unserved waitlist entries, full days) and utilization by center type.

Both read aggregates only: SearchMiss and waitlist rows are counted in SQL, full days and
utilization come from the hourly occupancy roll-up, never from raw bookings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import distinct, extract, func, select

from ..bookings.demand import SearchMiss
from ..bookings.models import WaitlistEntry, WaitlistStatus
from ..centers.labels import KIND_LABELS
from ..centers.models import Center, CenterKind, Region
from ..extensions import db
from ..operations.models import OccupancyHourly
from ..timeutils import local_day_bounds, local_today, utcnow
from .common import Column, Table, percent, share

DEMAND_WINDOW_DAYS = 90
UNMET_WAITLIST_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.EXPIRED)


@dataclass
class Demand:
    """Unmet demand at one place: searches that found nothing, waitlist entries not served, full days."""

    misses: int = 0
    waitlist: int = 0
    full_days: int = 0

    @property
    def total(self) -> int:
        """One plain sum: each unserved search, waitlist entry and full day counts once."""
        return self.misses + self.waitlist + self.full_days


@dataclass
class DemandReport:
    """Unmet demand per center and per region over a window of days."""

    since: date
    until: date
    by_center: dict[int, Demand]
    by_region: dict[int, Demand]


def unmet_demand(now: datetime | None = None, days: int = DEMAND_WINDOW_DAYS) -> DemandReport:
    """Unmet demand over the last ``days`` local days up to today, aggregated in SQL.

    A full day is a local day on which at least one hour of the roll-up had every bookable
    minute booked (booked ≥ bookable > 0): someone arriving then found nothing free.
    """
    now = now or utcnow()
    today = local_today(now)
    since = today - timedelta(days=days - 1)
    since_instant = local_day_bounds(since)[0]
    center_region = dict(db.session.execute(select(Center.id, Center.region_id)).all())
    by_center: dict[int, Demand] = {}
    by_region: dict[int, Demand] = {}

    def bump(center_id: int | None, region_id: int | None, attr: str, count: int) -> None:
        if center_id is not None:
            demand = by_center.setdefault(center_id, Demand())
            setattr(demand, attr, getattr(demand, attr) + count)
            region_id = region_id if region_id is not None else center_region.get(center_id)
        if region_id is not None:
            demand = by_region.setdefault(region_id, Demand())
            setattr(demand, attr, getattr(demand, attr) + count)

    for center_id, region_id, count in db.session.execute(
        select(SearchMiss.center_id, SearchMiss.region_id, func.count())
        .where(SearchMiss.created_at >= since_instant)
        .group_by(SearchMiss.center_id, SearchMiss.region_id)
    ):
        bump(center_id, region_id, "misses", count)
    for center_id, count in db.session.execute(
        select(WaitlistEntry.center_id, func.count())
        .where(WaitlistEntry.status.in_(UNMET_WAITLIST_STATUSES), WaitlistEntry.created_at >= since_instant)
        .group_by(WaitlistEntry.center_id)
    ):
        bump(center_id, None, "waitlist", count)
    for center_id, count in db.session.execute(
        select(OccupancyHourly.center_id, func.count(distinct(OccupancyHourly.day)))
        .where(
            OccupancyHourly.day >= since,
            OccupancyHourly.day <= today,
            OccupancyHourly.bookable_minutes > 0,
            OccupancyHourly.booked_minutes >= OccupancyHourly.bookable_minutes,
        )
        .group_by(OccupancyHourly.center_id)
    ):
        bump(center_id, None, "full_days", count)
    return DemandReport(since=since, until=today, by_center=by_center, by_region=by_region)


def _demand_columns(first: object) -> list[Column]:
    return [
        Column(first),
        Column(_("Province")),
        Column(_("Searches with no result"), True),
        Column(_("Unserved waitlist entries"), True),
        Column(_("Full days"), True),
        Column(_("Total"), True),
    ]


def demand_center_table(report: DemandReport) -> Table:
    """Unmet demand per center, largest first."""
    table = Table("demand_centers", _("Unmet demand by center"), _demand_columns(_("Center")))
    if not report.by_center:
        return table
    centers = {
        row.id: row
        for row in db.session.execute(
            select(Center.id, Center.code, Center.name_ko, Region.sido_name_ko)
            .join(Region, Center.region_id == Region.id)
            .where(Center.id.in_(report.by_center))
        )
    }
    for center_id, demand in sorted(report.by_center.items(), key=lambda item: (-item[1].total, item[0])):
        row = centers[center_id]
        table.rows.append(
            [row.name_ko, row.sido_name_ko, demand.misses, demand.waitlist, demand.full_days, demand.total]
        )
        table.links.append(row.code)
    return table


def demand_region_table(report: DemandReport) -> Table:
    """Unmet demand per 시군구 (a center's demand counts in its region), largest first."""
    table = Table("demand_regions", _("Unmet demand by region"), _demand_columns(_("Region")))
    if not report.by_region:
        return table
    regions = {
        row.id: row
        for row in db.session.execute(
            select(Region.id, Region.name_ko, Region.sido_name_ko).where(Region.id.in_(report.by_region))
        )
    }
    for region_id, demand in sorted(report.by_region.items(), key=lambda item: (-item[1].total, item[0])):
        row = regions[region_id]
        table.rows.append(
            [row.name_ko, row.sido_name_ko, demand.misses, demand.waitlist, demand.full_days, demand.total]
        )
    return table


# --- utilization ------------------------------------------------------------------------------


def _month_starts(today: date, months: int) -> list[date]:
    first = date(today.year, today.month, 1)
    starts = []
    for back in range(months - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        starts.append(date(year, month + 1, 1))
    return starts


@dataclass
class UtilizationPoint:
    """One month of one center kind: booked and checked-in minutes as shares of bookable minutes."""

    month: date
    kind: CenterKind
    bookable: int
    booked: int
    checked_in: int

    @property
    def booked_share(self) -> float | None:
        return share(self.booked, self.bookable)

    @property
    def used_share(self) -> float | None:
        return share(self.checked_in, self.bookable)


def utilization_by_kind(now: datetime | None = None, months: int = 12) -> list[UtilizationPoint]:
    """Monthly utilization of residential vs travel centers over the last ``months`` months, from the roll-up."""
    today = local_today(now)
    starts = _month_starts(today, months)
    year, month = extract("year", OccupancyHourly.day), extract("month", OccupancyHourly.day)
    rows = db.session.execute(
        select(
            year,
            month,
            Center.kind,
            func.sum(OccupancyHourly.bookable_minutes),
            func.sum(OccupancyHourly.booked_minutes),
            func.sum(OccupancyHourly.checked_in_minutes),
        )
        .join(Center, Center.id == OccupancyHourly.center_id)
        .where(OccupancyHourly.day >= starts[0], OccupancyHourly.day <= today)
        .group_by(year, month, Center.kind)
    )
    sums = {(int(y), int(m), kind): (int(a or 0), int(b or 0), int(c or 0)) for y, m, kind, a, b, c in rows}
    points = []
    for start in starts:
        for kind in CenterKind:
            bookable, booked, checked_in = sums.get((start.year, start.month, kind), (0, 0, 0))
            points.append(UtilizationPoint(start, kind, bookable, booked, checked_in))
    return points


def utilization_table(points: list[UtilizationPoint]) -> Table:
    """Monthly utilization by center kind, as percentages of bookable time."""
    table = Table(
        "utilization",
        _("Utilization by center type"),
        [
            Column(_("Month")),
            Column(_("Type")),
            Column(_("Bookable hours"), True),
            Column(_("Booked (%)"), True),
            Column(_("Used (%)"), True),
        ],
    )
    for p in points:
        table.rows.append(
            [
                p.month.strftime("%Y-%m"),
                str(KIND_LABELS[p.kind]),
                round(p.bookable / 60, 1),
                percent(p.booked_share),
                percent(p.used_share),
            ]
        )
    return table
