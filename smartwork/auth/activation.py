"""E-mailed account links: activation of imported accounts and password reset.

A link carries 256 random bits; only their SHA-256 is stored (``AccountToken``). A link is
single-use (claimed by a conditional UPDATE, so two tabs cannot both use it), expires
(``ACTIVATION_LINK_LIFETIME``, 72 h; ``PASSWORD_RESET_LINK_LIFETIME``, 1 h) and is replaced by the
next link of the same purpose. A reset request answers the same whether or not the address has an
account, doing the same hashing and database work either way.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..audit import AuditEventType, record_audit
from ..errors import Invalid, NotFound, PermissionDenied
from ..extensions import db
from ..mail import external_url as mail_url
from ..timeutils import utcnow
from .mailer import queue_account_mail
from .models import AccountToken, TokenPurpose, User, UserStatus
from .services import apply_new_password, validate_password_strength

ENDPOINTS = {TokenPurpose.ACTIVATION: "auth.activate", TokenPurpose.PASSWORD_RESET: "auth.reset_password"}
LIFETIME_SETTINGS = {TokenPurpose.ACTIVATION: "ACTIVATION_LINK_LIFETIME",
                     TokenPurpose.PASSWORD_RESET: "PASSWORD_RESET_LINK_LIFETIME"}


def hash_link_token(token: str) -> str:
    """The stored form of a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail (``mail.external_url``'s rule); refuses when no site address is known."""
    link = mail_url(endpoint, **values)
    if not urlsplit(link).netloc:  # no PUBLIC_BASE_URL, SERVER_NAME or request: the CLI cannot know the site
        raise RuntimeError("Set PUBLIC_BASE_URL (e.g. https://smartwork.go.kr) in instance/config.py so "
                           "e-mailed links can be built outside a web request.")
    return link


def _issue(user: User, purpose: TokenPurpose, now: datetime) -> str:
    """Store a new link token for ``user`` (flush only), replacing unused ones; returns the absolute link."""
    token = secrets.token_urlsafe(32)
    link = external_url(ENDPOINTS[purpose], token=token)  # fails before writing if no address is configured
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=hash_link_token(token),
                                created_at=now, expires_at=now + current_app.config[LIFETIME_SETTINGS[purpose]]))
    db.session.flush()
    return link


def issue_activation_link(user: User, now: datetime | None = None) -> str:
    """A new single-use activation link for ``user`` (absolute URL); the hashed token is flushed, the caller commits."""
    if user.id is None:
        db.session.flush()
    return _issue(user, TokenPurpose.ACTIVATION, now or utcnow())


def needs_activation(user: User) -> bool:
    """True for an account that has never set a password and may still do so."""
    return user.status == UserStatus.PENDING or (user.status == UserStatus.ACTIVE and user.password_hash is None)


def pending_users() -> list[User]:
    """Every account still waiting for activation, oldest first."""
    return list(db.session.scalars(select(User).where(User.status == UserStatus.PENDING).order_by(User.id)))


def resend_activation(actor: User | None, user: User, now: datetime | None = None) -> str:
    """Send ``user`` a fresh activation link (older ones stop working); audited; returns the link.

    ``actor`` is the administrator (None from the CLI). Raises ``Invalid`` if the account is active
    with a password, suspended or retired.
    """
    now = now or utcnow()
    if not needs_activation(user):
        raise Invalid(_("%(email)s does not need activation (the account is %(status)s).",
                        email=user.email, status=user.status.value), rule="no_activation_needed")
    link = issue_activation_link(user, now)
    record_audit(AuditEventType.ACTIVATION_SENT, actor=actor, target=user.email, now=now)
    queue_account_mail(user, TokenPurpose.ACTIVATION, link, now)
    db.session.commit()
    return link


def request_password_reset(email: str, now: datetime | None = None) -> None:
    """E-mail a reset link (or, to a pending account, an activation link); the same answer for any address."""
    now = now or utcnow()
    address = (email or "").strip()
    user = db.session.scalar(select(User).where(func.lower(User.email) == address.lower())) if address else None
    kind: TokenPurpose | None = None
    link = None
    if user is not None and user.status == UserStatus.ACTIVE and user.password_hash is not None:
        kind = TokenPurpose.PASSWORD_RESET
    elif user is not None and needs_activation(user):
        kind = TokenPurpose.ACTIVATION  # the activation mail was lost: the same page sends a new one
    if kind is not None:
        link = _issue(user, kind, now)
        queue_account_mail(user, kind, link, now)
    else:
        hash_link_token(secrets.token_urlsafe(32))  # the same hashing work as for a real account
    # Audited either way: a row is written for every request, which also evens out the timing.
    record_audit(AuditEventType.PASSWORD_RESET_REQUESTED, actor_id=user.id if user else None,
                 actor_label=address, target=address, details={"sent": kind.value if kind else None}, now=now)
    db.session.commit()


def invalid_link() -> NotFound:
    """One refusal for a used, replaced, expired or unknown link (which of them is nobody's business)."""
    return NotFound(_("This link is not valid: it was already used, replaced by a newer one, or has expired. "
                      "Ask for a new one below."), rule="link_invalid")


def _usable_token(token: str, purpose: TokenPurpose, now: datetime) -> AccountToken:
    row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == hash_link_token(token or ""),
                                                       AccountToken.purpose == purpose))
    if row is None or not row.is_usable(now):
        raise invalid_link()
    return row


def _check_owner(row: AccountToken, purpose: TokenPurpose, actor: User | None) -> User:
    user = row.user
    if actor is not None and getattr(actor, "is_authenticated", False) and actor.id != user.id:
        raise PermissionDenied(_("You are signed in as someone else. Sign out first, then open the link again."),
                               rule="link_other_account")
    allowed = needs_activation(user) if purpose == TokenPurpose.ACTIVATION else user.status == UserStatus.ACTIVE
    if not allowed:
        raise invalid_link()
    return user


def link_owner(token: str, purpose: TokenPurpose, actor: User | None = None, now: datetime | None = None) -> User:
    """The account a still-usable link belongs to (for showing its form); raises NotFound otherwise."""
    return _check_owner(_usable_token(token, purpose, now or utcnow()), purpose, actor)


def use_link(token: str, purpose: TokenPurpose, password: str, *, actor: User | None = None,
             now: datetime | None = None) -> tuple[User, dict[str, int]]:
    """Set the password through an activation or reset link; the link is spent, the account active.

    Returns the account and what was revoked (API tokens, calendar feeds). Every other session ends.
    """
    now = now or utcnow()
    row = _usable_token(token, purpose, now)
    user = _check_owner(row, purpose, actor)
    validate_password_strength(password, field="password", identifiers=(user.email, user.employee_number))
    claimed = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:  # another request used it a moment ago
        db.session.rollback()
        raise invalid_link()
    if purpose == TokenPurpose.ACTIVATION:
        user.status = UserStatus.ACTIVE
    revoked = apply_new_password(user, password, now=now, via=purpose.value)
    db.session.commit()
    return user, revoked
