"""`/healthz`: a liveness probe for load balancers and the benchmark's ceiling; it touches no database."""

from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 "ok" as long as the worker can serve a request."""
    return Response("ok", mimetype="text/plain")
