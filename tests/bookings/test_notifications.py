"""Notifications: in-app rows and e-mail through a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import logging
import socket
import time as clock
from email import policy

import pytest
from aiosmtpd.controller import Controller

from smartwork.bookings import services
from smartwork.bookings.models import Booking, NotificationKind
from smartwork.extensions import db
from tests import factories

from .helpers import NOW, TOMORROW, book, world


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        deadline = clock.monotonic() + timeout
        while len(self.messages) < count and clock.monotonic() < deadline:
            clock.sleep(0.02)
        return self.messages


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1 and a free port; the app sends to it."""
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        yield handler
    finally:
        controller.stop()


def test_booking_confirmed_mail_arrives_in_korean_by_default(app, smtp):
    w = world()
    booking = book(w.user, w.desk1, start="09:00", end="10:00")
    [message] = smtp.wait_for(1)
    assert message["To"] == w.user.email
    subject = str(message["Subject"])
    # Korean by default: the center's Korean name and the Korean text.
    assert w.center.name_ko in subject and "2026-12-02 09:00" in subject
    assert "D01" in message.get_content()
    db.session.expire_all()
    notice = services.list_notifications(w.user)[0]
    assert notice.kind == NotificationKind.BOOKING_CONFIRMED and notice.booking_id == booking.id
    assert notice.emailed_at is not None
    assert subject == f"예약 확정: {w.center.name_ko}, 2026-12-02 09:00"


def test_mail_follows_the_users_locale(app, smtp):
    w = world()
    english = factories.user(locale="en")
    db.session.commit()
    book(english, w.desk1)
    [message] = smtp.wait_for(1)
    assert str(message["Subject"]) == f"Booking confirmed: {w.center.name_en}, 2026-12-02 09:00"


def test_every_step_notifies_in_app_and_by_mail(app, smtp):
    w = world()
    booking = book(w.user, w.desk1)
    services.send_due_reminders(now=NOW.replace(hour=23, minute=30))  # 08:30 local on the day
    services.cancel_booking(w.user, booking.id, now=NOW)
    smtp.wait_for(3)
    assert [n.kind for n in reversed(services.list_notifications(w.user))] == [
        NotificationKind.BOOKING_CONFIRMED, NotificationKind.REMINDER, NotificationKind.BOOKING_CANCELLED,
    ]
    assert len(smtp.messages) == 3


def test_smtp_down_keeps_the_booking_and_logs(app, caplog):
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    w = world()
    with caplog.at_level(logging.ERROR, logger="smartwork.bookings.notifications"):
        booking = book(w.user, w.desk1)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id) is not None
    assert any("not e-mailed" in record.getMessage() for record in caplog.records)
    [notice] = services.list_notifications(w.user)
    assert notice.emailed_at is None


def test_console_backend_prints_the_mail(app, capsys):
    w = world()
    book(w.user, w.desk1, day=TOMORROW)
    out = capsys.readouterr().out
    assert "--- mail ---" in out and f"To: {w.user.email}" in out
