"""`flask scheduler run`, `flask jobs list` and `flask jobs run NAME [--now ISO-TIME]`."""

from __future__ import annotations

import logging
import signal
import sys
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from ..timeutils import SEOUL, to_local, utcnow


@click.group("scheduler")
def scheduler_group() -> None:
    """The production scheduler process."""


@scheduler_group.command("run")
@with_appcontext
def scheduler_run() -> None:
    """Run the scheduler in the foreground (one process beside the web workers)."""
    from .runner import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Every run is recorded in job_runs; APScheduler's per-run lines would only repeat that.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    app = current_app._get_current_object()
    node = build_scheduler(app, blocking=True)

    def stop(signum, _frame):
        raise SystemExit(0)

    # systemd/docker stop with SIGTERM: leave the loop, let running jobs finish, give up the lead.
    signal.signal(signal.SIGTERM, stop)
    click.echo(f"scheduler {node.lock.holder} started; Ctrl-C or SIGTERM stops it")
    try:
        node.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        node.shutdown(wait=True)
        click.echo("scheduler stopped")


@click.group("jobs")
def jobs_group() -> None:
    """List the scheduled jobs or run one by hand."""


@jobs_group.command("list")
@with_appcontext
def jobs_list() -> None:
    """Every job with its schedule, next run and last result."""
    from .services import job_overview

    overview = job_overview()
    for status in overview.jobs:
        last = status.last_run
        if last is None:
            result = "never run"
        elif last.running:
            result = f"running since {to_local(last.started_at):%Y-%m-%d %H:%M:%S}"
        elif last.error:
            result = f"FAILED {to_local(last.started_at):%Y-%m-%d %H:%M:%S}: {last.error.splitlines()[0]}"
        else:
            when = f"{to_local(last.started_at):%Y-%m-%d %H:%M:%S}"
            result = f"ok {when}, {last.rows_touched} rows, {last.duration_ms} ms"
        next_run = f"{to_local(status.next_run):%Y-%m-%d %H:%M}" if status.next_run else "-"
        click.echo(f"{status.spec.name:<24} {status.spec.schedule_label():<28} next {next_run}  {result}")
    if overview.leader is not None:
        state = "leads" if overview.leader_alive else "lease expired"
        click.echo(f"\nleader: {overview.leader.holder} ({state}, until "
                   f"{to_local(overview.leader.expires_at):%Y-%m-%d %H:%M:%S})")
    else:
        click.echo("\nleader: no scheduler has run yet")


@jobs_group.command("run")
@click.argument("name")
@click.option("--now", "now_text", default=None, metavar="ISO-TIME",
              help="Act as if it were this instant (e.g. 2026-12-01T10:00:00+09:00; no offset means Asia/Seoul).")
@with_appcontext
def jobs_run(name: str, now_text: str | None) -> None:
    """Run one job now (or for --now) and record the run like the scheduler does."""
    from ..errors import SmartworkError
    from .services import run_job

    now = utcnow()
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as error:
            raise click.BadParameter(f"not an ISO 8601 time: {now_text}", param_hint="--now") from error
        if now.tzinfo is None:
            now = now.replace(tzinfo=SEOUL)
    try:
        run = run_job(name, now=now, source="cli")
    except SmartworkError as error:
        raise click.ClickException(f"{error.message} ({', '.join(error.allowed or [])})") from error
    if run.error:
        click.echo(f"{name} failed after {run.duration_ms} ms:\n{run.error}", err=True)
        sys.exit(1)
    click.echo(f"{name}: {run.rows_touched} rows touched in {run.duration_ms} ms")
