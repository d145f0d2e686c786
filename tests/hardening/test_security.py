"""Security headers and rate limits (issue 9 §1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from smartwork import create_app
from smartwork.extensions import limiter
from smartwork.security import CSP, HSTS
from tests import factories as f
from tests.hardening.conftest import client_for

REDIS_URL = "redis://127.0.0.1:6379/15"


def test_every_page_gets_the_security_headers(app, world):
    client = client_for(app, world.employee)
    for path in ("/", "/centers/", "/auth/login", "/no-such-page"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CSP, path
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in response.headers  # not production


def test_api_responses_get_them_too(app, world):
    response = client_for(app, None).get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_kiosk_may_be_framed_by_this_site_only(app, world):
    client = client_for(app, world.manager)
    response = client.get(f"/operations/centers/{world.center.code}/kiosk")
    assert response.status_code == 200
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    # Everything else in the policy stays as strict as on other pages.
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]


def test_hsts_in_production_only(app_factory):
    production = create_app("production", {
        "SECRET_KEY": "a-real-secret-for-this-test",
        "SQLALCHEMY_DATABASE_URI": app_factory().config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_ENABLED": False,
    })
    response = production.test_client().get("/auth/login")
    assert response.headers["Strict-Transport-Security"] == HSTS
    development = app_factory(HSTS_ENABLED=False)
    assert "Strict-Transport-Security" not in development.test_client().get("/auth/login").headers


def test_personal_pages_are_not_cached(app, world):
    response = client_for(app, None).get("/auth/login")
    assert response.headers["Cache-Control"] == "no-store"


# --- rate limits ----------------------------------------------------------------------------


@pytest.fixture
def limited(app_factory):
    """An app with rate limiting on (memory storage) and small limits; limits reset around the test."""
    application = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                              RATELIMIT_SIGNIN="3 per minute", RATELIMIT_BOOKING="2 per minute",
                              RATELIMIT_API="4 per minute")
    limiter.reset()
    with application.app_context():
        yield application
    limiter.reset()


def test_sign_in_is_limited_and_429_is_a_page(limited):
    from tests.hardening.conftest import build_world

    world = build_world()
    client = client_for(limited, None)
    statuses = [f.login(client, world.employee, password="wrong").status_code for _ in range(4)]
    assert statuses[:3] == [422, 422, 422]
    assert statuses[3] == 429
    response = f.login(client, world.employee, password="wrong")
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Retry-After" in response.headers
    assert '<p class="error-code">429</p>' in response.text
    # Reading the sign-in page is not limited.
    assert client.get("/auth/login").status_code == 200


def test_api_use_is_limited_and_429_is_problem_json(limited):
    from tests.hardening.conftest import build_world

    build_world()
    client = client_for(limited, None)
    statuses = [client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code for _ in range(5)]
    assert statuses[:4] == [401] * 4
    assert statuses[4] == 429
    response = client.get("/api/v1/centers")
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 429
    assert "Retry-After" in response.headers


def test_booking_creation_is_limited(limited):
    from tests.hardening.conftest import build_world

    world = build_world()
    client = client_for(limited, world.employee)
    path = f"/bookings/centers/{world.center.code}/book"
    statuses = [client.post(path, data={}).status_code for _ in range(3)]
    assert statuses[:2] == [422, 422]  # refused by the form, but counted
    assert statuses[2] == 429
    # Looking at the day view is not limited.
    assert client.get(f"/bookings/centers/{world.center.code}/day").status_code == 200


def _redis_or_skip(url: str = REDIS_URL):
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(url)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    return connection


SECOND_WORKER = """
import json, sys
from smartwork import create_app
app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": sys.argv[1], "RATELIMIT_ENABLED": True,
                             "RATELIMIT_STORAGE_URI": sys.argv[2], "RATELIMIT_SIGNIN": "3 per minute"})
client = app.test_client()
response = client.post("/auth/login", data={"identifier": "nobody@korea.kr", "password": "x"})
print(json.dumps({"status": response.status_code}))
"""


def test_limits_hold_across_worker_processes_with_redis(app_factory, engine_name):
    # One Redis database per engine: the SQLite and PostgreSQL runs of this test may overlap (xdist),
    # and each flushes its own.
    redis_url = REDIS_URL[:-2] + ("14" if engine_name == "sqlite" else "15")
    redis_connection = _redis_or_skip(redis_url)
    redis_connection.flushdb()
    try:
        application = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url,
                                  RATELIMIT_SIGNIN="3 per minute")
        client = application.test_client()
        statuses = [client.post("/auth/login", data={"identifier": "nobody@korea.kr", "password": "x"}).status_code
                    for _ in range(3)]
        assert statuses == [422, 422, 422]
        assert redis_connection.dbsize() > 0  # the counter lives in Redis, not in this process
        # Another process (another worker) sharing only Redis is already over the limit.
        result = subprocess.run(
            [sys.executable, "-c", SECOND_WORKER, application.config["SQLALCHEMY_DATABASE_URI"], redis_url],
            capture_output=True, text=True, timeout=60, check=True, cwd=os.getcwd(),
        )
        assert json.loads(result.stdout.strip().splitlines()[-1]) == {"status": 429}
    finally:
        redis_connection.flushdb()
        limiter.reset()


def test_nul_bytes_are_refused_before_any_view(app, world):
    client = client_for(app, world.employee)
    assert client.post("/auth/language", data={"locale": "en\x00"}).status_code == 400
    assert client.get("/centers/?q=a\x00b").status_code == 400
    response = client.post("/api/v1/bookings", json={"space_id": 1, "note": ["ok", {"x": "\x00"}]})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_a_value_the_database_cannot_hold_is_a_422_not_a_500(app, world):
    from sqlalchemy.exc import DataError

    @app.get("/_test/data-error")
    def data_error():
        raise DataError("INSERT ...", {}, Exception("value out of range"))

    page = client_for(app, None).get("/_test/data-error")
    assert page.status_code == 422
    assert '<p class="error-code">422</p>' in page.text
    problem = client_for(app, None).get("/_test/data-error", headers={"Accept": "application/json"})
    assert (problem.status_code, problem.json["rule"]) == (422, "invalid_value")
