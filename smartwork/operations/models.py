"""Occupancy roll-ups the manager and planner dashboards read."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, SmallInteger, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class OccupancyHourly(db.Model):
    """One center's use during one local hour: bookable, booked and checked-in minutes, no-shows.

    Written by the nightly roll-up; an hour with nothing bookable and nothing booked has no row.
    """

    __tablename__ = "occupancy_hourly"
    __table_args__ = (
        UniqueConstraint("center_id", "day", "hour", name="uq_occupancy_hourly_center_day_hour"),
        CheckConstraint("hour BETWEEN 0 AND 23", name="hour_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    # The local (Asia/Seoul) date and hour of day.
    day: Mapped[date] = mapped_column(Date, index=True)
    hour: Mapped[int] = mapped_column(SmallInteger)
    bookable_minutes: Mapped[int] = mapped_column(Integer, default=0)
    booked_minutes: Mapped[int] = mapped_column(Integer, default=0)
    checked_in_minutes: Mapped[int] = mapped_column(Integer, default=0)
    no_shows: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
