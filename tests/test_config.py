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


# --- settings from the environment (issue 15 §4) ---------------------------------------------


def test_environment_variables_are_parsed_by_the_defaults_type():
    from datetime import timedelta

    from config import Config, settings_from_environment

    defaults = {name: getattr(Config, name) for name in dir(Config) if name.isupper()}
    environ = {
        "SMARTWORK_HSTS_ENABLED": "no",
        "SMARTWORK_LOGIN_MAX_FAILURES": "8",
        "SMARTWORK_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,",
        "SMARTWORK_LOGIN_LOCKOUT": "90",
        "SMARTWORK_BOOKING_POLICY": '{"slot_minutes": 15}',
        "SMARTWORK_MAIL_SENDER": "x <x@korea.kr>",
        "SMARTWORK_SQLALCHEMY_DATABASE_URI": "postgresql://u@h/db",
        "SMARTWORK_CONFIG": "production",  # chooses the class; not a setting
        "SMARTWORK_NO_SUCH_SETTING": "1",
        "PATH": "/usr/bin",
    }
    found, unknown = settings_from_environment(defaults, environ)
    assert found == {
        "HSTS_ENABLED": False,
        "LOGIN_MAX_FAILURES": 8,
        "TRUSTED_PROXIES": ["127.0.0.1", "10.0.0.0/8"],
        "LOGIN_LOCKOUT": timedelta(seconds=90),
        "BOOKING_POLICY": {"slot_minutes": 15},
        "MAIL_SENDER": "x <x@korea.kr>",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db",
    }
    assert unknown == ["SMARTWORK_NO_SUCH_SETTING"]


@pytest.mark.parametrize(("name", "raw"), [("HSTS_ENABLED", "maybe"), ("LOGIN_MAX_FAILURES", "many"),
                                           ("BOOKING_POLICY", "[1, 2]"), ("BOOKING_POLICY", "{nope")])
def test_a_value_that_does_not_parse_names_the_variable(name, raw):
    from config import Config, settings_from_environment

    with pytest.raises(ValueError, match=f"SMARTWORK_{name}"):
        settings_from_environment({name: getattr(Config, name)}, {f"SMARTWORK_{name}": raw})


def test_production_reads_the_environment_and_warns_about_unknown_names(monkeypatch, caplog):
    import logging

    monkeypatch.setenv("SMARTWORK_SECRET_KEY", REAL_KEY)
    monkeypatch.setenv("SMARTWORK_TRUSTED_PROXIES", "127.0.0.1")
    monkeypatch.setenv("SMARTWORK_DATABASE_STATEMENT_TIMEOUT", "12")
    monkeypatch.setenv("SMARTWORK_TRUSTED_PROXYS", "typo")
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        with caplog.at_level(logging.WARNING):
            app = create_app("production", {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1/db"})
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
    assert app.config["SECRET_KEY"] == REAL_KEY
    assert app.config["TRUSTED_PROXIES"] == ["127.0.0.1"]
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"] == "-c statement_timeout=12000"
    assert "SMARTWORK_TRUSTED_PROXYS is set but names no setting" in caplog.text


def test_the_testing_config_ignores_the_environment(monkeypatch):
    monkeypatch.setenv("SMARTWORK_LOGIN_MAX_FAILURES", "99")
    assert create_app("testing", MEMORY_DB).config["LOGIN_MAX_FAILURES"] == 5


def test_postgresql_connections_get_timeouts_and_keepalives():
    from config import Config, database_engine_options

    settings = {name: getattr(Config, name) for name in dir(Config) if name.isupper()}
    options = database_engine_options({**settings, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/d"})
    assert options["pool_pre_ping"] is True
    assert options["connect_args"] == {
        "connect_timeout": 5, "options": "-c statement_timeout=30000", "keepalives": 1, "keepalives_idle": 10,
        "keepalives_interval": 5, "keepalives_count": 3, "tcp_user_timeout": 30000,
    }
    off = database_engine_options({**settings, "SQLALCHEMY_DATABASE_URI": "postgresql://u@h/d",
                                   "DATABASE_STATEMENT_TIMEOUT": 0, "DATABASE_TCP_USER_TIMEOUT": 0,
                                   "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 9}}})
    assert "options" not in off["connect_args"] and "tcp_user_timeout" not in off["connect_args"]
    assert off["connect_args"]["connect_timeout"] == 9  # an explicit option wins
    assert "connect_args" not in database_engine_options({**settings, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_readme_settings_table_is_current():
    from config import BASE_DIR, TABLE_END, TABLE_START, settings_table

    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    assert TABLE_START in readme and TABLE_END in readme
    shown = readme.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip()
    assert shown == settings_table().strip(), "run `.venv/bin/python config.py` to refresh README.md"


def test_every_setting_is_in_the_table_and_settable():
    from config import Config, settings_table

    table = settings_table()
    for name in (name for name in vars(Config) if name.isupper()):
        assert f"| `{name}` | `SMARTWORK_{name}` |" in table


def test_options_in_the_database_url_are_kept_beside_the_statement_timeout():
    from config import Config, database_engine_options

    settings = {name: getattr(Config, name) for name in dir(Config) if name.isupper()}
    url = "postgresql+psycopg://u@h/d?options=-csearch_path%3Dother"
    options = database_engine_options({**settings, "SQLALCHEMY_DATABASE_URI": url})
    assert options["connect_args"]["options"] == "-csearch_path=other -c statement_timeout=30000"
