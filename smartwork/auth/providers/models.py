"""Identities at outside sign-in providers (SSO subjects, client certificates) and SSO sign-ins under way."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...database import UTCDateTime, enum_column_type
from ...extensions import db
from ...timeutils import utcnow
from ..models import User


class IdentitySource(enum.StrEnum):
    """How an identity came to be linked to an account."""

    SIGN_IN = "sign_in"  # an SSO sign-in matched the account by its employee number
    BOUND = "bound"  # the signed-in person linked the certificate they presented
    ROSTER = "roster"  # the HR roster named the certificate


class ExternalIdentity(db.Model):
    """One account's identity at one provider: an SSO ``sub`` or a certificate serial/subject."""

    __tablename__ = "external_identities"
    # An identity belongs to one account: a certificate never signs two people in.
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(500))
    # For people: the certificate's subject DN and issuer, or the SSO's name for the account.
    description: Mapped[str] = mapped_column(String(1000), default="")
    source: Mapped[IdentitySource] = mapped_column(enum_column_type(IdentitySource, "identity_source"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ExternalIdentity {self.provider}:{self.subject!r} user={self.user_id}>"


class OidcSignin(db.Model):
    """An SSO sign-in under way: its state works once, within ``OIDC_STATE_LIFETIME``."""

    __tablename__ = "oidc_signins"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    # SHA-256 of the state: the database never holds a usable state.
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
