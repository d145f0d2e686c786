"""Known devices: browsers that signed in before keep working while a stranger has the account locked.

A successful password sign-in gives the browser a random token in an HttpOnly cookie (only its
SHA-256 is stored). While the account is locked by failures from unknown browsers, the correct
password from a known device still signs in; failures from a known device lock only that device.
This is OWASP's "device cookies" scheme against lockout as denial of service.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from .models import KnownDevice, User

DEVICE_COOKIE = "smartwork_device"
MAX_DEVICES_PER_USER = 20


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_lifetime() -> timedelta:
    """How long a device stays known without a sign-in (``KNOWN_DEVICE_LIFETIME``)."""
    return current_app.config["KNOWN_DEVICE_LIFETIME"]


def find_device(user: User, token: str | None, now: datetime) -> KnownDevice | None:
    """The device row of ``user`` that ``token`` names, if it is still within its lifetime."""
    if not token or len(token) > 100:
        return None
    device = db.session.scalar(
        select(KnownDevice).where(KnownDevice.token_hash == _hash(token), KnownDevice.user_id == user.id)
    )
    if device is None or device.last_used_at + device_lifetime() < now:
        return None
    return device


def remember_device(user: User, device: KnownDevice | None, now: datetime) -> str | None:
    """Mark a successful sign-in: refresh ``device``, or register a new one and return its token."""
    if device is not None:
        device.last_used_at = now
        device.failed_logins = 0
        device.locked_until = None
        return None
    token = secrets.token_urlsafe(32)
    db.session.add(KnownDevice(user_id=user.id, token_hash=_hash(token), created_at=now, last_used_at=now,
                               failed_logins=0))
    db.session.flush()
    # Forget stale devices, and keep the list short (a shared PC signs many people in).
    db.session.execute(delete(KnownDevice).where(KnownDevice.user_id == user.id,
                                                 KnownDevice.last_used_at < now - device_lifetime()))
    keep = select(KnownDevice.id).where(KnownDevice.user_id == user.id).order_by(
        KnownDevice.last_used_at.desc(), KnownDevice.id.desc()).limit(MAX_DEVICES_PER_USER - 1)
    db.session.execute(delete(KnownDevice).where(KnownDevice.user_id == user.id, KnownDevice.id.not_in(keep))
                       .execution_options(synchronize_session=False))
    return token


def count_device_failure(device: KnownDevice, now: datetime) -> None:
    """A wrong password from a known device: after the usual number of failures, lock the device."""
    if device.locked_until is not None and device.locked_until <= now:
        device.failed_logins, device.locked_until = 0, None
    device.failed_logins += 1
    if device.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        device.failed_logins = 0
        device.locked_until = now + current_app.config["LOGIN_LOCKOUT"]
