"""Scheduler wiring: Asia/Seoul, explicit misfire grace, coalescing, one instance per job, leader-only ticks."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from smartwork.extensions import db
from smartwork.jobs.models import JobRun
from smartwork.jobs.registry import JOBS
from smartwork.jobs.runner import EXTENSION_KEY, HEARTBEAT_JOB_ID, build_scheduler, start_embedded_scheduler


def test_every_job_is_scheduled_with_explicit_misfire_and_coalescing(app):
    app.config["SCHEDULER_MISFIRE_GRACE_SECONDS"] = 123
    node = build_scheduler(app, blocking=True)
    assert isinstance(node.scheduler, BlockingScheduler)
    assert node.scheduler.timezone == ZoneInfo("Asia/Seoul")
    scheduled = {job.id: job for job in node.scheduler.get_jobs()}
    assert set(scheduled) == {spec.name for spec in JOBS} | {HEARTBEAT_JOB_ID}
    for job in scheduled.values():
        assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (123, True, 1)
    assert isinstance(scheduled["release_no_shows"].trigger, IntervalTrigger)
    assert scheduled["release_no_shows"].trigger.interval == timedelta(minutes=1)
    nightly = scheduled["occupancy_rollup"].trigger
    assert isinstance(nightly, CronTrigger) and nightly.timezone == ZoneInfo("Asia/Seoul")
    assert str(nightly.fields[5]) == "1"  # hour field: 01:00 Seoul time


def test_only_the_leader_runs_ticks(app_factory):
    first, second = build_scheduler(app_factory()), build_scheduler(app_factory())
    assert first.tick("prune_job_runs") is not None
    assert second.tick("prune_job_runs") is None  # another scheduler leads
    assert (first.runs, second.runs) == (1, 0)
    first.shutdown()  # gives the lead up
    assert second.tick("prune_job_runs") is not None
    with second.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JobRun)) == 2
        db.session.remove()


def test_embedded_scheduler_starts_once_and_stops(app_factory):
    app = app_factory()
    node = start_embedded_scheduler(app)
    try:
        assert isinstance(node.scheduler, BackgroundScheduler) and node.scheduler.running
        assert start_embedded_scheduler(app) is node
        assert app.extensions[EXTENSION_KEY] is node
    finally:
        node.shutdown()
    assert not node.scheduler.running


def test_run_py_embeds_the_scheduler_only_in_the_serving_process(app):
    from smartwork.jobs.runner import should_embed_scheduler

    app.config["SCHEDULER_ENABLED"] = True
    app.debug = True
    assert should_embed_scheduler(app, {}) is False  # the reloader's file watcher
    assert should_embed_scheduler(app, {"WERKZEUG_RUN_MAIN": "true"}) is True  # its serving child
    app.debug = False
    assert should_embed_scheduler(app, {}) is True  # no reloader: one process
    app.config["SCHEDULER_ENABLED"] = False
    assert should_embed_scheduler(app, {"WERKZEUG_RUN_MAIN": "true"}) is False


def test_development_config_runs_the_scheduler_and_production_leaves_it_to_its_own_process():
    from config import DevelopmentConfig, ProductionConfig, TestingConfig

    assert DevelopmentConfig.SCHEDULER_ENABLED is True
    assert ProductionConfig.SCHEDULER_ENABLED is False
    assert TestingConfig.SCHEDULER_ENABLED is False
