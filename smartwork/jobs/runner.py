"""APScheduler wiring: one scheduler node per process, acting only while it holds the lead."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from ..extensions import db
from ..timeutils import utcnow
from .models import JobRun
from .registry import JOBS, JobSpec
from .services import LeaderLock, run_job

log = logging.getLogger(__name__)

HEARTBEAT_JOB_ID = "leader_heartbeat"
EXTENSION_KEY = "smartwork.scheduler"


class SchedulerNode:
    """One process's scheduler: APScheduler fires every job, the node runs it only as leader."""

    def __init__(self, app: Flask, scheduler: BaseScheduler, lock: LeaderLock) -> None:
        self.app = app
        self.scheduler = scheduler
        self.lock = lock
        self.runs = 0  # jobs this node actually ran (tests compare two nodes)

    def tick(self, name: str, now: datetime | None = None) -> JobRun | None:
        """Run job ``name`` if this node leads; returns the recorded run or None."""
        if not self.lock.acquire():
            log.debug("job %s skipped: another scheduler leads", name)
            return None
        with self.app.app_context():
            try:
                run = run_job(name, now=now or utcnow(), source="scheduler")
                self.runs += 1
                return run
            finally:
                db.session.remove()

    def heartbeat(self) -> bool:
        """Renew the lead, or take it over from a leader that stopped renewing."""
        return self.lock.acquire()

    def start(self) -> None:
        """Start firing jobs (returns at once for the background scheduler, blocks otherwise)."""
        self.scheduler.start()

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing jobs, let running ones finish, and give the lead up."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        try:
            self.lock.release()
        except Exception:  # shutting down: a dead database must not hide the real exit reason
            log.warning("could not release the scheduler lead", exc_info=True)


def build_scheduler(
    app: Flask,
    *,
    blocking: bool = False,
    jobs: tuple[JobSpec, ...] = JOBS,
    every: timedelta | None = None,
) -> SchedulerNode:
    """A scheduler node for ``app`` with every job registered (``every`` overrides triggers, for tests)."""
    timezone = ZoneInfo(app.config["SCHEDULER_TIMEZONE"])
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    options = {
        # A run missed while the process was down or busy fires once (coalesced) when it comes
        # back within the grace time; older misses are skipped and the next run catches up
        # (every job works from the current state, so nothing is lost by skipping).
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": app.config["SCHEDULER_MISFIRE_GRACE_SECONDS"],
    }
    scheduler = scheduler_class(
        timezone=timezone,
        executors={"default": ThreadPoolExecutor(max_workers=app.config["SCHEDULER_MAX_WORKERS"])},
        job_defaults=options,
    )
    node = SchedulerNode(app, scheduler, LeaderLock(app))
    started = datetime.now(timezone)
    for spec in jobs:
        trigger = IntervalTrigger(seconds=every.total_seconds(), timezone=timezone) if every else spec.trigger(timezone)
        # Frequent jobs also run right at start, so a restart (or the dev reloader) never delays them.
        first = {"next_run_time": started} if every or spec.every else {}
        scheduler.add_job(node.tick, trigger, args=[spec.name], id=spec.name, name=spec.name,
                          replace_existing=True, **first, **options)
    lease_seconds = app.config["SCHEDULER_LEASE_SECONDS"]
    heartbeat_seconds = every.total_seconds() if every else max(lease_seconds / 3, 1)
    scheduler.add_job(
        node.heartbeat,
        IntervalTrigger(seconds=heartbeat_seconds, timezone=timezone),
        id=HEARTBEAT_JOB_ID,
        name=HEARTBEAT_JOB_ID,
        next_run_time=started,
        replace_existing=True,
        **options,
    )
    return node


def should_embed_scheduler(app: Flask, environ: Mapping[str, str]) -> bool:
    """True if this (run.py) process should run the scheduler: enabled, and not the reloader's watcher.

    Under the debug reloader the parent process only watches files and restarts a child that
    serves (``WERKZEUG_RUN_MAIN=true``); only that child runs jobs, so nothing runs twice.
    """
    if not app.config.get("SCHEDULER_ENABLED"):
        return False
    return environ.get("WERKZEUG_RUN_MAIN") == "true" or not app.debug


def start_embedded_scheduler(app: Flask) -> SchedulerNode:
    """Run the scheduler inside this (development) process, in background threads."""
    existing = app.extensions.get(EXTENSION_KEY)
    if existing is not None:
        return existing
    node = build_scheduler(app)
    node.start()
    app.extensions[EXTENSION_KEY] = node
    atexit.register(node.shutdown, False)
    log.info("embedded scheduler started with %d jobs", len(JOBS))
    return node
