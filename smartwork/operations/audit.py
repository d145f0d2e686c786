"""The center change log: record who changed what, and read a center's history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..extensions import db
from ..timeutils import utcnow
from .console_models import ChangeLog


def record_change(
    center_id: int,
    actor: User | None,
    action: str,
    target: str = "",
    details: dict | None = None,
    now: datetime | None = None,
) -> ChangeLog:
    """Add one history entry (flush only; the calling service commits with its change)."""
    entry = ChangeLog(
        center_id=center_id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        target=target[:80],
        details=details or {},
        created_at=now or utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def center_history(center_id: int, limit: int = 200) -> list[ChangeLog]:
    """A center's changes, newest first."""
    return list(
        db.session.scalars(
            select(ChangeLog)
            .where(ChangeLog.center_id == center_id)
            .options(selectinload(ChangeLog.actor))
            .order_by(ChangeLog.created_at.desc(), ChangeLog.id.desc())
            .limit(limit)
        )
    )
