"""The record of every job run and the scheduler's leader lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class JobRun(db.Model):
    """One run of one job: when, how long, how many rows it touched, or why it failed."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    # "scheduler", "cli" or "web": who asked for the run.
    source: Mapped[str] = mapped_column(String(20))
    # The instant the job acted for (``now``). started_at is that instant too and finished_at adds the
    # measured duration: a run for a given instant never reads the wall clock (`jobs run --now`, tests).
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    rows_touched: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)

    @property
    def succeeded(self) -> bool:
        """True once the run finished without an error."""
        return self.finished_at is not None and self.error is None

    @property
    def running(self) -> bool:
        """True while unfinished (or if its process died midway)."""
        return self.finished_at is None

    def __repr__(self) -> str:
        return f"<JobRun {self.job} {self.started_at:%Y-%m-%d %H:%M:%S} rows={self.rows_touched}>"


class SchedulerLease(db.Model):
    """Who leads the schedulers: the lock itself on SQLite, a visible record on PostgreSQL.

    On SQLite a scheduler leads while it holds an unexpired lease, claimed and renewed with a
    conditional UPDATE. On PostgreSQL an advisory lock decides; the leader also writes this
    row so the admin page can show who leads.
    """

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
