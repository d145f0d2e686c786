"""Calendar export: one .ics per booking and a personal feed behind a secret, revocable token."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone
from sqlalchemy import select, update

from ..auth.models import User, UserStatus
from ..auth.signals import password_changed
from ..errors import NotFound
from ..extensions import db
from ..timeutils import SEOUL, to_local, utcnow
from .models import Booking, BookingStatus, CalendarFeed

UID_DOMAIN = "smartwork.go.kr"
FEED_PAST_DAYS = 30


def hash_token(token: str) -> str:
    """The stored form of a feed token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//smartwork//bookings//KO")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Seoul")
    return cal


def _event(booking: Booking) -> Event:
    event = Event()
    event.add("uid", f"booking-{booking.id}@{UID_DOMAIN}")
    event.add("dtstamp", booking.created_at)
    event.add("dtstart", to_local(booking.starts_at, SEOUL))
    event.add("dtend", to_local(booking.ends_at, SEOUL))
    center = booking.center
    event.add("summary", _("Smart work center: %(center)s, space %(space)s",
                           center=center.name_ko, space=booking.space.code))
    event.add("location", center.address_ko)
    if booking.status == BookingStatus.CANCELLED or booking.status == BookingStatus.RELEASED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    # A changing SEQUENCE lets calendar apps apply cancellations and early check-outs.
    sequence = 0 if booking.status in (BookingStatus.RESERVED, BookingStatus.CHECKED_IN) else 1
    event.add("sequence", sequence)
    return event


# No booking predates the network (2010); Korea has kept KST without DST since 1988, so from here
# the VTIMEZONE is a single STANDARD block instead of every transition since 1970.
TIMEZONE_FROM = date(2000, 1, 1)


@lru_cache(maxsize=8)
def _timezone(tzid: str) -> Timezone:
    return Timezone.from_tzid(tzid, first_date=TIMEZONE_FROM)


def _finish(cal: Calendar) -> bytes:
    # Building a VTIMEZONE walks the zone's transitions (~25 ms) and never changes: build each once
    # (a closure's 500 mails each carry one).
    for tzid in cal.get_missing_tzids():
        try:
            cal.add_component(_timezone(tzid))
        except ValueError:  # unknown to the tz database: the client falls back to its own
            continue
    return cal.to_ical()


def ics_for_booking(booking: Booking) -> bytes:
    """An iCalendar file with the one booking (Asia/Seoul times with TZID, stable UID)."""
    cal = _calendar(_("smartwork booking"))
    cal.add_component(_event(booking))
    return _finish(cal)


def ics_for_mail(booking: Booking, method: str, organizer: str, attendee: str, stamp: datetime,
                 sequence: int) -> bytes:
    """The booking as an iTIP message for a mail attachment (RFC 5546 ``METHOD:REQUEST`` or ``CANCEL``).

    ``sequence`` must grow with each message about the booking, so a later one (a move, then a
    cancel) supersedes the earlier in the recipient's calendar.
    """
    cal = _calendar(_("smartwork booking"))
    cal.add("method", method)
    event = _event(booking)
    for name in ("dtstamp", "sequence", "status"):
        del event[name]
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", f"mailto:{organizer}")
    event.add("attendee", f"mailto:{attendee}", parameters={"ROLE": "REQ-PARTICIPANT", "RSVP": "FALSE"})
    cal.add_component(event)
    return _finish(cal)


def calendar_feed(token: str, now: datetime | None = None) -> bytes:
    """The feed behind ``token``: the last 30 days and everything ahead; NotFound if revoked."""
    now = now or utcnow()
    feed = db.session.scalar(
        select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token or ""),
                                   CalendarFeed.revoked_at.is_(None))
    )
    if feed is None or feed.user.status != UserStatus.ACTIVE:
        raise NotFound("calendar feed", rule="feed_not_found")
    bookings = db.session.scalars(
        select(Booking)
        .where(Booking.user_id == feed.user_id, Booking.ends_at > now - timedelta(days=FEED_PAST_DAYS))
        .order_by(Booking.starts_at)
    )
    cal = _calendar(_("smartwork bookings"))
    for booking in bookings:
        cal.add_component(_event(booking))
    return _finish(cal)


def create_feed_token(user: User, now: datetime | None = None) -> str:
    """Issue a new token, revoking any active one; the plain token is only returned here."""
    now = now or utcnow()
    _revoke(user, now)
    token = secrets.token_urlsafe(32)
    db.session.add(CalendarFeed(user_id=user.id, token_hash=hash_token(token), created_at=now))
    db.session.commit()
    return token


def _revoke(user: User, now: datetime) -> int:
    result = db.session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@password_changed.connect
def revoke_feed_on_password_change(user: User, now: datetime | None = None, **_extra) -> dict[str, int]:
    """A new password revokes the calendar feed link (flush only; auth commits)."""
    return {"calendar_feeds": _revoke(user, now or utcnow())}


def revoke_feed_token(user: User, now: datetime | None = None) -> bool:
    """Revoke the user's feed; True if one was active."""
    revoked = _revoke(user, now or utcnow())
    db.session.commit()
    return revoked > 0


def feed_status(user: User) -> datetime | None:
    """When the active feed token was issued, or None."""
    return db.session.scalar(
        select(CalendarFeed.created_at).where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
    )
