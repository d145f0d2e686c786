"""A center's lifecycle, owned here: the allowed moves, the calendar (opening a ready center on
its planned date, closing on its closing date), public holidays as closures, and the
"stopped taking bookings" announcement. Each calendar service is idempotent (conditional updates).

Centers never import bookings: when a center stops taking bookings (closed or suspended), this
module sends ``stopped_taking_bookings`` and the bookings domain cancels what it held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import holidays
from blinker import Namespace
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, select, update

from ..errors import Invalid
from ..extensions import db
from ..timeutils import local_today, utcnow
from .models import Center, CenterStatus, CenterStatusChange, Closure, ClosureKind, OpeningHours, Space

NOT_YET_OPEN = (CenterStatus.PLANNED, CenterStatus.UNDER_CONSTRUCTION)
# Centers that take, or will take, bookings and so need the holidays as closures.
HOLIDAY_STATUSES = (CenterStatus.OPEN, CenterStatus.PLANNED, CenterStatus.UNDER_CONSTRUCTION)
# Which lifecycle moves are allowed; suspended centers may reopen.
TRANSITIONS: dict[CenterStatus, tuple[CenterStatus, ...]] = {
    CenterStatus.PLANNED: (CenterStatus.UNDER_CONSTRUCTION,),
    CenterStatus.UNDER_CONSTRUCTION: (CenterStatus.OPEN,),
    CenterStatus.OPEN: (CenterStatus.SUSPENDED, CenterStatus.CLOSED),
    CenterStatus.SUSPENDED: (CenterStatus.OPEN, CenterStatus.CLOSED),
    CenterStatus.CLOSED: (),
}
# The statuses in which a center takes no bookings.
STOPS_BOOKINGS = (CenterStatus.SUSPENDED, CenterStatus.CLOSED)

_signals = Namespace()
# Sent after the status change is committed; kwargs: center_id, status, now. Bookings cancel the
# center's future bookings and waiting entries and tell each holder.
stopped_taking_bookings = _signals.signal("center-stopped-taking-bookings")


def announce_stopped(center_id: int, status: CenterStatus, now: datetime) -> int:
    """Tell the domains above that the center takes no more bookings (after the commit);
    returns the rows the receivers touched (bookings cancelled)."""
    results = stopped_taking_bookings.send(Center, center_id=center_id, status=status, now=now)
    return sum(value for _receiver, value in results if isinstance(value, int))


def ready_to_open():
    """SQL predicate: the center has an active space and opening hours, so it can take bookings."""
    return exists().where(Space.center_id == Center.id, Space.is_active.is_(True)) & exists().where(
        OpeningHours.center_id == Center.id
    )


@dataclass(frozen=True)
class StatusMove:
    """One center moved along its lifecycle by the calendar."""

    center_id: int
    from_status: CenterStatus
    to_status: CenterStatus
    effective_on: date


def claim_openings(today: date) -> list[StatusMove]:
    """Open centers marked ready whose opening date has arrived (flushes only; the caller commits).

    The conditional UPDATE is the claim: a center opens once, whoever runs this.
    """
    moves: list[StatusMove] = []
    for status in NOT_YET_OPEN:  # one UPDATE per old status, so each move knows where it came from
        opened = db.session.scalars(
            update(Center)
            .where(
                Center.status == status,
                Center.planned_open_on.is_not(None),
                Center.planned_open_on <= today,
                Center.ready_on.is_not(None),
                Center.ready_on <= today,
                Center.closed_on.is_(None) | (Center.closed_on > today),
                ready_to_open(),
            )
            .values(status=CenterStatus.OPEN, opened_on=today)
            .returning(Center.id)
            .execution_options(synchronize_session=False)
        ).all()
        moves += [StatusMove(center_id, status, CenterStatus.OPEN, today) for center_id in opened]
    return sorted(moves, key=lambda move: move.center_id)


def claim_closings(today: date) -> list[StatusMove]:
    """Close every center whose closing date has arrived (flushes only; the caller commits)."""
    moves: list[StatusMove] = []
    for status in CenterStatus:
        if status == CenterStatus.CLOSED:
            continue
        closed = db.session.execute(
            update(Center)
            .where(Center.status == status, Center.closed_on.is_not(None), Center.closed_on <= today)
            .values(status=CenterStatus.CLOSED)
            .returning(Center.id, Center.closed_on)
            .execution_options(synchronize_session=False)
        ).all()
        moves += [StatusMove(center_id, status, CenterStatus.CLOSED, closed_on) for center_id, closed_on in closed]
    return sorted(moves, key=lambda move: move.center_id)


def mark_ready(center: Center, today: date) -> Center:
    """Mark a not-yet-open center ready to open on its planned date (flushes; the caller commits).

    A planner or the center's manager confirms it is fitted out; refused while nothing could be
    booked there (no active space or no opening hours).
    """
    if center.status not in NOT_YET_OPEN:
        raise Invalid(_("Only a planned center or one under construction can be marked ready."),
                      rule="not_planned")
    if not db.session.scalar(select(ready_to_open()).where(Center.id == center.id)):
        raise Invalid(_("Give the center at least one active space and opening hours first."),
                      rule="not_fitted_out")
    if center.ready_on is None:
        center.ready_on = today
    db.session.flush()
    return center


def _record(moves: list[StatusMove], now: datetime) -> None:
    """Write the status history for moves the calendar made."""
    with force_locale("ko"):  # stored text, read by Korean planners first
        notes = {
            CenterStatus.OPEN: _("Opened on its planned date (automatic)."),
            CenterStatus.CLOSED: _("Closed on its closing date (automatic)."),
        }
    for move in moves:
        db.session.add(CenterStatusChange(
            center_id=move.center_id, from_status=move.from_status, to_status=move.to_status,
            effective_on=move.effective_on, changed_by_id=None, changed_at=now, note=notes[move.to_status],
        ))


def run_calendar(now: datetime | None = None) -> int:
    """Open centers marked ready on their date and close due ones, with their history (one commit);
    then announce each closed center. Returns rows touched (moves, and bookings the receivers cancelled)."""
    now = now or utcnow()
    today = local_today(now)
    moves = claim_openings(today) + claim_closings(today)
    _record(moves, now)
    db.session.commit()
    return len(moves) + sum(announce_stopped(move.center_id, move.to_status, now)
                            for move in moves if move.to_status in STOPS_BOOKINGS)


def open_ready_centers(now: datetime | None = None) -> int:
    """Open planned centers whose opening date has arrived and that are ready; returns how many."""
    moves = claim_openings(local_today(now or utcnow()))
    db.session.commit()
    return len(moves)


def close_due_centers(now: datetime | None = None) -> list[int]:
    """Close every center whose closing date has arrived; returns the ids closed by this call."""
    moves = claim_closings(local_today(now or utcnow()))
    db.session.commit()
    return [move.center_id for move in moves]


def public_holidays_between(first: date, last: date) -> list[tuple[date, str]]:
    """Korean public holidays (with substitute days) from ``first`` to ``last``, Korean names."""
    calendar = holidays.KR(years=range(first.year, last.year + 1), language="ko")
    return sorted((day, name) for day, name in calendar.items() if first <= day <= last)


def add_public_holiday_closures(now: datetime | None = None) -> int:
    """Add this and next year's public holidays as closures of every open or planned center.

    Run daily, it puts next year's holidays in place about a year before any booking window
    reaches them. Idempotent: existing (center, day, holiday) closures are left alone.
    """
    today = local_today(now or utcnow())
    days = public_holidays_between(today, date(today.year + 1, 12, 31))
    if not days:
        return 0
    center_ids = list(db.session.scalars(select(Center.id).where(Center.status.in_(HOLIDAY_STATUSES))))
    existing = set(
        db.session.execute(
            select(Closure.center_id, Closure.starts_on).where(
                Closure.kind == ClosureKind.HOLIDAY, Closure.starts_on >= days[0][0]
            )
        ).tuples()
    )
    rows = [
        {"center_id": center_id, "starts_on": day, "ends_on": day, "kind": ClosureKind.HOLIDAY, "reason": name[:200]}
        for center_id in center_ids
        for day, name in days
        if (center_id, day) not in existing
    ]
    if rows:
        db.session.execute(_insert_closures_ignoring_duplicates(), rows)
    db.session.commit()
    return len(rows)


def _insert_closures_ignoring_duplicates():
    """INSERT … ON CONFLICT DO NOTHING on the (center, day, kind) key: a concurrent run adds nothing twice."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(Closure).on_conflict_do_nothing(index_elements=["center_id", "starts_on", "kind"])
