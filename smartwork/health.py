"""`/healthz` (the worker is alive) and `/readyz` (it can serve: database, Redis, scheduler).

`/healthz` touches nothing, so a load balancer can tell a wedged worker from a sick database.
`/readyz` runs every readiness check and answers 503 when one fails. The database and Redis checks
live here; a domain adds its own with ``add_readiness_check`` (the scheduler's heartbeat comes from
``jobs``), so this base module knows no domain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import text

from .extensions import db
from .timeutils import utcnow

bp = Blueprint("health", __name__)

# A check takes ``now`` and returns (ok, details); an exception counts as a failure.
Check = Callable[[datetime], tuple[bool, dict[str, Any]]]


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 "ok" as long as the worker can serve a request."""
    return Response("ok", mimetype="text/plain")


@bp.get("/readyz")
def readyz():
    """Run every readiness check; 200 when all pass, 503 (with each check's result) otherwise."""
    ready, checks = readiness()
    response = jsonify({"status": "ok" if ready else "unavailable", "checks": checks})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    if not ready:
        response.headers["Retry-After"] = "5"
    return response


def add_readiness_check(app: Flask, name: str, check: Check) -> None:
    """Register ``check`` under ``name`` for ``app``'s /readyz."""
    app.extensions.setdefault("smartwork_readiness", {})[name] = check


def readiness(now: datetime | None = None) -> tuple[bool, dict[str, dict[str, Any]]]:
    """Run the checks of the current app: (all passed, per-check results)."""
    now = now or utcnow()
    results: dict[str, dict[str, Any]] = {}
    for name, check in current_app.extensions.get("smartwork_readiness", {}).items():
        started = time.perf_counter()
        try:
            ok, details = check(now)
        except Exception as error:  # a probe reports failures, it never raises them
            ok, details = False, {"error": f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"}
        results[name] = {"ok": ok, **details, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return all(result["ok"] for result in results.values()), results


def check_database(_now: datetime) -> tuple[bool, dict[str, Any]]:
    """The database answers a query (within the connect and statement timeouts)."""
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.rollback()
    return True, {}


def check_redis(_now: datetime) -> tuple[bool, dict[str, Any]]:
    """Redis (the shared rate-limit store) answers PING, when one is configured."""
    url = current_app.config.get("RATELIMIT_STORAGE_URI", "")
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return True, {"configured": False}
    import redis

    timeout = float(current_app.config.get("DATABASE_CONNECT_TIMEOUT", 5))
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return True, {"configured": True}


def register_health(app: Flask) -> None:
    """The base checks every deployment has: the database, and Redis when configured."""
    add_readiness_check(app, "database", check_database)
    add_readiness_check(app, "redis", check_redis)
