"""The audit log of security-relevant events: who did what to which target, from where, when.

``record_audit`` adds an event to the caller's session (the caller's service commits it with
its change, so a rolled-back change leaves no event). ``record_audit_now`` writes in its own
transaction for events that must survive the caller's rollback, such as failed sign-ins.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String, insert
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .database import UTCDateTime, sqlite_read_only
from .extensions import db
from .timeutils import utcnow

TARGET_MAX = 200
ACTOR_LABEL_MAX = 254


class AuditEventType(enum.StrEnum):
    """The kinds of events the audit log records (stored as text so new kinds need no migration)."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    LOCKOUT = "lockout"
    SIGN_OUT = "sign_out"
    PASSWORD_CHANGE = "password_change"
    ROLE_CHANGE = "role_change"
    CONTRACT_CHANGE = "contract_change"
    BOOKING_ON_BEHALF = "booking_on_behalf"
    EXPORT = "export"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    MAIL_RETRY = "mail_retry"
    ACTIVATION_SENT = "activation_sent"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"
    CERTIFICATE_BOUND = "certificate_bound"
    CERTIFICATE_UNBOUND = "certificate_unbound"
    ROSTER_IMPORT = "roster_import"
    ACCOUNT_STATUS = "account_status"
    AGENCY_CHANGE = "agency_change"
    OPERATOR_CHANGE = "operator_change"


EVENT_LABELS = {
    AuditEventType.SIGN_IN: _l("Sign-in"),
    AuditEventType.SIGN_IN_FAILED: _l("Failed sign-in"),
    AuditEventType.LOCKOUT: _l("Lockout"),
    AuditEventType.SIGN_OUT: _l("Sign-out"),
    AuditEventType.PASSWORD_CHANGE: _l("Password change"),
    AuditEventType.ROLE_CHANGE: _l("Role change"),
    AuditEventType.CONTRACT_CHANGE: _l("Contract change"),
    AuditEventType.BOOKING_ON_BEHALF: _l("Booking on behalf"),
    AuditEventType.EXPORT: _l("Export"),
    AuditEventType.TOKEN_CREATED: _l("API token created"),
    AuditEventType.TOKEN_REVOKED: _l("API token revoked"),
    AuditEventType.MAIL_RETRY: _l("Dead letter retried"),
    AuditEventType.ACTIVATION_SENT: _l("Activation link sent"),
    AuditEventType.PASSWORD_RESET_REQUESTED: _l("Password reset requested"),
    AuditEventType.CERTIFICATE_BOUND: _l("Certificate linked"),
    AuditEventType.CERTIFICATE_UNBOUND: _l("Certificate unlinked"),
    AuditEventType.ROSTER_IMPORT: _l("Roster import"),
    AuditEventType.ACCOUNT_STATUS: _l("Account status change"),
    AuditEventType.AGENCY_CHANGE: _l("Agency change"),
    AuditEventType.OPERATOR_CHANGE: _l("Operator change"),
}


class AuditEvent(db.Model):
    """One security-relevant event; rows are only ever added (and aged out by retention)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    event: Mapped[str] = mapped_column(String(40), index=True)
    # Kept when the account is deleted: the label still says who it was.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(ACTOR_LABEL_MAX), default="")
    target: Mapped[str] = mapped_column(String(TARGET_MAX), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))

    actor = relationship("User", lazy="joined")

    @property
    def label(self) -> str:
        """The event kind for people."""
        try:
            return str(EVENT_LABELS[AuditEventType(self.event)])
        except ValueError:
            return self.event

    def __repr__(self) -> str:
        return f"<AuditEvent {self.event} actor={self.actor_id} target={self.target!r}>"


def _values(event: str, actor: Any, actor_id: int | None, actor_label: str | None, target: str,
            details: dict | None, ip: str | None, now: datetime | None) -> dict[str, Any]:
    """The row to write; the actor (unless given by id) and the address default to the current request's."""
    if actor is None and actor_id is None and has_request_context() and getattr(
        current_user, "is_authenticated", False
    ):
        actor = current_user._get_current_object()
    if ip is None and has_request_context():
        ip = request.remote_addr
    label = actor_label if actor_label is not None else (getattr(actor, "email", "") or "")
    return {
        "at": now or utcnow(),
        "event": str(event)[:40],
        "actor_id": actor_id if actor_id is not None else getattr(actor, "id", None),
        "actor_label": label[:ACTOR_LABEL_MAX],
        "target": (target or "")[:TARGET_MAX],
        "details": details or {},
        "ip": (ip or None) and ip[:45],
    }


def record_audit(
    event: str,
    *,
    actor: Any = None,
    actor_id: int | None = None,
    actor_label: str | None = None,
    target: str = "",
    details: dict | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Add an event to the current session; the caller's commit writes it (with its change).

    ``actor`` is a User (default: the signed-in user); pass ``actor_id`` and ``actor_label``
    instead when the User's attributes may be expired (after a rollback).
    """
    entry = AuditEvent(**_values(event, actor, actor_id, actor_label, target, details, ip, now))
    db.session.add(entry)
    return entry


def record_audit_now(
    event: str,
    *,
    actor: Any = None,
    actor_id: int | None = None,
    actor_label: str | None = None,
    target: str = "",
    details: dict | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> None:
    """Write an event in its own transaction, so it stays even if the caller rolls back.

    Call it with nothing uncommitted in the session (a GET such as an export, or after a
    rollback, as ``authenticate`` does when it refuses).
    """
    values = _values(event, actor, actor_id, actor_label, target, details, ip, now)
    if db.session().in_transaction() and db.engine.dialect.name == "sqlite":
        # SQLite has one writer: were this session holding the write lock, the audit connection
        # would wait on it. Callers have nothing uncommitted here (a GET, or after a rollback).
        db.session.commit()
    # A GET request begins DEFERRED on SQLite; this connection writes, so it must begin IMMEDIATE.
    token = sqlite_read_only.set(False)
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(AuditEvent).values(**values))
    finally:
        sqlite_read_only.reset(token)
