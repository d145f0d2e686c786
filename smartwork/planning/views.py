"""The ministry planner console: overview, demand, targets, lifecycle, billing and exports."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..audit import AuditEventType, record_audit_now
from ..auth.models import Role
from ..auth.permissions import role_required
from ..centers.labels import KIND_LABELS, OWNERSHIP_LABELS, STATUS_LABELS
from ..centers.models import CenterStatus, Ownership
from ..errors import SmartworkError
from ..timeutils import local_today
from . import services
from .billing import previous_month
from .exports import export
from .forms import LifecycleFilterForm, MonthForm, ReadyForm, StatusChangeForm, TargetForm

bp = Blueprint("planning", __name__, url_prefix="/planning")
planners_only = role_required(Role.PLANNER, Role.ADMIN)
LABELS = {"ownership": OWNERSHIP_LABELS, "status": STATUS_LABELS, "kind": KIND_LABELS}


@bp.app_template_filter("plan_cell")
def plan_cell(value) -> str:
    """Display one table cell: thousands separators, dates as ISO, a dash for nothing."""
    if value is None or value == "":
        return "–" if value is None else ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _form_error(form, error: SmartworkError) -> None:
    """Put a service refusal on its form field (or on the form)."""
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _month_arg() -> date:
    form = MonthForm(request.args)
    if form.validate() and form.month.data:
        return form.month.data.replace(day=1)
    return previous_month()


@bp.get("/")
@planners_only
def index():
    """How far the network is from the plan, where it is behind, and where to build next."""
    return render_template("planning/index.html", view=services.cached_overview(), labels=LABELS)


@bp.get("/demand")
@planners_only
def demand():
    """Unmet demand, uncovered regions and utilization by center type."""
    return render_template("planning/demand.html", view=services.demand_page())


@bp.route("/targets", methods=["GET", "POST"])
@planners_only
def targets():
    """The plan's targets, and a form to add one."""
    form = TargetForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.save_target(
                current_user,
                target_on=form.target_on.data,
                ownership=Ownership(form.ownership.data),
                centers=form.centers.data,
                seats=form.seats.data,
            )
        except SmartworkError as error:
            _form_error(form, error)
            status = error.status
        else:
            flash(_("Target saved."), "success")
            return redirect(url_for("planning.targets"))
    elif request.method == "POST":
        status = 422
    return render_template("planning/targets.html", targets=services.list_targets(), form=form, labels=LABELS), status


@bp.route("/targets/<int:target_id>/edit", methods=["GET", "POST"])
@planners_only
def edit_target(target_id: int):
    """Change one target."""
    target = services.get_target(target_id)
    form = TargetForm(obj=target if request.method == "GET" else None)
    if request.method == "GET":
        form.ownership.data = target.ownership.value
    status = 200
    if form.validate_on_submit():
        try:
            services.save_target(
                current_user,
                target_id=target.id,
                target_on=form.target_on.data,
                ownership=Ownership(form.ownership.data),
                centers=form.centers.data,
                seats=form.seats.data,
            )
        except SmartworkError as error:
            _form_error(form, error)
            status = error.status
        else:
            flash(_("Target saved."), "success")
            return redirect(url_for("planning.targets"))
    elif request.method == "POST":
        status = 422
    return render_template("planning/target_form.html", target=target, form=form), status


@bp.post("/targets/<int:target_id>/delete")
@planners_only
def delete_target(target_id: int):
    """Delete one target."""
    services.delete_target(current_user, target_id)
    flash(_("Target deleted."), "success")
    return redirect(url_for("planning.targets"))


@bp.get("/centers")
@planners_only
def centers():
    """Every center with its lifecycle status, to move it along."""
    form = LifecycleFilterForm(request.args)
    status = CenterStatus(form.status.data) if form.validate() and form.status.data else None
    return render_template(
        "planning/centers.html", form=form, centers=services.list_centers_for_lifecycle(status), labels=LABELS
    )


@bp.route("/centers/<code>", methods=["GET", "POST"])
@planners_only
def center(code: str):
    """One center's lifecycle: move it to the next status on a date, and its recorded history."""
    center_obj = services.get_center_by_code(code)
    form = StatusChangeForm()
    form.to_status.choices = [(s.value, STATUS_LABELS[s]) for s in services.allowed_transitions(center_obj.status)]
    if request.method == "GET":
        form.effective_on.data = local_today()
    status = 200
    if form.validate_on_submit():
        try:
            services.change_center_status(
                current_user,
                center_obj.id,
                CenterStatus(form.to_status.data),
                form.effective_on.data,
                form.note.data or "",
            )
        except SmartworkError as error:
            _form_error(form, error)
            status = error.status
        else:
            flash(_("Status changed."), "success")
            return redirect(url_for("planning.center", code=code))
    elif request.method == "POST":
        status = 422
    return render_template(
        "planning/center.html",
        center=center_obj,
        form=form,
        ready_form=ReadyForm(formdata=None),
        history=services.status_history(center_obj.id),
        labels=LABELS,
    ), status


@bp.post("/centers/<code>/ready")
@planners_only
def center_ready(code: str):
    """Mark a not-yet-open center ready: the calendar opens it on its planned date."""
    center_obj = services.get_center_by_code(code)
    if ReadyForm().validate_on_submit():
        try:
            services.mark_center_ready(current_user, center_obj.id)
        except SmartworkError as error:
            flash(error.message, "error")
        else:
            flash(_("Marked ready: the center opens on its planned date."), "success")
    return redirect(url_for("planning.center", code=code), 303)


@bp.get("/billing")
@planners_only
def billing():
    """Private-center use per agency for a month."""
    month = _month_arg()
    form = MonthForm(formdata=None, month=month)
    return render_template("planning/billing.html", view=services.billing_page(month), form=form)


@bp.get("/billing/<agency_code>")
@planners_only
def invoice(agency_code: str):
    """One agency's invoice for a month."""
    month = _month_arg()
    result, table = services.invoice_page(agency_code, month)
    return render_template(
        "planning/invoice.html", invoice=result, table=table, form=MonthForm(formdata=None, month=month)
    )


@bp.get("/export/<key>.<any(csv, xlsx):fmt>")
@planners_only
def export_table(key: str, fmt: str):
    """Download one table as CSV or XLSX."""
    month = _month_arg() if request.args.get("month") else None
    table = services.export_table(key, month=month, agency_code=request.args.get("agency"))
    body, mimetype, filename = export(table, fmt)
    record_audit_now(AuditEventType.EXPORT, target=f"planning/{key}.{fmt}", details=request.args.to_dict())
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
