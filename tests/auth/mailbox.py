"""A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, keeping what it receives."""

from __future__ import annotations

import email
import re
import socket
import time as clock
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+/auth/(activate|reset)/([A-Za-z0-9_-]+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler keeping every message it receives.

    Mail leaves the app through the outbox: ``wait_for`` first runs the delivery job's service (as the
    scheduler would, a minute later) for the app it was given, then waits for the messages to arrive.
    """

    def __init__(self, app=None) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0
        self.app = app

    def deliver(self) -> None:
        """Send what the outbox holds to this server, as the ``deliver_mail`` job does."""
        if self.app is None:
            return
        from flask import current_app, has_app_context

        from smartwork.extensions import db
        from smartwork.mail import deliver_due

        if has_app_context() and current_app._get_current_object() is self.app:
            db.session.commit()  # the test's own transaction ends first (SQLite's write lock)
        with self.app.app_context():
            deliver_due()
            db.session.remove()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        self.deliver()
        deadline = clock.monotonic() + timeout
        while len(self.messages) < count and clock.monotonic() < deadline:
            clock.sleep(0.02)
        return self.messages

    def to(self, address: str) -> list[EmailMessage]:
        """Messages addressed to ``address``."""
        return [message for message in self.messages if message["To"] == address]


def body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: EmailMessage) -> tuple[str, str, str]:
    """(link, kind, token) of the account link in a message."""
    match = LINK.search(body(message))
    assert match, "no account link in the message"
    return match.group(0), match.group(1), match.group(2)


@contextmanager
def smtp_server(app=None):
    """Start a collecting SMTP server; yields the Mailbox (its ``port`` set; ``app``'s outbox is delivered to it)."""
    mailbox = Mailbox(app)
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
