"""Planner tests sign in often: use cheap argon2id parameters (the real ones are tested in tests/auth)."""

from __future__ import annotations

import pytest

from tests.auth.helpers import use_fast_password_hashing


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    use_fast_password_hashing(monkeypatch)
