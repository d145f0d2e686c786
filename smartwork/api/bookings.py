"""API: my bookings (list, create, cancel, check in, check out), series and the waitlist."""

from __future__ import annotations

import marshmallow as ma
from sqlalchemy import select

from ..bookings import services
from ..bookings.models import BookingStatus, Series, SeriesStatus, WaitlistStatus
from ..centers.models import SpaceKind
from ..extensions import db, limiter
from ..security import config_limit
from .core import make_blueprint, me, requires
from .models import Scope
from .schemas import (
    CenterBrief,
    Clock,
    Day,
    Id,
    Input,
    Instant,
    Output,
    PageArgs,
    SpaceBrief,
    page_of,
    paginate,
)

blp = make_blueprint("api_bookings", "/bookings", "Your bookings: list, book, cancel, check in and out.")
series_blp = make_blueprint("api_series", "/series", "Weekly recurring bookings.")
waitlist_blp = make_blueprint("api_waitlist", "/waitlist", "Waiting for a full center.")
blueprints = (blp, series_blp, waitlist_blp)

ID_PATH = "int(min=1, max=2147483647)"


# --- schemas ----------------------------------------------------------------------------------


class BookingOut(Output):
    id = ma.fields.Integer(required=True)
    status = ma.fields.Enum(BookingStatus, by_value=True, required=True)
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    attendees = ma.fields.Integer(allow_none=True, required=True)
    user_id = ma.fields.Integer(required=True)
    space = ma.fields.Nested(SpaceBrief, required=True)
    center = ma.fields.Nested(CenterBrief, required=True)
    series_id = ma.fields.Integer(allow_none=True, required=True)
    checked_in_at = Instant(allow_none=True, required=True)
    checked_out_at = Instant(allow_none=True, required=True)
    cancelled_at = Instant(allow_none=True, required=True)
    created_at = Instant(required=True)


BookingPage = page_of(BookingOut, "BookingPage")


class MineArgs(PageArgs):
    when = ma.fields.String(load_default="upcoming", validate=ma.validate.OneOf(["upcoming", "past"]),
                            metadata={"description": "upcoming: live and not ended, soonest first; past: the rest."})


class BookingIn(Input):
    space_id = Id(required=True)
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    attendees = ma.fields.Integer(validate=ma.validate.Range(min=1, max=1000))


class BestIn(Input):
    center_id = Id(required=True)
    kind = ma.fields.Enum(SpaceKind, by_value=True, load_default=SpaceKind.DESK)
    date = Day(required=True)
    start = Clock(required=True)
    end = Clock(required=True)
    attendees = ma.fields.Integer(validate=ma.validate.Range(min=1, max=1000))


class CheckInIn(Input):
    space_id = Id(required=True, metadata={"description": "The space whose QR code you scanned."})


class SeriesOut(Output):
    id = ma.fields.Integer(required=True)
    status = ma.fields.Enum(SeriesStatus, by_value=True, required=True)
    space = ma.fields.Nested(SpaceBrief, required=True)
    weekdays = ma.fields.List(ma.fields.Integer(), required=True, metadata={"description": "0 = Monday"})
    start = Clock(required=True, attribute="start_time")
    end = Clock(required=True, attribute="end_time")
    first_day = ma.fields.Date(required=True)
    last_day = ma.fields.Date(required=True)
    attendees = ma.fields.Integer(allow_none=True, required=True)


class SeriesDetail(SeriesOut):
    bookings = ma.fields.List(ma.fields.Nested(BookingOut), required=True)


SeriesPage = page_of(SeriesOut, "SeriesPage")


class SeriesIn(Input):
    space_id = Id(required=True)
    weekdays = ma.fields.List(ma.fields.Integer(strict=True, validate=ma.validate.Range(min=0, max=6)),
                              required=True, validate=ma.validate.Length(min=1, max=7))
    start = Clock(required=True)
    end = Clock(required=True)
    first_day = Day(required=True)
    weeks = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=52))
    attendees = ma.fields.Integer(validate=ma.validate.Range(min=1, max=1000))


class RefusedOut(Output):
    day = ma.fields.Date(required=True)
    rule = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class SeriesResultOut(Output):
    series = ma.fields.Nested(SeriesOut, required=True)
    booked = ma.fields.List(ma.fields.Nested(BookingOut), required=True)
    refused = ma.fields.List(ma.fields.Nested(RefusedOut), required=True)
    pending = ma.fields.List(ma.fields.Date(), required=True,
                             metadata={"description": "Dates beyond the booking window, booked later."})


class CancelledOut(Output):
    cancelled = ma.fields.Integer(required=True)


class WaitlistOut(Output):
    id = ma.fields.Integer(required=True)
    status = ma.fields.Enum(WaitlistStatus, by_value=True, required=True)
    center = ma.fields.Nested(CenterBrief, required=True)
    kind = ma.fields.Enum(SpaceKind, by_value=True, required=True, attribute="space_kind")
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    attendees = ma.fields.Integer(allow_none=True, required=True)
    booking_id = ma.fields.Integer(allow_none=True, required=True)


WaitlistPage = page_of(WaitlistOut, "WaitlistPage")


class WaitlistIn(Input):
    center_id = Id(required=True)
    kind = ma.fields.Enum(SpaceKind, by_value=True, required=True)
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    attendees = ma.fields.Integer(validate=ma.validate.Range(min=1, max=1000))


# --- bookings ---------------------------------------------------------------------------------


@blp.route("")
@requires(Scope.READ)
@blp.arguments(MineArgs, location="query")
@blp.response(200, BookingPage)
def list_mine(args):
    """Your upcoming (soonest first) or past (latest first) bookings."""
    page, per_page = args["page"], args["per_page"]
    if args["when"] == "upcoming":
        return paginate(services.my_bookings(me(), past_limit=0).upcoming, page, per_page)
    # Ask for one more than the page so we know whether another page follows.
    past = services.my_bookings(me(), past_limit=page * per_page + 1).past
    return paginate(past, page, per_page)


@blp.route("", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_BOOKING"))
@requires(Scope.BOOK)
@blp.arguments(BookingIn)
@blp.response(201, BookingOut)
def create(data):
    """Book a space for [starts_at, ends_at) on the 30-minute grid."""
    return services.create_booking(me(), data["space_id"], data["starts_at"], data["ends_at"],
                                   attendees=data.get("attendees"))


@blp.route("/best", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_BOOKING"))
@requires(Scope.BOOK)
@blp.arguments(BestIn)
@blp.response(201, BookingOut)
def create_best(data):
    """One call from a search result: book the best free space of ``kind`` at a center (409 center_full)."""
    return services.book_best_space(me(), data["center_id"], data["kind"], data["date"], data["start"], data["end"],
                                    attendees=data.get("attendees"))


@blp.route(f"/<{ID_PATH}:booking_id>")
@requires(Scope.READ)
@blp.response(200, BookingOut)
def detail(booking_id: int):
    """One of your bookings (or, for managers, one at a center you manage)."""
    return services.get_booking_for(me(), booking_id)


class CancelIn(Input):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=200),
                              metadata={"description": "Why (a manager cancelling someone's booking); "
                                                       "the holder reads it."})


@blp.route(f"/<{ID_PATH}:booking_id>/cancel", methods=["POST"])
@requires(Scope.BOOK)
@blp.arguments(CancelIn, required=False)
@blp.response(200, BookingOut)
def cancel(data: dict, booking_id: int):
    """Cancel a booking before it starts (a body with a reason is optional)."""
    return services.cancel_booking(me(), booking_id, reason=(data or {}).get("reason", ""))


@blp.route("/check-in", methods=["POST"])
@requires(Scope.BOOK)
@blp.arguments(CheckInIn)
@blp.response(200, BookingOut)
def check_in(data):
    """Check in to your booking of this space (the window opens shortly before the start)."""
    return services.check_in(me(), data["space_id"])


@blp.route(f"/<{ID_PATH}:booking_id>/check-out", methods=["POST"])
@requires(Scope.BOOK)
@blp.response(200, BookingOut)
def check_out(booking_id: int):
    """Check out early: the booking ends now (rounded up to the grid)."""
    return services.check_out(me(), booking_id)


# --- series -----------------------------------------------------------------------------------


def _my_series(user_id: int) -> list[Series]:
    """The user's series, newest first (query composition only; the rules live in bookings.series)."""
    return list(db.session.scalars(
        select(Series).where(Series.user_id == user_id).order_by(Series.created_at.desc(), Series.id.desc())
    ))


@series_blp.route("")
@requires(Scope.READ)
@series_blp.arguments(PageArgs, location="query")
@series_blp.response(200, SeriesPage)
def series_list(args):
    """Your series, newest first."""
    return paginate(_my_series(me().id), args["page"], args["per_page"])


@series_blp.route("", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_BOOKING"))
@requires(Scope.BOOK)
@series_blp.arguments(SeriesIn)
@series_blp.response(201, SeriesResultOut)
def series_create(data):
    """Book weekly on ``weekdays`` for up to 8 weeks; reports booked, refused and pending dates."""
    return services.create_series(me(), data["space_id"], data["weekdays"], data["start"], data["end"],
                                  data["first_day"], data["weeks"], attendees=data.get("attendees"))


@series_blp.route(f"/<{ID_PATH}:series_id>")
@requires(Scope.READ)
@series_blp.response(200, SeriesDetail)
def series_detail(series_id: int):
    """One of your series with its bookings."""
    return services.get_series_for(me(), series_id)


@series_blp.route(f"/<{ID_PATH}:series_id>/cancel", methods=["POST"])
@requires(Scope.BOOK)
@series_blp.response(200, CancelledOut)
def series_cancel(series_id: int):
    """Stop the series and cancel its future dates."""
    user = me()
    services.get_series_for(user, series_id)
    return {"cancelled": services.cancel_series_rest(user, series_id)}


# --- waitlist ---------------------------------------------------------------------------------


@waitlist_blp.route("")
@requires(Scope.READ)
@waitlist_blp.arguments(PageArgs, location="query")
@waitlist_blp.response(200, WaitlistPage)
def waitlist_list(args):
    """Your waiting entries, soonest first."""
    return paginate(services.my_waitlist(me()), args["page"], args["per_page"])


@waitlist_blp.route("", methods=["POST"])
@requires(Scope.BOOK)
@waitlist_blp.arguments(WaitlistIn)
@waitlist_blp.response(201, WaitlistOut)
def waitlist_join(data):
    """Wait for a space of ``kind`` at a full center; refused (409) when one is free."""
    return services.join_waitlist(me(), data["center_id"], data["kind"], data["starts_at"], data["ends_at"],
                                  attendees=data.get("attendees"))


@waitlist_blp.route(f"/<{ID_PATH}:entry_id>", methods=["DELETE"])
@requires(Scope.BOOK)
@waitlist_blp.response(200, WaitlistOut)
def waitlist_leave(entry_id: int):
    """Leave the waitlist."""
    return services.leave_waitlist(me(), entry_id)
