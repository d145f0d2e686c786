"""The job table: each job's name, what it does, when it runs and the service it calls.

Jobs are thin: ``func(now) -> rows touched`` calls one idempotent service. Services are
imported when the job runs, so a missing one fails that job's run (recorded) and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..errors import NotFound
from ..timeutils import local_today


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: ``every`` (an interval) or ``cron`` (fields in Asia/Seoul)."""

    name: str
    func: Callable[[datetime], int]
    description: object
    every: timedelta | None = None
    cron: dict = field(default_factory=dict)

    def trigger(self, timezone: ZoneInfo) -> BaseTrigger:
        """A fresh APScheduler trigger for this job."""
        if self.every is not None:
            return IntervalTrigger(seconds=int(self.every.total_seconds()), timezone=timezone)
        return CronTrigger(timezone=timezone, **self.cron)

    def schedule_label(self) -> str:
        """The schedule in words, in the current locale."""
        from flask_babel import gettext as _
        from flask_babel import ngettext

        if self.every is not None:
            minutes = int(self.every.total_seconds() // 60)
            return ngettext("Every minute", "Every %(num)d minutes", minutes)
        if "hour" in self.cron:
            return _("Daily at %(time)s (KST)", time=f"{self.cron['hour']:02d}:{self.cron.get('minute', 0):02d}")
        return _("Hourly at minute %(minute)s", minute=f"{self.cron.get('minute', 0):02d}")

    def next_run(self, now: datetime, timezone: ZoneInfo, last_started: datetime | None) -> datetime | None:
        """When the job runs next, computed from its trigger (the web process has no scheduler)."""
        if self.every is not None:
            return max(last_started + self.every, now) if last_started else now
        return self.trigger(timezone).get_next_fire_time(None, now.astimezone(timezone))


# --- the jobs -------------------------------------------------------------------------------


def release_no_shows(now: datetime) -> int:
    """Release bookings nobody checked in to by start + grace."""
    from ..bookings.services import release_no_shows as service

    return service(now=now)


def complete_ended(now: datetime) -> int:
    """Complete checked-in bookings whose end has passed."""
    from ..bookings.services import complete_ended as service

    return service(now=now)


def send_reminders(now: datetime) -> int:
    """Remind each booking's user once, REMINDER_LEAD_MINUTES before the start."""
    from ..bookings.services import send_due_reminders

    return send_due_reminders(now=now, lead=timedelta(minutes=current_app.config["REMINDER_LEAD_MINUTES"]))


def expire_waitlist(now: datetime) -> int:
    """Expire waitlist entries whose time has come without a free space."""
    from ..bookings.services import expire_waitlist as service

    return service(now=now)


def extend_series(now: datetime) -> int:
    """Book the next dates of recurring series as the booking window moves forward."""
    from ..bookings.services import extend_series as service

    return service(now=now)


def center_lifecycle(now: datetime) -> int:
    """Open ready centers whose opening date arrived; close centers whose closing date arrived."""
    from .lifecycle import run_center_lifecycle

    return run_center_lifecycle(now=now)


def public_holidays(now: datetime) -> int:
    """Add this and next year's Korean public holidays as closures of every live center."""
    from ..centers.lifecycle import add_public_holiday_closures

    return add_public_holiday_closures(now=now)


def occupancy_rollup(now: datetime) -> int:
    """Recompute yesterday's (local) hourly occupancy per center."""
    from ..operations.services import rollup_occupancy

    return rollup_occupancy(local_today(now) - timedelta(days=1), now=now)


def anonymize_old_bookings(now: datetime) -> int:
    """Anonymize bookings older than RETENTION_YEARS."""
    from .retention import anonymize_old_bookings as service

    return service(now=now, years=current_app.config["RETENTION_YEARS"])


def deliver_mail(now: datetime) -> int:
    """Send the outbox's due mails (retries with back-off; dead letters after MAIL_MAX_ATTEMPTS)."""
    from ..mail import deliver_due

    return deliver_due(now=now).touched


def prune_job_runs(now: datetime) -> int:
    """Forget job runs older than JOB_RUN_RETENTION_DAYS."""
    from .retention import prune_job_runs as service

    return service(now=now)


def end_suspensions(now: datetime) -> int:
    """Reactivate accounts whose suspension (set by an admin with an end) is over."""
    from ..admin.services import end_due_suspensions

    return end_due_suspensions(now=now)


JOBS: tuple[JobSpec, ...] = (
    JobSpec("release_no_shows", release_no_shows, _l("Release no-shows"), every=timedelta(minutes=1)),
    JobSpec("deliver_mail", deliver_mail, _l("Send queued e-mail"), every=timedelta(minutes=1)),
    JobSpec("send_reminders", send_reminders, _l("Send booking reminders"), every=timedelta(minutes=1)),
    JobSpec("complete_ended", complete_ended, _l("Complete ended bookings"), every=timedelta(minutes=5)),
    JobSpec("expire_waitlist", expire_waitlist, _l("Expire waitlist entries"), every=timedelta(minutes=5)),
    JobSpec("end_suspensions", end_suspensions, _l("End suspensions that are over"), every=timedelta(minutes=5)),
    JobSpec("center_lifecycle", center_lifecycle, _l("Open and close centers on their dates"),
            cron={"minute": 5}),
    JobSpec("extend_series", extend_series, _l("Extend recurring bookings"), cron={"hour": 0, "minute": 20}),
    JobSpec("occupancy_rollup", occupancy_rollup, _l("Roll up yesterday's occupancy"),
            cron={"hour": 1, "minute": 0}),
    JobSpec("public_holidays", public_holidays, _l("Add public holidays as closures"),
            cron={"hour": 3, "minute": 15}),
    JobSpec("anonymize_old_bookings", anonymize_old_bookings, _l("Anonymize old bookings"),
            cron={"hour": 4, "minute": 0}),
    JobSpec("prune_job_runs", prune_job_runs, _l("Forget old job runs"), cron={"hour": 4, "minute": 30}),
)
JOBS_BY_NAME = {spec.name: spec for spec in JOBS}


def get_job(name: str) -> JobSpec:
    """A job by name, or NotFound."""
    from flask_babel import gettext as _

    try:
        return JOBS_BY_NAME[name]
    except KeyError:
        raise NotFound(_("There is no job called %(name)s.", name=name), field="name",
                       rule="job_not_found", allowed=sorted(JOBS_BY_NAME)) from None
