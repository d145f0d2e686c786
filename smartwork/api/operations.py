"""API for center managers: a center's live board and its occupancy report."""

from __future__ import annotations

import marshmallow as ma

from ..auth.models import Role
from ..bookings.models import BookingStatus
from ..centers import services as center_services
from ..centers.models import Center, SpaceKind
from ..operations import board as board_service
from ..operations import reports
from .core import make_blueprint, me, requires, safe_code
from .models import Scope
from .schemas import CenterBrief, Clock, Day, Input, Instant, Output, SpaceBrief, SpaceOut

blp = make_blueprint("api_operations", "/operations", "For center managers: live board and occupancy.")
blueprints = (blp,)

MANAGERS = (Role.CENTER_MANAGER, Role.ADMIN)


def _managed_center(code: str) -> Center:
    """The center if the user manages it; 404 otherwise, so a center's existence does not leak (as the pages)."""
    return center_services.get_managed_center(me(), safe_code(code))


# --- schemas ----------------------------------------------------------------------------------


class HourOut(Output):
    hour = ma.fields.Integer(required=True)
    state = ma.fields.String(required=True)


class BoardRowOut(Output):
    space = ma.fields.Nested(SpaceOut, required=True)
    state = ma.fields.String(required=True,
                             validate=ma.validate.OneOf(["free", "reserved", "occupied", "out_of_service", "closed"]))
    current_booking_id = ma.fields.Integer(allow_none=True, required=True)
    hours = ma.fields.List(ma.fields.Nested(HourOut), required=True)


class BoardBookingOut(Output):
    id = ma.fields.Integer(required=True)
    status = ma.fields.Enum(BookingStatus, by_value=True, required=True)
    user_name = ma.fields.String(required=True, metadata={"description": "Shown to the center's managers only."})
    space = ma.fields.Nested(SpaceBrief, required=True)
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)


class BoardOut(Output):
    center = ma.fields.Nested(CenterBrief, required=True)
    now = Instant(required=True)
    day = ma.fields.Date(required=True)
    opens_at = Clock(allow_none=True, required=True)
    closes_at = Clock(allow_none=True, required=True)
    closed_reason = ma.fields.String(allow_none=True, required=True)
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    spaces = ma.fields.List(ma.fields.Nested(BoardRowOut), required=True)
    due = ma.fields.List(ma.fields.Nested(BoardBookingOut), required=True,
                         metadata={"description": "Reserved bookings starting within the hour (or late)."})
    checked_in = ma.fields.List(ma.fields.Nested(BoardBookingOut), required=True)


class ReportArgs(Input):
    start = Day(metadata={"description": "First day (default: 30 days before yesterday)."})
    end = Day(metadata={"description": "Last day, inclusive (default: yesterday)."})


class ReportDayOut(Output):
    day = ma.fields.Date(required=True)
    bookable_minutes = ma.fields.Integer(required=True)
    booked_minutes = ma.fields.Integer(required=True)
    checked_in_minutes = ma.fields.Integer(required=True)
    no_shows = ma.fields.Integer(required=True)
    utilization = ma.fields.Float(allow_none=True, required=True)
    checkin_rate = ma.fields.Float(allow_none=True, required=True)


class ReportKindOut(Output):
    kind = ma.fields.Enum(SpaceKind, by_value=True, required=True)
    spaces = ma.fields.Integer(required=True)
    bookable_minutes = ma.fields.Integer(required=True)
    booked_minutes = ma.fields.Integer(required=True)
    checked_in_minutes = ma.fields.Integer(required=True)
    utilization = ma.fields.Float(allow_none=True, required=True)
    checkin_rate = ma.fields.Float(allow_none=True, required=True)


class ReportSpaceOut(Output):
    code = ma.fields.String(required=True)
    kind = ma.fields.Enum(SpaceKind, by_value=True, required=True)
    bookings = ma.fields.Integer(required=True)
    booked_minutes = ma.fields.Integer(required=True)
    utilization = ma.fields.Float(allow_none=True, required=True)


class ReportOut(Output):
    center = ma.fields.Nested(CenterBrief, required=True)
    start = ma.fields.Date(required=True)
    end = ma.fields.Date(required=True)
    bookable_minutes = ma.fields.Integer(required=True)
    booked_minutes = ma.fields.Integer(required=True)
    checked_in_minutes = ma.fields.Integer(required=True)
    utilization = ma.fields.Float(allow_none=True, required=True)
    checkin_rate = ma.fields.Float(allow_none=True, required=True)
    no_shows = ma.fields.Integer(required=True)
    started_bookings = ma.fields.Integer(required=True)
    no_show_rate = ma.fields.Float(allow_none=True, required=True)
    peak_concurrent = ma.fields.Integer(required=True)
    peak_at = Instant(allow_none=True, required=True)
    days = ma.fields.List(ma.fields.Nested(ReportDayOut), required=True)
    kinds = ma.fields.List(ma.fields.Nested(ReportKindOut), required=True)
    busiest = ma.fields.List(ma.fields.Nested(ReportSpaceOut), required=True)


# --- endpoints --------------------------------------------------------------------------------


def _board_booking(booking) -> dict:
    return {"id": booking.id, "status": booking.status, "user_name": booking.user.name, "space": booking.space,
            "starts_at": booking.starts_at, "ends_at": booking.ends_at}


@blp.route("/centers/<code>/board")
@requires(Scope.MANAGE, *MANAGERS)
@blp.response(200, BoardOut)
def board(code: str):
    """The live board: each space now, today's hours, who is due, who is in."""
    center = _managed_center(code)
    result = board_service.live_board(center)
    return {
        "center": center, "now": result.now, "day": result.day, "opens_at": result.opens_at,
        "closes_at": result.closes_at, "closed_reason": result.closed_reason, "counts": result.counts,
        "spaces": [{"space": row.space, "state": row.state,
                    "current_booking_id": row.current.id if row.current else None,
                    "hours": row.cells} for row in result.rows],
        "due": [_board_booking(b) for b in result.due],
        "checked_in": [_board_booking(b) for b in result.checked_in],
    }


@blp.route("/centers/<code>/report")
@requires(Scope.MANAGE, *MANAGERS)
@blp.arguments(ReportArgs, location="query")
@blp.response(200, ReportOut)
def report(args, code: str):
    """Occupancy from the hourly roll-up: utilisation, check-in and no-show rates, busiest spaces."""
    center = _managed_center(code)
    default_start, default_end = reports.default_range()
    return reports.build_report(center, args.get("start", default_start), args.get("end", default_end))
