"""Logs to stdout (one JSON object a line in production) and the request id that ties them together.

Every request gets an id: the ``X-Request-ID`` a trusted proxy sent (nginx's ``$request_id``), or a
fresh one; anything else may send that header and is ignored. The id is in every log line written
while the request runs and goes back as the ``X-Request-ID`` response header, which gunicorn's access
log prints too (``gunicorn.conf.py``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime

from flask import Flask, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_ENVIRON_KEY = "smartwork.request_id"
# What a proxy's id may look like; anything else is replaced (it ends up in logs and headers).
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# LogRecord attributes that are not extra fields given by the caller.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def request_id() -> str:
    """The current request's id (computed once per request)."""
    environ = request.environ
    if _ENVIRON_KEY not in environ:
        from .security import is_trusted_proxy

        incoming = request.headers.get(REQUEST_ID_HEADER, "").strip()
        trusted = is_trusted_proxy(environ.get("smartwork.peer_addr"))
        environ[_ENVIRON_KEY] = incoming if trusted and _VALID_ID.match(incoming) else uuid.uuid4().hex
    return environ[_ENVIRON_KEY]


class RequestIdFilter(logging.Filter):
    """Put the request id (or "-") on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time (a test's capture, a redirected stream)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def make_handler(log_format: str) -> logging.Handler:
    """A stdout handler in ``log_format`` ("json" or "text") that adds the request id."""
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    handler._smartwork = True  # so a second create_app replaces it instead of doubling every line
    return handler


def _install(log_format: str, level: str) -> None:
    """Send the root logger (the app, SQLAlchemy, APScheduler) to stdout through one handler."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_smartwork", False)]:
        root.removeHandler(handler)
    root.addHandler(make_handler(log_format))
    root.setLevel(level.upper())


def register_logging(app: Flask) -> None:
    """Configure stdout logging (not under the test suite, whose capture owns the root logger) and
    send the request id back on every response."""
    if not app.testing:
        _install(app.config.get("LOG_FORMAT", "text"), app.config.get("LOG_LEVEL", "INFO"))
        from flask.logging import default_handler

        app.logger.removeHandler(default_handler)  # the root handler writes it, once
    for name in app.config.get("SMARTWORK_UNKNOWN_ENVIRONMENT", ()):
        app.logger.warning("%s is set but names no setting; it is ignored", name)

    @app.after_request
    def _send_request_id(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        return response

