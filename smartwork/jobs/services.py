"""Running jobs and recording each run, the scheduler's leader lock, and the job overview."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import perf_counter
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import case, func, insert, literal, select, text, update
from sqlalchemy.engine import Connection

from ..database import UTCDateTime
from ..extensions import db
from ..timeutils import utcnow
from .models import JobRun, SchedulerLease
from .registry import JOBS, JobSpec, get_job
from .retention import prune_job_runs  # noqa: F401  (lives with the other retention rules; callers import it here)

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# A stable key for pg_try_advisory_lock, derived from a name (every process computes the same).
ADVISORY_LOCK_KEY = zlib.crc32(b"smartwork.scheduler.leader")
ERROR_MAX_CHARS = 4000
# A released lease expires at the epoch: free at every instant, whatever clock the next claimant reads.
RELEASED = datetime(1970, 1, 1, tzinfo=UTC)


def process_identity() -> tuple[str, int]:
    """This process's host name and pid, as recorded on job runs."""
    return socket.gethostname()[:255], os.getpid()


def run_job(name: str, now: datetime | None = None, *, source: str = "cli") -> JobRun:
    """Run one job for ``now`` and record the run; a failure is recorded, not raised."""
    spec = get_job(name)
    now = now or utcnow()
    host, pid = process_identity()
    # The run row is committed first so a run that never finishes (killed process) stays visible.
    # Its times are ``now`` plus the measured duration: a run for a given instant never reads the clock.
    run = JobRun(job=spec.name, source=source, as_of=now, started_at=now, host=host, pid=pid)
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    started = perf_counter()
    rows: int | None = None
    error: str | None = None
    try:
        rows = int(spec.func(now) or 0)
    except Exception as exc:  # the scheduler must survive any job's failure
        db.session.rollback()
        log.exception("job %s failed", spec.name)
        error = "".join(traceback.format_exception_only(exc)).strip()
        error = f"{error}\n\n{traceback.format_exc(limit=-6)}"[:ERROR_MAX_CHARS]
    run = db.session.get(JobRun, run_id)
    elapsed = perf_counter() - started
    run.finished_at = now + timedelta(seconds=elapsed)
    run.duration_ms = int(elapsed * 1000)
    run.rows_touched = rows
    run.error = error
    db.session.commit()
    return run


# --- the leader lock ----------------------------------------------------------------------------


class LeaderLock:
    """Makes one scheduler the leader among all those started against one database.

    PostgreSQL: a session-level ``pg_try_advisory_lock`` on a connection kept for the
    scheduler's life; the server drops the lock the moment that process or connection dies.
    SQLite: a lease row, claimed or renewed with a conditional UPDATE (``expires_at < now OR
    holder = me``) and renewed by the heartbeat job; a dead leader's lease simply expires.
    """

    def __init__(self, app, ttl: timedelta | None = None, name: str = LEASE_NAME) -> None:
        self.app = app
        self.name = name
        self.ttl = ttl or timedelta(seconds=app.config["SCHEDULER_LEASE_SECONDS"])
        host, pid = process_identity()
        # Unique per instance, so two schedulers in one process are told apart as well.
        self.holder = f"{host}:{pid}:{uuid.uuid4().hex[:8]}"
        self._mutex = threading.Lock()  # jobs run on a thread pool; one check at a time
        self._connection: Connection | None = None
        self._lease_until: datetime | None = None
        self._record_until: datetime | None = None

    @property
    def held(self) -> bool:
        """True if this instance believed itself leader at its last check."""
        return self._connection is not None or self._lease_until is not None

    def acquire(self, now: datetime | None = None) -> bool:
        """Take or keep the lead; True if this scheduler may run jobs now."""
        now = now or utcnow()
        with self._mutex, self.app.app_context():
            if db.engine.dialect.name == "postgresql":
                return self._acquire_advisory(now)
            return self._acquire_lease(now)

    def release(self) -> None:
        """Give the lead up (on shutdown) so another scheduler can take over at once."""
        with self._mutex, self.app.app_context():
            if self._connection is not None:
                try:
                    self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                finally:
                    self._close_connection()
            if self._lease_until is not None or self._record_until is not None:
                with db.engine.begin() as connection:
                    connection.execute(
                        update(SchedulerLease)
                        .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                        .values(expires_at=RELEASED)
                    )
                self._lease_until = self._record_until = None

    # PostgreSQL ---------------------------------------------------------------------------

    def _acquire_advisory(self, now: datetime) -> bool:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
            except Exception:
                # The connection died, and the server released the lock with it.
                log.warning("scheduler lost its leader connection; trying to take the lead again")
                self._close_connection()
        if self._connection is None:
            connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            locked = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            ).scalar()
            if not locked:
                connection.close()
                return False
            self._connection = connection
            log.info("scheduler %s took the lead (advisory lock)", self.holder)
        if self._record_until is None or now >= self._record_until - self.ttl / 2:
            self._write_record(now)
        return True

    def _write_record(self, now: datetime) -> None:
        """Leader on PostgreSQL: note who leads in the lease row (information only)."""
        expires = now + self.ttl
        with db.engine.begin() as connection:
            changed = connection.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name)
                .values(holder=self.holder, expires_at=expires, acquired_at=self._acquired_at(now))
            ).rowcount
            if not changed:
                connection.execute(
                    _insert_ignore(connection).values(name=self.name, holder=self.holder, acquired_at=now,
                                                      expires_at=expires)
                )
        self._record_until = expires

    def _acquired_at(self, now: datetime):
        """Keep the original claim time when renewing; a new holder starts at ``now``."""
        return case(
            (SchedulerLease.holder == self.holder, SchedulerLease.acquired_at),
            else_=literal(now, UTCDateTime()),
        )

    def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()  # never hand a lock-holding session back to the pool
                connection.close()
            except Exception:
                log.debug("closing the leader connection failed", exc_info=True)

    # SQLite --------------------------------------------------------------------------------

    def _acquire_lease(self, now: datetime) -> bool:
        # Renew only past half the lease; until then nobody else can have claimed it.
        if self._lease_until is not None and now < self._lease_until - self.ttl / 2:
            return True
        expires = now + self.ttl
        with db.engine.begin() as connection:
            claimed = connection.execute(
                update(SchedulerLease)
                .where(
                    SchedulerLease.name == self.name,
                    (SchedulerLease.expires_at < now) | (SchedulerLease.holder == self.holder),
                )
                .values(
                    holder=self.holder,
                    expires_at=expires,
                    acquired_at=self._acquired_at(now),
                )
            ).rowcount
            if not claimed:
                claimed = connection.execute(
                    _insert_ignore(connection).values(
                        name=self.name, holder=self.holder, acquired_at=now, expires_at=expires
                    )
                ).rowcount
        if claimed:
            if self._lease_until is None:
                log.info("scheduler %s took the lead (lease)", self.holder)
            self._lease_until = expires
            return True
        if self._lease_until is not None:
            log.warning("scheduler %s lost the lead", self.holder)
        self._lease_until = None
        return False


def _insert_ignore(connection: Connection):
    """INSERT … ON CONFLICT DO NOTHING for the lease row, on either engine."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - only the two supported engines
        return insert(SchedulerLease)
    return dialect_insert(SchedulerLease).on_conflict_do_nothing(index_elements=["name"])


# --- the overview -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobStatus:
    """One job on the admin page: its schedule, next run and last result."""

    spec: JobSpec
    next_run: datetime | None
    last_run: JobRun | None
    failures_24h: int


@dataclass(frozen=True)
class JobOverview:
    """Every job, the leader (if any) and recent failures."""

    jobs: list[JobStatus]
    leader: SchedulerLease | None
    leader_alive: bool
    recent_failures: list[JobRun]


def job_overview(now: datetime | None = None, failures: int = 20) -> JobOverview:
    """The jobs with their next run and last result, who leads, and the latest failures."""
    now = now or utcnow()
    timezone = ZoneInfo(current_app.config["SCHEDULER_TIMEZONE"])
    latest = select(JobRun.job, func.max(JobRun.started_at).label("last")).group_by(JobRun.job).subquery()
    last_runs = {
        run.job: run
        for run in db.session.scalars(
            select(JobRun)
            .join(latest, (JobRun.job == latest.c.job) & (JobRun.started_at == latest.c.last))
            .order_by(JobRun.id)
        )
    }
    failure_counts = dict(
        db.session.execute(
            select(JobRun.job, func.count())
            .where(JobRun.error.is_not(None), JobRun.started_at >= now - timedelta(hours=24))
            .group_by(JobRun.job)
        ).all()
    )
    statuses = [
        JobStatus(
            spec=spec,
            next_run=spec.next_run(now, timezone, last_runs[spec.name].started_at if spec.name in last_runs else None),
            last_run=last_runs.get(spec.name),
            failures_24h=failure_counts.get(spec.name, 0),
        )
        for spec in JOBS
    ]
    leader = db.session.get(SchedulerLease, LEASE_NAME)
    recent = list(
        db.session.scalars(
            select(JobRun).where(JobRun.error.is_not(None)).order_by(JobRun.started_at.desc()).limit(failures)
        )
    )
    return JobOverview(
        jobs=statuses,
        leader=leader,
        leader_alive=leader is not None and leader.expires_at > now,
        recent_failures=recent,
    )


def recent_runs(name: str, limit: int = 20) -> list[JobRun]:
    """The latest runs of one job, newest first."""
    get_job(name)
    return list(
        db.session.scalars(select(JobRun).where(JobRun.job == name).order_by(JobRun.started_at.desc()).limit(limit))
    )
