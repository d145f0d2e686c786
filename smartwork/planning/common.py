"""Shared pieces of the planner console: the table shape every page and export uses, and small SQL helpers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, and_, func, or_, select

from ..auth.models import User, UserStatus
from ..centers.models import Center, Space, SpaceKind
from ..extensions import db

# A seat is one person's place: an active desk or booth. Rooms are shared by a meeting and
# counted separately, so a big meeting room cannot make a center look bigger than it is.
SEAT_KINDS = (SpaceKind.DESK, SpaceKind.BOOTH)

# "Civil servants" are active accounts: retired and suspended people no longer work there.
COUNTED_USER_STATUSES = (UserStatus.ACTIVE,)


@dataclass
class Column:
    """A table column: a label for people and whether it holds numbers (right-aligned)."""

    label: object
    numeric: bool = False


@dataclass
class Table:
    """A titled table the page shows and the exports write, cell for cell."""

    key: str
    title: object
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    # Optional per-row link (same length as rows) for the first cell on screen.
    links: list[str | None] = field(default_factory=list)
    footer: list | None = None

    def header(self) -> list[str]:
        """Column labels as plain strings."""
        return [str(column.label) for column in self.columns]


def share(part: int | float, whole: int | float) -> float | None:
    """``part / whole`` as a fraction, or None when there is nothing to divide by."""
    return None if not whole else part / whole


def percent(value: float | None, digits: int = 1) -> float | None:
    """A fraction as a rounded percentage, for tables."""
    return None if value is None else round(value * 100, digits)


def seats_by_center() -> dict[int, int]:
    """Active desks and booths per center, counted in SQL."""
    rows = db.session.execute(
        select(Space.center_id, func.count())
        .where(Space.is_active.is_(True), Space.kind.in_(SEAT_KINDS))
        .group_by(Space.center_id)
    )
    return {center_id: count for center_id, count in rows}


def civil_servants_by_region() -> dict[int, int]:
    """Counted civil servants per home region (users without a home region are not placed)."""
    rows = db.session.execute(
        select(User.home_region_id, func.count())
        .where(User.home_region_id.is_not(None), User.status.in_(COUNTED_USER_STATUSES))
        .group_by(User.home_region_id)
    )
    return {region_id: count for region_id, count in rows}


def open_on(day: date) -> ColumnElement[bool]:
    """SQL predicate: the center had opened by ``day`` and had not closed yet."""
    return and_(
        Center.opened_on.is_not(None),
        Center.opened_on <= day,
        or_(Center.closed_on.is_(None), Center.closed_on > day),
    )


def year_ends(first_year: int, today: date) -> list[date]:
    """31 December of each year from ``first_year``, the current year ending today."""
    ends = [date(year, 12, 31) for year in range(first_year, today.year)]
    ends.append(today)
    return ends


def rows_as_dicts(columns: Sequence[str], rows) -> list[dict]:
    """Named rows for readability in the services."""
    return [dict(zip(columns, row, strict=True)) for row in rows]


OVERVIEW_CACHE = "smartwork.planning.overview"


def forget_cached_overview() -> None:
    """Drop this worker's cached overview (after a planner changes targets or a center's status)."""
    if has_app_context():
        current_app.extensions.get(OVERVIEW_CACHE, {}).clear()
