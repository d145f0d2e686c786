"""Sign-in, lockout, tokens and account provisioning (one account or a whole HR roster)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import column, func, or_, select, table
from sqlalchemy.exc import IntegrityError

from ..audit import AuditEventType, record_audit, record_audit_now
from ..errors import Conflict, Invalid, NotFound, PermissionDenied
from ..extensions import db, login_manager
from ..timeutils import utcnow
from .devices import count_device_failure, find_device, remember_device
from .models import Agency, Role, RoleAssignment, User, UserStatus, new_token
from .passwords import validate_password
from .sessions import configure_session_expiry
from .signals import announce_password_change

password_hasher = PasswordHasher()  # argon2id with the library's vetted defaults

# Verifying against this keeps the timing of "no such user" close to "wrong password".
_DUMMY_HASH = password_hasher.hash("smartwork-timing-equaliser")

# Regions belong to the centers domain, which sits above auth (DESIGN §3: a lower domain never
# imports a higher one). users.home_region_id already names this table by its foreign key, so
# auth reads just the two columns it needs through a lightweight table clause.
REGIONS = table("regions", column("id"), column("code"))

EMPLOYEE_NUMBER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,19}")
NAME_MAX = 100

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
    configure_session_expiry(app)


def load_user_by_session_token(token: str) -> User | None:
    """Flask-Login loader: the session/remember cookie carries the token of an active user."""
    if not token:
        return None
    # An account suspended or retired after sign-in loses its open sessions at once.
    return db.session.scalar(
        select(User).where(User.session_token == token, User.status == UserStatus.ACTIVE)
    )


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return password_hasher.hash(password)


def find_user_by_identifier(identifier: str, *, for_update: bool = False) -> User | None:
    """Find a user by employee number or government e-mail (case-insensitive)."""
    identifier = identifier.strip()
    if not identifier:
        return None
    query = select(User).where(
        or_(User.employee_number == identifier, func.lower(User.email) == identifier.lower())
    )
    if for_update:
        # Lock the row so concurrent failures in several workers all count (PostgreSQL; SQLite
        # write transactions are already serialised by BEGIN IMMEDIATE).
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def bad_credentials() -> Invalid:
    """The one refusal for an unknown account, a wrong password and a locked account alike."""
    return Invalid(
        _("The employee number, e-mail or password is incorrect, or sign-in is paused after repeated "
          "failures. Try again later, from a device you signed in on before, or reset your password."),
        rule="bad_credentials",
    )


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in, and the known-device token to give the browser (None: it has a valid one)."""

    user: User
    device_token: str | None


def sign_in(identifier: str, password: str, *, device_token: str | None = None,
            now: datetime | None = None) -> SignIn:
    """The sign-in page's check: credentials, lockout (known devices exempt), status; commits."""
    return _check_credentials(identifier, password, device_token=device_token, remember=True, now=now)


def authenticate(identifier: str, password: str, *, now: datetime | None = None) -> User:
    """Check credentials from a device that is never remembered (the kiosk); commits the counters.

    Raises ``Invalid`` (unknown account, wrong password, locked account: one answer for all) or
    ``PermissionDenied`` (an inactive account, said only to someone who knows its password).
    """
    return _check_credentials(identifier, password, device_token=None, remember=False, now=now).user


def _check_credentials(identifier: str, password: str, *, device_token: str | None, remember: bool,
                       now: datetime | None) -> SignIn:
    now = now or utcnow()
    user = find_user_by_identifier(identifier, for_update=True)
    wrong = bad_credentials()

    if user is None:
        _verify(_DUMMY_HASH, password)  # the same hashing work as for a real account
        db.session.rollback()
        record_audit_now(AuditEventType.SIGN_IN_FAILED, actor_label=identifier, details={"rule": wrong.rule}, now=now)
        raise wrong
    # Read before any rollback expires them: the audit log names the account.
    who = {"actor_id": user.id, "actor_label": user.email, "now": now}
    device = find_device(user, device_token, now)
    trusted = device is not None and not device.is_locked(now)
    # Always verify, locked or not, so a locked account answers in the same time as any other.
    correct = _verify(user.password_hash or _DUMMY_HASH, password) and user.password_hash is not None

    if user.is_locked(now) and not trusted:
        # Same answer as a wrong password: a lock must not tell a stranger the account exists.
        db.session.rollback()
        record_audit_now(AuditEventType.SIGN_IN_FAILED, details={"rule": "locked_out"}, **who)
        raise wrong
    if not correct:
        if trusted:
            count_device_failure(device, now)
        else:
            _count_account_failure(user, now, who)
        record_audit(AuditEventType.SIGN_IN_FAILED, details={"rule": wrong.rule, "known_device": trusted}, **who)
        db.session.commit()
        raise wrong
    # Status is revealed only to someone who knows the password.
    if user.status != UserStatus.ACTIVE:
        refusal = PermissionDenied(str(STATUS_MESSAGES[user.status]), rule=f"account_{user.status.value}")
        db.session.rollback()
        record_audit_now(AuditEventType.SIGN_IN_FAILED, details={"rule": refusal.rule}, **who)
        raise refusal

    if not user.is_locked(now):
        # A known device signing in during a stranger's lock leaves that lock (and its growth) alone.
        user.failed_logins = 0
        user.locked_until = None
        user.lockouts = 0
    new_device_token = remember_device(user, device if trusted else None, now) if remember else None
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record_audit(AuditEventType.SIGN_IN, details={"known_device": trusted} if trusted else None, **who)
    db.session.commit()
    return SignIn(user=user, device_token=new_device_token)


def _count_account_failure(user: User, now: datetime, who: dict) -> None:
    """A wrong password from an unknown device; a burst of them locks the account, each lock longer."""
    if user.locked_until is not None:
        user.failed_logins = 0  # the previous lockout has expired: start counting afresh
        user.locked_until = None
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        lockout = min(current_app.config["LOGIN_LOCKOUT"] * (2 ** min(user.lockouts or 0, 16)),
                      current_app.config["LOGIN_LOCKOUT_MAX"])
        user.locked_until = now + lockout
        user.failed_logins = 0
        user.lockouts = (user.lockouts or 0) + 1
        record_audit(AuditEventType.LOCKOUT, details={"until": user.locked_until.isoformat(),
                                                      "lockouts": user.lockouts}, **who)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def rotate(user: User) -> None:
    """Give ``user`` a new session token (flush-free; the caller commits)."""
    user.session_token = new_token()


def rotate_session_token(user: User) -> None:
    """Invalidate every session of ``user`` (logout)."""
    rotate(user)
    db.session.commit()


def apply_new_password(user: User, password: str, *, now: datetime, via: str,
                       actor: User | None = None) -> dict[str, int]:
    """Set a new password: clear any lockout, end every session, revoke API tokens and feeds (flush only).

    Returns what the floors above revoked (``{"api_tokens": 2, "calendar_feeds": 1}``).
    """
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.lockouts = 0
    rotate(user)
    revoked = announce_password_change(user, now)
    details = {"by": via, **({"revoked": revoked} if revoked else {})}
    if via == "admin":
        record_audit(AuditEventType.PASSWORD_CHANGE, actor=actor, target=user.email, details=details, now=now)
    else:  # the person themself (a change, a reset or activation link)
        record_audit(AuditEventType.PASSWORD_CHANGE, actor_id=user.id, actor_label=user.email, target=user.email,
                     details=details, now=now)
    return revoked


def change_password(user: User, current_password: str, new_password: str, *,
                    now: datetime | None = None) -> dict[str, int]:
    """Change a password after checking the current one; signs out every device, revokes tokens and feeds."""
    now = now or utcnow()
    if user.password_hash is None or not _verify(user.password_hash, current_password):
        raise Invalid(_("The current password is incorrect."), field="current_password",
                      rule="bad_credentials")
    validate_password_strength(new_password, identifiers=(user.email, user.employee_number))
    revoked = apply_new_password(user, new_password, now=now, via="self")
    db.session.commit()
    return revoked


def set_password(identifier: str, password: str, *, now: datetime | None = None) -> User:
    """Set a password for an account (admin action); clears a lockout, ends every session, revokes tokens."""
    now = now or utcnow()
    user = find_user_by_identifier(identifier)
    if user is None:
        raise NotFound(_("No account has the employee number or e-mail %(identifier)s.",
                         identifier=identifier), field="identifier", rule="user_not_found")
    validate_password_strength(password, field="password", identifiers=(user.email, user.employee_number))
    if user.status == UserStatus.PENDING:
        user.status = UserStatus.ACTIVE  # the administrator activates it by hand (no e-mail needed)
    apply_new_password(user, password, now=now, via="admin")
    db.session.commit()
    return user


def validate_password_strength(password: str, *, field: str = "new_password",
                               identifiers: tuple[str, ...] = ()) -> None:
    """The password policy (auth/passwords.py): 12+ characters, not common, not one's own identifiers."""
    validate_password(password, field=field, identifiers=identifiers)


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` only if it is a local path on this site, else None."""
    if not target:
        return None
    target = target.strip()
    # Browsers treat "\" as "/" and drop tabs/newlines, so "/\evil" or "/\t/evil" become "//evil".
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
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
    record_audit(AuditEventType.ROLE_CHANGE, target=user.email, details={"added": role.value})
    db.session.flush()


def get_agency_by_code(code: str) -> Agency | None:
    """Look an agency up by its code."""
    return db.session.scalar(select(Agency).where(Agency.code == code))


# --- provisioning -------------------------------------------------------------------------


def clean_employee_number(value: str | None) -> str:
    """An employee number, stripped, or Invalid."""
    value = (value or "").strip()
    if not EMPLOYEE_NUMBER_PATTERN.fullmatch(value):
        raise Invalid(
            _("An employee number is 1 to 20 letters, digits or hyphens."),
            field="employee_number", rule="bad_employee_number",
        )
    return value


def clean_name(value: str | None) -> str:
    """A person's name with whitespace collapsed, or Invalid."""
    value = " ".join((value or "").split())
    if not value or len(value) > NAME_MAX:
        raise Invalid(_("Enter a name of at most %(max)d characters.", max=NAME_MAX),
                      field="name", rule="bad_name")
    return value


def clean_email(value: str | None) -> str:
    """A syntactically valid e-mail address, normalised (domain lower-cased), or Invalid."""
    value = (value or "").strip()
    try:
        # Deliverability needs DNS, which government networks may not reach; syntax is enough.
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid(_("%(email)s is not a valid e-mail address.", email=value or '""'),
                      field="email", rule="bad_email") from None


def _region_id(code: str) -> int:
    region_id = db.session.scalar(select(REGIONS.c.id).where(REGIONS.c.code == code.strip()))
    if region_id is None:
        raise Invalid(_("Unknown home region %(code)s.", code=code), field="home_region_code",
                      rule="unknown_region")
    return region_id


def create_user(
    *,
    employee_number: str,
    email: str,
    name: str,
    agency_code: str,
    home_region_code: str | None = None,
    roles: Iterable[Role] = (),
    password: str | None = None,
    status: UserStatus = UserStatus.ACTIVE,
    now: datetime | None = None,
) -> User:
    """Create one account (active by default); without a password it cannot sign in yet."""
    now = now or utcnow()
    employee_number = clean_employee_number(employee_number)
    email = clean_email(email)
    name = clean_name(name)
    if password is not None:
        validate_password_strength(password, field="password")
    agency = get_agency_by_code((agency_code or "").strip())
    if agency is None:
        raise Invalid(_("Unknown agency %(code)s.", code=agency_code), field="agency_code",
                      rule="unknown_agency")
    region_id = _region_id(home_region_code) if home_region_code else None
    if db.session.scalar(select(User.id).where(User.employee_number == employee_number)):
        raise Invalid(_("Employee number %(number)s is already registered.", number=employee_number),
                      field="employee_number", rule="duplicate_employee_number")
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email.lower())):
        raise Invalid(_("The e-mail address %(email)s is already registered.", email=email),
                      field="email", rule="duplicate_email")
    user = User(
        employee_number=employee_number, email=email, name=name, agency=agency,
        home_region_id=region_id, status=status,
        password_hash=hash_password(password) if password is not None else None,
        created_at=now,
    )
    user.roles = [RoleAssignment(role=role) for role in dict.fromkeys(roles) if role != Role.EMPLOYEE]
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # someone registered the same number or e-mail meanwhile
        raise Conflict(_("This employee number or e-mail address was just registered."),
                       rule="duplicate_user") from None
    return user
