"""Notifications: in-app rows and their e-mails, both written inside the use case's transaction.

``queue`` adds the Notification and its outbox message to the session, so the use case's single
commit writes the event, the notice and the mail together. The ``deliver_mail`` job renders the
mail (``render_mail``, in the user's language: rendering 500 .ics files would cost a closure
request seconds) and sends it; no SMTP in a request. Mails link to the booking and carry an
``.ics`` (``METHOD:REQUEST`` when a booking is made or moved, ``CANCEL`` when it ends early).
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from .. import mail
from ..auth.models import User
from ..extensions import db
from ..timeutils import to_local, utcnow
from .calendar import ics_for_mail
from .models import Booking, Notification, NotificationKind

log = logging.getLogger(__name__)

# Which mails carry the booking as an iCalendar attachment, and with which iTIP method.
ICS_METHODS = {
    NotificationKind.BOOKING_CONFIRMED: "REQUEST",  # also sent when a booking is moved to another space
    NotificationKind.WAITLIST_WON: "REQUEST",
    NotificationKind.BOOKING_CANCELLED: "CANCEL",
    NotificationKind.BOOKING_RELEASED: "CANCEL",
    NotificationKind.CENTER_CLOSED: "CANCEL",
}


def booking_params(booking: Booking) -> dict:
    """A snapshot of what a message says about a booking (it may change later)."""
    return {
        "center_ko": booking.center.name_ko,
        "center_en": booking.center.name_en or booking.center.name_ko,
        "space": booking.space.code,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
    }


def queue(user: User, kind: NotificationKind, booking: Booking | None = None, *, now: datetime | None = None,
          **extra) -> Notification:
    """Add a notification and its e-mail (an outbox row) to the current transaction; never commits.

    Pass the use case's ``now``. Without it the calendar attachment is stamped with the instant the
    booking records for its change (made, cancelled, released), so a use case run for a given
    instant gives the same .ics whatever the clock says.
    """
    params = booking_params(booking) if booking is not None else {}
    params.update(extra)
    notification = Notification(user=user, kind=kind, params=params, booking=booking, created_at=now or utcnow())
    db.session.add(notification)
    stamp = now or (_event_instant(booking, kind) if booking is not None else None) or notification.created_at
    # Written in this transaction, rendered by the deliverer (a closure writes hundreds at once).
    notification.outbox = mail.enqueue_rendered_later(user.email, MAIL_RENDERER, now=stamp)
    return notification


def _event_instant(booking: Booking, kind: NotificationKind) -> datetime | None:
    """When the booking's change that ``kind`` reports happened, as the use case recorded it."""
    if kind == NotificationKind.REMINDER:
        return booking.reminder_sent_at
    if kind == NotificationKind.BOOKING_RELEASED:
        return booking.released_at
    if ICS_METHODS.get(kind) == "CANCEL":
        return booking.cancelled_at
    return booking.created_at


def render_mail(message: mail.OutboxMessage) -> tuple[str, str, list[mail.Attachment]]:
    """The e-mail of the notification behind ``message``, in its user's language, with link and .ics."""
    notification = db.session.scalar(select(Notification).where(Notification.outbox_id == message.id))
    if notification is None:
        raise LookupError(f"no notification has outbox message {message.id}")
    user, booking = notification.user, notification.booking
    attachments = []
    with force_locale(user.locale or "ko"):
        subject, body = render(notification)
        if booking is not None:
            link = mail.external_url("bookings.mine", _anchor=f"booking-{booking.id}")
            body += "\n\n" + _("Your booking: %(url)s", url=link)
            method = ICS_METHODS.get(notification.kind)
            if method is not None:
                organizer = parseaddr(current_app.config["MAIL_SENDER"])[1]
                attachments.append(mail.Attachment(
                    f"smartwork-booking-{booking.id}.ics", f"text/calendar; method={method}; charset=utf-8",
                    ics_for_mail(booking, method, organizer, message.recipient, message.created_at,
                                 _sequence(notification)),
                ))
    return subject, body, attachments


def _sequence(notification: Notification) -> int:
    """How many calendar mails about the same booking came before this one (the iCalendar SEQUENCE)."""
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.booking_id == notification.booking_id, Notification.id < notification.id,
            Notification.kind.in_(list(ICS_METHODS)),
        )
    ) or 0


MAIL_RENDERER = "notification"
mail.register_renderer(MAIL_RENDERER, render_mail)


@mail.message_sent.connect
def _record_emailed(_sender, ids: list[int], at: datetime, **_kwargs) -> None:
    """Mark the notices whose mail the outbox just sent (inside the job's transaction)."""
    db.session.execute(
        update(Notification).where(Notification.outbox_id.in_(ids)).values(emailed_at=at)
        .execution_options(synchronize_session=False)
    )


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
    """Nothing to do: ``queue`` already wrote each mail to the outbox (kept for existing callers)."""
    return 0


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
