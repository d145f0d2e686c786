"""Closures (with cancel-and-notify for the bookings they hit) and a center's settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..auth.models import User
from ..bookings import affected
from ..bookings.core import commit_and_deliver, use_case
from ..bookings.models import Booking
from ..bookings.policies import effective_policy
from ..centers.lifecycle import mark_ready
from ..centers.models import Center, Closure, ClosureKind, OpeningHours
from ..errors import Invalid, NotFound
from ..extensions import db
from ..timeutils import local_today, to_local, utcnow
from .audit import record_change

Hours = affected.Hours
MAX_CLOSURE_DAYS = 366
REASON_MAX = 200


@dataclass(frozen=True)
class PolicyRange:
    """The inclusive range a manager may set one policy key to."""

    low: int
    high: int
    label: object


# Only these keys may be overridden per center, and only within these ranges.
POLICY_RANGES: dict[str, PolicyRange] = {
    "slot_minutes": PolicyRange(15, 60, _l("Slot length (minutes)")),
    "max_days_ahead": PolicyRange(1, 90, _l("Book at most this many days ahead")),
    "min_minutes": PolicyRange(15, 240, _l("Shortest booking (minutes)")),
    "max_minutes": PolicyRange(30, 1440, _l("Longest booking (minutes)")),
    "max_hours_per_week": PolicyRange(1, 80, _l("Hours per person per week")),
    "checkin_opens_minutes": PolicyRange(0, 60, _l("Check-in opens before the start (minutes)")),
    "no_show_grace_minutes": PolicyRange(5, 120, _l("No-show grace (minutes)")),
    "no_show_limit": PolicyRange(1, 20, _l("No-shows before a suspension")),
    "no_show_window_days": PolicyRange(1, 365, _l("No-show window (days)")),
    "suspension_days": PolicyRange(0, 90, _l("Suspension length (days)")),
}
# Slots must divide an hour so the grid lines up with the hourly roll-up.
SLOT_CHOICES = (15, 20, 30, 60)


# --- closures -------------------------------------------------------------------------------


def closure_hits(center: Center, starts_on: date, ends_on: date, now: datetime | None = None) -> list[Booking]:
    """Live bookings not yet started on the closure's days (they would be cancelled), soonest first."""
    return affected.hit_by_closure(center.id, starts_on, ends_on, now or utcnow())


def validate_closure(center: Center, kind: ClosureKind, starts_on: date, ends_on: date, reason: str,
                     now: datetime | None = None) -> str:
    """The closure rules; returns the cleaned reason."""
    now = now or utcnow()
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > REASON_MAX:
        raise Invalid(_("Give a reason of at most %(max)d characters.", max=REASON_MAX), field="reason",
                      rule="bad_reason")
    if ends_on < starts_on:
        raise Invalid(_("The last day must not be before the first day."), field="ends_on", rule="order")
    if starts_on < local_today(now):
        raise Invalid(_("A closure cannot start in the past."), field="starts_on", rule="in_past")
    if (ends_on - starts_on).days + 1 > MAX_CLOSURE_DAYS:
        raise Invalid(_("A closure lasts at most %(days)d days.", days=MAX_CLOSURE_DAYS), field="ends_on",
                      rule="too_long")
    exists = db.session.scalar(
        select(Closure.id).where(Closure.center_id == center.id, Closure.starts_on == starts_on,
                                 Closure.kind == kind)
    )
    if exists is not None:
        raise Invalid(_("A closure of this kind already starts on that day."), field="starts_on",
                      rule="duplicate_closure")
    return reason


@use_case
def add_closure(actor: User, center: Center, kind: ClosureKind, starts_on: date, ends_on: date,
                reason: str, now: datetime | None = None) -> tuple[Closure, list[Booking]]:
    """Close the center on those days; cancel the bookings and waiting entries it hits and tell each person."""
    now = now or utcnow()
    reason = validate_closure(center, kind, starts_on, ends_on, reason, now)
    closure = Closure(center_id=center.id, kind=kind, starts_on=starts_on, ends_on=ends_on, reason=reason)
    db.session.add(closure)
    hits = closure_hits(center, starts_on, ends_on, now)
    done, pending = affected.settle(hits, affected.Cause.CLOSURE, reason, now, actor)
    waiting = affected.cancel_waiting(center.id, now, span=affected.closure_days_span(starts_on, ends_on))
    record_change(
        center.id, actor, "closure_added", f"closure:{starts_on.isoformat()}",
        {
            "kind": kind.value, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
            "reason": reason, "waitlist_cancelled": waiting,
            "bookings": [_describe(o) for o in done],
        },
        now,
    )
    commit_and_deliver(pending)
    return closure, [o.booking for o in done]


def _describe(outcome: affected.Outcome) -> dict:
    booking = outcome.booking
    return {"booking_id": booking.id, "user": booking.user.name, "space": booking.space.code,
            "action": outcome.action, "starts_at": to_local(booking.starts_at).strftime("%Y-%m-%d %H:%M")}


def remove_closure(actor: User, center: Center, closure_id: int, now: datetime | None = None) -> None:
    """Reopen: delete a closure (bookings it cancelled stay cancelled)."""
    now = now or utcnow()
    closure = db.session.scalar(select(Closure).where(Closure.id == closure_id, Closure.center_id == center.id))
    if closure is None:
        raise NotFound(_("There is no such closure at this center."), rule="closure_not_found")
    details = {"kind": closure.kind.value, "starts_on": closure.starts_on.isoformat(),
               "ends_on": closure.ends_on.isoformat(), "reason": closure.reason}
    db.session.delete(closure)
    record_change(center.id, actor, "closure_removed", f"closure:{details['starts_on']}", details, now)
    db.session.commit()


def list_closures(center: Center, now: datetime | None = None) -> list[Closure]:
    """The center's closures that end today or later, soonest first."""
    today = local_today(now or utcnow())
    return list(
        db.session.scalars(
            select(Closure).where(Closure.center_id == center.id, Closure.ends_on >= today)
            .order_by(Closure.starts_on)
        )
    )


# --- settings -------------------------------------------------------------------------------


def _hours_snapshot(center: Center) -> dict[str, str]:
    return {str(h.weekday): f"{h.opens_at:%H:%M}-{h.closes_at:%H:%M}" for h in center.opening_hours}


def _validate_hours(hours: Hours) -> None:
    for weekday, pair in hours.items():
        if not 0 <= weekday <= 6:
            raise Invalid(_("Unknown weekday."), field="hours", rule="bad_weekday")
        if pair is not None and not pair[0] < pair[1]:
            raise Invalid(_("Opening must be before closing."), field=f"closes_{weekday}", rule="order")


def hours_hits(center: Center, hours: Hours, now: datetime | None = None) -> list[Booking]:
    """Live bookings not yet started that the new hours leave outside (they would be cancelled)."""
    _validate_hours(hours)
    return affected.hit_by_hours(center.id, hours, now or utcnow())


@use_case
def update_opening_hours(actor: User, center: Center, hours: Hours, now: datetime | None = None,
                         reason: str = "") -> tuple[Center, list[Booking]]:
    """Set opening hours per weekday (None = closed that day); bookings and waiting entries left
    outside the new hours are cancelled and each holder told. Returns the center and those bookings."""
    now = now or utcnow()
    _validate_hours(hours)
    before = _hours_snapshot(center)
    rows = {h.weekday: h for h in center.opening_hours}
    for weekday, pair in hours.items():
        row = rows.get(weekday)
        if pair is None:
            if row is not None:
                center.opening_hours.remove(row)
        elif row is None:
            center.opening_hours.append(OpeningHours(weekday=weekday, opens_at=pair[0], closes_at=pair[1]))
        else:
            row.opens_at, row.closes_at = pair
    db.session.flush()
    after = _hours_snapshot(center)
    done: list[affected.Outcome] = []
    pending: list = []
    if after != before:
        with force_locale("ko"):  # stored in the notification, which users read in Korean first
            reason = " ".join(reason.split()) or _("The center's opening hours changed.")
        done, pending = affected.settle(affected.hit_by_hours(center.id, hours, now), affected.Cause.HOURS,
                                        reason, now, actor)
        waiting = affected.cancel_waiting(center.id, now, hours=hours)
        record_change(center.id, actor, "hours_changed", "opening_hours",
                      {"before": before, "after": after, "waitlist_cancelled": waiting,
                       "bookings": [_describe(o) for o in done]}, now)
    commit_and_deliver(pending)
    return center, [o.booking for o in done]


def mark_center_ready(actor: User, center: Center, now: datetime | None = None) -> Center:
    """The center's manager confirms a center not yet open is fitted out: it opens on its planned date."""
    now = now or utcnow()
    before = center.ready_on
    mark_ready(center, local_today(now))
    if before is None:
        record_change(center.id, actor, "center_ready", "lifecycle", {"ready_on": center.ready_on.isoformat()}, now)
    db.session.commit()
    return center


def validate_overrides(values: dict[str, int | None]) -> dict[str, int]:
    """Known keys within their ranges; None drops the override (the default applies)."""
    clean: dict[str, int] = {}
    for key, value in values.items():
        if key not in POLICY_RANGES:
            raise Invalid(_("Unknown setting %(key)s.", key=key), field=key, rule="unknown_setting")
        if value is None:
            continue
        bounds = POLICY_RANGES[key]
        if isinstance(value, bool) or not isinstance(value, int) or not bounds.low <= value <= bounds.high:
            raise Invalid(
                _("Enter a whole number from %(low)d to %(high)d.", low=bounds.low, high=bounds.high),
                field=key, rule="out_of_range", allowed={"min": bounds.low, "max": bounds.high},
            )
        clean[key] = value
    if "slot_minutes" in clean and clean["slot_minutes"] not in SLOT_CHOICES:
        raise Invalid(_("The slot length must divide an hour: 15, 20, 30 or 60 minutes."),
                      field="slot_minutes", rule="slot_choice", allowed=list(SLOT_CHOICES))
    return clean


def update_policy(actor: User, center: Center, values: dict[str, int | None],
                  now: datetime | None = None) -> dict[str, int]:
    """Replace the center's policy overrides (validated keys and ranges only)."""
    now = now or utcnow()
    clean = validate_overrides(values)
    merged = {**default_policy_values(), **clean}
    if merged["min_minutes"] > merged["max_minutes"]:
        raise Invalid(_("The shortest booking must not be longer than the longest."), field="min_minutes",
                      rule="min_over_max")
    if merged["min_minutes"] % merged["slot_minutes"] or merged["max_minutes"] % merged["slot_minutes"]:
        raise Invalid(_("Booking lengths must be whole slots."), field="min_minutes", rule="not_whole_slots")
    before = dict(center.policy_overrides or {})
    center.policy_overrides = clean
    if clean != before:
        record_change(center.id, actor, "policy_changed", "policy", {"before": before, "after": clean}, now)
    db.session.commit()
    return clean


def default_policy_values() -> dict[str, int]:
    """The configured default of each editable key (what applies without an override)."""
    policy = effective_policy(None)
    return {key: getattr(policy, key) for key in POLICY_RANGES}
