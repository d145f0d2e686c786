"""Audit log queries and the CSV export (admins only; the views check the role)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, or_, select

from ..audit import AuditEvent
from ..auth.models import User
from ..extensions import db
from ..timeutils import local_day_bounds, to_local

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class AuditFilter:
    """What the admin searches for; every part is optional."""

    event: str | None = None
    user: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def audit_query(criteria: AuditFilter) -> Select:
    """Events matching ``criteria``, newest first (dates are Seoul calendar days, inclusive)."""
    query = select(AuditEvent)
    if criteria.event:
        query = query.where(AuditEvent.event == criteria.event)
    if criteria.user:
        needle = criteria.user.strip().lower()
        matching_ids = select(User.id).where(
            or_(func.lower(User.email) == needle, func.lower(User.employee_number) == needle)
        )
        # Failed sign-ins of unknown identifiers have no actor, only the label typed in.
        query = query.where(or_(AuditEvent.actor_id.in_(matching_ids), func.lower(AuditEvent.actor_label) == needle))
    if criteria.date_from:
        query = query.where(AuditEvent.at >= local_day_bounds(criteria.date_from)[0])
    if criteria.date_to:
        query = query.where(AuditEvent.at < local_day_bounds(criteria.date_to + timedelta(days=1))[0])
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def search_audit(criteria: AuditFilter, page: int = 1):
    """One page of matching events (a Flask-SQLAlchemy Pagination)."""
    return db.paginate(audit_query(criteria), page=max(page, 1), per_page=PAGE_SIZE, error_out=False)


CSV_HEADER = ("at_utc", "at_seoul", "event", "actor_id", "actor", "target", "ip", "details")


def _safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a leading = + - @ becomes text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def audit_csv(criteria: AuditFilter) -> str:
    """The matching events as CSV text (with a BOM so Excel reads Hangul)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for event in db.session.scalars(audit_query(criteria).limit(EXPORT_LIMIT)):
        writer.writerow([
            event.at.isoformat(),
            to_local(event.at).isoformat(),
            event.event,
            event.actor_id or "",
            _safe_cell(event.actor_label),
            _safe_cell(event.target),
            event.ip or "",
            _safe_cell(json.dumps(event.details, ensure_ascii=False, sort_keys=True)),
        ])
    return "\ufeff" + buffer.getvalue()
