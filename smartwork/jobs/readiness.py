"""The scheduler's part of /readyz: the leader renewed its lease recently."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from ..extensions import db
from .models import SchedulerLease
from .services import LEASE_NAME


def scheduler_heartbeat(now: datetime) -> tuple[bool, dict[str, Any]]:
    """Pass when the leader's last heartbeat is at most READYZ_SCHEDULER_MAX_AGE old (0 skips the check).

    The leader renews ``expires_at = now + SCHEDULER_LEASE_SECONDS`` (PostgreSQL: the record beside
    its advisory lock), so its last heartbeat was ``expires_at - lease``. A released lease (clean
    shutdown) or none at all means no scheduler is running.
    """
    max_age = current_app.config.get("READYZ_SCHEDULER_MAX_AGE")
    if isinstance(max_age, int | float):
        max_age = timedelta(seconds=max_age)
    if not max_age:
        return True, {"checked": False}
    lease = db.session.get(SchedulerLease, LEASE_NAME)
    if lease is None:
        return False, {"error": "no scheduler has ever run"}
    lease_length = timedelta(seconds=current_app.config["SCHEDULER_LEASE_SECONDS"])
    age = now - (lease.expires_at - lease_length)
    details = {"leader": lease.holder, "heartbeat_age_seconds": round(age.total_seconds(), 1),
               "max_age_seconds": max_age.total_seconds()}
    return age <= max_age, details
