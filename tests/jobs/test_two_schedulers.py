"""Exactly once: two schedulers on one database, and concurrent runs of one job.

The only tests that start real schedulers (DESIGN §6 otherwise has tests call services).
"""

from __future__ import annotations

import threading
import time
from contextlib import nullcontext
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, select

from smartwork.bookings.models import Booking, BookingStatus, Notification, NotificationKind
from smartwork.centers.models import SpaceKind
from smartwork.extensions import db
from smartwork.jobs.models import JobRun
from smartwork.jobs.registry import JOBS_BY_NAME
from smartwork.jobs.runner import build_scheduler
from smartwork.jobs.services import run_job
from smartwork.timeutils import utcnow
from tests import factories
from tests.jobs.builders import booking

NO_SHOWS = 6
REMINDERS = 6


def seed_due_work(app) -> None:
    """No-shows that started an hour ago and bookings starting in 30 minutes, relative to the real clock."""
    with app.app_context():
        center = factories.center(spaces={SpaceKind.DESK: NO_SHOWS + REMINDERS})
        now = utcnow().replace(second=0, microsecond=0)
        for i in range(NO_SHOWS):
            booking(center, factories.user(), now - timedelta(minutes=60), 120, space_index=i)
        for i in range(REMINDERS):
            booking(center, factories.user(), now + timedelta(minutes=30), 60, space_index=NO_SHOWS + i)
        db.session.commit()


def counts(app) -> tuple[int, int, int, int]:
    """(released, released notices, reminded, reminder notices), read in a transaction of its own."""
    # Inside the test's own app context use its session: a second session would wait on the
    # first one's open SQLite transaction.
    with nullcontext() if has_app_context() and current_app._get_current_object() is app else app.app_context():
        db.session.commit()
        released = db.session.scalar(
            select(func.count()).select_from(Booking).where(Booking.status == BookingStatus.RELEASED))
        reminded = db.session.scalar(
            select(func.count()).select_from(Booking).where(Booking.reminder_sent_at.is_not(None)))
        notices = dict(db.session.execute(
            select(Notification.kind, func.count()).group_by(Notification.kind)).all())
        db.session.commit()
    return (released, notices.get(NotificationKind.BOOKING_RELEASED, 0), reminded,
            notices.get(NotificationKind.REMINDER, 0))


def test_two_started_schedulers_act_exactly_once(app_factory):
    first_app, second_app = app_factory(), app_factory()
    seed_due_work(first_app)
    jobs = (JOBS_BY_NAME["release_no_shows"], JOBS_BY_NAME["send_reminders"])
    nodes = [build_scheduler(a, jobs=jobs, every=timedelta(milliseconds=100)) for a in (first_app, second_app)]
    for node in nodes:
        node.start()
    try:
        deadline = time.monotonic() + 20
        while counts(first_app) != (NO_SHOWS, NO_SHOWS, REMINDERS, REMINDERS) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # several more ticks of both schedulers: nothing may happen twice
        for node in nodes:  # stop firing and let running jobs finish, both still holding what they hold
            node.scheduler.shutdown(wait=True)
        leaders = [node.lock.held for node in nodes]
        runs = [node.runs for node in nodes]
    finally:
        for node in nodes:
            node.shutdown()
    assert counts(first_app) == (NO_SHOWS, NO_SHOWS, REMINDERS, REMINDERS)
    assert sorted(leaders) == [False, True], "exactly one scheduler holds the lock"
    leader = leaders.index(True)
    assert runs[leader] >= 2 and runs[1 - leader] == 0, runs
    with first_app.app_context():
        recorded = db.session.scalar(select(func.count()).select_from(JobRun))
        failed = db.session.scalars(select(JobRun.error).where(JobRun.error.is_not(None))).all()
        db.session.remove()
    assert recorded == runs[leader]
    assert failed == []


def test_concurrent_runs_without_the_lock_still_act_once(app_factory):
    """The conditional-UPDATE claims alone keep two simultaneous runs from doubling anything."""
    apps = [app_factory(), app_factory(), app_factory()]
    seed_due_work(apps[0])
    start = threading.Barrier(len(apps))
    errors: list[str] = []

    def worker(application):
        with application.app_context():
            start.wait()
            now = utcnow()
            for name in ("release_no_shows", "send_reminders", "release_no_shows", "send_reminders"):
                run = run_job(name, now=now, source="scheduler")
                if run.error:
                    errors.append(run.error)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(a,)) for a in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert counts(apps[0]) == (NO_SHOWS, NO_SHOWS, REMINDERS, REMINDERS)
