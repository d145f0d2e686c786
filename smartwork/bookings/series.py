"""Recurring bookings: weekly on chosen weekdays, up to 8 weeks, as one series."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..auth.models import User
from ..centers.services import can_manage_center
from ..errors import Invalid, NotFound, SmartworkError
from ..extensions import db
from ..timeutils import local_to_utc, to_local
from . import notifications, transitions
from .core import commit_and_deliver, lock_user_and_space, place_booking
from .models import Booking, BookingStatus, Notification, NotificationKind, Series, SeriesStatus
from .policies import effective_policy
from .waitlist import offer_freed

MAX_WEEKS = 8


@dataclass(frozen=True)
class RefusedDate:
    """A series date that could not be booked, with the rule slug and a translated message."""

    day: date
    rule: str
    message: str


@dataclass
class SeriesResult:
    """What create_series did: the series, booked dates, refused dates, dates left for later."""

    series: Series
    booked: list[Booking] = field(default_factory=list)
    refused: list[RefusedDate] = field(default_factory=list)
    pending: list[date] = field(default_factory=list)  # beyond the booking window, booked later


def series_dates(series: Series, after: date | None, through: date) -> list[date]:
    """The series' dates in (after, through]."""
    start = max(series.first_day, after + timedelta(days=1)) if after else series.first_day
    end = min(series.last_day, through)
    days = []
    day = start
    while day <= end:
        if day.weekday() in series.weekdays:
            days.append(day)
        day += timedelta(days=1)
    return days


def _book_dates(series: Series, days: list[date], now: datetime, result: SeriesResult) -> None:
    """Try each date in its own savepoint; a refusal is recorded, not raised."""
    for day in days:
        starts_at, ends_at = local_to_utc(day, series.start_time), local_to_utc(day, series.end_time)
        try:
            with db.session.begin_nested():
                space = lock_user_and_space(series.user_id, series.space_id)
                booking = place_booking(series.user, space, starts_at, ends_at, series.attendees, now,
                                        series_id=series.id)
            result.booked.append(booking)
        except SmartworkError as error:
            result.refused.append(RefusedDate(day, error.rule, error.message))


def create(user: User, space_id: int, weekdays: list[int], start: time, end: time, first_day: date,
           weeks: int, attendees: int | None, now: datetime) -> SeriesResult:
    """Create the series and book every reachable date (all-or-partial, one commit)."""
    weekdays = sorted({int(d) for d in weekdays})
    if not weekdays or any(d < 0 or d > 6 for d in weekdays):
        raise Invalid(_("Choose at least one weekday."), field="weekdays", rule="series_weekdays")
    if not 1 <= weeks <= MAX_WEEKS:
        raise Invalid(_("A series can run for 1 to %(weeks)d weeks.", weeks=MAX_WEEKS),
                      field="weeks", rule="series_weeks", allowed={"max_weeks": MAX_WEEKS})
    if end <= start:
        raise Invalid(_("The end must be after the start."), field="end", rule="order")
    space = lock_user_and_space(user.id, space_id)
    policy = effective_policy(space.center)
    series = Series(user=user, space_id=space.id, weekdays=weekdays, start_time=start, end_time=end,
                    first_day=first_day, last_day=first_day + timedelta(days=7 * weeks - 1),
                    attendees=attendees, status=SeriesStatus.ACTIVE, created_at=now)
    db.session.add(series)
    db.session.flush()
    window_end = to_local(now).date() + timedelta(days=policy.max_days_ahead)
    result = SeriesResult(series)
    _book_dates(series, series_dates(series, None, window_end), now, result)
    result.pending = series_dates(series, window_end, series.last_day)
    series.booked_through = min(window_end, series.last_day)
    if not result.booked and not result.pending:
        raise Invalid(
            _("None of the dates could be booked; the first refusal: %(reason)s",
              reason=result.refused[0].message if result.refused else ""),
            rule="series_empty",
            allowed=[{"day": r.day.isoformat(), "rule": r.rule, "message": r.message} for r in result.refused],
        )
    if not result.pending:
        series.status = SeriesStatus.FINISHED if series.last_day <= window_end else series.status
    pending = [notifications.queue(user, NotificationKind.BOOKING_CONFIRMED, b, now=now)
               for b in result.booked[:1]]
    commit_and_deliver(pending)
    return result


def extend(now: datetime) -> int:
    """Book newly reachable dates of active series; each series is claimed by a conditional UPDATE."""
    active = list(db.session.scalars(select(Series).where(Series.status == SeriesStatus.ACTIVE)))
    created = 0
    pending: list[Notification] = []
    for series in active:
        window_end = to_local(now).date() + timedelta(days=effective_policy(series.space.center).max_days_ahead)
        through = min(window_end, series.last_day)
        previous = series.booked_through
        if previous is not None and previous >= through:
            continue
        claim = update(Series).where(Series.id == series.id, Series.status == SeriesStatus.ACTIVE)
        claim = claim.where(Series.booked_through.is_(None) if previous is None else Series.booked_through == previous)
        values = {"booked_through": through}
        if through >= series.last_day:
            values["status"] = SeriesStatus.FINISHED
        if not db.session.execute(claim.values(**values).execution_options(synchronize_session=False)).rowcount:
            continue
        result = SeriesResult(series)
        _book_dates(series, series_dates(series, previous, through), now, result)
        created += len(result.booked)
        pending += [notifications.queue(series.user, NotificationKind.BOOKING_CONFIRMED, b, now=now)
                    for b in result.booked]
    commit_and_deliver(pending)
    return created


def cancel_rest(actor: User, series_id: int, now: datetime) -> int:
    """Stop the series and cancel its future dates, offering each to the waitlist (commits)."""
    series = db.session.get(Series, series_id)
    if series is None or not (series.user_id == actor.id or can_manage_center(actor, series.space.center_id)):
        raise NotFound(f"series {series_id}", rule="series_not_found")
    series.status = SeriesStatus.CANCELLED
    future = list(db.session.scalars(
        select(Booking).where(Booking.series_id == series_id, Booking.status == BookingStatus.RESERVED,
                              Booking.starts_at > now).with_for_update(of=Booking)
    ))
    reason = _("the rest of the series was cancelled")
    # One notice for the whole series (on its first date), not one per date.
    pending: list[Notification] = [
        notice for index, booking in enumerate(future)
        if (notice := transitions.cancel(booking, now, actor=actor, reason=reason, notify=index == 0))
    ]
    db.session.flush()
    for booking in future:
        pending += offer_freed(booking.center_id, booking.space.kind, booking.starts_at, booking.ends_at, now)
    commit_and_deliver(pending)
    return len(future)


def get_for(user: User, series_id: int) -> Series:
    """A series the user owns, else NotFound."""
    series = db.session.get(Series, series_id)
    if series is None or series.user_id != user.id:
        raise NotFound(f"series {series_id}", rule="series_not_found")
    return series
