"""Configuration classes, chosen by the SMARTWORK_CONFIG environment variable.

Secrets and local overrides go in ``instance/config.py`` (git-ignored); ``DATABASE_URL``
switches the database to PostgreSQL (``postgresql+psycopg://...``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-only-change-me"


def normalise_database_url(url: str) -> str:
    """Make plain ``postgres://`` / ``postgresql://`` URLs use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Defaults shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'smartwork.sqlite'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Sessions and cookies (DESIGN §7).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    # Flask-Login's remember-me cookie is no longer issued (it would outlive the session limits below);
    # these settings only shape the deletion of one left by an older release.
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    # A sign-in lasts at most this long (checked on the server; "keep me signed in" also keeps the
    # cookie across browser restarts until then), and ends after SESSION_IDLE_TIMEOUT without a request.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)

    # Sign-in lockout: LOGIN_MAX_FAILURES wrong passwords from unknown devices lock the account for
    # LOGIN_LOCKOUT, each further lock twice as long (at most LOGIN_LOCKOUT_MAX). A device that signed
    # in before (known-device cookie, kept KNOWN_DEVICE_LIFETIME after its last sign-in) is exempt.
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT = timedelta(minutes=15)
    LOGIN_LOCKOUT_MAX = timedelta(hours=24)
    KNOWN_DEVICE_LIFETIME = timedelta(days=180)

    # Passwords and e-mailed account links.
    PASSWORD_MIN_LENGTH = 12  # never below 12
    ACTIVATION_LINK_LIFETIME = timedelta(hours=72)
    PASSWORD_RESET_LINK_LIFETIME = timedelta(hours=1)
    # The site's address for links in e-mail sent outside a web request (the CLI) or behind a proxy
    # that rewrites the Host header, e.g. "https://smartwork.go.kr". Unset: the request's own host.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")

    # Government sign-in (README "Government sign-in"): SSO (OpenID Connect) and client-certificate
    # providers, each shown as a button on the sign-in page; set them in instance/config.py.
    SIGNIN_PROVIDERS: list[dict] = []
    # False hides the password form and refuses password sign-in (SSO or certificates only).
    PASSWORD_LOGIN_ENABLED = True
    # Client-certificate headers count only when the direct peer is one of TRUSTED_PROXIES (below).
    # A started SSO sign-in must come back within this long; its state works once.
    OIDC_STATE_LIFETIME = timedelta(minutes=10)
    # Clock difference tolerated between the SSO provider and us when checking id_token times.
    OIDC_CLOCK_LEEWAY_SECONDS = 60
    # Timeout for each call from the app to the SSO provider (discovery, keys, token).
    OIDC_HTTP_TIMEOUT_SECONDS = 10

    # Localisation: Korean first.
    BABEL_DEFAULT_LOCALE = "ko"
    BABEL_DEFAULT_TIMEZONE = "Asia/Seoul"
    LANGUAGES = ("ko", "en")
    DISPLAY_TIMEZONE = "Asia/Seoul"

    # Booking policy defaults; a center may override any of them (Center.policy_overrides).
    BOOKING_POLICY = {
        "slot_minutes": 30,
        "max_days_ahead": 14,
        "min_minutes": 30,
        "max_minutes": 600,
        "max_hours_per_week": 40,
        "checkin_opens_minutes": 15,
        "no_show_grace_minutes": 30,
        "no_show_limit": 3,
        "no_show_window_days": 30,
        "suspension_days": 7,
    }

    # Mail: every message is an outbox row written with its cause; the deliver_mail job sends it.
    MAIL_BACKEND = "console"  # console (prints readable text) | smtp
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_SENDER = "smartwork <no-reply@smartwork.go.kr>"
    MAIL_TIMEOUT = 10  # seconds per SMTP connect/command
    # Optional for relays that need them: MAIL_USE_TLS (STARTTLS), MAIL_USERNAME, MAIL_PASSWORD.
    MAIL_BATCH_SIZE = 50  # messages claimed at a time (one SMTP connection serves a batch)
    MAIL_MAX_ATTEMPTS = 8  # after this many failures a message is a dead letter (/jobs/outbox)
    # Back-off after the n-th failure: base × 2^(n-1) seconds, capped (60 s … 1 h: ~2 h to dead).
    MAIL_RETRY_BASE_SECONDS = 60
    MAIL_RETRY_MAX_SECONDS = 3600
    # A row claimed longer ago than this belongs to a deliverer that died: it is given back.
    MAIL_CLAIM_TIMEOUT_SECONDS = 900
    MAIL_SENT_RETENTION_DAYS = 30  # sent mails (addresses, text) are deleted after this; dead ones stay

    # Scheduler: off until explicitly started (run.py or `flask scheduler run`).
    SCHEDULER_ENABLED = False
    SCHEDULER_TIMEZONE = "Asia/Seoul"
    # A run missed by up to this long (process down or busy) still fires once, coalesced.
    SCHEDULER_MISFIRE_GRACE_SECONDS = 300
    # SQLite leader lease length; the heartbeat renews it every third of it.
    SCHEDULER_LEASE_SECONDS = 60
    SCHEDULER_MAX_WORKERS = 4
    JOB_RUN_RETENTION_DAYS = 30
    REMINDER_LEAD_MINUTES = 60
    RETENTION_YEARS = 3

    # Rate limits (Flask-Limiter); Redis when REDIS_URL is set, memory otherwise.
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    # Named limits, applied in the views with security.config_limit (per client address).
    RATELIMIT_SIGNIN = "20 per minute"
    # Password reset requests: per client address, and per e-mail address asked about (mail bombing).
    RATELIMIT_PASSWORD_RESET = "10 per hour"
    RATELIMIT_PASSWORD_RESET_ACCOUNT = "5 per hour"
    RATELIMIT_BOOKING = "30 per minute"
    RATELIMIT_API = "300 per minute"

    # SQLite waits this long for another writer's lock before the request fails with a 503.
    SQLITE_BUSY_TIMEOUT_MS = 15000
    # Strict-Transport-Security on every response (production sits behind TLS).
    HSTS_ENABLED = False

    # --- Production: proxy, database timeouts, body limits, logs, readiness (issue 15 §2, §4, §8) ---
    # Addresses or CIDRs of the reverse proxies whose X-Forwarded-* headers are believed (e.g. 127.0.0.1).
    TRUSTED_PROXIES: list[str] = []
    # Seconds to wait for a new database connection before the request fails with a 503.
    DATABASE_CONNECT_TIMEOUT = 5
    # PostgreSQL: seconds a statement may run before the server cancels it (0 = no limit).
    DATABASE_STATEMENT_TIMEOUT = 30
    # PostgreSQL TCP keepalives: a vanished server is noticed after idle + interval × count seconds.
    DATABASE_KEEPALIVES_IDLE = 10
    DATABASE_KEEPALIVES_INTERVAL = 5
    DATABASE_KEEPALIVES_COUNT = 3
    # PostgreSQL: seconds sent data may stay unacknowledged before the connection is dropped (0 = OS default).
    DATABASE_TCP_USER_TIMEOUT = 30
    # Largest request body in bytes for forms and the API (413 above it).
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Larger bodies allowed only for views marked @accepts_uploads (roster and restore uploads).
    UPLOAD_MAX_CONTENT_LENGTH = 50 * 1024 * 1024
    # Logs to stdout: "json" (one object a line, with the request id) or "text".
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    # /readyz fails when the scheduler leader's last heartbeat is older than this (0 = not checked).
    READYZ_SCHEDULER_MAX_AGE = timedelta(minutes=5)
    # The site's address as users reach it (e.g. https://smartwork.example.go.kr), for absolute links
    # made outside a request: mails rendered by the outbox job, links printed by commands. Unset:
    # SERVER_NAME + PREFERRED_URL_SCHEME, else the current request's host.
    PUBLIC_BASE_URL: str | None = None
    # --- end of the production block ---

    DIRECTORY_PAGE_SIZE = 25
    # A roster import may retire at most this share of an agency's people unless the admin confirms
    # a second time (a truncated or stray roster must not retire a whole agency).
    ROSTER_MAX_RETIRE_SHARE = 0.10
    # Uploaded rosters wait here between the preview and the apply (one host; deleted on apply).
    ROSTER_UPLOAD_DIR = str(INSTANCE_DIR / "roster-uploads")
    # The planner overview aggregates the whole network; each worker recomputes it at most this often.
    PLANNING_OVERVIEW_CACHE_SECONDS = 60
    SHOW_DEMO_CREDENTIALS = False


class DevelopmentConfig(Config):
    """Local development: SQLite, console mail, demo credentials printed."""

    DEBUG = True
    SHOW_DEMO_CREDENTIALS = True
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # `make run` releases no-shows and sends reminders by itself (run.py starts it, reloader-safe).
    SCHEDULER_ENABLED = True


class TestingConfig(Config):
    """The test suite; the database URL is set by the fixtures."""

    TESTING = True
    PLANNING_OVERVIEW_CACHE_SECONDS = 0  # tests change data between requests; the cache has its own test
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SECRET_KEY = "testing-secret-key"
    SERVER_NAME = "localhost.test"


class ProductionConfig(Config):
    """Production: secure cookies, a real SECRET_KEY is required."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_BACKEND = "smtp"
    PREFERRED_URL_SCHEME = "https"
    HSTS_ENABLED = True
    LOG_FORMAT = "json"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


# --- settings from the environment (issue 15 §4) ---------------------------------------------

ENV_PREFIX = "SMARTWORK_"
# Environment variables with the prefix that are not settings (read before a config exists).
ENV_NOT_SETTINGS = frozenset({"SMARTWORK_CONFIG", "SMARTWORK_BIND", "SMARTWORK_ACCESS_LOG",
                              "SMARTWORK_REQUIRE_POSTGRES"})
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_setting(name: str, raw: str, default: Any) -> Any:
    """Parse an environment string into the type of the setting's default value."""
    text = raw.strip()
    if isinstance(default, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"{ENV_PREFIX}{name}: expected true/false, got {raw!r}")
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    if isinstance(default, timedelta):
        return timedelta(seconds=float(text))
    if isinstance(default, list | tuple):
        items = [item.strip() for item in text.split(",") if item.strip()]
        return type(default)(items)
    if isinstance(default, dict):
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError(f"{ENV_PREFIX}{name}: expected a JSON object")
        return value
    if name == "SQLALCHEMY_DATABASE_URI":
        return normalise_database_url(text)
    return raw


def settings_from_environment(
    defaults: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> tuple[dict, list[str]]:
    """The settings set as ``SMARTWORK_<NAME>`` in the environment, parsed by their default's type,
    and the prefixed variables that name no setting (the app logs them: a typo must not go unseen).

    A value that does not parse is refused with the variable's name.
    """
    environ = os.environ if environ is None else environ
    found, unknown = {}, []
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key in ENV_NOT_SETTINGS:
            continue
        name = key[len(ENV_PREFIX):]
        if name not in defaults or not name.isupper():
            unknown.append(key)
            continue
        try:
            found[name] = parse_setting(name, raw, defaults[name])
        except ValueError as error:
            raise ValueError(f"{key}: {error}") from error
    return found, sorted(unknown)


# Defaults that depend on the machine or the environment are shown as text in the README table.
_DOC_DEFAULTS = {
    "SECRET_KEY": "a development key (production refuses it)",
    "SQLALCHEMY_DATABASE_URI": "`DATABASE_URL`, else `sqlite:///instance/smartwork.sqlite`",
    "RATELIMIT_STORAGE_URI": "`REDIS_URL`, else `memory://`",
    "ROSTER_UPLOAD_DIR": "`instance/roster-uploads`",
}


def _setting_names() -> list[str]:
    names: list[str] = []
    for cls in (Config, DevelopmentConfig, ProductionConfig):  # TestingConfig is the suite's own
        names += [name for name in vars(cls) if name.isupper() and name not in names]
    return names


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, timedelta):
        return "seconds"
    if isinstance(value, list | tuple):
        return "list (comma-separated)"
    if isinstance(value, dict):
        return "JSON object"
    return type(value).__name__


def _shown(value: Any) -> str:
    if isinstance(value, timedelta):
        value = int(value.total_seconds())
    if isinstance(value, list | tuple):
        value = ",".join(value)
    if isinstance(value, dict):
        value = json.dumps(value)
    text = str(value).replace("|", "\\|")
    return f"`{text}`" if text else "(empty)"


def _descriptions() -> dict[str, str]:
    """Each setting's comment in this file: on its line, or the comment block right above it."""
    import re

    notes: dict[str, str] = {}
    block: list[str] = []
    for line in Path(__file__).read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("# ") and not stripped.startswith("# ---"):
            block.append(stripped[2:])
            continue
        match = re.match(r"\s+([A-Z][A-Z0-9_]*)\s*(?::[^=]*)?=.*?(?:#\s*(.*))?$", line)
        if match and match.group(1) not in notes:
            notes[match.group(1)] = match.group(2) or " ".join(block)
        block = []
    return notes


def settings_table() -> str:
    """The Markdown table of every setting: variable, type, default, production value, meaning."""
    from flask import Flask

    notes = _descriptions()
    lines = ["| setting | environment variable | type | default | production | meaning |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name in _setting_names():
        default = getattr(Config, name, Flask.default_config.get(name))
        base = _DOC_DEFAULTS.get(name) or _shown(default)
        production = getattr(ProductionConfig, name, default)
        prod = "" if name in _DOC_DEFAULTS or production == default else _shown(production)
        kind = _type_name(production if production is not None else getattr(DevelopmentConfig, name, ""))
        note = notes.get(name, "").replace("|", "\\|")
        lines.append(f"| `{name}` | `{ENV_PREFIX}{name}` | {kind} | {base} | {prod} | {note} |")
    return "\n".join(lines) + "\n"


def database_engine_options(config: Mapping[str, Any]) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS with the connect timeout, statement timeout and keepalives applied.

    Only PostgreSQL takes them (SQLite has its busy timeout); options set explicitly win.
    """
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        return options
    connect_args: dict[str, Any] = {"connect_timeout": max(int(config["DATABASE_CONNECT_TIMEOUT"]), 2)}
    statement_ms = int(float(config["DATABASE_STATEMENT_TIMEOUT"]) * 1000)
    if statement_ms > 0:
        from sqlalchemy.engine import make_url

        # connect_args replace the URL's own ?options=… (a search_path, say): keep both.
        in_url = make_url(str(config["SQLALCHEMY_DATABASE_URI"])).query.get("options") or ""
        in_url = in_url if isinstance(in_url, str) else " ".join(in_url)
        connect_args["options"] = f"{in_url} -c statement_timeout={statement_ms}".strip()
    connect_args.update(
        keepalives=1,
        keepalives_idle=int(config["DATABASE_KEEPALIVES_IDLE"]),
        keepalives_interval=int(config["DATABASE_KEEPALIVES_INTERVAL"]),
        keepalives_count=int(config["DATABASE_KEEPALIVES_COUNT"]),
    )
    if int(config["DATABASE_TCP_USER_TIMEOUT"]) > 0:
        connect_args["tcp_user_timeout"] = int(config["DATABASE_TCP_USER_TIMEOUT"]) * 1000
    options["connect_args"] = {**connect_args, **options.get("connect_args", {})}
    return options


TABLE_START, TABLE_END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def write_readme_table(readme: Path = BASE_DIR / "README.md") -> bool:
    """Regenerate the settings table in README.md; return True if it changed."""
    text = readme.read_text(encoding="utf-8")
    head, _start, rest = text.partition(TABLE_START)
    _old, _end, tail = rest.partition(TABLE_END)
    updated = f"{head}{TABLE_START}\n{settings_table()}{TABLE_END}{tail}"
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return updated != text


if __name__ == "__main__":  # python config.py: refresh the README's settings table
    print("README.md updated" if write_readme_table() else "README.md already up to date")
