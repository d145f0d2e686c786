"""smartwork: reservations and rollout for Korea's smart work centers.

``create_app`` reads as the table of contents of the application: each ``register_*``
step wires one concern and nothing runs at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from config import CONFIGS, DEFAULT_SECRET_KEY, database_engine_options, settings_from_environment

# One line per domain; each module exposes ``bp``.
BLUEPRINT_MODULES = (
    ".home.views",
    ".auth.views",
    ".auth.providers.views",
    ".centers.views",
    ".bookings.views",
    ".jobs.views",
    ".operations.views",
    ".planning.views",
    ".api.views",
    ".admin.views",
    ".health",
)


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build a configured application; ``overrides`` win over every other setting."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    register_config(app, config_name or os.environ.get("SMARTWORK_CONFIG", "development"), overrides)
    register_logging(app)
    register_proxy(app)
    register_extensions(app)
    register_database(app)
    register_i18n(app)
    register_auth(app)
    register_blueprints(app)
    register_api(app)
    register_readiness_checks(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_request_limits(app)
    register_session_end(app)
    register_cli(app)
    return app


def register_config(app: Flask, config_name: str, overrides: dict | None) -> None:
    """Load the config class, then instance/config.py, then ``SMARTWORK_*`` variables, then overrides."""
    if config_name not in CONFIGS:
        raise RuntimeError(f"unknown SMARTWORK_CONFIG {config_name!r}; use one of {sorted(CONFIGS)}")
    app.config.from_object(CONFIGS[config_name])
    app.config["SMARTWORK_CONFIG"] = config_name
    if config_name != "testing":  # the suite is never steered by the machine's files or variables
        app.config.from_pyfile("config.py", silent=True)
        found, unknown = settings_from_environment(app.config)
        app.config.update(found)
        app.config["SMARTWORK_UNKNOWN_ENVIRONMENT"] = unknown  # logged once logging is set up
    app.config.update(overrides or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database_engine_options(app.config)
    if config_name == "production" and app.config["SECRET_KEY"] in (DEFAULT_SECRET_KEY, "", None):
        raise RuntimeError(
            "Production refuses to start with the default SECRET_KEY: set SMARTWORK_SECRET_KEY (or "
            "SECRET_KEY) in the environment, or SECRET_KEY in instance/config.py."
        )


def register_logging(app: Flask) -> None:
    """Logs to stdout (JSON in production) carrying a request id, also sent back as X-Request-ID."""
    from .logs import register_logging as register

    register(app)


def register_proxy(app: Flask) -> None:
    """The client address and scheme from X-Forwarded-* only when the peer is a trusted proxy."""
    from .security import TrustedProxyMiddleware

    app.wsgi_app = TrustedProxyMiddleware(app.wsgi_app, app.config["TRUSTED_PROXIES"])


def register_extensions(app: Flask) -> None:
    """Bind the unbound extension instances to this app."""
    from .extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(migrations_directory(app.root_path)))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)


def migrations_directory(package_root: str) -> Path:
    """The Alembic directory: the copy packaged inside an installed wheel, else the checkout's ``migrations/``."""
    packaged = Path(package_root) / "migrations"  # put there by setup.py's build_py; absent in a checkout
    return packaged if (packaged / "env.py").is_file() else Path(package_root).parent / "migrations"


def register_database(app: Flask) -> None:
    """SQLite pragmas and IMMEDIATE write transactions; read-only and read-first requests begin DEFERRED."""
    from flask import request

    from .database import install_sqlite_listeners, sqlite_read_only

    install_sqlite_listeners()

    @app.before_request
    def _mark_read_only_requests():
        view = app.view_functions.get(request.endpoint)
        request.environ["smartwork.read_only_token"] = sqlite_read_only.set(
            request.method in ("GET", "HEAD", "OPTIONS") or getattr(view, "sqlite_read_first", False)
        )

    @app.teardown_request
    def _clear_read_only(_exc):
        from flask import request as current

        token = current.environ.pop("smartwork.read_only_token", None)
        if token is not None:
            sqlite_read_only.reset(token)


def register_i18n(app: Flask) -> None:
    """Korean first; the user's choice (account, then cookie) switches to English."""
    from .extensions import babel
    from .i18n import select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)


def register_auth(app: Flask) -> None:
    """Flask-Login: load users by their rotating session token."""
    from .auth.services import configure_login

    configure_login(app)


def register_blueprints(app: Flask) -> None:
    """Mount each domain's blueprint under its own URL prefix."""
    from importlib import import_module

    for module in BLUEPRINT_MODULES:
        app.register_blueprint(import_module(module, __name__).bp)


def register_api(app: Flask) -> None:
    """The JSON API v1 (flask-smorest) under /api/v1: one blueprint per domain, the same services."""
    from .api.registry import register_api as register

    register(app)


def register_readiness_checks(app: Flask) -> None:
    """What /readyz checks: the database, Redis when configured, the scheduler leader's heartbeat."""
    from .health import add_readiness_check, register_health
    from .jobs.readiness import scheduler_heartbeat

    register_health(app)
    add_readiness_check(app, "scheduler", scheduler_heartbeat)


def register_error_handlers(app: Flask) -> None:
    """SmartworkError and HTTP errors as HTML pages or problem+json."""
    from .errors import register_error_handlers as register

    register(app)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals templates use to display (never compute) data."""
    from .templating import register_template_helpers as register

    register(app)


def register_security_headers(app: Flask) -> None:
    """A strict Content-Security-Policy and friends on every response."""
    from .security import register_security_headers as register

    register(app)


def register_request_limits(app: Flask) -> None:
    """Request bodies above MAX_CONTENT_LENGTH get a 413 (uploads have their own larger limit)."""
    from .security import register_request_limits as register

    register(app)


def register_session_end(app: Flask) -> None:
    """End the database session before the response leaves: a dropped connection becomes a 503.

    Kept last among the steps that add after-request functions, so it runs first of them.
    """
    from .errors import register_session_end as register

    register(app)


def register_cli(app: Flask) -> None:
    """The `flask` commands."""
    from .cli import register_commands

    register_commands(app)
