"""Notifications: in-app rows and their e-mails, written in the use case's transaction (the outbox) and
sent by the deliver_mail job to a real local SMTP server (aiosmtpd); links and .ics attachments."""

from __future__ import annotations

import time as clock
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from smartwork import mail
from smartwork.bookings import services
from smartwork.bookings.models import Booking, Notification, NotificationKind
from smartwork.extensions import db
from smartwork.mail import OutboxMessage, OutboxStatus
from tests import factories
from tests.smtp_server import free_port, smtp_server

from .helpers import NOW, TOMORROW, book, world


@pytest.fixture
def smtp(app):
    with smtp_server(app) as handler:
        yield handler


def calendar_of(message) -> icalendar.Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def test_booking_confirmed_mail_is_queued_in_the_use_case_and_sent_by_the_job(app, smtp):
    w = world()
    booking = book(w.user, w.desk1, start="09:00", end="10:00")
    # The use case wrote the mail with the booking and opened no SMTP connection.
    assert smtp.connections == 0 and smtp.messages == []
    [notice] = services.list_notifications(w.user)
    assert notice.outbox.status == OutboxStatus.PENDING and notice.emailed_at is None
    db.session.commit()
    assert mail.deliver_due(now=NOW).sent == 1
    [message] = smtp.messages
    assert message["To"] == w.user.email
    # Korean by default: the center's Korean name and the Korean text.
    assert str(message["Subject"]) == f"예약 확정: {w.center.name_ko}, 2026-12-02 09:00"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "D01" in text
    assert f"http://localhost.test/bookings/mine#booking-{booking.id}" in text
    db.session.expire_all()
    notice = services.list_notifications(w.user)[0]
    assert notice.kind == NotificationKind.BOOKING_CONFIRMED and notice.booking_id == booking.id
    assert notice.emailed_at == NOW


def test_the_confirmation_carries_an_ics_request_that_parses(app, smtp):
    w = world()
    booking = book(w.user, w.desk1, start="09:00", end="10:00")
    mail.deliver_due(now=NOW)
    [message] = smtp.messages
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "text/calendar" and part.get_param("method") == "REQUEST"
    assert part.get_filename() == f"smartwork-booking-{booking.id}.ics"
    cal = calendar_of(message)
    assert str(cal["method"]) == "REQUEST"
    [event] = cal.walk("VEVENT")
    assert str(event["uid"]) == f"booking-{booking.id}@smartwork.go.kr"
    assert event.decoded("dtstart") == booking.starts_at and event.decoded("dtend") == booking.ends_at
    assert str(event["status"]) == "CONFIRMED" and int(event["sequence"]) == 0
    assert str(event["organizer"]) == "mailto:no-reply@smartwork.go.kr"
    assert str(event["attendee"]) == f"mailto:{w.user.email}"


def test_mail_follows_the_users_locale(app, smtp):
    w = world()
    english = factories.user(locale="en")
    db.session.commit()
    book(english, w.desk1)
    mail.deliver_due(now=NOW)
    [message] = smtp.messages
    assert str(message["Subject"]) == f"Booking confirmed: {w.center.name_en}, 2026-12-02 09:00"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Your booking: http://localhost.test/bookings/mine#booking-" in text


def test_every_step_notifies_in_app_and_by_mail(app, smtp):
    w = world()
    booking = book(w.user, w.desk1)
    services.send_due_reminders(now=NOW.replace(hour=23, minute=30))  # 08:30 local on the day
    services.cancel_booking(w.user, booking.id, now=NOW.replace(hour=23, minute=40))
    assert smtp.connections == 0
    mail.deliver_due(now=NOW.replace(hour=23, minute=41))
    assert [n.kind for n in reversed(services.list_notifications(w.user))] == [
        NotificationKind.BOOKING_CONFIRMED, NotificationKind.REMINDER, NotificationKind.BOOKING_CANCELLED,
    ]
    confirmed, reminder, cancelled = smtp.messages
    assert list(reminder.iter_attachments()) == []  # a reminder changes nothing in the calendar
    cancel = calendar_of(cancelled)
    [event] = cancel.walk("VEVENT")
    assert str(cancel["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    # A later message supersedes the earlier one in the recipient's calendar.
    assert int(calendar_of(confirmed).walk("VEVENT")[0]["sequence"]) == 0 and int(event["sequence"]) == 1
    assert str(event["uid"]) == f"booking-{booking.id}@smartwork.go.kr"


def test_a_moved_booking_sends_an_updated_request(app, smtp):
    from smartwork.operations import spaces

    w = world()
    booking = book(w.user, w.desk1)
    manager = factories.manager_of(w.center)
    db.session.commit()
    spaces.deactivate_space(manager, w.center, w.desk1.id, "고장", now=NOW + timedelta(minutes=5))
    mail.deliver_due(now=NOW + timedelta(minutes=6))
    confirmed, moved_mail = smtp.messages
    # The text is what was true when the event happened; the .ics is the booking as it is when sent.
    assert "D01" in confirmed.get_body(preferencelist=("plain",)).get_content()
    assert "D02" in moved_mail.get_body(preferencelist=("plain",)).get_content()
    first, moved = (calendar_of(m).walk("VEVENT")[0] for m in smtp.messages)
    assert str(first["uid"]) == str(moved["uid"]) == f"booking-{booking.id}@smartwork.go.kr"
    assert "D02" in str(moved["summary"]) and str(calendar_of(moved_mail)["method"]) == "REQUEST"
    assert (int(first["sequence"]), int(moved["sequence"])) == (0, 1)


def test_smtp_down_keeps_the_booking_and_retries_the_mail(app, smtp):
    listening = app.config["MAIL_PORT"]
    app.config.update(MAIL_PORT=free_port(), MAIL_TIMEOUT=2)  # nobody listens there
    w = world()
    booking = book(w.user, w.desk1)
    assert mail.deliver_due(now=NOW).retried == 1
    db.session.expire_all()
    assert db.session.get(Booking, booking.id) is not None
    [notice] = services.list_notifications(w.user)
    assert notice.emailed_at is None and notice.outbox.status == OutboxStatus.PENDING
    retry_at = notice.outbox.next_attempt_at
    db.session.rollback()
    app.config.update(MAIL_PORT=listening)
    assert mail.deliver_due(now=retry_at).sent == 1
    db.session.expire_all()
    assert services.list_notifications(w.user)[0].emailed_at == retry_at


def test_a_refused_use_case_writes_no_mail(app):
    w = world()
    book(w.user, w.desk1)
    with pytest.raises(Exception):  # noqa: B017 (any refusal will do: the space is taken)
        book(factories.user(), w.desk1)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_console_backend_prints_the_mail_readably(app, capsys):
    app.config.update(MAIL_BACKEND="console")
    w = world()
    book(w.user, w.desk1, day=TOMORROW)
    assert capsys.readouterr().out == ""  # nothing leaves in the use case
    mail.deliver_due(now=NOW)
    out = capsys.readouterr().out
    assert "--- mail ---" in out and f"To: {w.user.email}" in out
    assert f"Subject: 예약 확정: {w.center.name_ko}, 2026-12-02 09:00" in out
    assert "예약이 확정되었습니다" in out and "=?utf-8?" not in out
    assert ".ics (text/calendar," in out


# --- no SMTP inside a request ---------------------------------------------------------------------


def test_a_request_that_creates_a_booking_opens_no_smtp_connection(app, smtp, client):
    from tests.bookings.test_views import build_town, form_for, sign_in, tomorrow

    town = build_town()
    sign_in(client, town.owner)
    response = client.post("/bookings/centers/hub/book",
                           data={"space": town.desk1.id, **form_for(tomorrow(), "09:00", "10:00")})
    assert response.status_code == 302
    assert smtp.connections == 0
    db.session.expire_all()
    [row] = db.session.scalars(select(OutboxMessage))
    assert row.recipient == town.owner.email and row.status == OutboxStatus.PENDING
    db.session.rollback()
    assert mail.deliver_due().sent == 1 and smtp.connections == 1


def test_closing_a_center_with_500_bookings_only_queues_500_mails(app, smtp):
    """Benchmark-style: prints the time the closure took; asserts what must hold, not the time."""
    from smartwork.centers.models import CenterManager, ClosureKind, SpaceKind
    from smartwork.operations import closures

    from .helpers import at, raw_booking

    center = factories.center(spaces={SpaceKind.DESK: 50}, hours=None)
    warm_up = factories.center(spaces={SpaceKind.DESK: 1}, hours=None)
    manager = factories.manager_of(center)
    db.session.add(CenterManager(center_id=warm_up.id, user_id=manager.id))
    people = [factories.user() for _ in range(50)]
    first = TOMORROW
    for day in range(10):
        for index, (person, desk) in enumerate(zip(people, center.spaces, strict=True)):
            start = at(first + timedelta(days=day), "09:00")
            raw_booking(person, desk, start + timedelta(minutes=index), start + timedelta(hours=8))
    raw_booking(people[0], warm_up.spaces[0], at(first, "19:00"), at(first, "20:00"))
    db.session.commit()
    # As in a running server, the statements are compiled and cached by an earlier closure.
    closures.add_closure(manager, warm_up, ClosureKind.MAINTENANCE, first, first, "점검", now=NOW)
    started = clock.perf_counter()
    _closure, hits = closures.add_closure(manager, center, ClosureKind.MAINTENANCE, first,
                                          first + timedelta(days=9), "배관 공사", now=NOW)
    elapsed = clock.perf_counter() - started
    print(f"\nclosure of {len(hits)} bookings on {db.engine.dialect.name}: {elapsed * 1000:.0f} ms")
    assert len(hits) == 500
    assert smtp.connections == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 501
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.outbox_id.is_not(None))) == 501
    db.session.rollback()
    app.config.update(MAIL_BATCH_SIZE=100)
    assert mail.deliver_due(now=NOW).sent == 501
    assert smtp.connections == 1  # one connection serves every batch
    assert len({m["Message-ID"] for m in smtp.messages}) == 501
