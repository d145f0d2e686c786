"""A job killed midway leaves no half-done work, its run stays visible, and a rerun finishes once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from smartwork.bookings import notifications
from smartwork.bookings.models import Booking, BookingStatus, Notification, NotificationKind
from smartwork.extensions import db
from smartwork.jobs.models import JobRun
from smartwork.jobs.services import run_job
from tests.jobs.builders import kst
from tests.jobs.test_two_schedulers import NO_SHOWS, counts, seed_due_work

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys, time
from smartwork import create_app
from smartwork.bookings import notifications
from smartwork.jobs.services import run_job

app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
original, calls = notifications.queue, []

def stalling_queue(*args, **kwargs):
    calls.append(1)
    if len(calls) == 3:  # two no-shows claimed in the open transaction: stall here to be killed
        print("MIDWAY", flush=True)
        time.sleep(120)
    return original(*args, **kwargs)

notifications.queue = stalling_queue
with app.app_context():
    run_job("release_no_shows", source="cli")
print("FINISHED", flush=True)
"""


def test_a_job_that_raises_midway_is_recorded_and_rerun_without_duplicates(app, monkeypatch):
    seed_due_work(app)
    original, calls = notifications.queue, []

    def failing_queue(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("mail queue broke after two rows")
        return original(*args, **kwargs)

    monkeypatch.setattr(notifications, "queue", failing_queue)
    failed = run_job("release_no_shows", source="scheduler")
    assert failed.error.startswith("RuntimeError: mail queue broke after two rows")
    assert counts(app)[:2] == (0, 0)  # the two claimed rows were rolled back with the failure

    monkeypatch.setattr(notifications, "queue", original)
    rerun = run_job("release_no_shows", source="scheduler")
    assert (rerun.rows_touched, rerun.error) == (NO_SHOWS, None)
    assert counts(app)[:2] == (NO_SHOWS, NO_SHOWS)
    assert run_job("release_no_shows", source="scheduler").rows_touched == 0
    assert db.session.scalar(select(func.count()).select_from(JobRun).where(JobRun.error.is_not(None))) == 1


def test_a_killed_job_process_leaves_nothing_half_done(app, database_urls, engine_name):
    seed_due_work(app)
    db.session.remove()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database_urls[engine_name]],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))},
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "MIDWAY", child.stderr.read()
        child.send_signal(signal.SIGKILL)  # no cleanup, no rollback from the process itself
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()

    interrupted = db.session.scalars(select(JobRun)).one()
    assert interrupted.running and interrupted.error is None  # visible as unfinished on the admin page
    assert counts(app)[:2] == (0, 0)

    rerun = run_job("release_no_shows", source="scheduler")
    assert (rerun.rows_touched, rerun.error) == (NO_SHOWS, None)
    assert counts(app)[:2] == (NO_SHOWS, NO_SHOWS)
    released_notices = db.session.scalars(
        select(Notification.booking_id).where(Notification.kind == NotificationKind.BOOKING_RELEASED)
    ).all()
    assert len(set(released_notices)) == NO_SHOWS
    assert db.session.scalar(
        select(func.count()).select_from(Booking).where(Booking.status == BookingStatus.RESERVED,
                                                        Booking.starts_at < kst(2100, 1, 1))
    ) == NO_SHOWS  # the reminder bookings are untouched
