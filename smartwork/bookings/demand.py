"""Demand the booking engine could not serve: searches that found nothing.

The search use case (``search.find_centers``, behind the web page and the JSON API alike) records
one when a search returns no free space; the planner console counts these rows as unmet demand per
center and region.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy import Date, Float, ForeignKey, Index, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from ..centers.models import Center, Region, SpaceKind
from ..centers.services import haversine_km
from ..database import UTCDateTime, enum_column_type
from ..extensions import db
from ..timeutils import utcnow


class SearchMiss(db.Model):
    """A search for a free space that found nothing: where (a center, or a region/origin) and for when."""

    __tablename__ = "search_misses"
    __table_args__ = (Index("ix_search_misses_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"), index=True)
    origin_lat: Mapped[float | None] = mapped_column(Float)
    origin_lon: Mapped[float | None] = mapped_column(Float)
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id", ondelete="SET NULL"), index=True)
    # The local date the user wanted to work.
    day: Mapped[date] = mapped_column(Date)
    space_kind: Mapped[SpaceKind | None] = mapped_column(enum_column_type(SpaceKind, "search_miss_space_kind"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def nearest_region_id(lat: float, lon: float) -> int | None:
    """The 시군구 whose centroid is nearest to (lat, lon); 250 rows, so a scan is cheap."""
    rows = db.session.execute(select(Region.id, Region.lat, Region.lon)).all()
    if not rows:
        return None
    return min(rows, key=lambda row: haversine_km(lat, lon, row.lat, row.lon)).id


def record_search_miss(
    *,
    day: date,
    user_id: int | None = None,
    region_id: int | None = None,
    origin: tuple[float, float] | None = None,
    center_id: int | None = None,
    space_kind: SpaceKind | None = None,
    now: datetime | None = None,
    commit: bool = True,
) -> SearchMiss:
    """Record one search that found nothing; the region is derived from the center or the origin if not given.

    ``commit=False`` lets a caller that is already inside its own use case fold the row into its commit.
    """
    if region_id is None and center_id is not None:
        region_id = db.session.scalar(select(Center.region_id).where(Center.id == center_id))
    if region_id is None and origin is not None:
        region_id = nearest_region_id(*origin)
    miss = SearchMiss(
        user_id=user_id,
        region_id=region_id,
        origin_lat=origin[0] if origin else None,
        origin_lon=origin[1] if origin else None,
        center_id=center_id,
        day=day,
        space_kind=space_kind,
        created_at=now or utcnow(),
    )
    db.session.add(miss)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return miss


def note_search_miss(**fields) -> None:
    """Record a search miss as telemetry: a failure to record is logged and never breaks the search."""
    try:
        record_search_miss(**fields)
    except SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.warning("search miss not recorded: %s", error)
