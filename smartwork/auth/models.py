"""Agencies, users and their roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_column_type
from ..extensions import db
from ..timeutils import utcnow


class AgencyKind(enum.StrEnum):
    """What sort of government body an agency is."""

    CENTRAL = "central"
    LOCAL = "local"
    PUBLIC_INSTITUTION = "public_institution"


class UserStatus(enum.StrEnum):
    """An account's standing in the HR roster; only active accounts sign in."""

    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class Role(enum.StrEnum):
    """What a user may do; every account is an employee, some hold more roles."""

    EMPLOYEE = "employee"
    CENTER_MANAGER = "center_manager"
    PLANNER = "planner"
    ADMIN = "admin"


def new_token() -> str:
    """A fresh random token for sessions and feeds."""
    return secrets.token_urlsafe(32)


class Agency(db.Model):
    """A ministry, local government or public institution that employs civil servants."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_ko: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    kind: Mapped[AgencyKind] = mapped_column(enum_column_type(AgencyKind, "agency_kind"))

    users: Mapped[list[User]] = relationship(back_populates="agency")

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"


class User(db.Model):
    """A civil servant's account, provisioned from the agency's HR roster."""

    __tablename__ = "users"
    # Planners count people per home region and status: this index answers that without the table.
    __table_args__ = (
        Index("ix_users_home_region_id_status", "home_region_id", "status"),
        # Sign-in and the roster match e-mail addresses case-insensitively: without this index each
        # sign-in read all 50,000 users (19 ms on PostgreSQL).
        Index("ix_users_email_lower", text("lower(email)")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_number: Mapped[str] = mapped_column(String(20), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    home_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    status: Mapped[UserStatus] = mapped_column(
        enum_column_type(UserStatus, "user_status"), default=UserStatus.ACTIVE
    )
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Lockouts in a row since the last successful sign-in: each one lasts twice as long as the last.
    lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Flask-Login identifies sessions and remember-me cookies by this token; rotating it
    # (logout, password change) invalidates every cookie issued before.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    locale: Mapped[str | None] = mapped_column(String(5))
    # Set by an admin's suspension (cleared on activation); the roster's own "suspended" leaves them empty.
    suspended_reason: Mapped[str | None] = mapped_column(String(200))
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="users")
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login protocol.
    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    @property
    def role_set(self) -> frozenset[Role]:
        """Every role held; each account is at least an employee."""
        return frozenset({Role.EMPLOYEE, *(assignment.role for assignment in self.roles)})

    def has_role(self, *roles: Role) -> bool:
        """True if the user holds any of ``roles``."""
        return bool(self.role_set.intersection(roles))

    def is_locked(self, now: datetime) -> bool:
        """True while a lockout from failed sign-ins is in force."""
        return self.locked_until is not None and self.locked_until > now

    def __repr__(self) -> str:
        return f"<User {self.employee_number}>"


class RoleAssignment(db.Model):
    """A role granted to a user beyond 'employee'."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_column_type(Role, "role"))

    user: Mapped[User] = relationship(back_populates="roles")


class TokenPurpose(enum.StrEnum):
    """What an e-mailed account link does."""

    ACTIVATION = "activation"
    PASSWORD_RESET = "password_reset"


class AccountToken(db.Model):
    """A single-use link sent by e-mail (activation, password reset); only its SHA-256 is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column_type(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the link is used, or when a newer link of the same purpose replaces it.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        """True while the link is neither used, replaced nor expired."""
        return self.used_at is None and now < self.expires_at


class KnownDevice(db.Model):
    """A browser that signed in successfully: its correct password works even while the account is locked.

    The browser keeps a random token in an HttpOnly cookie; only its SHA-256 is stored. Failures from
    a known device count on the device (its own short lock), not on the account (OWASP "device cookies").
    """

    __tablename__ = "known_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def is_locked(self, now: datetime) -> bool:
        """True while this device's own lock is in force."""
        return self.locked_until is not None and self.locked_until > now
