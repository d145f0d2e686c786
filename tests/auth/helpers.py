"""Test helpers: request-isolated clients and cheap password hashing."""

from __future__ import annotations

from argon2 import PasswordHasher

from smartwork.auth import services
from tests import factories
from tests.conftest import IsolatedClient  # the one definition; every app_factory app uses it

# Still argon2id, with the smallest cost: the sign-in logic under test is identical, and a test
# signs in often (the production parameters cost ~0.1 s per hash on a busy CI machine).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def isolate(app):
    """Make ``app.test_client()`` return an ``IsolatedClient``; returns ``app``."""
    app.test_client_class = IsolatedClient
    return app


def use_fast_password_hashing(monkeypatch) -> None:
    """Swap in cheap argon2id parameters for one test (restored by ``monkeypatch``)."""
    monkeypatch.setattr(services, "password_hasher", FAST_HASHER)
    monkeypatch.setattr(services, "_DUMMY_HASH", FAST_HASHER.hash("smartwork-timing-equaliser"))
    monkeypatch.setattr(factories, "_password_hash_cache", {})
