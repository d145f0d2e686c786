"""/healthz and /readyz (issue 15 §4): alive, and ready only with a database, Redis and a live scheduler."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import make_url

from smartwork.extensions import db
from smartwork.health import readiness
from smartwork.jobs.models import SchedulerLease
from smartwork.jobs.services import LEASE_NAME, RELEASED

NOW = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)
REDIS = "redis://127.0.0.1:6379/0"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def _lease(heartbeat_at: datetime, lease_seconds: int = 60) -> None:
    db.session.add(SchedulerLease(name=LEASE_NAME, holder="host:1:abc", acquired_at=heartbeat_at,
                                  expires_at=heartbeat_at + timedelta(seconds=lease_seconds)))
    db.session.commit()


def test_healthz_is_alive_without_a_database(app, app_factory):
    broken = app_factory(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/none")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


def test_readyz_passes_with_a_database_and_a_fresh_heartbeat(app, client):
    _lease(datetime.now(UTC) - timedelta(seconds=10))
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    checks = response.json["checks"]
    assert response.json["status"] == "ok"
    assert checks["database"]["ok"] and checks["scheduler"]["ok"]
    assert checks["redis"] == {"ok": True, "configured": False, "ms": checks["redis"]["ms"]}
    assert 9 <= checks["scheduler"]["heartbeat_age_seconds"] <= 60
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_fails_with_503_when_the_database_is_unreachable(app, app_factory, engine_name):
    if engine_name == "postgresql":
        url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/none"
    else:
        url = "sqlite:////nonexistent-directory/for/readyz.sqlite"
    broken = app_factory(SQLALCHEMY_DATABASE_URI=url)
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert not response.json["checks"]["database"]["ok"]
    assert "OperationalError" in response.json["checks"]["database"]["error"]
    assert response.headers["Retry-After"].isdigit()
    # The liveness probe is unaffected.
    assert broken.test_client().get("/healthz").status_code == 200


@pytest.mark.parametrize(("age", "ready"), [(timedelta(seconds=299), True), (timedelta(seconds=301), False)])
def test_the_scheduler_heartbeat_must_be_recent(app, age, ready):
    _lease(NOW - age)
    ok, checks = readiness(now=NOW)
    assert checks["scheduler"]["ok"] is ready and ok is ready
    assert checks["scheduler"]["heartbeat_age_seconds"] == age.total_seconds()


def test_the_max_age_is_configurable_and_zero_turns_the_check_off(app, app_factory):
    strict = app_factory(READYZ_SCHEDULER_MAX_AGE=timedelta(seconds=30))
    with strict.app_context():
        _lease(NOW - timedelta(seconds=45))
        assert readiness(now=NOW)[1]["scheduler"]["ok"] is False
    off = app_factory(READYZ_SCHEDULER_MAX_AGE=timedelta(0))
    with off.app_context():
        ok, checks = readiness(now=NOW)
    assert ok and checks["scheduler"] == {"ok": True, "checked": False, "ms": checks["scheduler"]["ms"]}


def test_no_scheduler_or_a_released_lease_is_not_ready(app):
    ok, checks = readiness(now=NOW)
    assert not ok and checks["scheduler"]["error"] == "no scheduler has ever run"
    db.session.add(SchedulerLease(name=LEASE_NAME, holder="gone", acquired_at=NOW, expires_at=RELEASED))
    db.session.commit()
    assert readiness(now=NOW)[1]["scheduler"]["ok"] is False


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_readyz_checks_redis_when_configured(app, app_factory):
    with app_factory(RATELIMIT_STORAGE_URI=REDIS).app_context():
        _lease(NOW)
        ok, checks = readiness(now=NOW)
        assert ok and checks["redis"]["ok"] and checks["redis"]["configured"]
    gone = app_factory(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{_closed_port()}/0")
    with gone.app_context():
        ok, checks = readiness(now=NOW)
    assert not ok and not checks["redis"]["ok"] and "ConnectionError" in checks["redis"]["error"]


def test_readyz_reports_the_database_url_without_secrets(app, app_factory):
    url = make_url(f"postgresql+psycopg://user:sekrit@127.0.0.1:{_closed_port()}/none")
    response = app_factory(SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False)).test_client().get(
        "/readyz")
    assert response.status_code == 503
    assert "sekrit" not in response.text
