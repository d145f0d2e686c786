"""Bookings, recurring series, the waitlist, notifications and calendar feeds."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    DDL,
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    event,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..centers.models import Center, Space, SpaceKind
from ..database import UTCDateTime, enum_column_type
from ..extensions import db
from ..mail import OutboxMessage
from ..timeutils import utcnow


class BookingStatus(enum.StrEnum):
    """reserved → checked_in → completed, or cancelled, or released (a no-show)."""

    RESERVED = "reserved"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RELEASED = "released"

    @property
    def is_live(self) -> bool:
        """Live bookings hold their space; only these may not overlap."""
        return self in LIVE_STATUSES


LIVE_STATUSES = (BookingStatus.RESERVED, BookingStatus.CHECKED_IN)
# The same predicate as SQL text, shared by the exclusion constraints and the triggers.
LIVE_SQL = "status IN ('reserved', 'checked_in')"


class SeriesStatus(enum.StrEnum):
    """A series books new dates while active; cancelling it stops that."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    FINISHED = "finished"


class WaitlistStatus(enum.StrEnum):
    """waiting → fulfilled (a booking was made) | expired | cancelled."""

    WAITING = "waiting"
    FULFILLED = "fulfilled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class NotificationKind(enum.StrEnum):
    """What a notification is about; each kind has its own subject and text."""

    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKING_RELEASED = "booking_released"
    WAITLIST_WON = "waitlist_won"
    REMINDER = "reminder"
    CENTER_CLOSED = "center_closed"


class Series(db.Model):
    """A weekly recurring booking: chosen weekdays, one time range, from first_day to last_day."""

    __tablename__ = "booking_series"
    __table_args__ = (
        CheckConstraint("start_time < end_time", name="ordered_times"),
        CheckConstraint("first_day <= last_day", name="ordered_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    # ISO weekdays as 0 = Monday … 6 = Sunday.
    weekdays: Mapped[list] = mapped_column(JSON, default=list)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    attendees: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[SeriesStatus] = mapped_column(
        enum_column_type(SeriesStatus, "series_status"), default=SeriesStatus.ACTIVE, index=True
    )
    # Dates up to here have been attempted; extend_series books the days after it.
    booked_through: Mapped[date | None] = mapped_column(Date)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    space: Mapped[Space] = relationship()
    bookings: Mapped[list[Booking]] = relationship(
        back_populates="series", order_by="Booking.starts_at"
    )


class Booking(db.Model):
    """One user holds one space for the half-open interval [starts_at, ends_at) (UTC)."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="ordered_times"),
        CheckConstraint("attendees IS NULL OR attendees >= 1", name="attendees_positive"),
        Index("ix_bookings_space_starts", "space_id", "starts_at"),
        Index("ix_bookings_user_starts", "user_id", "starts_at"),
        Index("ix_bookings_center_starts", "center_id", "starts_at"),
        Index("ix_bookings_status_starts", "status", "starts_at"),
        # Overlap and "still running" queries bound the end from below: these keep them from walking a
        # space's or a center's whole history (day view 12.7 → 0.2 ms on the national data set).
        Index("ix_bookings_space_ends", "space_id", "ends_at"),
        Index("ix_bookings_center_ends", "center_id", "ends_at"),
        # Live bookings only (~3 % of the rows): "is this space free then?" probes stay in a small index.
        # PostgreSQL otherwise probed the gist exclusion index (search's candidates: 15 → 5 ms).
        Index("ix_bookings_live_space_ends", "space_id", "ends_at",
              postgresql_where=text(LIVE_SQL), sqlite_where=text(LIVE_SQL)),
        # DESIGN §5: the database itself refuses overlapping live bookings (PostgreSQL here,
        # SQLite through the triggers below).
        ExcludeConstraint(
            (literal_column("space_id"), "="),
            (func.tstzrange(literal_column("starts_at"), literal_column("ends_at"), text("'[)'")), "&&"),
            using="gist",
            where=text(LIVE_SQL),
            name="ex_bookings_space_overlap",
        ).ddl_if(dialect="postgresql"),
        ExcludeConstraint(
            (literal_column("user_id"), "="),
            (func.tstzrange(literal_column("starts_at"), literal_column("ends_at"), text("'[)'")), "&&"),
            using="gist",
            where=text(LIVE_SQL),
            name="ex_bookings_user_overlap",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    # Denormalised from the space so per-center queries need no join.
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[BookingStatus] = mapped_column(
        enum_column_type(BookingStatus, "booking_status"), default=BookingStatus.RESERVED
    )
    attendees: Mapped[int | None] = mapped_column(Integer)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking_series.id", ondelete="SET NULL"), index=True
    )
    # Set when a manager or admin booked on the user's behalf.
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    space: Mapped[Space] = relationship()
    center: Mapped[Center] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])
    series: Mapped[Series | None] = relationship(back_populates="bookings")

    @property
    def is_live(self) -> bool:
        """True while the booking holds its space."""
        return self.status in LIVE_STATUSES

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        """Half-open overlap with [starts_at, ends_at)."""
        return self.starts_at < ends_at and starts_at < self.ends_at

    @classmethod
    def overlapping(cls, starts_at, ends_at):
        """SQL condition: the booking's [starts_at, ends_at) meets the half-open range, whatever its status."""
        return (cls.starts_at < ends_at) & (cls.ends_at > starts_at)

    @classmethod
    def live_overlapping(cls, starts_at, ends_at):
        """SQL condition: a live booking overlapping [starts_at, ends_at), the one the database guards."""
        return cls.status.in_(LIVE_STATUSES) & cls.overlapping(starts_at, ends_at)

    @property
    def duration_minutes(self) -> int:
        """Length of the booking in minutes."""
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def __repr__(self) -> str:
        return f"<Booking {self.id} space={self.space_id} {self.starts_at:%Y-%m-%d %H:%M} {self.status}>"


def _overlap_trigger(name: str, timing: str, exclude_self: str) -> str:
    """SQLite trigger refusing a live row that overlaps a live row of the same space or user."""
    checks = []
    for column, message in (("space_id", "booking_overlap_space"), ("user_id", "booking_overlap_user")):
        checks.append(
            f"SELECT RAISE(ABORT, '{message}') WHERE EXISTS (SELECT 1 FROM bookings AS b "
            f"WHERE b.{column} = NEW.{column} AND b.status IN ('reserved', 'checked_in') "
            f"AND b.starts_at < NEW.ends_at AND NEW.starts_at < b.ends_at{exclude_self});"
        )
    return (
        f"CREATE TRIGGER IF NOT EXISTS {name} {timing} ON bookings "
        f"FOR EACH ROW WHEN NEW.status IN ('reserved', 'checked_in') BEGIN {' '.join(checks)} END"
    )


SQLITE_TRIGGERS = (
    _overlap_trigger("bookings_no_overlap_insert", "BEFORE INSERT", ""),
    _overlap_trigger(
        "bookings_no_overlap_update",
        "BEFORE UPDATE OF space_id, user_id, starts_at, ends_at, status",
        " AND b.id <> NEW.id",
    ),
)
BTREE_GIST = "CREATE EXTENSION IF NOT EXISTS btree_gist"

event.listen(Booking.__table__, "before_create", DDL(BTREE_GIST).execute_if(dialect="postgresql"))
for _trigger in SQLITE_TRIGGERS:
    event.listen(Booking.__table__, "after_create", DDL(_trigger).execute_if(dialect="sqlite"))


class WaitlistEntry(db.Model):
    """A request for a center, space kind and time that was full; first come, first served."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="ordered_times"),
        Index("ix_waitlist_entries_center_status", "center_id", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    space_kind: Mapped[SpaceKind] = mapped_column(enum_column_type(SpaceKind, "waitlist_space_kind"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attendees: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[WaitlistStatus] = mapped_column(
        enum_column_type(WaitlistStatus, "waitlist_status"), default=WaitlistStatus.WAITING
    )
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    center: Mapped[Center] = relationship()
    booking: Mapped[Booking | None] = relationship()

    @classmethod
    def overlapping(cls, starts_at, ends_at):
        """SQL condition: the entry's [starts_at, ends_at) meets the half-open range, whatever its status."""
        return (cls.starts_at < ends_at) & (cls.ends_at > starts_at)

    @classmethod
    def waiting_overlapping(cls, starts_at, ends_at):
        """SQL condition: a waiting entry overlapping [starts_at, ends_at)."""
        return (cls.status == WaitlistStatus.WAITING) & cls.overlapping(starts_at, ends_at)


class Notification(db.Model):
    """An in-app message to a user, also sent by e-mail; the text is rendered from kind + params."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(
        enum_column_type(NotificationKind, "notification_kind")
    )
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the outbox has sent the mail (mail.message_sent).
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The notice's e-mail, written in the same transaction.
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id", ondelete="SET NULL"), index=True)

    user: Mapped[User] = relationship()
    booking: Mapped[Booking | None] = relationship()
    outbox: Mapped[OutboxMessage | None] = relationship()


class CalendarFeed(db.Model):
    """A personal calendar subscription; only the token's hash is stored (shown once)."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
