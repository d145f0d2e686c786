"""Notifications: in-app rows created inside the use case, e-mail sent after its commit."""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..auth.models import User
from ..database import commit_keeping_loaded
from ..extensions import db
from ..mail import MailError, send_mail
from ..timeutils import to_local, utcnow
from .models import Booking, Notification, NotificationKind

log = logging.getLogger(__name__)


def booking_params(booking: Booking) -> dict:
    """A snapshot of what a message says about a booking (it may change later)."""
    return {
        "center_ko": booking.center.name_ko,
        "center_en": booking.center.name_en or booking.center.name_ko,
        "space": booking.space.code,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
    }


def queue(user: User, kind: NotificationKind, booking: Booking | None = None, **extra) -> Notification:
    """Add a notification row to the current transaction; deliver() sends it after the commit."""
    params = booking_params(booking) if booking is not None else {}
    params.update(extra)
    notification = Notification(user=user, kind=kind, params=params, booking=booking, created_at=utcnow())
    db.session.add(notification)
    return notification


def _fields(params: dict) -> dict:
    locale = str(get_locale() or "ko")
    start = to_local(datetime.fromisoformat(params["starts_at"])) if "starts_at" in params else None
    end = to_local(datetime.fromisoformat(params["ends_at"])) if "ends_at" in params else None
    return {
        "center": params.get("center_en") if locale.startswith("en") else params.get("center_ko", ""),
        "space": params.get("space", ""),
        "date": start.strftime("%Y-%m-%d") if start else "",
        "start": start.strftime("%H:%M") if start else "",
        "end": end.strftime("%H:%M") if end else "",
        "reason": params.get("reason", ""),
        "deadline": params.get("deadline", ""),
    }


def render(notification: Notification) -> tuple[str, str]:
    """The (subject, body) of a notification in the current locale."""
    f = _fields(notification.params or {})
    kind = notification.kind
    what = _("space %(space)s at %(center)s on %(date)s, %(start)s–%(end)s", **f)
    if kind == NotificationKind.BOOKING_CONFIRMED:
        return (_("Booking confirmed: %(center)s, %(date)s %(start)s", **f),
                _("Your booking is confirmed: %(what)s.", what=what))
    if kind == NotificationKind.BOOKING_CANCELLED:
        body = _("Your booking was cancelled: %(what)s.", what=what)
        if f["reason"]:
            body += "\n" + _("Reason: %(reason)s", reason=f["reason"])
        return _("Booking cancelled: %(center)s, %(date)s %(start)s", **f), body
    if kind == NotificationKind.BOOKING_RELEASED:
        return (_("Booking released (no-show): %(center)s, %(date)s %(start)s", **f),
                _("You did not check in by %(deadline)s, so your booking was released: %(what)s. "
                  "Three no-shows within 30 days suspend booking for 7 days.", deadline=f["deadline"], what=what))
    if kind == NotificationKind.WAITLIST_WON:
        return (_("From the waitlist: you have a place at %(center)s", **f),
                _("A space became free and was booked for you: %(what)s.", what=what))
    if kind == NotificationKind.REMINDER:
        return (_("Reminder: %(center)s at %(start)s", **f),
                _("Your booking starts soon: %(what)s. Check in at the center from 15 minutes before "
                  "the start by opening the space's QR code.", what=what))
    if kind == NotificationKind.CENTER_CLOSED:
        return (_("Booking cancelled: %(center)s is closed", **f),
                _("Your booking was cancelled because the center is closed (%(reason)s): %(what)s.",
                  reason=f["reason"], what=what))
    return kind.value, ""


def deliver(notifications: list[Notification]) -> int:
    """E-mail notifications after their transaction committed; failures are logged, never raised."""
    sent: list[int] = []
    for notification in notifications:
        try:
            user = notification.user
            with force_locale(user.locale or "ko"):
                subject, body = render(notification)
            send_mail(user.email, subject, body)
            sent.append(notification.id)
        except MailError as error:
            log.error("notification %s not e-mailed: %s", notification.id, error)
        except Exception:  # a broken mail path must never undo a committed booking
            log.exception("notification %s not e-mailed", notification.id)
    try:
        if sent:
            db.session.execute(
                update(Notification).where(Notification.id.in_(sent)).values(emailed_at=utcnow())
            )
        commit_keeping_loaded(db.session())  # also ends the read transaction (SQLite would keep its lock)
    except Exception:
        db.session.rollback()
        log.exception("could not record e-mailed notifications")
    return len(sent)


def list_for(user: User, limit: int = 50) -> list[Notification]:
    """The user's notifications, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def unread_count(user: User) -> int:
    """How many notifications the user has not read."""
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    ) or 0


def mark_read(user: User, now: datetime) -> int:
    """Mark all the user's notifications read."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    db.session.commit()
    return result.rowcount or 0
