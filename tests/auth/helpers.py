"""Test helpers: request-isolated clients and cheap password hashing."""

from __future__ import annotations

from argon2 import PasswordHasher
from flask import current_app, has_app_context
from flask.testing import FlaskClient

from smartwork.auth import services
from smartwork.extensions import db
from tests import factories

# Still argon2id, with the smallest cost: the sign-in logic under test is identical, and a test
# signs in often (the production parameters cost ~0.1 s per hash on a busy CI machine).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context: its own ``g`` and database session.

    The ``app`` fixture keeps one app context pushed for the whole test, and Flask reuses it for
    requests, so ``g`` (where Flask-Login caches ``current_user``) and the session would leak from
    one request, or one client, to the next: a fresh client would look signed in. Here the test's
    own session commits first, so the request (like another worker) sees the test's data and
    SQLite's write lock is free; objects the test holds are expired and reload afterwards.
    """

    def open(self, *args, **kwargs):
        if has_app_context() and current_app._get_current_object() is self.application:
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


def isolate(app):
    """Make ``app.test_client()`` return an ``IsolatedClient``; returns ``app``."""
    app.test_client_class = IsolatedClient
    return app


def use_fast_password_hashing(monkeypatch) -> None:
    """Swap in cheap argon2id parameters for one test (restored by ``monkeypatch``)."""
    monkeypatch.setattr(services, "password_hasher", FAST_HASHER)
    monkeypatch.setattr(services, "_DUMMY_HASH", FAST_HASHER.hash("smartwork-timing-equaliser"))
    monkeypatch.setattr(factories, "_password_hash_cache", {})
