"""API for agency HR systems and administrators: roster preview and import, account status.

Needs the administrator role and, with a token, the ``agency:manage`` scope, which confines the
token to its holder's agency (the ``manage`` scope does not reach these endpoints). An admin's web
session acts on every agency, as the admin console does.
"""

from __future__ import annotations

import io

import marshmallow as ma

from ..admin import services as admin_services
from ..auth import roster
from ..auth.models import Role, User, UserStatus
from .core import current_token, make_blueprint, me, requires, safe_code
from .models import Scope
from .schemas import Input, Instant, Output, PageArgs, page_of

blp = make_blueprint("api_admin", "/admin", "For agency HR systems and administrators: roster and account status.")
blueprints = (blp,)


def _agency_limit() -> int | None:
    """The agency a token may touch (its holder's); None for an admin's web session (every agency)."""
    token = current_token()
    return token.user.agency_id if token is not None else None


# --- schemas ----------------------------------------------------------------------------------


class RosterIn(Input):
    csv = ma.fields.String(required=True, validate=ma.validate.Length(max=roster.ROSTER_MAX_CHARS),
                           metadata={"description": "The roster CSV (UTF-8), header "
                                                    "employee_number,name,email,agency_code,home_region_code,status."})
    complete_agencies = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=20)), load_default=list,
                                       validate=ma.validate.Length(max=1000),
                                       metadata={"description": "Agencies this roster lists completely: their "
                                                                "people missing from it are retired."})


class RosterApplyIn(RosterIn):
    confirm_large_retirement = ma.fields.Boolean(load_default=False, metadata={
        "description": "Second confirmation to retire more than ROSTER_MAX_RETIRE_SHARE of an agency."})
    expected_fingerprint = ma.fields.String(load_default=None, validate=ma.validate.Length(max=40), metadata={
        "description": "The preview's fingerprint: the import is refused (409) if the plan changed since."})


class PersonOut(Output):
    employee_number = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    agency_code = ma.fields.String(required=True)
    detail = ma.fields.String(required=True)


class AgencyPlanOut(Output):
    code = ma.fields.String(required=True)
    listed = ma.fields.Integer(required=True)
    current = ma.fields.Integer(required=True)
    complete = ma.fields.Boolean(required=True)
    retiring = ma.fields.Integer(required=True)
    share = ma.fields.Float(required=True)


class RowErrorOut(Output):
    line = ma.fields.Integer(required=True)
    message = ma.fields.String(required=True)


class RosterOut(Output):
    dry_run = ma.fields.Boolean(required=True)
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    fingerprint = ma.fields.String(required=True)
    max_retire_share = ma.fields.Float(required=True)
    needs_confirmation = ma.fields.List(ma.fields.String(), required=True,
                                        metadata={"description": "Agencies over the retirement share."})
    agencies = ma.fields.List(ma.fields.Nested(AgencyPlanOut), required=True)
    created = ma.fields.List(ma.fields.Nested(PersonOut), required=True)
    updated = ma.fields.List(ma.fields.Nested(PersonOut), required=True)
    moved = ma.fields.List(ma.fields.Nested(PersonOut), required=True)
    retired = ma.fields.List(ma.fields.Nested(PersonOut), required=True)
    errors = ma.fields.List(ma.fields.Nested(RowErrorOut), required=True)


class UserStatusOut(Output):
    employee_number = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    agency_code = ma.fields.String(required=True)
    status = ma.fields.Enum(UserStatus, by_value=True, required=True)
    suspended_reason = ma.fields.String(allow_none=True, required=True)
    suspended_until = Instant(allow_none=True, required=True)
    roles = ma.fields.List(ma.fields.String(), required=True)


UserStatusPage = page_of(UserStatusOut, "UserStatusPage")


class UserListArgs(PageArgs):
    q = ma.fields.String(load_default=None, validate=ma.validate.Length(max=254),
                         metadata={"description": "Part of a name or e-mail, or an exact employee number."})
    status = ma.fields.Enum(UserStatus, by_value=True, load_default=None)


class StatusIn(Input):
    status = ma.fields.Enum(UserStatus, by_value=True, required=True)
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    until = Instant(load_default=None, allow_none=True)


# --- endpoints --------------------------------------------------------------------------------


def _report(report: roster.RosterReport) -> dict:
    return {
        "dry_run": report.dry_run, "counts": report.counts(), "fingerprint": report.fingerprint,
        "max_retire_share": report.max_retire_share, "needs_confirmation": [p.code for p in report.over_limit],
        "agencies": [{**vars(p), "share": round(p.share, 4)} for p in report.agencies],
        "created": report.created_people, "updated": report.updated_people, "moved": report.moved_people,
        "retired": report.retired_people, "errors": [{"line": line, "message": m} for line, m in report.errors],
    }


def _status(user: User) -> dict:
    return {"employee_number": user.employee_number, "name": user.name, "agency_code": user.agency.code,
            "status": user.status, "suspended_reason": user.suspended_reason,
            "suspended_until": user.suspended_until, "roles": sorted(role.value for role in user.role_set)}


@blp.route("/roster/preview", methods=["POST"])
@requires(Scope.AGENCY_MANAGE, Role.ADMIN)
@blp.arguments(RosterIn)
@blp.response(200, RosterOut)
def roster_preview(args):
    """What importing this roster would do (created, updated, moved, retired); changes nothing."""
    report = roster.preview_roster(io.StringIO(args["csv"].removeprefix("\ufeff"), newline=""),
                                   complete_agencies=args["complete_agencies"], restrict_to_agency=_agency_limit())
    return _report(report)


@blp.route("/roster/import", methods=["POST"])
@requires(Scope.AGENCY_MANAGE, Role.ADMIN)
@blp.arguments(RosterApplyIn)
@blp.response(200, RosterOut)
def roster_import(args):
    """Apply a roster: one audit event with the counts and every retirement (409 over the retirement share)."""
    report = roster.import_roster(
        io.StringIO(args["csv"].removeprefix("\ufeff"), newline=""), complete_agencies=args["complete_agencies"],
        confirm_large_retirement=args["confirm_large_retirement"],
        expected_fingerprint=args["expected_fingerprint"], restrict_to_agency=_agency_limit(), actor=me(),
        source="api",
    )
    return _report(report)


@blp.route("/users")
@requires(Scope.AGENCY_MANAGE, Role.ADMIN)
@blp.arguments(UserListArgs, location="query")
@blp.response(200, UserStatusPage)
def user_list(args):
    """The accounts (of the token's agency), by name, filtered by text and status."""
    criteria = admin_services.UserFilter(text=args["q"], status=args["status"], agency_id=_agency_limit())
    found = admin_services.search_users(criteria, args["page"], args["per_page"])
    return {"items": [_status(user) for user in found.items], "page": args["page"], "per_page": args["per_page"],
            "next_page": args["page"] + 1 if found.has_next else None}


@blp.route("/users/<employee_number>")
@requires(Scope.AGENCY_MANAGE, Role.ADMIN)
@blp.response(200, UserStatusOut)
def user_status(employee_number: str):
    """An account's status (people of other agencies are not found for an agency's token)."""
    user = admin_services.get_user_by_number(safe_code(employee_number, "user"), agency_id=_agency_limit())
    return _status(user)


@blp.route("/users/<employee_number>/status", methods=["POST"])
@requires(Scope.AGENCY_MANAGE, Role.ADMIN)
@blp.arguments(StatusIn)
@blp.response(200, UserStatusOut)
def set_user_status(args, employee_number: str):
    """Activate, suspend (reason, optional end) or retire an account; the last administrator stays."""
    user = admin_services.get_user_by_number(safe_code(employee_number, "user"), agency_id=_agency_limit())
    admin_services.change_status(me(), user, args["status"], reason=args["reason"], until=args["until"])
    return _status(user)
