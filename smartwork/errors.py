"""The SmartworkError family and the one handler that answers in HTML or problem+json."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

# Seconds a client is told to wait after a 503 (the database is busy or reconnecting).
RETRY_AFTER_SECONDS = 5


class SmartworkError(Exception):
    """A refusal by a service: a message for people, a rule for machines, an HTTP status."""

    status = 400
    rule = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        allowed: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if rule:
            self.rule = rule
        self.allowed = allowed

    def to_problem(self) -> dict[str, Any]:
        """Render as an RFC 9457 problem document."""
        problem: dict[str, Any] = {
            "type": f"https://smartwork.go.kr/problems/{self.rule}",
            "title": self.rule.replace("_", " "),
            "status": self.status,
            "detail": self.message,
            "rule": self.rule,
        }
        if self.field:
            problem["field"] = self.field
        if self.allowed is not None:
            problem["allowed"] = self.allowed
        return problem


class Invalid(SmartworkError):
    """Input that breaks a rule (422)."""

    status = 422
    rule = "invalid"


class NotFound(SmartworkError):
    """The object does not exist, or the user may not know it exists (404)."""

    status = 404
    rule = "not_found"


class PermissionDenied(SmartworkError):
    """The user may not do this (403)."""

    status = 403
    rule = "forbidden"


class Conflict(SmartworkError):
    """The request collides with the current state (409)."""

    status = 409
    rule = "conflict"


class Unavailable(SmartworkError):
    """The database is busy or unreachable; try again shortly (503)."""

    status = 503
    rule = "unavailable"


def wants_json() -> bool:
    """True when the client is the JSON API or asked for JSON."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def problem_response(problem: dict[str, Any], status: int, headers: dict | None = None):
    """A problem+json response."""
    response = jsonify(problem)
    response.status_code = status
    response.mimetype = "application/problem+json"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def respond(error: SmartworkError, headers: dict | None = None):
    """The error as problem+json (API, or asked for JSON) or as the HTML error page."""
    if wants_json():
        return problem_response(error.to_problem(), error.status, headers)
    body = render_template("errors/error.html", error=error, status=error.status)
    return body, error.status, headers or {}


def discard_session() -> bool:
    """End the request's database session without ever raising; False if the connection had died.

    A rollback on a dropped connection raises OperationalError; SQLAlchemy has invalidated the
    connection by then, so the pool opens a fresh one next time.
    """
    from .extensions import db

    try:
        db.session.remove()
        return True
    except DBAPIError as error:
        current_app.logger.warning("database connection lost while ending the session: %s", error.orig)
        try:
            db.session.remove()  # the failed close left the session registered; drop it for good
        except DBAPIError:
            db.session.registry.clear()
        return False


def unavailable_response():
    """The 503 with Retry-After; rendered for a signed-out visitor so it never touches the database."""
    from .extensions import login_manager

    # The locale and the page header would load the user; the session cookie itself is kept.
    g._login_user = login_manager.anonymous_user()
    return respond(
        Unavailable(_("The service is busy. Please try again in a moment.")),
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _request_owns_app_context() -> bool:
    """True when this request pushed its own app context (always, under a WSGI server).

    A test that keeps one app context around its requests shares the session with them; ending it
    early would detach the test's objects, so that case is left to the teardown as before.
    """
    from flask.globals import request_ctx

    tokens = getattr(request_ctx._get_current_object(), "_cv_tokens", None)
    return not tokens or tokens[-1][1] is not None


def register_session_end(app: Flask) -> None:
    """End the database session before the response leaves, and never let teardown raise.

    Flask-SQLAlchemy removes the session at teardown, after the response is final: a connection that
    dropped mid-request made that rollback raise outside every handler (gunicorn's bare 500). Here
    the rollback happens while the answer can still become a 503, and teardown swallows what is left.
    Registered last, so this runs first among the after-request steps and the others (security
    headers, request id) decorate the 503 as well. Streamed responses still read, so they keep theirs.
    """

    @app.after_request
    def _end_database_session(response):
        if response.is_streamed or not _request_owns_app_context() or discard_session():
            return response
        return app.make_response(unavailable_response())

    @app.teardown_appcontext
    def _safe_session_teardown(_exc) -> None:
        # Runs before Flask-SQLAlchemy's own remove() (teardowns run in reverse order), which then
        # finds nothing left to roll back.
        discard_session()


def register_error_handlers(app: Flask) -> None:
    """Map SmartworkError, HTTP errors and database faults to HTML pages or problem+json."""
    from .extensions import db

    @app.errorhandler(SmartworkError)
    def handle_smartwork_error(error: SmartworkError):
        db.session.rollback()
        return respond(error)

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(error: IntegrityError):
        db.session.rollback()
        app.logger.warning("integrity error reached the handler: %s", error.orig)
        return respond(Conflict(_("This change conflicts with existing data."), rule="conflict"))

    @app.errorhandler(DataError)
    def handle_data_error(error: DataError):
        # A value the database cannot hold (a NUL byte, a number out of range) that no form caught.
        db.session.rollback()
        app.logger.warning("data error reached the handler: %s", error.orig)
        return respond(Invalid(_("Some of the values given cannot be stored."), rule="invalid_value"))

    @app.errorhandler(OperationalError)
    def handle_operational_error(error: OperationalError):
        # Dropped connection, refused connection, lock or statement timeout: all become a 503.
        app.logger.error("database unavailable: %s", error.orig)
        discard_session()
        return unavailable_response()

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        messages = {
            400: _("The request could not be understood."),
            401: _("Please sign in to continue."),
            403: _("You do not have permission to view this page."),
            404: _("The page you asked for does not exist."),
            405: _("This action is not allowed here."),
            413: _("The request is too large."),
            429: _("Too many requests. Please wait a moment and try again."),
        }
        message = getattr(error, "user_message", None) or messages.get(error.code or 500, error.description or "")
        wrapped = SmartworkError(message, rule=(error.name or "error").lower().replace(" ", "_"))
        wrapped.status = error.code or 500
        # The error's own headers stay (Allow on a 405, Retry-After and the limits on a 429); the
        # body's type is ours, not werkzeug's HTML.
        headers = {key: value for key, value in error.get_headers() if key.lower() != "content-type"}
        return respond(wrapped, headers)
