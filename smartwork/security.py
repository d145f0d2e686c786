"""Security headers on every response and the configurable rate limits (DESIGN §7, §8).

Rate limits are named in the config (``RATELIMIT_SIGNIN``, ``RATELIMIT_BOOKING``,
``RATELIMIT_API``) and applied in the views with ``limiter.limit(config_limit(NAME), ...)``, so
an operator tunes them without touching code. Storage is Redis when ``REDIS_URL`` is set (the
limits then hold across worker processes), memory otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
# Features the app never uses are switched off, so injected content cannot use them either.
EXPORT_MIMETYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def config_limit(name: str) -> Callable[[], str]:
    """A limit read from ``app.config[name]`` at request time (e.g. ``"10 per minute"``)."""

    def limit() -> str:
        return current_app.config[name]

    limit.__name__ = f"config_limit_{name.lower()}"
    return limit


def register_security_headers(app: Flask) -> None:
    """Attach CSP, nosniff, referrer, framing and permission headers (HSTS in production); refuse
    NUL bytes in input; bound SQLite's wait for a locked database."""

    @app.after_request
    def _headers(response):
        # setdefault: a view that must differ (the kiosk may be framed by this site) sets its own.
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Behind a TLS-terminating proxy request.is_secure may be False, so production sends it always.
        if app.config.get("HSTS_ENABLED") or (app.config.get("SESSION_COOKIE_SECURE") and request.is_secure):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.path.startswith(("/admin/", "/auth/")) or response.mimetype in EXPORT_MIMETYPES:
            # Audit pages, sign-in pages and exports hold personal data: never keep them in a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.before_request(refuse_nul_bytes)
    register_database_timeouts(app)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def refuse_nul_bytes() -> None:
    """Refuse input holding NUL bytes (400): no text column stores them (PostgreSQL cannot), no person types them."""
    from flask import abort

    values = [*request.args.listvalues(), *request.form.listvalues()]
    if request.is_json:
        values.append(request.get_json(silent=True))
    if any(_has_nul(value) for value in values) or "\x00" in request.path:
        abort(400)


def register_database_timeouts(app: Flask) -> None:
    """SQLite waits ``SQLITE_BUSY_TIMEOUT_MS`` for a locked database, then the request gets a 503."""
    import sqlite3

    from sqlalchemy import event

    from .extensions import db

    timeout_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    # Runs after database._on_connect (class-level listeners fire first), so this value wins.
    @event.listens_for(engine, "connect")
    def _busy_timeout(dbapi_connection, _record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute(f"PRAGMA busy_timeout={timeout_ms}")
