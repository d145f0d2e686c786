"""Admin use cases: users (search, roles, status, activation), center managers, the audit log and its export.

Admins only; the views and the API check the role. Every change is audited with before and after.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, or_, select, update

from ..audit import AuditEvent, AuditEventType, record_audit
from ..auth.models import Agency, Role, RoleAssignment, User, UserStatus
from ..auth.services import rotate
from ..bookings.models import Booking
from ..centers.models import Center, CenterManager
from ..errors import Conflict, Invalid, NotFound, Unavailable
from ..extensions import db
from ..timeutils import local_day_bounds, to_local, utcnow

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


# --- users ------------------------------------------------------------------------------------

USERS_PER_PAGE = 25
SUSPENSION_REASON_MAX = 200
SIGN_IN_EVENTS = (AuditEventType.SIGN_IN, AuditEventType.SIGN_IN_FAILED, AuditEventType.LOCKOUT,
                  AuditEventType.SIGN_OUT)
GRANTABLE_ROLES = (Role.CENTER_MANAGER, Role.PLANNER, Role.ADMIN)


@dataclass(frozen=True)
class UserFilter:
    """What the admin searches users by; every part is optional."""

    text: str | None = None  # name, employee number or e-mail
    agency_code: str | None = None
    status: UserStatus | None = None
    role: Role | None = None
    agency_id: int | None = None  # an agency's own system sees only its agency


def user_query(criteria: UserFilter) -> Select:
    """Users matching ``criteria``, by name then employee number."""
    query = select(User)
    if criteria.text:
        needle = criteria.text.strip().lower()
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(
            func.lower(User.name).like(pattern, escape="\\"),
            func.lower(User.email).like(pattern, escape="\\"),
            func.lower(User.employee_number) == needle,
        ))
    if criteria.agency_code:
        query = query.join(Agency, Agency.id == User.agency_id).where(Agency.code == criteria.agency_code)
    if criteria.agency_id is not None:
        query = query.where(User.agency_id == criteria.agency_id)
    if criteria.status:
        query = query.where(User.status == criteria.status)
    if criteria.role and criteria.role != Role.EMPLOYEE:
        query = query.where(User.id.in_(select(RoleAssignment.user_id).where(RoleAssignment.role == criteria.role)))
    return query.order_by(User.name, User.employee_number)


def search_users(criteria: UserFilter, page: int = 1, per_page: int = USERS_PER_PAGE):
    """One page of matching users (a Flask-SQLAlchemy Pagination)."""
    return db.paginate(user_query(criteria), page=max(page, 1), per_page=per_page, error_out=False)


def get_user(user_id: int) -> User:
    """A user by id, or NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."), rule="user_not_found")
    return user


def get_user_by_number(employee_number: str, *, agency_id: int | None = None) -> User:
    """A user by employee number (inside ``agency_id`` when given: others are not found), or NotFound."""
    user = db.session.scalar(select(User).where(User.employee_number == employee_number))
    if user is None or (agency_id is not None and user.agency_id != agency_id):
        raise NotFound(_("No such user."), rule="user_not_found")
    return user


def user_bookings(user: User, limit: int = 50) -> list[Booking]:
    """The user's latest bookings (any status), newest first."""
    return list(db.session.scalars(
        select(Booking).where(Booking.user_id == user.id).order_by(Booking.starts_at.desc()).limit(limit)
    ))


def sign_in_history(user: User, limit: int = 50) -> list[AuditEvent]:
    """The user's sign-ins, failures, lockouts and sign-outs from the audit log, newest first."""
    return list(db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.actor_id == user.id, AuditEvent.event.in_([str(kind) for kind in SIGN_IN_EVENTS]))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    ))


def managed_centers_of(user: User) -> list[Center]:
    """The centers assigned to ``user`` as a manager, by name."""
    return list(db.session.scalars(
        select(Center).join(CenterManager, CenterManager.center_id == Center.id)
        .where(CenterManager.user_id == user.id).order_by(Center.name_ko)
    ))


def _other_active_admins(user: User) -> int:
    """Active admins other than ``user``, counted under a row lock so two removals cannot both pass.

    PostgreSQL: FOR UPDATE locks every admin assignment (and its user row); a concurrent removal
    waits, then re-reads without the row just removed. SQLite: write transactions are serialised
    by BEGIN IMMEDIATE, so the count cannot change under us.
    """
    rows = db.session.execute(
        select(RoleAssignment.id, RoleAssignment.user_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == Role.ADMIN, User.status == UserStatus.ACTIVE)
        .with_for_update()
    ).all()
    return sum(1 for _id, user_id in rows if user_id != user.id)


def _refuse_last_admin(user: User) -> None:
    if user.has_role(Role.ADMIN) and user.status == UserStatus.ACTIVE and _other_active_admins(user) == 0:
        raise Conflict(_("%(name)s is the last active administrator; make someone else an administrator first.",
                         name=user.name), field="role", rule="last_admin")


def set_role(actor: User, user: User, role: Role, granted: bool, now: datetime | None = None) -> bool:
    """Grant or revoke one role; an admin cannot remove the last admin. True if anything changed."""
    now = now or utcnow()
    if role not in GRANTABLE_ROLES:
        raise Invalid(_("Every account is an employee; choose another role."), field="role", rule="role_fixed")
    held = role in user.role_set
    if held == granted:
        return False
    before = sorted(r.value for r in user.role_set)
    details: dict = {}
    if granted:
        user.roles.append(RoleAssignment(role=role))
    else:
        if role == Role.ADMIN:
            _refuse_last_admin(user)
        user.roles = [assignment for assignment in user.roles if assignment.role != role]
        if role == Role.CENTER_MANAGER:
            # Without the role the assignments would be inert; drop them so a later grant starts clean.
            dropped = [center.code for center in managed_centers_of(user)]
            db.session.execute(delete(CenterManager).where(CenterManager.user_id == user.id))
            if dropped:
                details["centers_removed"] = dropped
        rotate(user)  # sessions holding the old role end
    record_audit(AuditEventType.ROLE_CHANGE, actor=actor, target=user.email, now=now, details={
        "added" if granted else "removed": role.value, "before": before,
        "after": sorted(r.value for r in user.role_set), **details,
    })
    db.session.commit()
    return True


def change_status(actor: User, user: User, status: UserStatus, *, reason: str = "", until: datetime | None = None,
                  now: datetime | None = None) -> bool:
    """Activate, suspend (with a reason and an optional end) or retire an account. True if anything changed.

    Suspending or retiring ends the account's sessions; the last active admin cannot be removed.
    """
    now = now or utcnow()
    reason = " ".join((reason or "").split())
    if status == UserStatus.PENDING:
        raise Invalid(_("An account cannot be set back to pending."), field="status", rule="status_pending")
    if status == UserStatus.SUSPENDED:
        if not reason:
            raise Invalid(_("Say why the account is suspended."), field="reason", rule="suspension_reason")
        if len(reason) > SUSPENSION_REASON_MAX:
            raise Invalid(_("Use at most %(max)d characters.", max=SUSPENSION_REASON_MAX), field="reason",
                          rule="suspension_reason")
        if until is not None and until <= now:
            raise Invalid(_("The end of a suspension must be in the future."), field="until", rule="suspension_until")
    else:
        reason, until = "", None
    if status == UserStatus.ACTIVE and user.password_hash is None and user.status == UserStatus.PENDING:
        raise Invalid(_("This person has not set a password yet; resend the activation e-mail instead."),
                      field="status", rule="activation_pending")
    before = {"status": user.status.value, "reason": user.suspended_reason, "until": _iso(user.suspended_until)}
    after = {"status": status.value, "reason": reason or None, "until": _iso(until)}
    if before == after:
        return False
    if status != UserStatus.ACTIVE:
        _refuse_last_admin(user)
        rotate(user)
    user.status = status
    user.suspended_reason = reason or None
    user.suspended_until = until
    record_audit(AuditEventType.ACCOUNT_STATUS, actor=actor, target=user.email, now=now,
                 details={"before": before, "after": after})
    db.session.commit()
    return True


def end_due_suspensions(now: datetime | None = None) -> int:
    """Reactivate accounts whose suspension reached its end; returns how many (the scheduler runs it).

    Idempotent: each account is claimed with a conditional UPDATE on its status and end, so a rerun
    or a second scheduler never reactivates twice, and a suspension changed meanwhile is left alone.
    """
    now = now or utcnow()
    due = db.session.execute(
        select(User.id, User.email, User.suspended_reason, User.suspended_until)
        .where(User.status == UserStatus.SUSPENDED, User.suspended_until.is_not(None), User.suspended_until <= now)
    ).all()
    ended = 0
    for user_id, email, reason, until in due:
        claimed = db.session.execute(
            update(User).where(User.id == user_id, User.status == UserStatus.SUSPENDED,
                               User.suspended_until == until)
            .values(status=UserStatus.ACTIVE, suspended_reason=None, suspended_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            ended += 1
            record_audit(AuditEventType.ACCOUNT_STATUS, actor_label="scheduler", target=email, now=now, details={
                "before": {"status": "suspended", "reason": reason, "until": _iso(until)},
                "after": {"status": "active", "reason": None, "until": None}, "by": "end_suspensions",
            })
    db.session.commit()
    return ended


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def resend_activation(actor: User, user: User, now: datetime | None = None):
    """Send the activation e-mail again (engineer 14a's ``auth.activation``; imported when first used)."""
    try:
        from ..auth.activation import resend_activation as resend
    except ImportError as error:
        raise Unavailable(_("Activation e-mails are not available in this version."),
                          rule="activation_unavailable") from error
    return resend(actor, user, now=now)


def assign_center(actor: User, user: User, center: Center, assigned: bool, now: datetime | None = None) -> bool:
    """Make ``user`` a manager of ``center`` (or stop); a manager may hold several. True if anything changed."""
    now = now or utcnow()
    if assigned and not user.has_role(Role.CENTER_MANAGER):
        raise Invalid(_("Grant the center manager role first."), field="center", rule="not_a_manager")
    existing = db.session.get(CenterManager, (center.id, user.id))
    if (existing is not None) == assigned:
        return False
    before = [c.code for c in managed_centers_of(user)]
    if assigned:
        db.session.add(CenterManager(center_id=center.id, user_id=user.id))
    else:
        db.session.delete(existing)
    db.session.flush()
    record_audit(AuditEventType.ROLE_CHANGE, actor=actor, target=user.email, now=now, details={
        "center_added" if assigned else "center_removed": center.code,
        "before": before, "after": [c.code for c in managed_centers_of(user)],
    })
    db.session.commit()
    return True


def get_center_by_code(code: str) -> Center:
    """A center by code, or NotFound (a form field error)."""
    center = db.session.scalar(select(Center).where(Center.code == (code or "").strip()))
    if center is None:
        raise NotFound(_("No center has the code %(code)s.", code=code), field="center", rule="center_not_found")
    return center
