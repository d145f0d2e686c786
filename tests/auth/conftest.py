"""Auth tests use request-isolated clients and cheap argon2id parameters (see helpers)."""

from __future__ import annotations

import pytest

from tests.auth.helpers import isolate, use_fast_password_hashing


@pytest.fixture
def client(app):
    """A test client whose requests do not share ``g`` or a session (nor do later clients)."""
    return isolate(app).test_client()


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap argon2id parameters (the production ones are checked in test_services)."""
    use_fast_password_hashing(monkeypatch)


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1; the app under test sends its mail there."""
    from tests.auth.mailbox import smtp_server

    with smtp_server(app) as mailbox:
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=mailbox.port)
        yield mailbox
