"""Admin console views: users and roles, center managers, agencies, operators, contracts, roster upload, audit log."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..audit import AuditEventType, record_audit_now
from ..auth import roster as roster_service
from ..auth.models import Agency, AgencyKind, Role, User, UserStatus
from ..auth.permissions import role_required
from ..centers.models import Operator, Ownership
from ..errors import SmartworkError
from ..extensions import db
from ..timeutils import local_day_bounds, local_today
from . import organisations as org
from . import services, uploads
from .forms import (
    ROLE_LABELS,
    STATUS_LABELS,
    AgencyForm,
    AuditFilterForm,
    CenterAssignForm,
    ConfirmForm,
    ContractForm,
    OperatorForm,
    RoleForm,
    RosterReviewForm,
    RosterUploadForm,
    StatusForm,
    UserSearchForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
admins_only = role_required(Role.ADMIN)


@bp.context_processor
def _labels():
    """Status and role names for people (the templates only display them)."""
    return {"status_labels": STATUS_LABELS, "role_labels": ROLE_LABELS}


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
    """The admin console starts at the users."""
    return redirect(url_for(".users"))


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


# --- helpers ----------------------------------------------------------------------------------


def _me():
    return current_user._get_current_object()


def _put_error(form, error: SmartworkError) -> None:
    """Show a service's refusal on the field it names, else above the form."""
    target = getattr(form, error.field or "", None)
    (target.errors if target is not None else form.form_errors).append(error.message)


def _edit_page(form, save, *, title: str, saved: str, back: str, **page):
    """The create/edit page of one record: GET shows the form, POST saves through ``save()`` or shows why not."""
    page = {"form": form, "title": title, **page}
    if request.method != "POST":
        return render_template("admin/edit.html", **page)
    if not form.validate_on_submit():
        return render_template("admin/edit.html", **page), 422
    try:
        save()
    except SmartworkError as error:
        _put_error(form, error)
        return render_template("admin/edit.html", **page), error.status
    flash(saved, "success")
    return redirect(url_for(back), 303)


def _end_of_local_day(day) -> datetime | None:
    """A Seoul calendar day as the instant it ends (a suspension 'until' that day inclusive)."""
    return local_day_bounds(day + timedelta(days=1))[0] if day else None


# --- users ------------------------------------------------------------------------------------


@bp.get("/users")
@admins_only
def users():
    """Search users by name, employee number, e-mail, agency, status or role."""
    form = UserSearchForm(request.args)
    form.agency.choices = [("", _("Any"))] + [(a.code, f"{a.name_ko} ({a.code})") for a in org.list_agencies()]
    page = None
    if form.validate():
        criteria = services.UserFilter(
            text=(form.q.data or "").strip() or None, agency_code=form.agency.data or None,
            status=UserStatus(form.status.data) if form.status.data else None,
            role=Role(form.role.data) if form.role.data else None,
        )
        page = services.search_users(criteria, request.args.get("page", 1, type=int))
    args = {key: request.args[key] for key in ("q", "agency", "status", "role") if request.args.get(key)}
    return render_template("admin/users.html", form=form, page=page, args=args), 200 if page is not None else 422


def _user_page(user: User, status: int = 200, **forms):
    forms.setdefault("role_form", RoleForm(formdata=None))
    forms.setdefault("status_form", StatusForm(formdata=None))
    forms.setdefault("center_form", CenterAssignForm(formdata=None))
    forms.setdefault("resend_form", ConfirmForm(formdata=None, confirm="1"))
    return render_template(
        "admin/user.html", user=user, centers=services.managed_centers_of(user),
        bookings=services.user_bookings(user), sign_ins=services.sign_in_history(user), **forms,
    ), status


@bp.get("/users/<int:user_id>")
@admins_only
def user_detail(user_id: int):
    """One user: roles, status, managed centers, bookings and sign-ins."""
    return _user_page(services.get_user(user_id))


@bp.post("/users/<int:user_id>/roles")
@admins_only
def user_roles(user_id: int):
    """Grant or revoke a role."""
    user = services.get_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _user_page(user, 422, role_form=form)
    try:
        services.set_role(_me(), user, Role(form.role.data), form.action.data == "grant")
    except SmartworkError as error:
        _put_error(form, error)
        return _user_page(user, error.status, role_form=form)
    flash(_("The roles were saved."), "success")
    return redirect(url_for(".user_detail", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/status")
@admins_only
def user_status(user_id: int):
    """Activate, suspend or retire an account."""
    user = services.get_user(user_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _user_page(user, 422, status_form=form)
    try:
        services.change_status(_me(), user, UserStatus(form.status.data), reason=form.reason.data or "",
                               until=_end_of_local_day(form.until.data))
    except SmartworkError as error:
        _put_error(form, error)
        return _user_page(user, error.status, status_form=form)
    flash(_("The account status was saved."), "success")
    return redirect(url_for(".user_detail", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/centers")
@admins_only
def user_centers(user_id: int):
    """Assign the manager to a center, or take one away."""
    user = services.get_user(user_id)
    form = CenterAssignForm()
    if not form.validate_on_submit():
        return _user_page(user, 422, center_form=form)
    try:
        center = services.get_center_by_code(form.center.data)
        services.assign_center(_me(), user, center, form.action.data == "assign")
    except SmartworkError as error:
        _put_error(form, error)
        return _user_page(user, error.status, center_form=form)
    flash(_("The managed centers were saved."), "success")
    return redirect(url_for(".user_detail", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/activation")
@admins_only
def user_resend_activation(user_id: int):
    """Send the activation e-mail again."""
    user = services.get_user(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _user_page(user, 422, resend_form=form)
    try:
        services.resend_activation(_me(), user)
    except SmartworkError as error:
        _put_error(form, error)
        return _user_page(user, error.status, resend_form=form)
    flash(_("The activation e-mail was sent again."), "success")
    return redirect(url_for(".user_detail", user_id=user_id), 303)


# --- agencies, operators, contracts -----------------------------------------------------------


@bp.get("/agencies")
@admins_only
def agencies():
    """Every agency."""
    return render_template("admin/agencies.html", agencies=org.list_agencies())


@bp.route("/agencies/new", methods=["GET", "POST"])
@bp.route("/agencies/<agency_code>/edit", methods=["GET", "POST"], endpoint="agency_edit")
@admins_only
def agency_new(agency_code: str | None = None):
    """Create or edit an agency."""
    agency = org.get_agency(agency_code) if agency_code else None
    form = AgencyForm(obj=agency, kind=agency.kind.value if agency else None)
    return _edit_page(
        form, lambda: org.save_agency(_me(), agency, code=form.code.data, name_ko=form.name_ko.data,
                                      name_en=form.name_en.data, kind=AgencyKind(form.kind.data)),
        title=_("Agency"), saved=_("The agency was saved."), back=".agencies",
    )


@bp.get("/operators")
@admins_only
def operators():
    """Every operator."""
    return render_template("admin/operators.html", operators=org.list_operators())


@bp.route("/operators/new", methods=["GET", "POST"])
@bp.route("/operators/<operator_code>/edit", methods=["GET", "POST"], endpoint="operator_edit")
@admins_only
def operator_new(operator_code: str | None = None):
    """Create or edit an operator."""
    operator = org.get_operator(operator_code) if operator_code else None
    form = OperatorForm(obj=operator, ownership=operator.ownership.value if operator else None)
    return _edit_page(
        form, lambda: org.save_operator(_me(), operator, code=form.code.data, name_ko=form.name_ko.data,
                                        name_en=form.name_en.data, ownership=Ownership(form.ownership.data)),
        title=_("Operator"), saved=_("The operator was saved."), back=".operators",
    )


@bp.get("/contracts")
@admins_only
def contracts():
    """Every contract, or one agency's."""
    return render_template("admin/contracts.html", rows=org.list_contracts(request.args.get("agency") or None))


@bp.route("/contracts/new", methods=["GET", "POST"])
@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"], endpoint="contract_edit")
@admins_only
def contract_new(contract_id: int | None = None):
    """Create or edit a contract."""
    contract = org.get_contract(contract_id) if contract_id else None
    form = ContractForm(obj=contract)
    form.agency.choices = [(a.code, f"{a.name_ko} ({a.code})") for a in org.list_agencies()]
    form.operator.choices = [(o.code, f"{o.name_ko} ({o.code})") for o in org.list_operators()
                             if o.ownership == Ownership.PRIVATE]
    covered = org.covered_centers(contract) if contract else []
    if contract is not None and request.method == "GET":
        form.agency.data = db.session.get(Agency, contract.agency_id).code
        form.operator.data = db.session.get(Operator, contract.operator_id).code
        form.centers.data = "\n".join(center.code for center in contract.centers)
    return _edit_page(
        form, lambda: org.save_contract(
            _me(), contract, agency=org.get_agency(form.agency.data), operator=org.get_operator(form.operator.data),
            hourly_rate_krw=form.hourly_rate_krw.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
            center_codes=org.parse_center_codes(form.centers.data)),
        title=_("Contract"), saved=_("The contract was saved."), back=".contracts", covered=covered,
    )


# --- roster upload ----------------------------------------------------------------------------


@bp.route("/roster", methods=["GET", "POST"])
@admins_only
def roster():
    """Upload an HR roster; the next page is always its preview."""
    form = RosterUploadForm()
    if request.method == "GET":
        return render_template("admin/roster.html", form=form)
    if not form.validate_on_submit():
        return render_template("admin/roster.html", form=form), 422
    try:
        # Read one byte past the limit at most: a huge upload is refused without holding it all.
        upload_id = uploads.store_upload(current_user.id, form.roster.data.read(uploads.MAX_BYTES + 1))
    except SmartworkError as error:
        _put_error(form, error)
        return render_template("admin/roster.html", form=form), error.status
    review = RosterReviewForm(formdata=None, upload=upload_id, action="preview")
    return _roster_preview(review, [])


def _roster_preview(review: RosterReviewForm, complete: list[str], status: int = 200):
    """Compute and show the preview for the stored upload and the agencies declared complete."""
    try:
        report = roster_service.preview_roster(uploads.open_upload(current_user.id, review.upload.data),
                                               complete_agencies=complete)
    except SmartworkError as error:
        _put_error(review, error)
        if error.field == "complete_agencies":
            report = roster_service.preview_roster(uploads.open_upload(current_user.id, review.upload.data))
            complete = []
        else:
            return render_template("admin/roster.html", form=RosterUploadForm(formdata=None),
                                   review_errors=review.form_errors), error.status
        status = error.status
    review.fingerprint.data = report.fingerprint
    review.complete.choices = [(plan.code, plan.code) for plan in report.agencies]
    review.complete.data = complete
    review.confirm_large_retirement.data = False
    return render_template("admin/roster_preview.html", report=report, review=review), status


@bp.post("/roster/review")
@admins_only
def roster_review():
    """Preview again with other choices, or apply exactly the plan that was previewed."""
    review = RosterReviewForm()
    if not review.validate_on_submit():
        return render_template("admin/roster.html", form=RosterUploadForm(formdata=None),
                               review_errors=[_("Upload the roster again.")]), 422
    complete = [code for code in (review.complete.data or []) if code]
    if review.action.data != "apply":
        return _roster_preview(review, complete)
    try:
        report = roster_service.import_roster(
            uploads.open_upload(current_user.id, review.upload.data), complete_agencies=complete,
            confirm_large_retirement=review.confirm_large_retirement.data,
            expected_fingerprint=review.fingerprint.data or "", source="web",
        )
    except SmartworkError as error:
        _put_error(review, error)
        if error.rule == "upload_not_found":
            return render_template("admin/roster.html", form=RosterUploadForm(formdata=None),
                                   review_errors=[error.message]), error.status
        messages = list(review.form_errors) + list(review.confirm_large_retirement.errors)
        fresh = RosterReviewForm(formdata=None, upload=review.upload.data, action="preview")
        fresh.form_errors.extend(messages)
        return _roster_preview(fresh, complete, error.status)
    uploads.discard_upload(current_user.id, review.upload.data)
    return render_template("admin/roster_done.html", report=report)
