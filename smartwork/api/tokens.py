"""Personal access tokens: create (shown once), list, revoke, and authenticate a Bearer token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..audit import AuditEventType, record_audit
from ..auth.models import User, UserStatus
from ..auth.signals import password_changed
from ..errors import Invalid, NotFound, SmartworkError
from ..extensions import db
from ..timeutils import utcnow
from .models import ApiToken, Scope

TOKEN_PREFIX = "swp_"
EXPIRY_CHOICES_DAYS = (7, 30, 90, 365)
MAX_ACTIVE_TOKENS = 20
# Writing last_used_at on every request would turn every GET into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Unauthenticated(SmartworkError):
    """No valid credentials came with the request (401)."""

    status = 401
    rule = "unauthenticated"


@dataclass(frozen=True)
class IssuedToken:
    """A freshly created token: the row, and the secret that is shown to its holder once."""

    token: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    """SHA-256 of a token; tokens carry 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str, scopes: list[str], days: int, now: datetime | None = None) -> IssuedToken:
    """Issue a token for ``user`` with ``scopes`` that expires in ``days``; the secret is returned once."""
    now = now or utcnow()
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise Invalid(_("Give the token a name of up to 80 characters."), field="name", rule="token_name")
    chosen = sorted({scope for scope in scopes if scope in {s.value for s in Scope}})
    if not chosen or len(chosen) != len(set(scopes)):
        raise Invalid(_("Choose at least one scope: read, book or manage."), field="scopes", rule="token_scopes",
                      allowed=[s.value for s in Scope])
    if days not in EXPIRY_CHOICES_DAYS:
        raise Invalid(_("Choose how long the token stays valid."), field="days", rule="token_expiry",
                      allowed=list(EXPIRY_CHOICES_DAYS))
    if len(list_tokens(user, now)) >= MAX_ACTIVE_TOKENS:
        raise Invalid(_("You have %(count)d active tokens; revoke one before creating another.",
                        count=MAX_ACTIVE_TOKENS), field="name", rule="too_many_tokens")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, prefix=secret[: len(TOKEN_PREFIX) + 6],
                     token_hash=hash_token(secret), scopes=chosen, created_at=now,
                     expires_at=now + timedelta(days=days))
    db.session.add(token)
    record_audit(AuditEventType.TOKEN_CREATED, actor=user, target=name,
                 details={"prefix": token.prefix, "scopes": chosen}, now=now)
    db.session.commit()
    return IssuedToken(token, secret)


def list_tokens(user: User, now: datetime | None = None) -> list[ApiToken]:
    """The user's tokens that are neither revoked nor expired, newest first."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def revoke_token(user: User, token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke one of the user's tokens at once; someone else's token is reported as not found."""
    now = now or utcnow()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."), rule="token_not_found")
    if token.revoked_at is None:
        token.revoked_at = now
        record_audit(AuditEventType.TOKEN_REVOKED, actor=user, target=token.name, details={"prefix": token.prefix},
                     now=now)
        db.session.commit()
    return token


def authenticate(secret: str, now: datetime | None = None) -> ApiToken:
    """The usable token for a Bearer secret (recording its use), else Unauthenticated with the reason."""
    now = now or utcnow()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None:
        raise Unauthenticated(_("The access token is not valid."), rule="token_invalid")
    if token.revoked_at is not None:
        raise Unauthenticated(_("The access token was revoked."), rule="token_revoked")
    if now >= token.expires_at:
        raise Unauthenticated(_("The access token expired on %(date)s.", date=token.expires_at.date().isoformat()),
                              rule="token_expired", allowed={"expired_at": token.expires_at.isoformat()})
    if token.user.status != UserStatus.ACTIVE:
        raise Unauthenticated(_("The account holding this token is not active."), rule="account_inactive")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    return token


@password_changed.connect
def revoke_tokens_on_password_change(user: User, now: datetime | None = None, **_extra) -> dict[str, int]:
    """A new password revokes every API token made under the old one (flush only; auth commits)."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return {"api_tokens": result.rowcount or 0}
