"""Configuration: secure cookies, the production SECRET_KEY guard, the database URL."""

from __future__ import annotations

import pytest

from config import DEFAULT_SECRET_KEY, INSTANCE_DIR, ProductionConfig, normalise_database_url
from smartwork import create_app

REAL_KEY = "a-real-production-secret-0123456789abcdef"
MEMORY_DB = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}


@pytest.mark.parametrize("key", [DEFAULT_SECRET_KEY, "", None])
def test_production_refuses_the_default_secret_key(key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {**MEMORY_DB, "SECRET_KEY": key})


def test_production_without_a_configured_key_does_not_start(monkeypatch):
    if (INSTANCE_DIR / "config.py").exists():
        pytest.skip("instance/config.py may set SECRET_KEY on this machine")
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", DEFAULT_SECRET_KEY)  # SECRET_KEY unset in the env
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_starts_with_a_real_secret_key():
    app = create_app("production", {**MEMORY_DB, "SECRET_KEY": REAL_KEY})
    assert app.config["SECRET_KEY"] == REAL_KEY
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert not app.debug and not app.testing


def test_unknown_configuration_names_are_refused():
    with pytest.raises(RuntimeError, match="SMARTWORK_CONFIG"):
        create_app("staging", MEMORY_DB)


def session_cookie(app) -> str:
    """The Set-Cookie header of the session an anonymous visit creates (the sign-in flash)."""
    response = app.test_client().get("/")
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "the visit stored no session"
    return cookies[0]


def test_production_session_cookie_is_secure_httponly_and_lax():
    cookie = session_cookie(create_app("production", {**MEMORY_DB, "SECRET_KEY": REAL_KEY}))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("name", ["development", "testing"])
def test_other_session_cookies_are_httponly_and_lax_without_secure(name):
    app = create_app(name, {**MEMORY_DB, "SECRET_KEY": REAL_KEY})
    cookie = session_cookie(app)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
    ],
)
def test_database_urls_use_psycopg_3(url, expected):
    assert normalise_database_url(url) == expected
