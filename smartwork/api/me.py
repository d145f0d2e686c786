"""API: my profile and my notifications."""

from __future__ import annotations

import marshmallow as ma

from ..auth.models import AgencyKind
from ..bookings import services
from ..bookings.models import NotificationKind
from ..centers import services as center_services
from .core import make_blueprint, me, requires
from .models import Scope
from .schemas import Instant, Output, PageArgs, RegionOut, page_of, paginate

blp = make_blueprint("api_me", "/me", "Your profile and notifications.")
blueprints = (blp,)

MAX_NOTIFICATIONS = 200


class AgencyOut(Output):
    code = ma.fields.String(required=True)
    name_ko = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    kind = ma.fields.Enum(AgencyKind, by_value=True, required=True)


class ProfileOut(Output):
    id = ma.fields.Integer(required=True)
    employee_number = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    locale = ma.fields.String(allow_none=True, required=True)
    agency = ma.fields.Nested(AgencyOut, required=True)
    roles = ma.fields.List(ma.fields.String(), required=True)
    home_region = ma.fields.Nested(RegionOut, allow_none=True, required=True)
    managed_centers = ma.fields.List(ma.fields.String(), required=True,
                                     metadata={"description": "Codes of the centers you manage."})


class NotificationOut(Output):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.Enum(NotificationKind, by_value=True, required=True)
    subject = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    booking_id = ma.fields.Integer(allow_none=True, required=True)
    created_at = Instant(required=True)
    read_at = Instant(allow_none=True, required=True)


NotificationPage = page_of(NotificationOut, "NotificationPage",
                           unread=ma.fields.Integer(required=True, metadata={"description": "How many are unread."}))


class MarkedOut(Output):
    marked = ma.fields.Integer(required=True, metadata={"description": "How many notifications changed."})


@blp.route("")
@requires(Scope.READ)
@blp.response(200, ProfileOut)
def profile():
    """Your account: agency, roles, home region, the centers you manage."""
    user = me()
    home = center_services.get_region(user.home_region_id) if user.home_region_id else None
    managed = center_services.managed_centers(user) or []
    return {
        "id": user.id, "employee_number": user.employee_number, "name": user.name, "email": user.email,
        "locale": user.locale, "agency": user.agency, "roles": sorted(role.value for role in user.role_set),
        "home_region": home, "managed_centers": [center.code for center in managed],
    }


@blp.route("/notifications")
@requires(Scope.READ)
@blp.arguments(PageArgs, location="query")
@blp.response(200, NotificationPage)
def notifications(args):
    """Your notifications, newest first, in your language."""
    user = me()
    page, per_page = args["page"], args["per_page"]
    rows = services.list_notifications(user, limit=min(page * per_page + 1, MAX_NOTIFICATIONS + 1))
    items = []
    for row in rows:
        subject, body = services.render_notification(row)
        items.append({"id": row.id, "kind": row.kind, "subject": subject, "body": body,
                      "booking_id": row.booking_id, "created_at": row.created_at, "read_at": row.read_at})
    result = paginate(items[: MAX_NOTIFICATIONS], page, per_page)
    result["unread"] = services.unread_count(user)
    return result


@blp.route("/notifications/read", methods=["POST"])
@requires(Scope.BOOK)
@blp.response(200, MarkedOut)
def mark_read():
    """Mark every notification read."""
    return {"marked": services.mark_notifications_read(me())}
