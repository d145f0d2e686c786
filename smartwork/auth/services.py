"""Sign-in, lockout, tokens and account provisioning."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from ..errors import Invalid, PermissionDenied
from ..extensions import db, login_manager
from ..timeutils import utcnow
from .models import Agency, Role, RoleAssignment, User, UserStatus, new_token

password_hasher = PasswordHasher()  # argon2id with the library's vetted defaults

# Verifying against this keeps the timing of "no such user" close to "wrong password".
_DUMMY_HASH = password_hasher.hash("smartwork-timing-equaliser")

STATUS_MESSAGES = {
    UserStatus.PENDING: _l("Your account has not been activated yet. Ask your agency's HR office."),
    UserStatus.SUSPENDED: _l("Your account is suspended. Contact your agency's HR office."),
    UserStatus.RETIRED: _l("This account belongs to someone who has left service."),
}


def configure_login(app: Flask) -> None:
    """Wire Flask-Login: where to send anonymous users and how to load a session."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_by_session_token)


def load_user_by_session_token(token: str) -> User | None:
    """Flask-Login loader: the session/remember cookie carries the user's session token."""
    if not token:
        return None
    return db.session.scalar(select(User).where(User.session_token == token))


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return password_hasher.hash(password)


def find_user_by_identifier(identifier: str) -> User | None:
    """Find a user by employee number or government e-mail (case-insensitive)."""
    identifier = identifier.strip()
    if not identifier:
        return None
    return db.session.scalar(
        select(User).where(
            or_(User.employee_number == identifier, func.lower(User.email) == identifier.lower())
        )
    )


def authenticate(identifier: str, password: str, *, now: datetime | None = None) -> User:
    """Check credentials, enforce lockout and account status; commit the counters.

    Raises ``Invalid`` (wrong credentials), ``PermissionDenied`` (locked or inactive).
    """
    now = now or utcnow()
    max_failures = current_app.config["LOGIN_MAX_FAILURES"]
    lockout = current_app.config["LOGIN_LOCKOUT"]
    user = find_user_by_identifier(identifier)
    wrong = Invalid(_("The employee number, e-mail or password is incorrect."), rule="bad_credentials")

    if user is None:
        _verify(_DUMMY_HASH, password)
        raise wrong
    if user.is_locked(now):
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise PermissionDenied(
            _("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes),
            rule="locked_out",
        )
    if user.password_hash is None or not _verify(user.password_hash, password):
        if user.locked_until is not None and user.locked_until <= now:
            user.failed_logins = 0  # the previous lockout has expired: start counting afresh
            user.locked_until = None
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + lockout
            user.failed_logins = 0
            db.session.commit()
            raise PermissionDenied(
                _("Too many failed attempts. Try again in %(minutes)d minutes.",
                  minutes=int(lockout.total_seconds() // 60)),
                rule="locked_out",
            )
        db.session.commit()
        raise wrong
    if user.status != UserStatus.ACTIVE:
        raise PermissionDenied(str(STATUS_MESSAGES[user.status]), rule=f"account_{user.status.value}")

    user.failed_logins = 0
    user.locked_until = None
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.commit()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def rotate_session_token(user: User) -> None:
    """Invalidate every session and remember-me cookie of ``user`` (logout, password change)."""
    user.session_token = new_token()
    db.session.commit()


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change a password after checking the current one; signs out other devices."""
    if user.password_hash is None or not _verify(user.password_hash, current_password):
        raise Invalid(_("The current password is incorrect."), field="current_password")
    validate_password_strength(new_password)
    user.password_hash = hash_password(new_password)
    rotate_session_token(user)


def validate_password_strength(password: str) -> None:
    """At least 10 characters mixing letters and digits."""
    if len(password) < 10 or not any(c.isalpha() for c in password) or not any(
        c.isdigit() for c in password
    ):
        raise Invalid(
            _("Use at least 10 characters, with both letters and digits."),
            field="new_password",
            rule="weak_password",
        )


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` only if it is a local path on this site, else None."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target


def set_locale(user: User, locale: str) -> None:
    """Remember a signed-in user's language choice."""
    if locale not in current_app.config["LANGUAGES"]:
        raise Invalid(_("Unsupported language."), field="locale")
    user.locale = locale
    db.session.commit()


def grant_role(user: User, role: Role) -> None:
    """Add a role to a user (flush only; callers commit)."""
    if role == Role.EMPLOYEE or role in user.role_set:
        return
    user.roles.append(RoleAssignment(role=role))
    db.session.flush()


def get_agency_by_code(code: str) -> Agency | None:
    """Look an agency up by its code."""
    return db.session.scalar(select(Agency).where(Agency.code == code))
