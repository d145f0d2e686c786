"""JSON logs to stdout with a request id, sent back as X-Request-ID (issue 15 §4)."""

from __future__ import annotations

import json
import logging
import re

import pytest
from flask import current_app

from smartwork import create_app

PRODUCTION = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "a-real-production-secret-0123456789abcdef",
              "TRUSTED_PROXIES": ["127.0.0.1"]}


@pytest.fixture
def production(capsys):
    """A production app logging JSON to (captured) stdout; the root logger is restored afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    application = create_app("production", PRODUCTION)

    @application.get("/_test/log")
    def log_something():
        current_app.logger.warning("booking %s refused", "B-1", extra={"center": "hub"})
        return "logged"

    yield application
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


def _lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_log_lines_are_json_with_the_request_id(production, capsys):
    response = production.test_client().get("/_test/log")
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = [entry for entry in _lines(capsys) if entry["logger"] == "smartwork"]
    assert line["message"] == "booking B-1 refused"
    assert line["level"] == "WARNING" and line["request_id"] == request_id and line["center"] == "hub"
    assert line["time"].endswith("+00:00")


def test_each_request_gets_its_own_id(production):
    client = production.test_client()
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_an_incoming_id_is_kept_only_from_a_trusted_proxy(production, capsys):
    client = production.test_client()
    from_proxy = client.get("/_test/log", headers={"X-Request-ID": "nginx-abc123"},
                            environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert from_proxy.headers["X-Request-ID"] == "nginx-abc123"
    assert _lines(capsys)[-1]["request_id"] == "nginx-abc123"
    forged = client.get("/healthz", headers={"X-Request-ID": "forged-by-a-client"},
                        environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert forged.headers["X-Request-ID"] != "forged-by-a-client"
    junk = client.get("/healthz", headers={"X-Request-ID": "bad id; with spaces"},
                      environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert re.fullmatch(r"[0-9a-f]{32}", junk.headers["X-Request-ID"])


def test_errors_carry_the_request_id_too(production):
    response = production.test_client().get("/no-such-page")
    assert response.status_code == 404 and response.headers["X-Request-ID"]


def test_logs_outside_requests_and_exceptions(production, capsys):
    with production.app_context():
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            current_app.logger.exception("job failed")
    [line] = [entry for entry in _lines(capsys) if entry["message"] == "job failed"]
    assert line["request_id"] == "-" and "RuntimeError: boom" in line["exception"]


def test_a_second_app_does_not_double_the_lines(production, capsys):
    create_app("production", PRODUCTION)
    with production.app_context():
        current_app.logger.warning("once")
    assert [entry["message"] for entry in _lines(capsys)].count("once") == 1


def test_text_logs_in_development(capsys):
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        application = create_app("development", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
        with application.test_request_context("/"):
            application.logger.warning("plain words")
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
    out = capsys.readouterr().out
    assert re.search(r"WARNING \[[0-9a-f]{32}\] smartwork: plain words", out)
