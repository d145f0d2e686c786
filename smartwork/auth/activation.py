"""One-time activation links: a person without a password (the first administrator) chooses one.

``issue_activation_link`` stores only the SHA-256 of a random token and returns the link, once;
the link works for ``ACTIVATION_LINK_HOURS`` and a single time, and issuing a new one revokes the
older ones. ``activate`` sets the password (12 characters or more), makes the account active and
ends every session it may have had.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..audit import AuditEventType, record_audit
from ..errors import Invalid, NotFound
from ..extensions import db
from ..timeutils import utcnow
from .models import ActivationToken, User, UserStatus
from .services import hash_password, rotate, validate_password_strength

ACTIVATION_LINK_HOURS = 72
MIN_PASSWORD_LENGTH = 12


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_activation_link(user: User, *, now: datetime | None = None, base_url: str | None = None) -> str:
    """Create a one-time token for ``user`` (revoking earlier ones) and return its absolute link."""
    now = now or utcnow()
    db.session.execute(
        update(ActivationToken)
        .where(ActivationToken.user_id == user.id, ActivationToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(ActivationToken(user_id=user.id, token_hash=_digest(token), created_at=now,
                                   expires_at=now + timedelta(hours=ACTIVATION_LINK_HOURS)))
    db.session.commit()
    base = (base_url or current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return f"{base}/auth/activate/{token}"


def find_activation(token: str, *, now: datetime | None = None) -> ActivationToken:
    """The usable token behind a link; NotFound when it is unknown, used, replaced or expired."""
    now = now or utcnow()
    found = db.session.scalar(select(ActivationToken).where(ActivationToken.token_hash == _digest(token)))
    if found is None or not found.usable(now):
        raise NotFound(_("This activation link is not valid any more. Ask an administrator for a new one."),
                       rule="activation_link_invalid")
    return found


def activate(token: str, password: str, *, now: datetime | None = None) -> User:
    """Set the account's password through a one-time link; the link is spent and the account active."""
    now = now or utcnow()
    activation = db.session.scalar(
        select(ActivationToken).where(ActivationToken.token_hash == _digest(token)).with_for_update()
    )
    if activation is None or not activation.usable(now):
        raise NotFound(_("This activation link is not valid any more. Ask an administrator for a new one."),
                       rule="activation_link_invalid")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(_("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH), field="password",
                      rule="weak_password")
    validate_password_strength(password, field="password")
    # Spend the link with a conditional UPDATE: of two concurrent uses only one changes a row.
    spent = db.session.execute(
        update(ActivationToken)
        .where(ActivationToken.id == activation.id, ActivationToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if not spent:
        db.session.rollback()
        raise NotFound(_("This activation link is not valid any more. Ask an administrator for a new one."),
                       rule="activation_link_invalid")
    user = activation.user
    user.password_hash = hash_password(password)
    user.status = UserStatus.ACTIVE
    user.failed_logins = 0
    user.locked_until = None
    rotate(user)
    record_audit(AuditEventType.PASSWORD_CHANGE, actor=user, target=user.email, details={"by": "activation"},
                 now=now)
    db.session.commit()
    return user
