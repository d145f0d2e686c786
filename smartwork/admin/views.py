"""Admin console views: search the audit log and export it."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for

from ..audit import AuditEventType, record_audit_now
from ..auth.models import Role
from ..auth.permissions import role_required
from ..timeutils import local_today
from . import services
from .forms import AuditFilterForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
admins_only = role_required(Role.ADMIN)


def _criteria(form: AuditFilterForm) -> services.AuditFilter | None:
    """The filter from the query string, or None when it is invalid."""
    if not form.validate():
        return None
    return services.AuditFilter(
        event=form.event.data or None,
        user=(form.user.data or "").strip() or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


def _filter_args() -> dict[str, str]:
    return {key: request.args[key] for key in ("event", "user", "date_from", "date_to") if request.args.get(key)}


@bp.get("/")
@admins_only
def index():
    """The admin console starts at the audit log."""
    return redirect(url_for(".audit"))


@bp.get("/audit")
@admins_only
def audit():
    """Search the audit log by event, user and date range."""
    form = AuditFilterForm(request.args)
    criteria = _criteria(form)
    page = None
    if criteria is not None:
        page = services.search_audit(criteria, request.args.get("page", 1, type=int))
    return render_template("admin/audit.html", form=form, page=page, args=_filter_args()), (
        200 if criteria is not None else 422
    )


@bp.get("/audit.csv")
@admins_only
def audit_csv():
    """Download the matching events as CSV; the export itself is audited."""
    form = AuditFilterForm(request.args)
    criteria = _criteria(form)
    if criteria is None:
        return render_template("admin/audit.html", form=form, page=None, args=_filter_args()), 422
    record_audit_now(AuditEventType.EXPORT, target="audit.csv", details=_filter_args())
    filename = f"audit-{local_today().isoformat()}.csv"
    return Response(
        services.audit_csv(criteria),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
