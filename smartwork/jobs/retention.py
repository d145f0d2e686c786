"""Retention: personal data in bookings older than the retention period is anonymized; old job runs are forgotten."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..auth.models import Agency, AgencyKind, User, UserStatus
from ..bookings.demand import SearchMiss
from ..bookings.models import LIVE_STATUSES, Booking, Notification, Series, WaitlistEntry
from ..extensions import db
from ..timeutils import local_today, utcnow
from .models import JobRun

ANONYMOUS_AGENCY_CODE = "ANONYMIZED"
ANONYMOUS_EMPLOYEE_NUMBER = "ANONYMIZED"


def retention_cutoff(now: datetime, years: int) -> datetime:
    """The instant ``years`` calendar years before ``now`` (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def anonymous_user(now: datetime) -> User:
    """The placeholder account anonymized bookings point to (created once, never signs in)."""
    user = db.session.scalar(select(User).where(User.employee_number == ANONYMOUS_EMPLOYEE_NUMBER))
    if user is not None:
        return user
    try:
        with db.session.begin_nested():
            agency = db.session.scalar(select(Agency).where(Agency.code == ANONYMOUS_AGENCY_CODE))
            if agency is None:
                agency = Agency(code=ANONYMOUS_AGENCY_CODE, name_ko="익명 처리", name_en="Anonymized",
                                kind=AgencyKind.CENTRAL)
                db.session.add(agency)
            user = User(employee_number=ANONYMOUS_EMPLOYEE_NUMBER, email="anonymized@invalid.smartwork.go.kr",
                        name="-", agency=agency, status=UserStatus.RETIRED, password_hash=None, created_at=now)
            db.session.add(user)
    except IntegrityError:  # created meanwhile by another run
        user = db.session.scalar(select(User).where(User.employee_number == ANONYMOUS_EMPLOYEE_NUMBER))
    return user


def anonymize_old_bookings(now: datetime | None = None, years: int = 3) -> int:
    """Detach people from bookings, series, waitlist entries and searches older than ``years``.

    Each row is claimed by a conditional UPDATE (``user_id <> anonymous``), so a rerun or a
    concurrent run touches nothing twice. Notifications that old are deleted. Returns the
    number of bookings anonymized.
    """
    now = now or utcnow()
    cutoff = retention_cutoff(now, years)
    anonymous_id = anonymous_user(now).id
    bookings = db.session.execute(
        update(Booking)
        .where(
            Booking.ends_at < cutoff,
            Booking.user_id != anonymous_id,
            # A live booking that old was never closed by the jobs; the overlap rules keep it.
            Booking.status.not_in(LIVE_STATUSES),
        )
        .values(user_id=anonymous_id, booked_by_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(Series)
        .where(Series.last_day < local_today(cutoff), Series.user_id != anonymous_id)
        .values(user_id=anonymous_id, booked_by_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.ends_at < cutoff, WaitlistEntry.user_id != anonymous_id)
        .values(user_id=anonymous_id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(SearchMiss)
        .where(SearchMiss.created_at < cutoff, SearchMiss.user_id.is_not(None) | SearchMiss.origin_lat.is_not(None))
        .values(user_id=None, origin_lat=None, origin_lon=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Notification).where(Notification.created_at < cutoff).execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bookings or 0


def prune_job_runs(now: datetime | None = None) -> int:
    """Delete finished job runs older than JOB_RUN_RETENTION_DAYS; returns rows deleted."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["JOB_RUN_RETENTION_DAYS"])
    result = db.session.execute(delete(JobRun).where(JobRun.started_at < cutoff))
    db.session.commit()
    return result.rowcount or 0
