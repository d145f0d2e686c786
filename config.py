"""Configuration classes, chosen by the SMARTWORK_CONFIG environment variable.

Secrets and local overrides go in ``instance/config.py`` (git-ignored); ``DATABASE_URL``
switches the database to PostgreSQL (``postgresql+psycopg://...``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

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
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    # Sign-in lockout.
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT = timedelta(minutes=15)

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

    # Mail: development prints to the console; tests point at a local SMTP server.
    MAIL_BACKEND = "console"  # console | smtp
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_SENDER = "smartwork <no-reply@smartwork.go.kr>"

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
    RATELIMIT_BOOKING = "30 per minute"
    RATELIMIT_API = "300 per minute"

    # SQLite waits this long for another writer's lock before the request fails with a 503.
    SQLITE_BUSY_TIMEOUT_MS = 15000
    # Strict-Transport-Security on every response (production sits behind TLS).
    HSTS_ENABLED = False

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


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
