"""The rollout plan: centers and seats to be open by each date, by ownership."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..centers.models import Ownership
from ..database import UTCDateTime, enum_column_type
from ..extensions import db
from ..timeutils import utcnow


class RolloutTarget(db.Model):
    """The plan: how many centers (and seats) of one ownership should be open by a date."""

    __tablename__ = "rollout_targets"
    __table_args__ = (
        UniqueConstraint("target_on", "ownership", name="uq_rollout_targets_target_on_ownership"),
        CheckConstraint("centers >= 0", name="centers_not_negative"),
        CheckConstraint("seats >= 0", name="seats_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_on: Mapped[date] = mapped_column(Date)
    ownership: Mapped[Ownership] = mapped_column(enum_column_type(Ownership, "rollout_ownership"))
    centers: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<RolloutTarget {self.target_on} {self.ownership} {self.centers}>"
