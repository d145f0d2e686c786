"""Every scheduled job through run_job, with fixed ``now`` on both sides of its threshold."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import func, select

from smartwork.bookings.models import (
    Booking,
    BookingStatus,
    Notification,
    NotificationKind,
    Series,
    SeriesStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from smartwork.centers.lifecycle import close_due_centers
from smartwork.centers.models import CenterStatus, CenterStatusChange, Closure, SpaceKind
from smartwork.extensions import db
from smartwork.jobs.models import JobRun
from smartwork.jobs.services import run_job
from smartwork.operations.models import OccupancyHourly
from tests import factories
from tests.jobs.builders import booking, kst


def notifications(kind: NotificationKind) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == kind))


def status_of(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def test_release_no_shows_after_the_grace_period(app):
    center = factories.center()
    reserved = booking(center, factories.user(), kst(2026, 12, 1, 10, 0))
    checked_in = booking(center, factories.user(), kst(2026, 12, 1, 10, 0), space_index=1,
                         status=BookingStatus.CHECKED_IN, checked_in_at=kst(2026, 12, 1, 9, 55))
    db.session.commit()
    grace = app.config["BOOKING_POLICY"]["no_show_grace_minutes"]
    run = run_job("release_no_shows", now=kst(2026, 12, 1, 10, grace - 1))
    assert (run.rows_touched, status_of(reserved.id)) == (0, BookingStatus.RESERVED)
    run = run_job("release_no_shows", now=kst(2026, 12, 1, 10, grace))
    assert (run.rows_touched, run.error) == (1, None)
    assert status_of(reserved.id) == BookingStatus.RELEASED
    assert status_of(checked_in.id) == BookingStatus.CHECKED_IN
    assert notifications(NotificationKind.BOOKING_RELEASED) == 1
    assert run_job("release_no_shows", now=kst(2026, 12, 1, 10, grace + 5)).rows_touched == 0


def test_reminders_go_out_once_at_the_configured_lead(app):
    center = factories.center()
    upcoming = booking(center, factories.user(), kst(2026, 12, 1, 11, 0))
    db.session.commit()
    assert run_job("send_reminders", now=kst(2026, 12, 1, 9, 59)).rows_touched == 0
    assert run_job("send_reminders", now=kst(2026, 12, 1, 10, 0)).rows_touched == 1
    assert run_job("send_reminders", now=kst(2026, 12, 1, 10, 1)).rows_touched == 0
    assert notifications(NotificationKind.REMINDER) == 1
    assert db.session.get(Booking, upcoming.id).reminder_sent_at == kst(2026, 12, 1, 10, 0)


def test_reminder_lead_comes_from_config(app):
    app.config["REMINDER_LEAD_MINUTES"] = 30
    booking(factories.center(), factories.user(), kst(2026, 12, 1, 11, 0))
    db.session.commit()
    assert run_job("send_reminders", now=kst(2026, 12, 1, 10, 29)).rows_touched == 0
    assert run_job("send_reminders", now=kst(2026, 12, 1, 10, 30)).rows_touched == 1


def test_complete_ended_checked_in_bookings(app):
    done = booking(factories.center(), factories.user(), kst(2026, 12, 1, 10, 0), 60,
                   status=BookingStatus.CHECKED_IN, checked_in_at=kst(2026, 12, 1, 10, 0))
    db.session.commit()
    assert run_job("complete_ended", now=kst(2026, 12, 1, 10, 59)).rows_touched == 0
    assert run_job("complete_ended", now=kst(2026, 12, 1, 11, 0)).rows_touched == 1
    assert status_of(done.id) == BookingStatus.COMPLETED


def test_expire_waitlist_once_its_time_has_come(app):
    center = factories.center()
    entry = WaitlistEntry(user_id=factories.user().id, center_id=center.id, space_kind=SpaceKind.DESK,
                          starts_at=kst(2026, 12, 1, 10, 0), ends_at=kst(2026, 12, 1, 12, 0))
    db.session.add(entry)
    db.session.commit()
    assert run_job("expire_waitlist", now=kst(2026, 12, 1, 9, 59)).rows_touched == 0
    assert run_job("expire_waitlist", now=kst(2026, 12, 1, 10, 0)).rows_touched == 1
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, entry.id).status == WaitlistStatus.EXPIRED


def test_extend_series_books_the_day_entering_the_window(app):
    center = factories.center()
    person = factories.user()
    window = app.config["BOOKING_POLICY"]["max_days_ahead"]
    today = date(2026, 11, 30)  # a Monday
    series = Series(user_id=person.id, space_id=center.spaces[0].id, weekdays=[0, 1, 2, 3, 4],
                    start_time=time(9, 0), end_time=time(12, 0), first_day=today,
                    last_day=today + timedelta(days=40), booked_through=today + timedelta(days=window),
                    status=SeriesStatus.ACTIVE)
    db.session.add(series)
    db.session.commit()
    assert run_job("extend_series", now=kst(2026, 11, 30, 23, 59)).rows_touched == 0
    run = run_job("extend_series", now=kst(2026, 12, 1, 0, 20))
    assert (run.rows_touched, run.error) == (1, None)
    booked = db.session.scalars(select(Booking).where(Booking.series_id == series.id)).all()
    assert [b.starts_at for b in booked] == [kst(2026, 12, 15, 9, 0)]
    assert run_job("extend_series", now=kst(2026, 12, 1, 1, 0)).rows_touched == 0


def test_center_lifecycle_closes_and_cancels_future_bookings_with_notice(app):
    closing = factories.center(closed_on=date(2026, 12, 1))
    person = factories.user()
    past = booking(closing, person, kst(2026, 11, 30, 9, 0), status=BookingStatus.COMPLETED)
    future = booking(closing, person, kst(2026, 12, 2, 9, 0))
    opening = factories.center(status=CenterStatus.PLANNED, planned_open_on=date(2026, 12, 1), opened_on=None,
                               ready_on=date(2026, 11, 20))
    db.session.commit()
    assert run_job("center_lifecycle", now=kst(2026, 11, 30, 23, 59)).rows_touched == 0
    assert status_of(future.id) == BookingStatus.RESERVED
    run = run_job("center_lifecycle", now=kst(2026, 12, 1, 0, 5))
    assert (run.rows_touched, run.error) == (3, None)  # one opened, one closed, one cancelled
    assert status_of(future.id) == BookingStatus.CANCELLED
    assert status_of(past.id) == BookingStatus.COMPLETED
    assert db.session.get(type(opening), opening.id).status == CenterStatus.OPEN
    assert notifications(NotificationKind.CENTER_CLOSED) == 1
    history = db.session.execute(
        select(CenterStatusChange.center_id, CenterStatusChange.from_status, CenterStatusChange.to_status,
               CenterStatusChange.effective_on).order_by(CenterStatusChange.center_id)
    ).tuples().all()
    assert history == [
        (closing.id, CenterStatus.OPEN, CenterStatus.CLOSED, date(2026, 12, 1)),
        (opening.id, CenterStatus.PLANNED, CenterStatus.OPEN, date(2026, 12, 1)),
    ]
    assert run_job("center_lifecycle", now=kst(2026, 12, 1, 1, 5)).rows_touched == 0
    assert db.session.scalar(select(func.count()).select_from(CenterStatusChange)) == 2


def test_center_lifecycle_cancels_what_a_suspended_center_still_holds(app):
    suspended = factories.center(status=CenterStatus.SUSPENDED)
    person = factories.user()
    ended = booking(suspended, person, kst(2026, 12, 1, 9, 0))
    future = booking(suspended, person, kst(2026, 12, 1, 11, 0))
    db.session.commit()
    assert run_job("center_lifecycle", now=kst(2026, 12, 1, 10, 5)).rows_touched == 1
    assert status_of(future.id) == BookingStatus.CANCELLED
    assert status_of(ended.id) == BookingStatus.RESERVED  # ended before now: left to release_no_shows
    reason = db.session.scalars(select(Notification.params)).one()["reason"]
    assert reason == "센터 운영이 일시 중지되었습니다." or reason == "The center is suspended."


def test_center_lifecycle_finishes_a_run_that_died_after_closing(app):
    closing = factories.center(closed_on=date(2026, 12, 1))
    future = booking(closing, factories.user(), kst(2026, 12, 2, 9, 0))
    db.session.commit()
    # The previous run closed the center and died before cancelling anything.
    assert close_due_centers(now=kst(2026, 12, 1, 0, 5)) == [closing.id]
    run = run_job("center_lifecycle", now=kst(2026, 12, 1, 1, 5))
    assert run.rows_touched == 1
    assert status_of(future.id) == BookingStatus.CANCELLED
    assert notifications(NotificationKind.CENTER_CLOSED) == 1


def test_public_holidays_job_adds_closures(app):
    factories.center()
    db.session.commit()
    assert run_job("public_holidays", now=kst(2026, 12, 1, 3, 15)).rows_touched > 0
    seollal = select(func.count()).select_from(Closure).where(Closure.starts_on == date(2027, 2, 7))
    assert db.session.scalar(seollal) == 1
    assert run_job("public_holidays", now=kst(2026, 12, 2, 3, 15)).rows_touched == 0


def test_occupancy_rollup_job_rolls_up_yesterday(app):
    center = factories.center(hours=(time(9, 0), time(10, 0)), spaces={SpaceKind.DESK: 1})
    db.session.commit()
    # 00:59 on 1 December is still "today" = 1 December in Seoul: yesterday is 30 November.
    run_job("occupancy_rollup", now=kst(2026, 12, 1, 0, 59))
    days = db.session.scalars(select(OccupancyHourly.day).where(OccupancyHourly.center_id == center.id)).all()
    assert days == [date(2026, 11, 30)]
    run_job("occupancy_rollup", now=kst(2026, 11, 30, 23, 59))  # yesterday = Sunday: nothing open
    assert db.session.scalar(select(func.count()).select_from(OccupancyHourly)) == 1


def test_anonymize_job_uses_the_configured_period(app):
    booking(factories.center(), factories.user(), kst(2023, 6, 1, 9, 0), status=BookingStatus.COMPLETED)
    db.session.commit()
    app.config["RETENTION_YEARS"] = 4
    assert run_job("anonymize_old_bookings", now=kst(2026, 12, 1, 4, 0)).rows_touched == 0
    app.config["RETENTION_YEARS"] = 3
    assert run_job("anonymize_old_bookings", now=kst(2026, 12, 1, 4, 0)).rows_touched == 1


def test_prune_job_runs_job(app):
    old = kst(2026, 10, 1, 4, 30)
    db.session.add(JobRun(job="release_no_shows", source="scheduler", as_of=old, started_at=old, host="h", pid=1))
    db.session.commit()
    assert run_job("prune_job_runs", now=kst(2026, 10, 31, 4, 29)).rows_touched == 0
    assert run_job("prune_job_runs", now=kst(2026, 10, 31, 4, 31)).rows_touched == 1
