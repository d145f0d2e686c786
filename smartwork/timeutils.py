"""The single time convention: UTC in the database, Asia/Seoul on screen."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


def utcnow() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` as aware UTC; naive values are taken to be UTC (as SQLite returns them)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value: datetime, tz: ZoneInfo = SEOUL) -> datetime:
    """Convert a stored (UTC) instant to local time for display."""
    return ensure_utc(value).astimezone(tz)


def local_to_utc(day: date, clock: time, tz: ZoneInfo = SEOUL) -> datetime:
    """Combine a local date and wall-clock time into an aware UTC instant."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def local_today(now: datetime | None = None, tz: ZoneInfo = SEOUL) -> date:
    """Return today's date in local time."""
    return to_local(now or utcnow(), tz).date()


def local_day_bounds(day: date, tz: ZoneInfo = SEOUL) -> tuple[datetime, datetime]:
    """Return the UTC instants where a local day starts and the next one starts."""
    start = local_to_utc(day, time(0, 0), tz)
    return start, local_to_utc(day + timedelta(days=1), time(0, 0), tz)
