"""The center directory and the center page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale
from flask_login import login_required

from ..timeutils import local_today
from . import services
from .forms import DirectoryFilterForm
from .labels import (
    KIND_LABELS,
    OWNERSHIP_LABELS,
    SPACE_KIND_LABELS,
    STATUS_LABELS,
    WEEKDAY_LABELS,
    feature_label,
)
from .models import CenterKind, CenterStatus, Ownership, SpaceKind

bp = Blueprint("centers", __name__, url_prefix="/centers")

SPACE_KIND_ORDER = [SpaceKind.DESK, SpaceKind.BOOTH, SpaceKind.MEETING_ROOM, SpaceKind.VIDEO_ROOM]
FILTER_FIELDS = ("q", "sido", "ownership", "kind", "status")


@bp.app_template_global()
def has_endpoint(endpoint: str) -> bool:
    """True when a blueprint providing ``endpoint`` is registered (links to later features)."""
    return endpoint in current_app.view_functions


bp.add_app_template_filter(feature_label, "feature_label")


@bp.app_template_filter("region_name")
def region_name(region) -> str:
    """'서울특별시 중구' in Korean, 'Jung-gu, Seoul' in English."""
    if str(get_locale() or "ko").startswith("en"):
        return f"{region.name_en}, {region.sido_name_en}"
    return f"{region.sido_name_ko} {region.name_ko}"


@bp.get("/")
@login_required
def directory():
    """Filterable, paginated list of every center in the network."""
    form = DirectoryFilterForm(request.args)
    english = str(get_locale()).startswith("en")
    form.sido.choices = [("", form.ownership.choices[0][1])] + [
        (code, name_en if english else name_ko) for code, name_ko, name_en in services.list_provinces()
    ]
    valid = form.validate()
    filters = services.DirectoryFilter(
        sido=form.sido.data or None if valid else None,
        ownership=Ownership(form.ownership.data) if valid and form.ownership.data else None,
        kind=CenterKind(form.kind.data) if valid and form.kind.data else None,
        status=CenterStatus(form.status.data) if valid and form.status.data else None,
        query=form.q.data or None if valid else None,
    )
    page = services.search_directory(
        filters, request.args.get("page", 1, type=int), current_app.config["DIRECTORY_PAGE_SIZE"]
    )
    # Only the valid filters travel to the other pages; junk parameters are dropped.
    args = {name: form[name].data for name in FILTER_FIELDS if valid and form[name].data}
    return render_template(
        "centers/directory.html",
        form=form,
        page=page,
        seats=services.seat_counts([center.id for center in page.items]),
        args=args,
        labels={
            "ownership": OWNERSHIP_LABELS,
            "kind": KIND_LABELS,
            "status": STATUS_LABELS,
            "space": SPACE_KIND_LABELS,
        },
        space_kinds=SPACE_KIND_ORDER,
    ), 200 if valid else 422


@bp.get("/<code>")
@login_required
def detail(code: str):
    """One center: address, hours, spaces and their features, status."""
    center = services.get_center(code)
    spaces_by_kind = {
        kind: [space for space in center.spaces if space.kind == kind] for kind in SPACE_KIND_ORDER
    }
    today = local_today()
    return render_template(
        "centers/detail.html",
        center=center,
        spaces_by_kind=spaces_by_kind,
        today=today,
        upcoming_closures=services.upcoming_closures(center.id, today),
        labels={
            "ownership": OWNERSHIP_LABELS,
            "kind": KIND_LABELS,
            "status": STATUS_LABELS,
            "space": SPACE_KIND_LABELS,
            "weekday": WEEKDAY_LABELS,
        },
    )
