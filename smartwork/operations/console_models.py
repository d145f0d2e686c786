"""The manager console's own tables: the change log and kiosk tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class ChangeLog(db.Model):
    """One change a manager made at a center: who, when, what (and the before/after details)."""

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_center_created", "center_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    # Kept when the account is deleted, so the history still says "someone" did it.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class KioskToken(db.Model):
    """A credential that lets one tablet show one center's kiosk; only its hash is stored."""

    __tablename__ = "kiosk_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        """True until a manager revokes it."""
        return self.revoked_at is None
