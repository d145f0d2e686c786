"""Regions, operators, centers and what is booked inside them."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, enum_column_type
from ..extensions import db
from ..timeutils import utcnow


class Ownership(enum.StrEnum):
    """Who owns a center: the government, or a private operator under contract."""

    PUBLIC = "public"
    PRIVATE = "private"


class CenterKind(enum.StrEnum):
    """Near where people live, or at a travel hub."""

    RESIDENTIAL = "residential"
    TRAVEL = "travel"


class CenterStatus(enum.StrEnum):
    """The lifecycle: planned → under_construction → open → suspended → closed."""

    PLANNED = "planned"
    UNDER_CONSTRUCTION = "under_construction"
    OPEN = "open"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class SpaceKind(enum.StrEnum):
    """What can be booked inside a center."""

    DESK = "desk"
    BOOTH = "booth"
    MEETING_ROOM = "meeting_room"
    VIDEO_ROOM = "video_room"

    @property
    def is_room(self) -> bool:
        """Rooms are booked for a stated number of attendees."""
        return self in (SpaceKind.MEETING_ROOM, SpaceKind.VIDEO_ROOM)


class ClosureKind(enum.StrEnum):
    """Why a center is shut."""

    HOLIDAY = "holiday"
    MAINTENANCE = "maintenance"
    EVENT = "event"


class Region(db.Model):
    """A 시군구 inside a 시도, with its centroid and population (2015 census)."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(5), unique=True)
    sido_code: Mapped[str] = mapped_column(String(2), index=True)
    sido_name_ko: Mapped[str] = mapped_column(String(40))
    sido_name_en: Mapped[str] = mapped_column(String(60))
    name_ko: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name_en}>"


class Operator(db.Model):
    """Who runs a center: the ministry/NIA for public centers, a company for private ones."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_ko: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    ownership: Mapped[Ownership] = mapped_column(enum_column_type(Ownership, "operator_ownership"))

    centers: Mapped[list[Center]] = relationship(back_populates="operator")


class Center(db.Model):
    """A smart work center and its lifecycle."""

    __tablename__ = "centers"
    __table_args__ = (
        CheckConstraint("lat BETWEEN 33 AND 39 AND lon BETWEEN 124 AND 132", name="inside_korea"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_ko: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    ownership: Mapped[Ownership] = mapped_column(
        enum_column_type(Ownership, "center_ownership"), index=True
    )
    kind: Mapped[CenterKind] = mapped_column(enum_column_type(CenterKind, "center_kind"))
    status: Mapped[CenterStatus] = mapped_column(
        enum_column_type(CenterStatus, "center_status"), index=True
    )
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    address_ko: Mapped[str] = mapped_column(String(200))
    address_en: Mapped[str] = mapped_column(String(240), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Seoul")
    planned_open_on: Mapped[date | None] = mapped_column(Date)
    opened_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # The day a planner confirmed the center is fitted out and may open; the calendar opens a
    # center on its planned date only once this is set (a past planned date alone means "slipping").
    ready_on: Mapped[date | None] = mapped_column(Date)
    is_historical: Mapped[bool] = mapped_column(Boolean, default=False)
    # Per-center overrides of the BOOKING_POLICY defaults (same keys).
    policy_overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
    operator: Mapped[Operator] = relationship(back_populates="centers")
    spaces: Mapped[list[Space]] = relationship(
        back_populates="center", order_by="Space.code", cascade="all, delete-orphan"
    )
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="center", order_by="OpeningHours.weekday", cascade="all, delete-orphan"
    )
    closures: Mapped[list[Closure]] = relationship(
        back_populates="center", order_by="Closure.starts_on", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        """True while the center takes bookings."""
        return self.status == CenterStatus.OPEN

    def __repr__(self) -> str:
        return f"<Center {self.code}>"


class OpeningHours(db.Model):
    """When a center is open on one weekday (0 = Monday); no row means closed that day."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
    )

    center_id: Mapped[int] = mapped_column(
        ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)

    center: Mapped[Center] = relationship(back_populates="opening_hours")


class Space(db.Model):
    """A desk, booth, meeting room or video room inside a center."""

    __tablename__ = "spaces"
    __table_args__ = (
        UniqueConstraint("center_id", "code", name="uq_spaces_center_code"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    kind: Mapped[SpaceKind] = mapped_column(enum_column_type(SpaceKind, "space_kind"))
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    features: Mapped[list] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    center: Mapped[Center] = relationship(back_populates="spaces")

    def __repr__(self) -> str:
        return f"<Space {self.center_id}/{self.code}>"


class Closure(db.Model):
    """Dates (inclusive) a center is shut: a public holiday, maintenance or an event."""

    __tablename__ = "closures"
    __table_args__ = (
        CheckConstraint("starts_on <= ends_on", name="ordered_dates"),
        UniqueConstraint("center_id", "starts_on", "kind", name="uq_closures_center_day_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[ClosureKind] = mapped_column(enum_column_type(ClosureKind, "closure_kind"))
    reason: Mapped[str] = mapped_column(String(200))

    center: Mapped[Center] = relationship(back_populates="closures")


class CenterManager(db.Model):
    """A center manager's scope: the centers they manage."""

    __tablename__ = "center_managers"

    center_id: Mapped[int] = mapped_column(
        ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Contract(db.Model):
    """An agency's right to use a private operator's centers, billed by the hour."""

    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("hourly_rate_krw >= 0", name="rate_not_negative"),
        CheckConstraint("ends_on IS NULL OR starts_on <= ends_on", name="ordered_dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    hourly_rate_krw: Mapped[Decimal] = mapped_column(Numeric(10, 0))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    # The centers it is limited to; none listed means every center of the operator.
    centers: Mapped[list[Center]] = relationship(secondary="contract_centers", lazy="selectin",
                                                 order_by="Center.code")

    def covers(self, day: date) -> bool:
        """True if the contract is in force on ``day``."""
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    def covers_center(self, center_id: int) -> bool:
        """True if the contract reaches this center of its operator (all of them when none is listed)."""
        return not self.centers or any(center.id == center_id for center in self.centers)

    @classmethod
    def covering_center(cls, center_id):
        """SQL condition: the contract lists no centers (the whole operator) or lists ``center_id``."""
        # Everything but contract_centers comes from the enclosing query (also a center two levels up).
        listed = select(ContractCenter.center_id).where(ContractCenter.contract_id == cls.id)
        return ~listed.correlate_except(ContractCenter).exists() | listed.where(
            ContractCenter.center_id == center_id).correlate_except(ContractCenter).exists()


class ContractCenter(db.Model):
    """A center a contract is limited to."""

    __tablename__ = "contract_centers"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)


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
