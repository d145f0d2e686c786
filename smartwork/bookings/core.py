"""Shared steps of the booking use cases: lock, validate, insert (DB-guarded), commit, notify."""

from __future__ import annotations

from datetime import datetime
from functools import wraps

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..centers.models import Center, Space
from ..database import commit_keeping_loaded, reads_only_from_now, writing
from ..errors import Conflict, Invalid, NotFound, SmartworkError
from ..extensions import db
from . import notifications
from .models import Booking, BookingStatus, Notification
from .policies import overlapping_live, space_taken_error, user_overlap_error, validate_booking

SPACE_CONSTRAINTS = ("ex_bookings_space_overlap", "booking_overlap_space")
USER_CONSTRAINTS = ("ex_bookings_user_overlap", "booking_overlap_user")


def lock_user_and_space(user_id: int, space_id: int) -> Space:
    """Serialise bookings of one user and of one space (PostgreSQL row locks, user first).

    SQLite needs nothing: every write transaction already holds the database lock
    (BEGIN IMMEDIATE). The locks make the Python checks exact; the database
    constraints stay the guarantee.
    """
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))
    space = db.session.scalar(
        select(Space)
        .where(Space.id == space_id)
        .options(selectinload(Space.center).selectinload(Center.opening_hours))
        .with_for_update(key_share=True, of=Space)
    )
    if space is None:
        raise NotFound(f"space {space_id}", rule="space_not_found")
    return space


def collision_from(error: IntegrityError) -> str | None:
    """'space' or 'user' when ``error`` is one of the overlap guards, else None."""
    orig = error.orig
    name = getattr(getattr(orig, "diag", None), "constraint_name", None) or ""
    message = str(orig)
    if name in SPACE_CONSTRAINTS or SPACE_CONSTRAINTS[1] in message:
        return "space"
    if name in USER_CONSTRAINTS or USER_CONSTRAINTS[1] in message:
        return "user"
    return None


def insert_booking(booking: Booking, *, self_booking: bool = True) -> Booking:
    """Insert inside a savepoint; an overlap refused by the database becomes a precise Conflict."""
    try:
        with db.session.begin_nested():
            db.session.add(booking)
    except IntegrityError as error:
        which = collision_from(error)
        if which is None:
            raise
        # Re-check (the winner is committed, or earlier in this transaction) to name it.
        if which == "space":
            taken = overlapping_live(Booking.space_id, booking.space_id, booking.starts_at, booking.ends_at)
            space = db.session.get(Space, booking.space_id)
            raise space_taken_error(space, taken) from None
        mine = overlapping_live(Booking.user_id, booking.user_id, booking.starts_at, booking.ends_at)
        raise user_overlap_error(mine, self_booking=self_booking) from None
    return booking


def place_booking(
    user: User,
    space: Space,
    starts_at: datetime,
    ends_at: datetime,
    attendees: int | None,
    now: datetime,
    *,
    booked_by: User | None = None,
    series_id: int | None = None,
) -> Booking:
    """Validate every rule, then insert; flushes, never commits."""
    self_booking = booked_by is None or booked_by.id == user.id
    attendees = validate_booking(user, space, starts_at, ends_at, attendees, now, self_booking=self_booking)
    booking = Booking(
        space=space,
        center_id=space.center_id,
        user=user,
        starts_at=starts_at,
        ends_at=ends_at,
        status=BookingStatus.RESERVED,
        attendees=attendees,
        series_id=series_id,
        booked_by_id=booked_by.id if booked_by is not None and not self_booking else None,
        created_at=now,
    )
    return insert_booking(booking, self_booking=self_booking)


def commit_and_deliver(pending: list[Notification], *, keep_loaded: bool = False) -> None:
    """Commit the use case, then e-mail its notifications (mail never undoes the commit).

    ``keep_loaded``: the use case only inserted (no bulk UPDATE left objects stale), so what it
    loaded stays usable after the commit without reloading (see ``commit_keeping_loaded``).
    """
    if keep_loaded:
        commit_keeping_loaded(db.session())
    else:
        db.session.commit()
    if pending:
        notifications.deliver(pending)


def load_booking(booking_id: int, *, lock: bool = False) -> Booking:
    """A booking with its space and center, or NotFound."""
    stmt = select(Booking).where(Booking.id == booking_id)
    if lock:
        stmt = stmt.with_for_update(of=Booking)
    booking = db.session.scalar(stmt)
    if booking is None:
        raise NotFound(f"booking {booking_id}", rule="booking_not_found")
    return booking


def not_live_error(booking: Booking) -> Conflict:
    """The 409 for acting on a booking that is no longer live."""
    return Conflict(
        _("This booking is no longer active (it is %(status)s).", status=status_label(booking.status)),
        rule="not_live",
    )


def status_label(status: BookingStatus) -> str:
    """A translated name of a booking status."""
    return {
        BookingStatus.RESERVED: _("reserved"),
        BookingStatus.CHECKED_IN: _("checked in"),
        BookingStatus.COMPLETED: _("completed"),
        BookingStatus.CANCELLED: _("cancelled"),
        BookingStatus.RELEASED: _("released (no-show)"),
    }[status]


REASON_MAX = 200


def clean_reason(reason: str | None) -> str:
    """A manager's reason as the holder will read it: one line, at most REASON_MAX characters."""
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise Invalid(_("Give a reason of at most %(max)d characters.", max=REASON_MAX), field="reason",
                      rule="bad_reason")
    return reason


DEADLOCK_RETRIES = 2


def use_case(function):
    """Roll back when a use case refuses or fails (releasing its locks); retry a PostgreSQL deadlock.

    Nothing is committed before a use case's single commit, so running it again is safe.
    """

    @wraps(function)
    def wrapper(*args, **kwargs):
        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                with writing(db.session):
                    return function(*args, **kwargs)
            except OperationalError as error:
                db.session.rollback()
                if getattr(error.orig, "sqlstate", None) != "40P01" or attempt == DEADLOCK_RETRIES:
                    raise
            except SmartworkError:
                db.session.rollback()
                reads_only_from_now()  # the refusal page only reads: don't hold SQLite's write lock for it
                raise
            except Exception:
                db.session.rollback()
                raise
        raise AssertionError("unreachable")

    return wrapper
