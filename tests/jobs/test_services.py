"""run_job records every run; the overview shows schedule, next run, last result and failures."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from smartwork.errors import NotFound
from smartwork.extensions import db
from smartwork.jobs.models import JobRun
from smartwork.jobs.services import job_overview, prune_job_runs, run_job
from tests.jobs.builders import kst

NOW = kst(2026, 12, 1, 10, 0)


def test_run_job_records_a_successful_run(app, replace_job):
    seen = []

    def job(now):
        seen.append(now)
        return 7

    replace_job("release_no_shows", job)
    run = run_job("release_no_shows", now=NOW, source="cli")
    assert seen == [NOW]
    stored = db.session.get(JobRun, run.id)
    assert (stored.job, stored.source, stored.as_of, stored.rows_touched, stored.error) == (
        "release_no_shows", "cli", NOW, 7, None)
    assert stored.finished_at >= stored.started_at
    assert stored.duration_ms >= 0
    assert stored.pid == os.getpid() and stored.host
    assert stored.succeeded


def test_run_job_records_a_failure_and_does_not_raise(app, replace_job):
    def job(now):
        raise RuntimeError("mail server on fire")

    replace_job("send_reminders", job)
    run = run_job("send_reminders", now=NOW)
    assert run.rows_touched is None
    assert run.error.startswith("RuntimeError: mail server on fire")
    assert "Traceback" in run.error
    assert run.finished_at is not None and not run.succeeded


def test_run_job_rolls_back_what_the_failed_job_left_uncommitted(app, replace_job):
    from tests import factories

    def job(now):
        factories.region(code="99999")  # flushed, never committed
        raise RuntimeError("midway")

    replace_job("center_lifecycle", job)
    run_job("center_lifecycle", now=NOW)
    from smartwork.centers.models import Region

    assert db.session.scalar(select(func.count()).select_from(Region)) == 0
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 1


def test_unknown_job_is_not_found(app):
    with pytest.raises(NotFound) as caught:
        run_job("make_coffee", now=NOW)
    assert caught.value.field == "name"
    assert "release_no_shows" in caught.value.allowed


def _run(job: str, started_at, error: str | None = None, rows: int = 1) -> JobRun:
    run = JobRun(job=job, source="scheduler", as_of=started_at, started_at=started_at,
                 finished_at=started_at + timedelta(seconds=1), duration_ms=1000,
                 rows_touched=None if error else rows, error=error, host="h", pid=1)
    db.session.add(run)
    db.session.flush()
    return run


def test_prune_forgets_runs_older_than_the_retention(app):
    days = app.config["JOB_RUN_RETENTION_DAYS"]
    old = _run("release_no_shows", NOW - timedelta(days=days, seconds=1))
    kept = _run("release_no_shows", NOW - timedelta(days=days) + timedelta(seconds=1))
    old_id, kept_id = old.id, kept.id
    db.session.commit()
    assert prune_job_runs(now=NOW) == 1
    assert db.session.get(JobRun, old_id) is None
    assert db.session.get(JobRun, kept_id) is not None
    assert prune_job_runs(now=NOW) == 0


def test_overview_lists_every_job_with_next_run_and_last_result(app):
    from smartwork.jobs.registry import JOBS

    _run("release_no_shows", NOW - timedelta(minutes=3), rows=2)
    last = _run("release_no_shows", NOW - timedelta(seconds=30), rows=5)
    failed = _run("occupancy_rollup", NOW - timedelta(hours=2), error="ValueError: boom")
    _run("occupancy_rollup", NOW - timedelta(hours=30), error="ValueError: older")
    db.session.commit()
    overview = job_overview(now=NOW)
    by_name = {status.spec.name: status for status in overview.jobs}
    assert list(by_name) == [spec.name for spec in JOBS]
    assert by_name["release_no_shows"].last_run.id == last.id
    # Interval job: one interval after the last start.
    assert by_name["release_no_shows"].next_run == last.started_at + timedelta(minutes=1)
    # Never-run interval job: due now.
    assert by_name["send_reminders"].next_run == NOW
    # Cron job at 01:00 Seoul: the next one after 10:00 is tomorrow's.
    assert by_name["occupancy_rollup"].next_run == kst(2026, 12, 2, 1, 0)
    assert by_name["occupancy_rollup"].last_run.id == failed.id
    assert by_name["occupancy_rollup"].failures_24h == 1
    assert by_name["release_no_shows"].failures_24h == 0
    assert [run.error for run in overview.recent_failures] == ["ValueError: boom", "ValueError: older"]
    assert overview.leader is None and not overview.leader_alive
