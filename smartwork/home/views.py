"""Home page per role and the role-aware navigation."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..auth.models import Role
from ..centers import services as center_services

bp = Blueprint("home", __name__)


@dataclass(frozen=True)
class NavItem:
    """One navigation link, shown to the roles that may use it."""

    endpoint: str
    label: object
    roles: tuple[Role, ...]


# Links appear once their blueprint is registered, so later issues only add a line here.
NAV = (
    NavItem("bookings.find", _l("Find a desk"), (Role.EMPLOYEE,)),
    NavItem("bookings.mine", _l("My bookings"), (Role.EMPLOYEE,)),
    NavItem("operations.index", _l("Manage centers"), (Role.CENTER_MANAGER, Role.ADMIN)),
    NavItem("planning.index", _l("Rollout"), (Role.PLANNER, Role.ADMIN)),
    NavItem("jobs.index", _l("Jobs"), (Role.ADMIN,)),
    NavItem("api.token_list", _l("API tokens"), (Role.EMPLOYEE,)),
    NavItem("admin.users", _l("Administration"), (Role.ADMIN,)),
    NavItem("admin.audit", _l("Audit log"), (Role.ADMIN,)),
)


@bp.app_context_processor
def inject_navigation():
    """Expose ``nav_items()`` to templates."""

    def nav_items():
        if not current_user.is_authenticated:
            return []
        return [
            {"url": url_for(item.endpoint), "label": item.label}
            for item in NAV
            if item.endpoint in current_app.view_functions and current_user.has_role(*item.roles)
        ]

    return {"nav_items": nav_items}


@bp.get("/")
@login_required
def index():
    """The signed-in user's home: what their roles let them do."""
    user = current_user._get_current_object()
    return render_template(
        "home/index.html",
        home_region=center_services.get_region(user.home_region_id) if user.home_region_id else None,
        managed_centers=center_services.managed_centers(user),
        network=center_services.network_summary() if user.has_role(Role.PLANNER, Role.ADMIN) else None,
        Role=Role,
    )
