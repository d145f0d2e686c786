"""The planner console's use cases: one call per page, and every table by key for the exports.

The work lives in rollout.py, coverage.py, billing.py, mapping.py, charts.py and exports.py;
this module assembles pages from them so each view calls exactly one function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..centers.labels import KIND_LABELS, OWNERSHIP_LABELS
from ..centers.models import CenterKind, Ownership
from ..errors import NotFound
from ..timeutils import utcnow
from . import billing, coverage, rollout, usage
from .charts import PALETTE, LineChart, Series, line_chart
from .common import OVERVIEW_CACHE, Table, forget_cached_overview, percent  # noqa: F401
from .lifecycle import (  # noqa: F401  (the public planning API in one place)
    allowed_transitions,
    change_center_status,
    get_center_by_code,
    list_centers_for_lifecycle,
    mark_center_ready,
    status_history,
)
from .mapping import KoreaMap, korea_map
from .rollout import (  # noqa: F401
    delete_target,
    ensure_default_targets,
    get_target,
    list_targets,
    save_target,
)

OWNERSHIP_COLOR = {Ownership.PUBLIC: PALETTE[0], Ownership.PRIVATE: PALETTE[1]}
KIND_COLOR = {CenterKind.RESIDENTIAL: PALETTE[2], CenterKind.TRAVEL: PALETTE[3]}


def _rollout_charts(progress: rollout.RolloutProgress) -> list[LineChart]:
    labels = [str(p.on.year) for p in progress.points]
    charts = []
    descriptions = {
        "rollout_centers": _l(
            "Cumulative open centers at each year end by ownership (solid) against the plan (dashed). "
            "Latest: public %(public)d of %(public_target)d, private %(private)d of %(private_target)d."
        ),
        "rollout_seats": _l(
            "Cumulative open seats at each year end by ownership (solid) against the plan (dashed). "
            "Latest: public %(public)d of %(public_target)d, private %(private)d of %(private_target)d."
        ),
    }
    for key, title, attr_open, attr_target, y_label in (
        ("rollout_centers", _("Open centers against the plan"), "open_centers", "target_centers", _("Centers")),
        ("rollout_seats", _("Open seats against the plan"), "open_seats", "target_seats", _("Seats")),
    ):
        series = []
        for ownership in rollout.OWNERSHIPS:
            name = str(OWNERSHIP_LABELS[ownership])
            series.append(
                Series(
                    _("%(ownership)s open", ownership=name),
                    [getattr(p, attr_open)[ownership] for p in progress.points],
                    OWNERSHIP_COLOR[ownership],
                )
            )
            series.append(
                Series(
                    _("%(ownership)s target", ownership=name),
                    [getattr(p, attr_target)[ownership] for p in progress.points],
                    OWNERSHIP_COLOR[ownership],
                    dashed=True,
                )
            )
        last = progress.points[-1]
        desc = str(descriptions[key]) % dict(
            public=getattr(last, attr_open)[Ownership.PUBLIC],
            public_target=getattr(last, attr_target)[Ownership.PUBLIC],
            private=getattr(last, attr_open)[Ownership.PRIVATE],
            private_target=getattr(last, attr_target)[Ownership.PRIVATE],
        )
        charts.append(line_chart(key, title, desc, labels, series, _("Year end"), y_label))
    return charts


def _utilization_chart(points: list[usage.UtilizationPoint]) -> LineChart:
    months = sorted({p.month for p in points})
    series = []
    for kind in CenterKind:
        by_month = {p.month: p for p in points if p.kind == kind}
        series.append(
            Series(
                _("%(kind)s booked", kind=KIND_LABELS[kind]),
                [percent(by_month[m].booked_share) for m in months],
                KIND_COLOR[kind],
            )
        )
        series.append(
            Series(
                _("%(kind)s used", kind=KIND_LABELS[kind]),
                [percent(by_month[m].used_share) for m in months],
                KIND_COLOR[kind],
                dashed=True,
            )
        )
    desc = _("Booked (solid) and checked-in (dashed) share of bookable time per month, residential vs travel centers.")
    return line_chart(
        "utilization",
        _("Utilization by center type"),
        desc,
        [m.strftime("%Y-%m") for m in months],
        series,
        _("Month"),
        _("Share of bookable time"),
        "%",
    )



@dataclass
class Overview:
    """The planner's one page: distance to the plan, where it is behind, where to build next."""

    progress: rollout.RolloutProgress
    charts: list[LineChart]
    tables: dict[str, Table]
    coverage: coverage.CoverageReport
    largest_uncovered: coverage.RegionCoverage | None
    map: KoreaMap
    picks: list[coverage.SitePick]


def overview(now: datetime | None = None) -> Overview:
    """Everything on the overview page, computed with one ``now``."""
    now = now or utcnow()
    progress = rollout.rollout_progress(now)
    report = coverage.coverage_report()
    demand = usage.unmet_demand(now)
    picks = coverage.next_sites(report, demand)
    tables = {
        "rollout": rollout.rollout_table(progress),
        "pipeline": rollout.pipeline_table(),
        "overdue": rollout.overdue_table(now),
        "provinces": rollout.province_table({region.id: region.people for region in report.regions}),
        "coverage": coverage.coverage_table(report),
        "next_sites": coverage.next_sites_table(picks),
    }
    return Overview(
        progress=progress,
        charts=_rollout_charts(progress),
        tables=tables,
        coverage=report,
        largest_uncovered=report.largest_uncovered,
        map=korea_map(report),
        picks=picks,
    )


def cached_overview(now: datetime | None = None) -> Overview:
    """The overview, recomputed at most every ``PLANNING_OVERVIEW_CACHE_SECONDS`` per worker and language.

    The page aggregates the whole network (~0.2 s on national data) and changes slowly; the planner's
    own changes clear the cache at once (``forget_cached_overview``), other workers catch up within
    the period. Its tables carry translated labels, hence one entry per language. 0 turns it off.
    """
    now = now or utcnow()
    seconds = current_app.config.get("PLANNING_OVERVIEW_CACHE_SECONDS", 0)
    if seconds <= 0:
        return overview(now)
    cache = current_app.extensions.setdefault(OVERVIEW_CACHE, {})
    key = str(get_locale() or "ko")
    hit = cache.get(key)
    if hit is not None and timedelta(0) <= now - hit[0] < timedelta(seconds=seconds):
        return hit[1]
    value = overview(now)
    cache[key] = (now, value)
    return value


@dataclass
class DemandPage:
    """Unmet demand, uncovered regions and utilization."""

    demand: usage.DemandReport
    chart: LineChart
    tables: dict[str, Table]


def demand_page(now: datetime | None = None) -> DemandPage:
    """Unmet demand per center and region, the largest uncovered regions, utilization by center type."""
    now = now or utcnow()
    report = coverage.coverage_report()
    demand = usage.unmet_demand(now)
    points = usage.utilization_by_kind(now)
    return DemandPage(
        demand=demand,
        chart=_utilization_chart(points),
        tables={
            "demand_centers": usage.demand_center_table(demand),
            "demand_regions": usage.demand_region_table(demand),
            "uncovered": coverage.uncovered_table(report),
            "utilization": usage.utilization_table(points),
        },
    )


@dataclass
class BillingPage:
    """One month's billing summary."""

    month: date
    table: Table


def billing_page(month: date) -> BillingPage:
    """Hours and amounts per agency for ``month``."""
    return BillingPage(month=month, table=billing.billing_summary_table(month))


def invoice_page(agency_code: str, month: date) -> tuple[billing.Invoice, Table]:
    """One agency's invoice for ``month`` and its table."""
    result = billing.invoice(billing.get_agency(agency_code), month)
    return result, billing.invoice_table(result)


def export_table(
    key: str, now: datetime | None = None, *, month: date | None = None, agency_code: str | None = None
) -> Table:
    """Build one table by key, with the same numbers as its page (the exports call this)."""
    now = now or utcnow()
    builders: dict[str, Callable[[], Table]] = {
        "rollout": lambda: rollout.rollout_table(rollout.rollout_progress(now)),
        "pipeline": rollout.pipeline_table,
        "overdue": lambda: rollout.overdue_table(now),
        "provinces": rollout.province_table,
        "targets": rollout.targets_table,
        "coverage": lambda: coverage.coverage_table(coverage.coverage_report()),
        "uncovered": lambda: coverage.uncovered_table(coverage.coverage_report()),
        "next_sites": lambda: coverage.next_sites_table(
            coverage.next_sites(coverage.coverage_report(), usage.unmet_demand(now))
        ),
        "demand_centers": lambda: usage.demand_center_table(usage.unmet_demand(now)),
        "demand_regions": lambda: usage.demand_region_table(usage.unmet_demand(now)),
        "utilization": lambda: usage.utilization_table(usage.utilization_by_kind(now)),
        "billing": lambda: billing.billing_summary_table(month or billing.previous_month(now)),
        "invoice": lambda: invoice_page(agency_code or "", month or billing.previous_month(now))[1],
    }
    if key not in builders:
        raise NotFound(_("There is no such table."), rule="table_not_found")
    return builders[key]()
