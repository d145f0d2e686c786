"""API for ministry planners: rollout against the plan and coverage of civil servants."""

from __future__ import annotations

import marshmallow as ma

from ..auth.models import Role
from ..centers.models import Ownership
from ..planning import coverage, rollout
from .core import make_blueprint, requires
from .models import Scope
from .schemas import Output

blp = make_blueprint("api_planning", "/planning", "For planners: rollout and coverage figures.")
blueprints = (blp,)

PLANNERS = (Role.PLANNER, Role.ADMIN)


def _by_ownership():
    return ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.OneOf([o.value for o in Ownership])),
                          values=ma.fields.Integer(), required=True)


class RolloutPointOut(Output):
    on = ma.fields.Date(required=True)
    open_centers = _by_ownership()
    open_seats = _by_ownership()
    target_centers = _by_ownership()
    target_seats = _by_ownership()


class GapOut(Output):
    ownership = ma.fields.Enum(Ownership, by_value=True, required=True)
    open_centers = ma.fields.Integer(required=True)
    target_centers = ma.fields.Integer(required=True)
    missing_centers = ma.fields.Integer(required=True)
    share_of_target = ma.fields.Float(allow_none=True, required=True)
    open_seats = ma.fields.Integer(required=True)
    target_seats = ma.fields.Integer(required=True)
    target_on = ma.fields.Date(allow_none=True, required=True)


class RolloutOut(Output):
    total_open = ma.fields.Integer(required=True)
    total_target = ma.fields.Integer(required=True)
    gaps = ma.fields.List(ma.fields.Nested(GapOut), required=True)
    points = ma.fields.List(ma.fields.Nested(RolloutPointOut), required=True,
                            metadata={"description": "Open centers and seats at each year end, next to the plan."})


class TotalsOut(Output):
    people = ma.fields.Integer(required=True)
    near = ma.fields.Integer(required=True)
    reach = ma.fields.Integer(required=True)
    near_share = ma.fields.Float(allow_none=True, required=True)
    reach_share = ma.fields.Float(allow_none=True, required=True)


class ProvinceOut(TotalsOut):
    sido_code = ma.fields.String(required=True)
    name_ko = ma.fields.String(required=True)


class RegionCoverageOut(Output):
    code = ma.fields.String(required=True)
    name_ko = ma.fields.String(required=True)
    sido_code = ma.fields.String(required=True)
    people = ma.fields.Integer(required=True)
    nearest_km = ma.fields.Float(allow_none=True, required=True)
    within_near = ma.fields.Boolean(required=True)
    within_reach = ma.fields.Boolean(required=True)


class CoverageOut(Output):
    near_km = ma.fields.Float(required=True)
    reach_km = ma.fields.Float(required=True)
    total = ma.fields.Nested(TotalsOut, required=True)
    provinces = ma.fields.List(ma.fields.Nested(ProvinceOut), required=True)
    regions = ma.fields.List(ma.fields.Nested(RegionCoverageOut), required=True)


def _keyed(counts: dict) -> dict[str, int]:
    return {str(getattr(key, "value", key)): value for key, value in counts.items()}


@blp.route("/rollout")
@requires(Scope.MANAGE, *PLANNERS)
@blp.response(200, RolloutOut)
def rollout_figures():
    """Open centers and seats by ownership against the 500-center plan, today and at each year end."""
    progress = rollout.rollout_progress()
    return {
        "total_open": progress.total_open, "total_target": progress.total_target, "gaps": progress.gaps,
        "points": [{"on": p.on, "open_centers": _keyed(p.open_centers), "open_seats": _keyed(p.open_seats),
                    "target_centers": _keyed(p.target_centers), "target_seats": _keyed(p.target_seats)}
                   for p in progress.points],
    }


@blp.route("/coverage")
@requires(Scope.MANAGE, *PLANNERS)
@blp.response(200, CoverageOut)
def coverage_figures():
    """How many civil servants live within 10 and 20 km of an open center: overall, by 시도 and by 시군구."""
    report = coverage.coverage_report()
    provinces = [{"sido_code": code, "name_ko": report.province_names.get(code, ""), "people": t.people,
                  "near": t.near, "reach": t.reach, "near_share": t.near_share, "reach_share": t.reach_share}
                 for code, t in sorted(report.provinces.items())]
    return {"near_km": coverage.NEAR_KM, "reach_km": coverage.REACH_KM, "total": report.total,
            "provinces": provinces, "regions": report.regions}
