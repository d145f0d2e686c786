"""Coverage (who lives near an open center), unmet demand, utilization and where to build next.

Distances are computed between 시군구 centroids and open centers once per call (about
250 × 500 pairs, pruned by a latitude window), never per user: people are counted per home
region in SQL and each region's people share the region's distance.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from math import cos, radians

from flask_babel import gettext as _
from sqlalchemy import select

from ..centers.models import Center, CenterStatus, Region
from ..centers.services import haversine_km
from ..extensions import db
from .common import Column, Table, civil_servants_by_region, percent, share
from .usage import DemandReport

NEAR_KM = 10.0
REACH_KM = 20.0
KM_PER_DEGREE_LAT = 110.574
ANY_DISTANCE_KM = 2000.0  # farther than any two points in Korea


class PointIndex:
    """Points sorted by latitude, so 'everything within r km' only measures a thin band of candidates."""

    def __init__(self, points: list[tuple[int, float, float]]) -> None:
        self._points = sorted(points, key=lambda p: p[1])
        self._lats = [p[1] for p in self._points]

    def within(self, lat: float, lon: float, radius_km: float) -> list[tuple[int, float]]:
        """(id, km) of the points within ``radius_km`` of (lat, lon)."""
        band = radius_km / KM_PER_DEGREE_LAT
        # A degree of longitude shrinks with cos(latitude); the widest it gets in the band bounds it.
        lon_band = radius_km / (KM_PER_DEGREE_LAT * max(cos(radians(abs(lat) + band)), 0.01))
        lo, hi = bisect_left(self._lats, lat - band), bisect_right(self._lats, lat + band)
        found = []
        for point_id, plat, plon in self._points[lo:hi]:
            if abs(plon - lon) > lon_band:
                continue  # outside the bounding box: cannot be within radius_km
            km = haversine_km(lat, lon, plat, plon)
            if km <= radius_km:
                found.append((point_id, km))
        return found

    def nearest_km(self, lat: float, lon: float, radius_km: float) -> float | None:
        """Distance to the nearest point within ``radius_km``, or None."""
        found = self.within(lat, lon, radius_km)
        return min(km for _id, km in found) if found else None


@dataclass
class RegionCoverage:
    """One 시군구: its civil servants and how far its centroid is from the nearest open center."""

    id: int
    code: str
    name_ko: str
    sido_code: str
    sido_name_ko: str
    lat: float
    lon: float
    people: int
    nearest_km: float | None  # None: no open center within REACH_KM

    @property
    def within_near(self) -> bool:
        return self.nearest_km is not None and self.nearest_km <= NEAR_KM

    @property
    def within_reach(self) -> bool:
        return self.nearest_km is not None and self.nearest_km <= REACH_KM


@dataclass
class CoverageTotals:
    """Civil servants and how many live within 10 and 20 km of an open center."""

    people: int = 0
    near: int = 0
    reach: int = 0

    @property
    def near_share(self) -> float | None:
        return share(self.near, self.people)

    @property
    def reach_share(self) -> float | None:
        return share(self.reach, self.people)

    def add(self, region: RegionCoverage) -> None:
        self.people += region.people
        self.near += region.people if region.within_near else 0
        self.reach += region.people if region.within_reach else 0


@dataclass
class CoverageReport:
    """Coverage per region, per province and overall."""

    regions: list[RegionCoverage]
    provinces: dict[str, CoverageTotals] = field(default_factory=dict)
    province_names: dict[str, str] = field(default_factory=dict)
    total: CoverageTotals = field(default_factory=CoverageTotals)

    @property
    def largest_uncovered(self) -> RegionCoverage | None:
        """The 시군구 with the most civil servants and no open center within 20 km."""
        candidates = [r for r in self.regions if r.people and not r.within_reach]
        return max(candidates, key=lambda r: (r.people, -int(r.code)), default=None)


def open_center_points() -> list[tuple[int, float, float]]:
    """(id, lat, lon) of every open center."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(Center.id, Center.lat, Center.lon).where(Center.status == CenterStatus.OPEN)
        )
    ]


def coverage_report() -> CoverageReport:
    """Who lives within 10 and 20 km of an open center, by region, province and overall (today's statuses)."""
    people = civil_servants_by_region()
    index = PointIndex(open_center_points())
    regions = []
    for row in db.session.execute(
        select(
            Region.id, Region.code, Region.name_ko, Region.sido_code, Region.sido_name_ko, Region.lat, Region.lon
        ).order_by(Region.code)
    ):
        regions.append(
            RegionCoverage(*row, people=people.get(row.id, 0), nearest_km=index.nearest_km(row.lat, row.lon, REACH_KM))
        )
    report = CoverageReport(regions=regions)
    for region in regions:
        report.province_names.setdefault(region.sido_code, region.sido_name_ko)
        report.provinces.setdefault(region.sido_code, CoverageTotals()).add(region)
        report.total.add(region)
    return report


def coverage_table(report: CoverageReport) -> Table:
    """Coverage by province with the national total."""
    table = Table(
        "coverage",
        _("Civil servants near an open center"),
        [
            Column(_("Province")),
            Column(_("Civil servants"), True),
            Column(_("Within 10 km"), True),
            Column(_("Within 10 km (%)"), True),
            Column(_("Within 20 km"), True),
            Column(_("Within 20 km (%)"), True),
        ],
    )

    def cells(totals: CoverageTotals) -> list:
        return [totals.people, totals.near, percent(totals.near_share), totals.reach, percent(totals.reach_share)]

    for sido, totals in sorted(report.provinces.items()):
        table.rows.append([report.province_names[sido], *cells(totals)])
    table.footer = [_("Total"), *cells(report.total)]
    return table


def uncovered_table(report: CoverageReport, limit: int = 20) -> Table:
    """The 시군구 with the most civil servants and no open center within 20 km."""
    table = Table(
        "uncovered",
        _("Regions without an open center within 20 km"),
        [Column(_("Region")), Column(_("Province")), Column(_("Civil servants"), True)],
    )
    candidates = sorted(
        (r for r in report.regions if r.people and not r.within_reach), key=lambda r: (-r.people, r.code)
    )
    for region in candidates[:limit]:
        table.rows.append([region.name_ko, region.sido_name_ko, region.people])
    return table


# --- where to build next ----------------------------------------------------------------------


@dataclass
class SitePick:
    """One greedy pick: a 시군구 centroid and what a center there would add."""

    rank: int
    region: RegionCoverage
    new_people: int
    new_regions: int
    demand: int
    nearest_open_km: float | None  # None: there is no open center at all
    reach_share_after: float | None


def next_sites(report: CoverageReport, demand: DemandReport, count: int = 10) -> list[SitePick]:
    """The ``count`` best places for new centers, chosen greedily.

    Each round picks the 시군구 whose centroid would newly bring the most uncovered civil servants
    within 20 km; ties go to the most unmet demand in the regions it would cover, then to a place
    where uncovered people live themselves, then the lower region code. Its regions then count as
    covered. Stops early when no pick adds anyone.
    """
    uncovered = {r.id: r for r in report.regions if r.people and not r.within_reach}
    uncovered_index = PointIndex([(r.id, r.lat, r.lon) for r in uncovered.values()])
    reach = {
        r.id: {region_id for region_id, _km in uncovered_index.within(r.lat, r.lon, REACH_KM)} for r in report.regions
    }
    open_index = PointIndex(open_center_points())
    demand_of = {region_id: d.total for region_id, d in demand.by_region.items()}
    covered_people = report.total.reach
    picks: list[SitePick] = []
    while len(picks) < count and uncovered:
        best = None
        for region in report.regions:
            gained = [rid for rid in reach[region.id] if rid in uncovered]
            if not gained:
                continue
            key = (
                sum(uncovered[rid].people for rid in gained),
                sum(demand_of.get(rid, 0) for rid in gained),
                uncovered[region.id].people if region.id in uncovered else 0,
                -int(region.code),
            )
            if best is None or key > best[0]:
                best = (key, region, gained)
        if best is None:
            break
        (people, demand_total, _own, _code), region, gained = best
        covered_people += people
        picks.append(
            SitePick(
                rank=len(picks) + 1,
                region=region,
                new_people=people,
                new_regions=len(gained),
                demand=demand_total,
                nearest_open_km=open_index.nearest_km(region.lat, region.lon, ANY_DISTANCE_KM),
                reach_share_after=share(covered_people, report.total.people),
            )
        )
        for rid in gained:
            del uncovered[rid]
    return picks


def next_sites_table(picks: list[SitePick]) -> Table:
    """The greedy picks with the numbers behind each."""
    table = Table(
        "next_sites",
        _("Best places for the next centers"),
        [
            Column(_("Rank"), True),
            Column(_("Region")),
            Column(_("Province")),
            Column(_("Newly covered civil servants"), True),
            Column(_("Regions newly covered"), True),
            Column(_("Unmet demand there"), True),
            Column(_("Nearest open center (km)"), True),
            Column(_("Within 20 km after this pick (%)"), True),
        ],
    )
    for pick in picks:
        table.rows.append(
            [
                pick.rank,
                pick.region.name_ko,
                pick.region.sido_name_ko,
                pick.new_people,
                pick.new_regions,
                pick.demand,
                None if pick.nearest_open_km is None else round(pick.nearest_open_km, 1),
                percent(pick.reach_share_after),
            ]
        )
    return table
