"""The rollout plan and the audit trail of center lifecycle changes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..centers.models import Center, CenterStatus, Ownership
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


class CenterStatusChange(db.Model):
    """One lifecycle move of a center: from, to, the date it took effect, who recorded it and when."""

    __tablename__ = "center_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[CenterStatus] = mapped_column(enum_column_type(CenterStatus, "change_from_status"))
    to_status: Mapped[CenterStatus] = mapped_column(enum_column_type(CenterStatus, "change_to_status"))
    effective_on: Mapped[date] = mapped_column(Date)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(200), default="")

    center: Mapped[Center] = relationship()
    changed_by: Mapped[User | None] = relationship()
