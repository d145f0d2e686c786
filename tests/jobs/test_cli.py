"""`flask jobs list`, `flask jobs run NAME [--now]` and the scheduler command's wiring."""

from __future__ import annotations

from sqlalchemy import select

from smartwork.bookings.models import Booking, BookingStatus
from smartwork.extensions import db
from smartwork.jobs.models import JobRun
from smartwork.jobs.registry import JOBS
from tests import factories
from tests.jobs.builders import booking, kst


def test_jobs_list_shows_every_job(app):
    result = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    for spec in JOBS:
        assert spec.name in result.output
    assert "never run" in result.output


def test_jobs_run_with_now_acts_for_that_instant(app):
    center = factories.center()
    due = booking(center, factories.user(), kst(2026, 12, 1, 9, 0))
    later = booking(center, factories.user(), kst(2026, 12, 1, 9, 45), space_index=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["jobs", "run", "release_no_shows", "--now", "2026-12-01T10:00:00+09:00"])
    assert result.exit_code == 0, result.output
    assert "release_no_shows: 1 rows touched" in result.output
    db.session.expire_all()
    assert db.session.get(Booking, due.id).status == BookingStatus.RELEASED
    assert db.session.get(Booking, later.id).status == BookingStatus.RESERVED  # its grace has not run out
    run = db.session.scalars(select(JobRun)).one()
    assert (run.source, run.as_of, run.rows_touched) == ("cli", kst(2026, 12, 1, 10, 0), 1)
    listed = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert "ok " in listed.output and "1 rows" in listed.output


def test_jobs_run_without_offset_means_seoul_time(app):
    result = app.test_cli_runner().invoke(args=["jobs", "run", "prune_job_runs", "--now", "2026-12-01T10:00"])
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(JobRun.as_of)).one() == kst(2026, 12, 1, 10, 0)


def test_jobs_run_refuses_unknown_jobs_and_bad_times(app):
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["jobs", "run", "make_coffee"])
    assert unknown.exit_code != 0 and "make_coffee" in unknown.output
    bad = runner.invoke(args=["jobs", "run", "prune_job_runs", "--now", "tomorrow-ish"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output
    assert db.session.scalars(select(JobRun)).all() == []


def test_jobs_run_exits_non_zero_when_the_job_fails(app, replace_job):
    def broken(now):
        raise RuntimeError("disk full")

    replace_job("occupancy_rollup", broken)
    result = app.test_cli_runner().invoke(args=["jobs", "run", "occupancy_rollup"])
    assert result.exit_code == 1
    assert "RuntimeError: disk full" in result.output


def test_scheduler_command_is_registered(app):
    result = app.test_cli_runner().invoke(args=["scheduler", "run", "--help"])
    assert result.exit_code == 0
    assert "foreground" in result.output
