"""A center's lifecycle as planners move it: planned → under construction → open → suspended → closed.

Every move is checked against the allowed transitions (``centers.lifecycle`` owns them) and dates,
sets the center's dates and is recorded as a CenterStatusChange. A center that stops taking bookings
is announced; the bookings domain cancels what it held.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth.models import User
from ..centers.labels import STATUS_LABELS
from ..centers.lifecycle import STOPS_BOOKINGS, TRANSITIONS, announce_stopped, mark_ready
from ..centers.models import Center, CenterStatus, CenterStatusChange, Region
from ..errors import Invalid, NotFound
from ..extensions import db
from ..timeutils import local_today, utcnow
from .common import forget_cached_overview


def list_centers_for_lifecycle(status: CenterStatus | None = None) -> list[Center]:
    """Centers (optionally of one status) for the lifecycle page, by province and name."""
    stmt = select(Center).join(Region, Center.region_id == Region.id).order_by(Region.sido_code, Center.name_ko)
    if status is not None:
        stmt = stmt.where(Center.status == status)
    return list(db.session.scalars(stmt))


def get_center_by_code(code: str) -> Center:
    """A center by code, or NotFound."""
    center = db.session.scalar(select(Center).where(Center.code == code))
    if center is None:
        raise NotFound(_("This center does not exist."), rule="center_not_found")
    return center


def allowed_transitions(status: CenterStatus) -> tuple[CenterStatus, ...]:
    """The statuses a center in ``status`` may move to."""
    return TRANSITIONS[status]


def status_history(center_id: int) -> list[CenterStatusChange]:
    """A center's recorded lifecycle changes, newest first."""
    return list(
        db.session.scalars(
            select(CenterStatusChange)
            .where(CenterStatusChange.center_id == center_id)
            .order_by(CenterStatusChange.changed_at.desc(), CenterStatusChange.id.desc())
        )
    )


def change_center_status(
    actor: User,
    center_id: int,
    to_status: CenterStatus,
    effective_on: date,
    note: str = "",
    now: datetime | None = None,
) -> CenterStatusChange:
    """Move a center one step along its lifecycle on ``effective_on``, set its dates and record the change."""
    now = now or utcnow()
    today = local_today(now)
    # Lock the row (PostgreSQL; SQLite writers are serialised already) so two planners moving
    # the same center cannot both pass the transition check.
    center = db.session.get(Center, center_id, with_for_update=True)
    if center is None:
        raise NotFound(_("This center does not exist."), rule="center_not_found")
    allowed = TRANSITIONS[center.status]
    if to_status not in allowed:
        names = ", ".join(str(STATUS_LABELS[s]) for s in allowed) or _("none (closed is final)")
        raise Invalid(
            _(
                "A center cannot go from %(current)s to %(target)s. Allowed next: %(allowed)s.",
                current=STATUS_LABELS[center.status],
                target=STATUS_LABELS[to_status],
                allowed=names,
            ),
            field="to_status",
            rule="invalid_transition",
            allowed=[s.value for s in allowed],
        )
    if effective_on > today:
        raise Invalid(_("The date cannot be in the future."), field="effective_on", rule="future_date")
    last = db.session.scalar(
        select(func.max(CenterStatusChange.effective_on)).where(CenterStatusChange.center_id == center_id)
    )
    if last is not None and effective_on < last:
        raise Invalid(
            _("The date cannot be before %(day)s, the center's previous change.", day=last.isoformat()),
            field="effective_on",
            rule="date_before_previous",
        )
    if to_status == CenterStatus.CLOSED and center.opened_on is not None and effective_on < center.opened_on:
        raise Invalid(
            _("A center cannot close before it opened (%(day)s).", day=center.opened_on.isoformat()),
            field="effective_on",
            rule="closed_before_opened",
        )
    if to_status == CenterStatus.OPEN and center.opened_on is None:
        center.opened_on = effective_on
    if to_status == CenterStatus.CLOSED:
        center.closed_on = effective_on
    change = CenterStatusChange(
        center_id=center.id,
        from_status=center.status,
        to_status=to_status,
        effective_on=effective_on,
        changed_by_id=actor.id,
        changed_at=now,
        note=note.strip()[:200],
    )
    center.status = to_status
    db.session.add(change)
    db.session.commit()
    forget_cached_overview()
    if to_status in STOPS_BOOKINGS:
        announce_stopped(center.id, to_status, now)
    return change


def mark_center_ready(actor: User, center_id: int, now: datetime | None = None) -> Center:
    """A planner confirms a not-yet-open center is fitted out: the calendar opens it on its planned date."""
    now = now or utcnow()
    center = db.session.get(Center, center_id, with_for_update=True)
    if center is None:
        raise NotFound(_("This center does not exist."), rule="center_not_found")
    mark_ready(center, local_today(now))
    db.session.commit()
    forget_cached_overview()
    return center
