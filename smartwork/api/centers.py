"""API: search centers near a point or a 시군구, a center and its spaces, a center's day availability."""

from __future__ import annotations

import marshmallow as ma

from ..bookings import search as booking_search
from ..bookings import services as booking_services
from ..centers import services as center_services
from ..centers.models import CenterKind, CenterStatus, Ownership, SpaceKind
from .core import make_blueprint, me, requires, safe_code
from .models import Scope
from .schemas import CenterBrief, Clock, Day, Input, Instant, Output, RegionOut, SpaceOut

blp = make_blueprint("api_centers", "/centers", "Centers: search, details and day availability.")
blueprints = (blp,)

MAX_SEARCH_RESULTS = 50


# --- schemas ----------------------------------------------------------------------------------


class CenterSummary(CenterBrief):
    ownership = ma.fields.Enum(Ownership, by_value=True, required=True)
    kind = ma.fields.Enum(CenterKind, by_value=True, required=True)
    status = ma.fields.Enum(CenterStatus, by_value=True, required=True)
    address_ko = ma.fields.String(required=True)
    address_en = ma.fields.String(required=True)
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    region = ma.fields.Nested(RegionOut, required=True)


class HoursOut(Output):
    weekday = ma.fields.Integer(required=True, metadata={"description": "0 = Monday … 6 = Sunday"})
    opens_at = Clock(required=True)
    closes_at = Clock(required=True)


class CenterDetail(CenterSummary):
    timezone = ma.fields.String(required=True)
    opening_hours = ma.fields.List(ma.fields.Nested(HoursOut), required=True)
    spaces = ma.fields.List(ma.fields.Nested(SpaceOut), required=True)


class SearchArgs(Input):
    lat = ma.fields.Float(validate=ma.validate.Range(min=-90, max=90),
                          metadata={"description": "Search from this point (with lon)."})
    lon = ma.fields.Float(validate=ma.validate.Range(min=-180, max=180))
    region = ma.fields.String(validate=ma.validate.Regexp(r"^[0-9]{5}$"),
                              metadata={"description": "Or from the centroid of this 시군구 (5-digit code)."})
    date = Day(required=True)
    start = Clock(required=True)
    end = Clock(required=True)
    kind = ma.fields.Enum(SpaceKind, by_value=True, load_default=SpaceKind.DESK)
    attendees = ma.fields.Integer(validate=ma.validate.Range(min=1, max=1000))
    limit = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1, max=MAX_SEARCH_RESULTS))


class OriginOut(Output):
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    region = ma.fields.Nested(RegionOut, allow_none=True, required=True)


class MatchOut(Output):
    center = ma.fields.Nested(CenterSummary, required=True)
    distance_km = ma.fields.Float(required=True)
    free_count = ma.fields.Integer(required=True, metadata={"description": "Free spaces of the kind asked for."})
    best_space = ma.fields.Nested(SpaceOut, allow_none=True, required=True)


class SearchOut(Output):
    origin = ma.fields.Nested(OriginOut, required=True)
    items = ma.fields.List(ma.fields.Nested(MatchOut), required=True)


class DayArgs(Input):
    date = Day(required=True)
    kind = ma.fields.Enum(SpaceKind, by_value=True)


class CellOut(Output):
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    state = ma.fields.String(required=True, validate=ma.validate.OneOf(["free", "taken", "mine", "closed", "past"]))
    booking_id = ma.fields.Integer(allow_none=True, required=True,
                                   metadata={"description": "Only for your own bookings."})


class RowOut(Output):
    space = ma.fields.Nested(SpaceOut, required=True)
    cells = ma.fields.List(ma.fields.Nested(CellOut), required=True)


class AvailabilityOut(Output):
    center = ma.fields.Nested(CenterBrief, required=True)
    date = ma.fields.Date(required=True, attribute="day")
    opens_at = Clock(allow_none=True, required=True)
    closes_at = Clock(allow_none=True, required=True)
    closed_reason = ma.fields.String(allow_none=True, required=True)
    slot_starts = ma.fields.List(Instant(), required=True)
    spaces = ma.fields.List(ma.fields.Nested(RowOut), required=True, attribute="rows")


# --- endpoints --------------------------------------------------------------------------------


@blp.route("")
@requires(Scope.READ)
@blp.arguments(SearchArgs, location="query")
@blp.response(200, SearchOut)
def search(args):
    """Open centers you may book with a space of ``kind`` at that date and time, nearest first.

    ``free_count`` 0 marks a full center nearby (join its waitlist); it never crowds out free ones.
    A search that finds no free space counts as unmet demand for the planners, as on the web page;
    ``date`` must lie in the booking window (today to the policy's last bookable day).

    Search from a point (``lat`` + ``lon``), a 시군구 code (``region``) or, with neither, your home region.
    """
    result = booking_search.find_centers(
        me(), args["date"], args["start"], args["end"], args["kind"], region_code=args.get("region"),
        lat=args.get("lat"), lon=args.get("lon"), attendees=args.get("attendees"), limit=args["limit"],
        origin_field="region",
    )
    lat, lon = result.origin
    return {"origin": {"lat": lat, "lon": lon, "region": result.region}, "items": result.matches}


@blp.route("/<code>")
@requires(Scope.READ)
@blp.response(200, CenterDetail)
def detail(code: str):
    """A center with its opening hours and spaces."""
    return center_services.get_center(safe_code(code))


@blp.route("/<code>/availability")
@requires(Scope.READ)
@blp.arguments(DayArgs, location="query")
@blp.response(200, AvailabilityOut)
def availability(args, code: str):
    """The center's spaces × 30-minute slots for a day: free, taken, mine, closed or past; never who."""
    center = center_services.get_center(safe_code(code))
    return booking_services.day_availability(center, args["date"], user=me(), kind=args.get("kind"))
