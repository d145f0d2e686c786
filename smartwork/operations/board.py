"""The live board of one center, and the manager's desk actions: check in, check out, no-show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..bookings import services as booking_services
from ..bookings.models import Booking, BookingStatus
from ..bookings.policies import closure_on, effective_policy
from ..centers.models import Center, Space
from ..errors import NotFound
from ..extensions import db
from ..timeutils import local_day_bounds, local_to_utc, to_local, utcnow
from . import audit as _audit  # noqa: F401  (connects the center's change log to booking changes)

# Board states of a space right now, and of one hour cell of the timeline.
FREE, RESERVED, OCCUPIED, OUT_OF_SERVICE, CLOSED = "free", "reserved", "occupied", "out_of_service", "closed"
# Bookings that held (or hold) a space; cancelled ones never appear on the board.
SHOWN_STATUSES = (
    BookingStatus.RESERVED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED, BookingStatus.RELEASED,
)
# The timeline shown when the center has no opening hours today.
DEFAULT_HOURS = (time(8, 0), time(20, 0))


@dataclass(frozen=True)
class HourCell:
    """One local hour of one space on today's timeline."""

    hour: int
    state: str


@dataclass(frozen=True)
class BoardRow:
    """One space: its state now, the booking that holds it now, and today's hours."""

    space: Space
    state: str
    current: Booking | None
    cells: list[HourCell]
    bookings: list[Booking] = field(default_factory=list)


@dataclass
class Board:
    """A center right now: spaces, today's timeline, who is due within the hour, who is in."""

    center: Center
    now: datetime
    day: date
    hours: list[int]
    rows: list[BoardRow]
    due: list[Booking]
    checked_in: list[Booking]
    opens_at: time | None
    closes_at: time | None
    closed_reason: str | None
    counts: dict[str, int] = field(default_factory=dict)
    grace_minutes: int = 30


def _hours_today(center: Center, day: date) -> tuple[time | None, time | None]:
    row = next((h for h in center.opening_hours if h.weekday == day.weekday()), None)
    return (row.opens_at, row.closes_at) if row else (None, None)


def todays_bookings(center_id: int, day: date) -> list[Booking]:
    """Bookings of the center touching the local day ``day`` (not cancelled), by start."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.center_id == center_id,
                Booking.status.in_(SHOWN_STATUSES),
                Booking.overlapping(*local_day_bounds(day)),
            )
            .options(selectinload(Booking.user), selectinload(Booking.space))
            .order_by(Booking.starts_at, Booking.id)
        )
    )


def holds_now(booking: Booking, now: datetime) -> bool:
    """The booking holds its space at ``now``: checked in (even before its start) or reserved and started."""
    if booking.status == BookingStatus.CHECKED_IN:
        return (booking.checked_in_at or booking.starts_at) <= now < booking.ends_at
    return booking.status == BookingStatus.RESERVED and booking.starts_at <= now < booking.ends_at


def _state_of(booking: Booking) -> str:
    if booking.status in (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED):
        return OCCUPIED
    if booking.status == BookingStatus.RESERVED:
        return RESERVED
    return FREE  # released: the space was given back


def live_board(center: Center, now: datetime | None = None) -> Board:
    """The center's spaces as free / reserved / occupied / out of service at ``now``, and today."""
    now = now or utcnow()
    day = to_local(now).date()
    opens_at, closes_at = _hours_today(center, day)
    closure = closure_on(center.id, day)
    closed_reason = closure.reason if closure else (None if opens_at else _("Closed today"))
    first, last = (opens_at, closes_at) if opens_at else DEFAULT_HOURS
    # Whole hours covering the opening hours (18:30 closing shows the 18 o'clock hour).
    hours = list(range(first.hour, last.hour + (1 if last.minute else 0)))
    bookings = todays_bookings(center.id, day)
    by_space: dict[int, list[Booking]] = {}
    for booking in bookings:
        by_space.setdefault(booking.space_id, []).append(booking)

    soon = now + timedelta(hours=1)
    rows: list[BoardRow] = []
    for space in sorted(center.spaces, key=lambda s: (s.kind.value, s.code)):
        mine = by_space.get(space.id, [])
        # Checked in counts from the check-in (the desk may admit someone before the start);
        # otherwise a reserved booking starting within the hour already marks the space reserved.
        current = next((b for b in mine if holds_now(b, now)), None) or next(
            (b for b in mine if b.status == BookingStatus.RESERVED and now <= b.starts_at < soon), None)
        if not space.is_active:
            state = OUT_OF_SERVICE
        elif closed_reason:
            state = CLOSED
        elif current is not None:
            state = _state_of(current)
        else:
            state = FREE
        cells = []
        for hour in hours:
            cell_start = local_to_utc(day, time(hour))
            cell_end = cell_start + timedelta(hours=1)
            if not space.is_active:
                cells.append(HourCell(hour, OUT_OF_SERVICE))
                continue
            if closed_reason:
                cells.append(HourCell(hour, CLOSED))
                continue
            states = {_state_of(b) for b in mine if b.overlaps(cell_start, cell_end)} - {FREE}
            cells.append(HourCell(hour, OCCUPIED if OCCUPIED in states else RESERVED if states else FREE))
        rows.append(BoardRow(space, state, current, cells, mine))

    policy = effective_policy(center)
    grace = timedelta(minutes=policy.no_show_grace_minutes)
    due = [
        b for b in bookings
        if b.status == BookingStatus.RESERVED and now - grace <= b.starts_at < now + timedelta(hours=1)
    ]
    checked_in = [b for b in bookings if b.status == BookingStatus.CHECKED_IN]
    counts = {state: 0 for state in (FREE, RESERVED, OCCUPIED, OUT_OF_SERVICE, CLOSED)}
    for row in rows:
        counts[row.state] += 1
    return Board(
        center=center, now=now, day=day, hours=hours, rows=rows, due=due, checked_in=checked_in,
        opens_at=opens_at, closes_at=closes_at, closed_reason=closed_reason, counts=counts,
        grace_minutes=policy.no_show_grace_minutes,
    )


def free_spaces_now(center: Center, now: datetime | None = None) -> list[Space]:
    """Active spaces with no live booking at ``now`` (the kiosk's list)."""
    now = now or utcnow()
    board = live_board(center, now)
    if board.closed_reason:
        return []
    # Free now, even if a booking starts later within the hour (the walk-in chooses an end before it).
    return [row.space for row in board.rows
            if row.space.is_active and not any(holds_now(b, now) for b in row.bookings)]


# --- desk actions (the bookings domain's use cases; the change log follows its signal) ----------


def manager_check_in(actor: User, center: Center, booking_id: int, now: datetime | None = None) -> Booking:
    """Check a person in at the desk: a reserved booking whose check-in window is open."""
    return booking_services.check_in_at_desk(actor, booking_id, now=now, center_id=center.id)


def manager_check_out(actor: User, center: Center, booking_id: int, now: datetime | None = None) -> Booking:
    """Check a person out at the desk (the booking engine's check-out: ends now, frees the rest)."""
    return booking_services.check_out(actor, booking_id, now=now, center_id=center.id)


def mark_no_show(actor: User, center: Center, booking_id: int, now: datetime | None = None) -> Booking:
    """Release a reserved booking whose start has passed (a no-show) and tell the person."""
    return booking_services.mark_no_show(actor, booking_id, now=now, center_id=center.id)


def manager_cancel(actor: User, center: Center, booking_id: int, reason: str, now: datetime | None = None
                   ) -> Booking:
    """Cancel one booking that has not started, with a reason the holder reads."""
    return booking_services.cancel_booking(actor, booking_id, now=now, reason=reason, center_id=center.id)


def manager_move(actor: User, center: Center, booking_id: int, space_id: int, reason: str,
                 now: datetime | None = None) -> Booking:
    """Give one booking that has not started another free space of the same kind, with a reason."""
    return booking_services.move_booking(actor, booking_id, space_id, reason, now=now, center_id=center.id)


def center_booking(actor: User, center: Center, booking_id: int) -> Booking:
    """A booking of this center the actor may see, or NotFound (never another center's)."""
    booking = booking_services.get_booking_for(actor, booking_id)
    if booking.center_id != center.id:
        raise NotFound(_("There is no such booking at this center."), rule="booking_not_found")
    return booking


def move_targets(actor: User, center: Center, booking_id: int) -> list[Space]:
    """Free spaces of the same kind the booking could move to."""
    return booking_services.move_targets(actor, booking_id, center_id=center.id)
