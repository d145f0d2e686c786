"""The live board of one center, and the manager's desk actions: check in, check out, no-show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..bookings import notifications
from ..bookings import services as booking_services
from ..bookings.models import Booking, BookingStatus, NotificationKind
from ..bookings.policies import closure_on, effective_policy
from ..centers.models import Center, Space
from ..errors import Conflict, NotFound
from ..extensions import db
from ..timeutils import local_day_bounds, local_to_utc, to_local, utcnow
from .audit import record_change

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
    start, end = local_day_bounds(day)
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.center_id == center_id,
                Booking.status.in_(SHOWN_STATUSES),
                Booking.starts_at < end,
                Booking.ends_at > start,
            )
            .options(selectinload(Booking.user), selectinload(Booking.space))
            .order_by(Booking.starts_at, Booking.id)
        )
    )


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

    rows: list[BoardRow] = []
    for space in sorted(center.spaces, key=lambda s: (s.kind.value, s.code)):
        mine = by_space.get(space.id, [])
        current = next(
            (b for b in mine if b.status in (BookingStatus.RESERVED, BookingStatus.CHECKED_IN)
             and b.starts_at <= now < b.ends_at),
            None,
        )
        if not space.is_active:
            state = OUT_OF_SERVICE
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
        rows.append(BoardRow(space, state, current, cells))

    policy = effective_policy(center)
    grace = timedelta(minutes=policy.no_show_grace_minutes)
    due = [
        b for b in bookings
        if b.status == BookingStatus.RESERVED and now - grace <= b.starts_at < now + timedelta(hours=1)
    ]
    checked_in = [b for b in bookings if b.status == BookingStatus.CHECKED_IN]
    counts = {state: 0 for state in (FREE, RESERVED, OCCUPIED, OUT_OF_SERVICE)}
    for row in rows:
        counts[row.state] += 1
    return Board(
        center=center, now=now, day=day, hours=hours, rows=rows, due=due, checked_in=checked_in,
        opens_at=opens_at, closes_at=closes_at, closed_reason=closed_reason, counts=counts,
        grace_minutes=policy.no_show_grace_minutes,
    )


def free_spaces_now(center: Center, now: datetime | None = None) -> list[Space]:
    """Active spaces with no live booking at ``now`` (the kiosk's list)."""
    board = live_board(center, now)
    if board.closed_reason:
        return []
    return [row.space for row in board.rows if row.state == FREE]


# --- desk actions ---------------------------------------------------------------------------


def _center_booking(center: Center, booking_id: int) -> Booking:
    """A booking of this center, locked for the change, or NotFound (never another center's)."""
    booking = db.session.scalar(
        select(Booking)
        .where(Booking.id == booking_id, Booking.center_id == center.id)
        .with_for_update(of=Booking)
    )
    if booking is None:
        raise NotFound(_("There is no such booking at this center."), rule="booking_not_found")
    return booking


def _describe(booking: Booking) -> dict:
    return {
        "booking_id": booking.id,
        "user": booking.user.name,
        "space": booking.space.code,
        "starts_at": to_local(booking.starts_at).strftime("%Y-%m-%d %H:%M"),
        "ends_at": to_local(booking.ends_at).strftime("%H:%M"),
    }


def manager_check_in(actor: User, center: Center, booking_id: int, now: datetime | None = None) -> Booking:
    """Check a person in at the desk: a reserved booking whose check-in window is open."""
    now = now or utcnow()
    booking = _center_booking(center, booking_id)
    policy = effective_policy(center)
    if booking.status != BookingStatus.RESERVED:
        raise Conflict(_("Only a reserved booking can be checked in."), rule="not_reserved")
    opens = booking.starts_at - timedelta(minutes=policy.checkin_opens_minutes)
    if not opens <= now < booking.ends_at:
        raise Conflict(
            _("Check-in is open from %(start)s until the booking ends.",
              start=to_local(opens).strftime("%H:%M")),
            rule="checkin_window",
        )
    booking.status = BookingStatus.CHECKED_IN
    booking.checked_in_at = now
    record_change(center.id, actor, "booking_checked_in", f"booking:{booking.id}", _describe(booking), now)
    db.session.commit()
    return booking


def manager_check_out(actor: User, center: Center, booking_id: int, now: datetime | None = None) -> Booking:
    """Check a person out at the desk (the booking engine's check-out: ends now, frees the rest)."""
    now = now or utcnow()
    _center_booking(center, booking_id)  # only this center's bookings, else NotFound
    db.session.rollback()  # release the row lock: the engine takes its own
    booking = booking_services.check_out(actor, booking_id, now=now)
    record_change(center.id, actor, "booking_checked_out", f"booking:{booking.id}", _describe(booking), now)
    db.session.commit()
    return booking


def mark_no_show(actor: User, center: Center, booking_id: int, now: datetime | None = None) -> Booking:
    """Release a reserved booking whose start has passed (a no-show) and tell the person."""
    now = now or utcnow()
    booking = _center_booking(center, booking_id)
    if booking.status != BookingStatus.RESERVED:
        raise Conflict(_("Only a reserved booking can be marked as a no-show."), rule="not_reserved")
    if now < booking.starts_at:
        raise Conflict(
            _("A booking can be marked as a no-show only after it starts (%(start)s).",
              start=to_local(booking.starts_at).strftime("%H:%M")),
            rule="not_started",
        )
    booking.status = BookingStatus.RELEASED
    booking.released_at = now
    notice = notifications.queue(
        booking.user, NotificationKind.BOOKING_RELEASED, booking,
        deadline=to_local(now).strftime("%H:%M"),
    )
    record_change(center.id, actor, "booking_no_show", f"booking:{booking.id}", _describe(booking), now)
    db.session.commit()
    notifications.deliver([notice])
    return booking

