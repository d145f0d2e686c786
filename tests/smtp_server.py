"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port) that records what it receives."""

from __future__ import annotations

import email
import socket
import threading
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    """A TCP port nobody listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """An aiosmtpd handler keeping every message; ``replies`` scripts refusals ("451 …") before accepting."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.replies: list[str] = []  # consumed one per DATA; empty: accept
        self.always: str | None = None  # refuse every DATA with this reply
        self.delay = 0.0  # seconds to wait before answering DATA (widens race windows)
        self.connections = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self.delay:
            clock.sleep(self.delay)
        with self._lock:
            if self.always:
                return self.always
            if self.replies:
                return self.replies.pop(0)
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        """The messages, once ``count`` arrived (or the timeout passed)."""
        deadline = clock.monotonic() + timeout
        while len(self.messages) < count and clock.monotonic() < deadline:
            clock.sleep(0.02)
        return self.messages


class _CountingSMTP(SMTP):
    def connection_made(self, transport) -> None:
        self.event_handler.connections += 1
        super().connection_made(transport)


class CountingController(Controller):
    """Counts the TCP connections clients open (the start-up probe excluded)."""

    def factory(self):
        return _CountingSMTP(self.handler, **self.SMTP_kwargs)


@contextmanager
def smtp_server(app) -> Iterator[Collector]:
    """Run a server and point ``app`` (MAIL_BACKEND=smtp) at it."""
    handler = Collector()
    port = free_port()
    controller = CountingController(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.connections = 0  # the controller's own readiness probe
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5)
    try:
        yield handler
    finally:
        controller.stop()
