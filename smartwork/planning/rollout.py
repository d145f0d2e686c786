"""The plan and the rollout: targets, open centers and seats over time, the pipeline, lifecycle moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..centers.labels import STATUS_LABELS
from ..centers.models import Center, CenterStatus, Ownership, Region, Space
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..timeutils import local_today, utcnow
from .common import (
    SEAT_KINDS,
    Column,
    Table,
    civil_servants_by_region,
    forget_cached_overview,
    seats_by_center,
    share,
    year_ends,
)
from .models import RolloutTarget

OWNERSHIPS = (Ownership.PUBLIC, Ownership.PRIVATE)

# The 2010 Smart Work plan, as yearly steps: 2 public centers by the end of 2010, rising to
# 50 public + 450 private by the end of 2015. Seats assume 25 per public and 20 per private center.
DEFAULT_TARGETS: tuple[tuple[date, Ownership, int, int], ...] = (
    (date(2010, 12, 31), Ownership.PUBLIC, 2, 50),
    (date(2011, 12, 31), Ownership.PUBLIC, 10, 250),
    (date(2012, 12, 31), Ownership.PUBLIC, 20, 500),
    (date(2013, 12, 31), Ownership.PUBLIC, 30, 750),
    (date(2014, 12, 31), Ownership.PUBLIC, 40, 1000),
    (date(2015, 12, 31), Ownership.PUBLIC, 50, 1250),
    (date(2010, 12, 31), Ownership.PRIVATE, 0, 0),
    (date(2011, 12, 31), Ownership.PRIVATE, 50, 1000),
    (date(2012, 12, 31), Ownership.PRIVATE, 130, 2600),
    (date(2013, 12, 31), Ownership.PRIVATE, 230, 4600),
    (date(2014, 12, 31), Ownership.PRIVATE, 340, 6800),
    (date(2015, 12, 31), Ownership.PRIVATE, 450, 9000),
)

NOT_YET_OPEN = (CenterStatus.PLANNED, CenterStatus.UNDER_CONSTRUCTION)


# --- targets ---------------------------------------------------------------------------------


def ensure_default_targets(now: datetime | None = None) -> int:
    """Insert the 2010 plan's yearly steps when no target exists yet; return how many were added."""
    if db.session.scalar(select(func.count()).select_from(RolloutTarget)):
        return 0
    moment = now or utcnow()
    for target_on, ownership, centers, seats in DEFAULT_TARGETS:
        db.session.add(
            RolloutTarget(target_on=target_on, ownership=ownership, centers=centers, seats=seats, updated_at=moment)
        )
    db.session.commit()
    return len(DEFAULT_TARGETS)


def list_targets() -> list[RolloutTarget]:
    """Every target, by date then ownership."""
    return list(db.session.scalars(select(RolloutTarget).order_by(RolloutTarget.target_on, RolloutTarget.ownership)))


def get_target(target_id: int) -> RolloutTarget:
    """A target by id, or NotFound."""
    target = db.session.get(RolloutTarget, target_id)
    if target is None:
        raise NotFound(_("This target does not exist."), rule="target_not_found")
    return target


def save_target(
    actor: User,
    *,
    target_on: date,
    ownership: Ownership,
    centers: int,
    seats: int,
    target_id: int | None = None,
    now: datetime | None = None,
) -> RolloutTarget:
    """Create a target, or change one; one target per date and ownership."""
    if centers < 0:
        raise Invalid(_("The number of centers cannot be negative."), field="centers", rule="negative")
    if seats < 0:
        raise Invalid(_("The number of seats cannot be negative."), field="seats", rule="negative")
    target = get_target(target_id) if target_id is not None else RolloutTarget()
    clash = db.session.scalar(
        select(RolloutTarget.id).where(
            RolloutTarget.target_on == target_on,
            RolloutTarget.ownership == ownership,
            RolloutTarget.id != (target_id or 0),
        )
    )
    if clash is not None:
        raise Conflict(
            _("There is already a target for this date and ownership."), field="target_on", rule="duplicate_target"
        )
    target.target_on, target.ownership, target.centers, target.seats = target_on, ownership, centers, seats
    target.updated_by_id, target.updated_at = actor.id, now or utcnow()
    db.session.add(target)
    try:
        db.session.commit()
    except IntegrityError as error:  # a concurrent save of the same date and ownership
        db.session.rollback()
        raise Conflict(
            _("There is already a target for this date and ownership."), field="target_on", rule="duplicate_target"
        ) from error
    forget_cached_overview()
    return target


def delete_target(actor: User, target_id: int) -> None:
    """Delete a target."""
    db.session.delete(get_target(target_id))
    db.session.commit()
    forget_cached_overview()


def targets_table() -> Table:
    """The plan as a table."""
    from ..centers.labels import OWNERSHIP_LABELS

    table = Table(
        "targets",
        _("Rollout targets"),
        [Column(_("Date")), Column(_("Ownership")), Column(_("Centers"), True), Column(_("Seats"), True)],
    )
    for target in list_targets():
        table.rows.append([target.target_on, str(OWNERSHIP_LABELS[target.ownership]), target.centers, target.seats])
    return table


def _target_as_of(targets: list[RolloutTarget], ownership: Ownership, day: date) -> RolloutTarget | None:
    """The latest target of ``ownership`` due on or before ``day``."""
    due = [t for t in targets if t.ownership == ownership and t.target_on <= day]
    return due[-1] if due else None


# --- progress ---------------------------------------------------------------------------------


@dataclass
class RolloutPoint:
    """Open centers and seats at one date, next to what the plan wanted by then."""

    on: date
    open_centers: dict[Ownership, int]
    open_seats: dict[Ownership, int]
    target_centers: dict[Ownership, int]
    target_seats: dict[Ownership, int]


@dataclass
class Gap:
    """Where one ownership stands today against the plan's latest due target (or the final one)."""

    ownership: Ownership
    open_centers: int
    target_centers: int
    open_seats: int
    target_seats: int
    target_on: date | None

    @property
    def missing_centers(self) -> int:
        """Centers still to open to meet the target (never negative)."""
        return max(self.target_centers - self.open_centers, 0)

    @property
    def share_of_target(self) -> float | None:
        """Open centers as a fraction of the target."""
        return share(self.open_centers, self.target_centers)


@dataclass
class RolloutProgress:
    """The rollout over time and today's gap to the plan."""

    points: list[RolloutPoint]
    gaps: list[Gap]

    @property
    def total_open(self) -> int:
        return sum(gap.open_centers for gap in self.gaps)

    @property
    def total_target(self) -> int:
        return sum(gap.target_centers for gap in self.gaps)


def rollout_progress(now: datetime | None = None) -> RolloutProgress:
    """Cumulative open centers and seats at each year end (from opened_on/closed_on), by ownership, vs the plan.

    Seats are today's active desks and booths of each center (space history is not kept).
    """
    today = local_today(now)
    targets = list_targets()
    seats = seats_by_center()
    centers = db.session.execute(
        select(Center.id, Center.ownership, Center.opened_on, Center.closed_on).where(Center.opened_on.is_not(None))
    ).all()
    years = [t.target_on.year for t in targets] + [c.opened_on.year for c in centers] + [today.year]
    points = []
    for day in year_ends(min(years), today):
        open_centers = dict.fromkeys(OWNERSHIPS, 0)
        open_seats = dict.fromkeys(OWNERSHIPS, 0)
        for center in centers:
            if center.opened_on <= day and (center.closed_on is None or center.closed_on > day):
                open_centers[center.ownership] += 1
                open_seats[center.ownership] += seats.get(center.id, 0)
        due = {o: _target_as_of(targets, o, day) for o in OWNERSHIPS}
        points.append(
            RolloutPoint(
                on=day,
                open_centers=open_centers,
                open_seats=open_seats,
                target_centers={o: due[o].centers if due[o] else 0 for o in OWNERSHIPS},
                target_seats={o: due[o].seats if due[o] else 0 for o in OWNERSHIPS},
            )
        )
    last = points[-1]
    gaps = []
    for ownership in OWNERSHIPS:
        due = _target_as_of(targets, ownership, today)
        gaps.append(
            Gap(
                ownership=ownership,
                open_centers=last.open_centers[ownership],
                target_centers=due.centers if due else 0,
                open_seats=last.open_seats[ownership],
                target_seats=due.seats if due else 0,
                target_on=due.target_on if due else None,
            )
        )
    return RolloutProgress(points=points, gaps=gaps)


def rollout_table(progress: RolloutProgress) -> Table:
    """The rollout chart's numbers, one row per year end."""
    table = Table(
        "rollout",
        _("Open centers and seats against the plan"),
        [
            Column(_("As of")),
            Column(_("Public centers"), True),
            Column(_("Public target"), True),
            Column(_("Private centers"), True),
            Column(_("Private target"), True),
            Column(_("Public seats"), True),
            Column(_("Public seat target"), True),
            Column(_("Private seats"), True),
            Column(_("Private seat target"), True),
        ],
    )
    pub, pri = Ownership.PUBLIC, Ownership.PRIVATE
    for p in progress.points:
        table.rows.append(
            [
                p.on,
                p.open_centers[pub],
                p.target_centers[pub],
                p.open_centers[pri],
                p.target_centers[pri],
                p.open_seats[pub],
                p.target_seats[pub],
                p.open_seats[pri],
                p.target_seats[pri],
            ]
        )
    return table


def pipeline_table() -> Table:
    """Centers by lifecycle status and ownership (today's status)."""
    rows = db.session.execute(
        select(Center.status, Center.ownership, func.count()).group_by(Center.status, Center.ownership)
    )
    counts = {(status, ownership): count for status, ownership, count in rows}
    table = Table(
        "pipeline",
        _("Pipeline by status"),
        [Column(_("Status")), Column(_("Public"), True), Column(_("Private"), True), Column(_("Total"), True)],
    )
    for status in CenterStatus:
        public = counts.get((status, Ownership.PUBLIC), 0)
        private = counts.get((status, Ownership.PRIVATE), 0)
        table.rows.append([str(STATUS_LABELS[status]), public, private, public + private])
    table.footer = [_("Total"), *(sum(row[i] for row in table.rows) for i in (1, 2, 3))]
    return table


def overdue_table(now: datetime | None = None) -> Table:
    """Centers whose planned opening date has passed while they are still planned or being built."""
    today = local_today(now)
    rows = db.session.execute(
        select(Center.code, Center.name_ko, Center.name_en, Region.sido_name_ko, Center.status, Center.planned_open_on)
        .join(Region, Center.region_id == Region.id)
        .where(Center.status.in_(NOT_YET_OPEN), Center.planned_open_on < today)
        .order_by(Center.planned_open_on, Center.code)
    ).all()
    table = Table(
        "overdue",
        _("Centers behind their planned opening"),
        [
            Column(_("Center")),
            Column(_("Province")),
            Column(_("Status")),
            Column(_("Planned opening")),
            Column(_("Days late"), True),
        ],
    )
    for row in rows:
        table.rows.append(
            [
                row.name_ko,
                row.sido_name_ko,
                str(STATUS_LABELS[row.status]),
                row.planned_open_on,
                (today - row.planned_open_on).days,
            ]
        )
        table.links.append(row.code)
    return table


def province_table(people_by_region: dict[int, int] | None = None) -> Table:
    """Per province: centers by status, open seats, civil servants living there, seats per 1,000 of them.

    ``people_by_region`` (from ``civil_servants_by_region``) saves counting the users again when the
    caller has already done so for coverage.
    """
    if people_by_region is None:
        people_by_region = civil_servants_by_region()
    provinces = db.session.execute(
        select(Region.sido_code, Region.sido_name_ko).distinct().order_by(Region.sido_code)
    ).all()
    by_status = {
        (sido, status): count
        for sido, status, count in db.session.execute(
            select(Region.sido_code, Center.status, func.count())
            .join(Center, Center.region_id == Region.id)
            .group_by(Region.sido_code, Center.status)
        )
    }
    seats = dict(
        db.session.execute(
            select(Region.sido_code, func.count(Space.id))
            .join(Center, Center.region_id == Region.id)
            .join(Space, Space.center_id == Center.id)
            .where(Center.status == CenterStatus.OPEN, Space.is_active.is_(True), Space.kind.in_(SEAT_KINDS))
            .group_by(Region.sido_code)
        ).all()
    )
    people: dict[str, int] = {}
    for region_id, sido in db.session.execute(select(Region.id, Region.sido_code)):
        people[sido] = people.get(sido, 0) + people_by_region.get(region_id, 0)
    table = Table(
        "provinces",
        _("Centers and seats by province"),
        [Column(_("Province"))]
        + [Column(STATUS_LABELS[status], True) for status in CenterStatus]
        + [Column(_("Open seats"), True), Column(_("Civil servants"), True), Column(_("Seats per 1,000"), True)],
    )
    for sido, name in provinces:
        residents = people.get(sido, 0)
        seat_count = seats.get(sido, 0)
        per_thousand = round(seat_count * 1000 / residents, 1) if residents else None
        table.rows.append(
            [name, *(by_status.get((sido, status), 0) for status in CenterStatus), seat_count, residents, per_thousand]
        )
    totals = [sum(row[i] for row in table.rows) for i in range(1, len(CenterStatus) + 3)]
    total_per_thousand = round(totals[-2] * 1000 / totals[-1], 1) if totals[-1] else None
    table.footer = [_("Total"), *totals, total_per_thousand]
    return table
