"""Personal access tokens for the JSON API (only a hash of each token is stored)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class Scope(enum.StrEnum):
    """What a token may do: read, change the holder's own bookings, or use manager/planner figures."""

    READ = "read"
    BOOK = "book"
    MANAGE = "manage"
    # An agency's HR system: roster upload and account status, only for the token holder's own agency.
    AGENCY_MANAGE = "agency:manage"


class ApiToken(db.Model):
    """A personal access token: shown once, stored as a SHA-256 hash, scoped and expiring."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # The first characters of the token, so the holder can tell tokens apart on the settings page.
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        """True while the token is neither revoked nor expired."""
        return self.revoked_at is None and now < self.expires_at

    def allows(self, scope: Scope) -> bool:
        """True if the token carries ``scope``."""
        return scope.value in (self.scopes or [])

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix} user={self.user_id}>"
