"""Queries and rules about the network: regions, centers, spaces, manager scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from math import asin, cos, radians, sin, sqrt

from flask_babel import gettext as _
from sqlalchemy import Row, Select, case, func, select
from sqlalchemy.orm import selectinload

from ..auth.models import Role, User
from ..errors import NotFound
from ..extensions import db
from .models import (
    Center,
    CenterKind,
    CenterManager,
    CenterStatus,
    Closure,
    Ownership,
    Region,
    Space,
)

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    phi1, phi2 = radians(lat1), radians(lat2)
    dphi, dlmb = phi2 - phi1, radians(lon2 - lon1)
    a = sin(dphi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(a))


def get_region(region_id: int) -> Region | None:
    """A region by id."""
    return db.session.get(Region, region_id)


def get_region_by_code(code: str) -> Region:
    """A region by its 5-digit KOSTAT code, or NotFound."""
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFound(f"region {code}", rule="region_not_found")
    return region


def list_provinces() -> list[tuple[str, str, str]]:
    """The 17 시도 as (code, name_ko, name_en), in code order."""
    rows = db.session.execute(
        select(Region.sido_code, Region.sido_name_ko, Region.sido_name_en)
        .distinct()
        .order_by(Region.sido_code)
    )
    return [tuple(row) for row in rows]


def list_regions() -> list[Row]:
    """All 시군구 by code, as rows of (code, name_ko, name_en, sido_name_ko, sido_name_en) for pickers."""
    return db.session.execute(
        select(Region.code, Region.name_ko, Region.name_en, Region.sido_name_ko, Region.sido_name_en)
        .order_by(Region.code)
    ).all()


def get_center(code: str) -> Center:
    """A center with its spaces, hours and closures, or NotFound."""
    center = db.session.scalar(
        select(Center)
        .where(Center.code == code)
        .options(
            selectinload(Center.spaces),
            selectinload(Center.opening_hours),
            selectinload(Center.region),
            selectinload(Center.operator),
        )
    )
    if center is None:
        raise NotFound(f"center {code}", rule="center_not_found")
    return center


@dataclass(frozen=True)
class DirectoryFilter:
    """The center directory's filters; None means 'any'."""

    sido: str | None = None
    ownership: Ownership | None = None
    kind: CenterKind | None = None
    status: CenterStatus | None = None
    query: str | None = None


def directory_query(filters: DirectoryFilter) -> Select:
    """Centers matching ``filters``, by province then name."""
    stmt = (
        select(Center)
        .join(Region, Center.region_id == Region.id)
        .options(selectinload(Center.region))
        .order_by(Region.sido_code, Center.name_ko)
    )
    if filters.sido:
        stmt = stmt.where(Region.sido_code == filters.sido)
    if filters.ownership:
        stmt = stmt.where(Center.ownership == filters.ownership)
    if filters.kind:
        stmt = stmt.where(Center.kind == filters.kind)
    if filters.status:
        stmt = stmt.where(Center.status == filters.status)
    if filters.query:
        # The text is matched literally: % and _ typed by a user are not wildcards.
        literal = filters.query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{literal}%"
        stmt = stmt.where(
            func.lower(Center.name_ko).like(pattern, escape="\\")
            | func.lower(Center.name_en).like(pattern, escape="\\")
            | func.lower(Center.address_ko).like(pattern, escape="\\")
        )
    return stmt


def search_directory(filters: DirectoryFilter, page: int, per_page: int):
    """One page of the directory (a Flask-SQLAlchemy Pagination), with seat counts."""
    return db.paginate(directory_query(filters), page=page, per_page=per_page, error_out=False)


def seat_counts(center_ids: list[int]) -> dict[int, dict[str, int]]:
    """Active spaces per center and kind: {center_id: {kind: count}}."""
    if not center_ids:
        return {}
    rows = db.session.execute(
        select(Space.center_id, Space.kind, func.count())
        .where(Space.center_id.in_(center_ids), Space.is_active.is_(True))
        .group_by(Space.center_id, Space.kind)
    )
    counts: dict[int, dict[str, int]] = {cid: {} for cid in center_ids}
    for center_id, kind, count in rows:
        counts[center_id][kind.value] = count
    return counts


def managed_centers(user: User) -> list[Center] | None:
    """Centers a manager manages; None for users who manage none."""
    if not user.has_role(Role.CENTER_MANAGER):
        return None
    return list(
        db.session.scalars(
            select(Center)
            .join(CenterManager, CenterManager.center_id == Center.id)
            .where(CenterManager.user_id == user.id)
            .order_by(Center.name_ko)
        )
    )


def managed_center_ids(user: User) -> set[int] | None:
    """The ids of centers ``user`` may manage; None means every center (admins)."""
    if user.has_role(Role.ADMIN):
        return None
    if not user.has_role(Role.CENTER_MANAGER):
        return set()
    return set(
        db.session.scalars(select(CenterManager.center_id).where(CenterManager.user_id == user.id))
    )


def can_manage_center(user, center_id: int) -> bool:
    """True if ``user`` is an admin or manages this center."""
    if not getattr(user, "is_authenticated", False):
        return False
    scope = managed_center_ids(user)
    return scope is None or center_id in scope


def get_managed_center(user, code: str) -> Center:
    """The center ``code`` if ``user`` manages it (or is an admin); NotFound otherwise, so existence does not leak."""
    center = get_center(code)
    if not can_manage_center(user, center.id):
        raise NotFound(_("You do not manage this center."), rule="center_not_found")
    return center


@dataclass(frozen=True)
class NetworkSummary:
    """Counts of centers in the network."""

    total: int
    public: int
    private: int
    open: int


def network_summary() -> NetworkSummary:
    """How many centers there are, by ownership, and how many are open."""
    row = db.session.execute(
        select(
            func.count(),
            func.sum(case((Center.ownership == Ownership.PUBLIC, 1), else_=0)),
            func.sum(case((Center.ownership == Ownership.PRIVATE, 1), else_=0)),
            func.sum(case((Center.status == CenterStatus.OPEN, 1), else_=0)),
        ).select_from(Center)
    ).one()
    return NetworkSummary(*(int(value or 0) for value in row))


def upcoming_closures(center_id: int, today: date, limit: int = 10) -> list[Closure]:
    """The next closures of a center that end today or later."""
    return list(
        db.session.scalars(
            select(Closure)
            .where(Closure.center_id == center_id, Closure.ends_on >= today)
            .order_by(Closure.starts_on)
            .limit(limit)
        )
    )
