"""Writing the network: regions, centers with their spaces and hours, and holiday closures."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from ..centers.lifecycle import HOLIDAY_STATUSES, public_holidays_between
from ..centers.models import Center, Closure, ClosureKind, OpeningHours, Ownership, Region, Space
from ..extensions import db
from ..timeutils import local_today
from .geo import DATA_DIR
from .plans import PRIVATE_TARGET, PUBLIC_TARGET, PlannedCenter

REGIONS_FILE = DATA_DIR / "regions.csv"


@dataclass
class NetworkResult:
    """What the network step added."""

    regions_created: int = 0
    regions_updated: int = 0
    centers_created: int = 0
    spaces_created: int = 0
    closures_created: int = 0
    new_center_codes: list[str] = field(default_factory=list)


# --- regions -----------------------------------------------------------------------------------


def load_region_rows() -> list[dict]:
    """The 250 시군구 from the shipped CSV, as Region column dicts, in code order."""
    with REGIONS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = [
            {
                "code": row["sigungu_code"],
                "sido_code": row["sido_code"],
                "sido_name_ko": row["sido_name_ko"],
                "sido_name_en": row["sido_name_en"],
                "name_ko": row["sigungu_name_ko"],
                "name_en": row["sigungu_name_en"],
                "lat": float(row["lat"]),
                "lon": float(row["lon"]),
                "population": int(row["population"]),
            }
            for row in csv.DictReader(handle)
        ]
    return sorted(rows, key=lambda row: row["code"])


def upsert_regions(result: NetworkResult) -> dict[str, Region]:
    """Insert missing regions and refresh changed ones (the CSV is the source of truth)."""
    existing = {region.code: region for region in db.session.scalars(select(Region))}
    missing = []
    for row in load_region_rows():
        region = existing.get(row["code"])
        if region is None:
            missing.append(row)
            continue
        changed = {key: value for key, value in row.items() if getattr(region, key) != value}
        for key, value in changed.items():
            setattr(region, key, value)
        result.regions_updated += bool(changed)
    if missing:
        db.session.execute(insert(Region), missing)
        result.regions_created = len(missing)
    db.session.flush()
    return {region.code: region for region in db.session.scalars(select(Region).order_by(Region.code))}


# --- writing -----------------------------------------------------------------------------------


def insert_centers(plans: list[PlannedCenter], now: datetime, result: NetworkResult, progress) -> None:
    """Insert the planned centers that are missing, up to the 50/450 targets, with their children."""
    existing_codes = set(db.session.scalars(select(Center.code)))
    counts = dict(db.session.execute(select(Center.ownership, func.count()).group_by(Center.ownership)).all())
    room = {Ownership.PUBLIC: PUBLIC_TARGET - counts.get(Ownership.PUBLIC, 0),
            Ownership.PRIVATE: PRIVATE_TARGET - counts.get(Ownership.PRIVATE, 0)}
    chosen = []
    for plan in plans:
        ownership = plan.row["ownership"]
        # A network that exists (even from another --seed) is only topped up, never doubled.
        if plan.row["code"] in existing_codes or room[ownership] <= 0:
            continue
        room[ownership] -= 1
        chosen.append(plan)
    total = len(chosen)
    progress(_("Centers"), 0, total)
    if not chosen:
        return
    db.session.execute(insert(Center), [
        {**plan.row, "timezone": "Asia/Seoul", "policy_overrides": {}, "created_at": now} for plan in chosen
    ])
    ids = dict(db.session.execute(
        select(Center.code, Center.id).where(Center.code.in_([plan.row["code"] for plan in chosen]))
    ).all())
    spaces, hours = [], []
    for done, plan in enumerate(chosen, 1):
        center_id = ids[plan.row["code"]]
        spaces.extend({**space, "center_id": center_id} for space in plan.spaces)
        hours.extend({**row, "center_id": center_id} for row in plan.hours)
        if done % 50 == 0 or done == total:
            progress(_("Centers"), done, total)
    # Core inserts on the tables: one executemany each, without the ORM's per-row bookkeeping.
    db.session.execute(insert(Space.__table__), spaces)
    db.session.execute(insert(OpeningHours.__table__), hours)
    result.centers_created = total
    result.spaces_created = len(spaces)
    result.new_center_codes = [plan.row["code"] for plan in chosen]


def holiday_dates(now: datetime) -> list[tuple[date, str]]:
    """Korean public holidays (Korean names) of the current and the next year, in date order."""
    year = local_today(now).year
    return public_holidays_between(date(year, 1, 1), date(year + 1, 12, 31))


def insert_holiday_closures(now: datetime, result: NetworkResult, progress) -> None:
    """A holiday closure on every public holiday not yet recorded, for every center that takes or
    will take bookings (the lifecycle domain's rule, so a center opened later has them too)."""
    days = holiday_dates(now)
    if not days:
        return
    center_ids = list(db.session.scalars(
        select(Center.id).where(Center.status.in_(HOLIDAY_STATUSES)).order_by(Center.id)
    ))
    present = set(db.session.execute(
        select(Closure.center_id, Closure.starts_on).where(
            Closure.kind == ClosureKind.HOLIDAY, Closure.starts_on.between(days[0][0], days[-1][0])
        )
    ).all())
    rows = [
        {"center_id": center_id, "starts_on": day, "ends_on": day, "kind": ClosureKind.HOLIDAY,
         "reason": name[:200]}
        for center_id in center_ids
        for day, name in days
        if (center_id, day) not in present
    ]
    total = len(rows)
    progress(_("Holidays"), 0, total)
    batch = 5000
    for start in range(0, total, batch):
        db.session.execute(insert(Closure.__table__), rows[start:start + batch])
        progress(_("Holidays"), min(start + batch, total), total)
    result.closures_created = total
