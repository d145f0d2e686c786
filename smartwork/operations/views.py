"""The center manager console: live board, spaces, closures and settings, reports, QR sheet, kiosk."""

from __future__ import annotations

from datetime import time

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, logout_user

from ..audit import AuditEventType, record_audit_now
from ..auth.models import Role
from ..auth.permissions import has_role, role_required
from ..bookings.core import status_label
from ..centers import services as center_services
from ..centers.labels import CLOSURE_KIND_LABELS, SPACE_KIND_LABELS, WEEKDAY_LABELS
from ..centers.models import Center, ClosureKind, SpaceKind
from ..errors import NotFound, SmartworkError
from ..extensions import limiter
from ..security import CSP
from ..timeutils import to_local, utcnow
from . import audit, board, closures, kiosk, qr, reports, spaces
from .forms import (
    ActionForm,
    BookingCancelForm,
    BookingMoveForm,
    ClosureForm,
    DeactivateForm,
    HoursForm,
    PolicyForm,
    ReportForm,
    SpaceForm,
    WalkInForm,
)

bp = Blueprint("operations", __name__, url_prefix="/operations")

manager_required = role_required(Role.CENTER_MANAGER, Role.ADMIN)
KIOSK_SESSION_KEY = "kiosk"


def _me():
    return current_user._get_current_object()


def _center(code: str) -> Center:
    """The center if the signed-in user manages it; 404 otherwise, so existence does not leak."""
    return center_services.get_managed_center(current_user, code)


def _put_error(form, error: SmartworkError) -> None:
    """Show a service refusal on its field, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(error.message)
    else:
        form.form_errors.append(error.message)


def _labels() -> dict:
    return {"space": SPACE_KIND_LABELS, "closure": CLOSURE_KIND_LABELS, "weekday": WEEKDAY_LABELS}


@bp.get("/")
@manager_required
def index():
    """The centers the user manages (every center for admins)."""
    user = _me()
    centers = (
        list(center_services.search_directory(center_services.DirectoryFilter(), 1, 1000).items)
        if user.has_role(Role.ADMIN)
        else center_services.managed_centers(user) or []
    )
    return render_template("operations/index.html", centers=centers)


# --- live board -------------------------------------------------------------------------------


@bp.get("/centers/<code>/")
@manager_required
def board_page(code: str):
    """The live board: spaces now, today's timeline, who is due, who is in."""
    center = _center(code)
    return render_template("operations/board.html", center=center, board=board.live_board(center, utcnow()),
                           action_form=ActionForm(), labels=_labels(),
                           kiosk_tokens=kiosk.active_token_count(center.id))


@bp.get("/centers/<code>/board")
@manager_required
def board_fragment(code: str):
    """Just the board's live part, for board.js to swap in every 30 seconds."""
    center = _center(code)
    return render_template("operations/_board.html", center=center, board=board.live_board(center, utcnow()),
                           action_form=ActionForm(), labels=_labels())


def _desk_action(code: str, booking_id: int, action) -> Response:
    center = _center(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(_me(), center, booking_id, now=utcnow())
    except NotFound:
        raise
    except SmartworkError as error:
        flash(error.message, "error")
    else:
        flash(_("Done."), "success")
    return redirect(url_for(".board_page", code=center.code), 303)


@bp.post("/centers/<code>/bookings/<int:booking_id>/check-in")
@manager_required
def check_in(code: str, booking_id: int):
    """Check a person in at the desk."""
    return _desk_action(code, booking_id, board.manager_check_in)


@bp.post("/centers/<code>/bookings/<int:booking_id>/check-out")
@manager_required
def check_out(code: str, booking_id: int):
    """Check a person out at the desk."""
    return _desk_action(code, booking_id, board.manager_check_out)


@bp.post("/centers/<code>/bookings/<int:booking_id>/no-show")
@manager_required
def no_show(code: str, booking_id: int):
    """Mark a booking as a no-show (released)."""
    return _desk_action(code, booking_id, board.mark_no_show)


def _booking_page(center: Center, booking_id: int, cancel_form: BookingCancelForm,
                  move_form: BookingMoveForm, status: int = 200):
    booking = board.center_booking(_me(), center, booking_id)
    move_form.space_id.choices = [(s.id, s.code) for s in board.move_targets(_me(), center, booking_id)]
    return render_template("operations/booking.html", center=center, booking=booking, cancel_form=cancel_form,
                           move_form=move_form, labels=_labels(), now=utcnow(),
                           status_text=status_label(booking.status)), status


@bp.get("/centers/<code>/bookings/<int:booking_id>")
@manager_required
def booking_page(code: str, booking_id: int):
    """One booking of the center: cancel it or move it to another space, with a reason."""
    center = _center(code)
    return _booking_page(center, booking_id, BookingCancelForm(formdata=None), BookingMoveForm(formdata=None))


@bp.post("/centers/<code>/bookings/<int:booking_id>/cancel")
@manager_required
def booking_cancel(code: str, booking_id: int):
    """Cancel one booking with a reason the holder reads."""
    center = _center(code)
    form = BookingCancelForm()
    if not form.validate_on_submit():
        return _booking_page(center, booking_id, form, BookingMoveForm(formdata=None), 422)
    try:
        board.manager_cancel(_me(), center, booking_id, form.reason.data, now=utcnow())
    except NotFound:
        raise
    except SmartworkError as error:
        _put_error(form, error)
        return _booking_page(center, booking_id, form, BookingMoveForm(formdata=None), error.status)
    flash(_("Booking cancelled; the person was notified."), "success")
    return redirect(url_for(".board_page", code=center.code), 303)


@bp.post("/centers/<code>/bookings/<int:booking_id>/move")
@manager_required
def booking_move(code: str, booking_id: int):
    """Move one booking to another free space with a reason the holder reads."""
    center = _center(code)
    form = BookingMoveForm()
    if not form.validate_on_submit():
        return _booking_page(center, booking_id, BookingCancelForm(formdata=None), form, 422)
    try:
        board.manager_move(_me(), center, booking_id, form.space_id.data, form.reason.data, now=utcnow())
    except NotFound:
        raise
    except SmartworkError as error:
        _put_error(form, error)
        return _booking_page(center, booking_id, BookingCancelForm(formdata=None), form, error.status)
    flash(_("Booking moved; the person was notified."), "success")
    return redirect(url_for(".board_page", code=center.code), 303)


# --- spaces -----------------------------------------------------------------------------------


@bp.get("/centers/<code>/spaces")
@manager_required
def space_list(code: str):
    """Every space of the center, active or not."""
    center = _center(code)
    return render_template("operations/spaces.html", center=center, labels=_labels(), action_form=ActionForm())


def _space_input(form: SpaceForm) -> spaces.SpaceInput:
    return spaces.SpaceInput(kind=SpaceKind(form.kind.data), code=form.code.data or "",
                             capacity=form.capacity.data or 0, features=spaces.parse_features(form.features.data))


@bp.route("/centers/<code>/spaces/new", methods=["GET", "POST"])
@manager_required
def space_new(code: str):
    """Add a space."""
    center = _center(code)
    form = SpaceForm()
    if form.validate_on_submit():
        try:
            space = spaces.create_space(_me(), center, _space_input(form), now=utcnow())
        except SmartworkError as error:
            _put_error(form, error)
            return render_template("operations/space_form.html", center=center, form=form, space=None), error.status
        flash(_("Space %(code)s added.", code=space.code), "success")
        return redirect(url_for(".space_list", code=center.code), 303)
    return render_template("operations/space_form.html", center=center, form=form, space=None), \
        422 if form.errors else 200


@bp.route("/centers/<code>/spaces/<int:space_id>/edit", methods=["GET", "POST"])
@manager_required
def space_edit(code: str, space_id: int):
    """Edit a space's kind, code, capacity and features."""
    center = _center(code)
    space = spaces.get_space(center, space_id)
    form = SpaceForm()
    if request.method == "GET":
        form.kind.data, form.code.data = space.kind.value, space.code
        form.capacity.data, form.features.data = space.capacity, ", ".join(space.features or [])
    if form.validate_on_submit():
        try:
            spaces.update_space(_me(), center, space.id, _space_input(form), now=utcnow())
        except SmartworkError as error:
            _put_error(form, error)
            return render_template("operations/space_form.html", center=center, form=form, space=space), \
                error.status
        flash(_("Space %(code)s saved.", code=space.code), "success")
        return redirect(url_for(".space_list", code=center.code), 303)
    return render_template("operations/space_form.html", center=center, form=form, space=space), \
        422 if form.errors else 200


@bp.route("/centers/<code>/spaces/<int:space_id>/deactivate", methods=["GET", "POST"])
@manager_required
def space_deactivate(code: str, space_id: int):
    """GET: what would happen to each future booking. POST: do it and say what happened to each."""
    center = _center(code)
    space = spaces.get_space(center, space_id)
    form = DeactivateForm()
    if form.validate_on_submit():
        try:
            outcomes = spaces.deactivate_space(_me(), center, space.id, form.reason.data or "", now=utcnow())
        except SmartworkError as error:
            flash(error.message, "error")
            return redirect(url_for(".space_list", code=center.code), 303)
        return render_template("operations/space_deactivated.html", center=center, space=space,
                               outcomes=outcomes)
    plan = spaces.deactivation_preview(center, space.id, now=utcnow())
    return render_template("operations/space_deactivate.html", center=center, space=space, plan=plan,
                           form=form), 422 if form.errors else 200


@bp.post("/centers/<code>/spaces/<int:space_id>/reactivate")
@manager_required
def space_reactivate(code: str, space_id: int):
    """Put a space back in service."""
    center = _center(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        space = spaces.reactivate_space(_me(), center, space_id, now=utcnow())
    except NotFound:
        raise
    except SmartworkError as error:
        flash(error.message, "error")
    else:
        flash(_("Space %(code)s is back in service.", code=space.code), "success")
    return redirect(url_for(".space_list", code=center.code), 303)


# --- closures and settings ----------------------------------------------------------------------


@bp.route("/centers/<code>/closures", methods=["GET", "POST"])
@manager_required
def closure_list(code: str):
    """Closures; adding one that hits bookings asks for confirmation first, listing them."""
    center = _center(code)
    form = ClosureForm()
    hits = None
    status = 200
    now = utcnow()
    if form.validate_on_submit():
        kind = ClosureKind(form.kind.data)
        try:
            if form.confirm.data != "yes":
                closures.validate_closure(center, kind, form.starts_on.data, form.ends_on.data, form.reason.data,
                                          now=now)
                hits = closures.closure_hits(center, form.starts_on.data, form.ends_on.data, now=now)
            if hits:
                form.confirm.data = "yes"  # the next POST of this form is the confirmation
            else:
                _closure, cancelled = closures.add_closure(
                    _me(), center, kind, form.starts_on.data, form.ends_on.data, form.reason.data, now=now)
                flash(ngettext_cancelled(len(cancelled)), "success")
                return redirect(url_for(".closure_list", code=center.code), 303)
        except SmartworkError as error:
            _put_error(form, error)
            status = error.status
    elif form.errors:
        status = 422
    return render_template("operations/closures.html", center=center, form=form, hits=hits,
                           closures=closures.list_closures(center, now), labels=_labels(),
                           action_form=ActionForm()), status


def ngettext_cancelled(count: int) -> str:
    """The flash after adding a closure."""
    return ngettext("Closure added; %(num)d booking was cancelled and its holder notified.",
                    "Closure added; %(num)d bookings were cancelled and their holders notified.", count)


@bp.post("/centers/<code>/closures/<int:closure_id>/delete")
@manager_required
def closure_delete(code: str, closure_id: int):
    """Remove a closure (cancelled bookings stay cancelled)."""
    center = _center(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    closures.remove_closure(_me(), center, closure_id, now=utcnow())
    flash(_("Closure removed."), "success")
    return redirect(url_for(".closure_list", code=center.code), 303)


def _settings_page(center: Center, hours_form: HoursForm, policy_form: PolicyForm, status: int = 200,
                   hours_hits=None):
    return render_template(
        "operations/settings.html", center=center, hours_form=hours_form, policy_form=policy_form,
        ranges=closures.POLICY_RANGES, defaults=closures.default_policy_values(), labels=_labels(),
        hours_hits=hours_hits, action_form=ActionForm(),
    ), status


def _filled_forms(center: Center) -> tuple[HoursForm, PolicyForm]:
    hours_form, policy_form = HoursForm(formdata=None), PolicyForm(formdata=None)
    for row in center.opening_hours:
        getattr(hours_form, f"opens_{row.weekday}").data = row.opens_at
        getattr(hours_form, f"closes_{row.weekday}").data = row.closes_at
    for key in closures.POLICY_RANGES:
        getattr(policy_form, key).data = (center.policy_overrides or {}).get(key)
    return hours_form, policy_form


@bp.get("/centers/<code>/settings")
@manager_required
def settings(code: str):
    """Opening hours and policy overrides."""
    center = _center(code)
    return _settings_page(center, *_filled_forms(center))


@bp.post("/centers/<code>/settings/hours")
@manager_required
def settings_hours(code: str):
    """Save opening hours per weekday."""
    center = _center(code)
    form = HoursForm()
    _unused, policy_form = _filled_forms(center)
    if not form.validate_on_submit():
        return _settings_page(center, form, policy_form, 422)
    hours: dict[int, tuple[time, time] | None] = {}
    for day in range(7):
        opens, closes = getattr(form, f"opens_{day}").data, getattr(form, f"closes_{day}").data
        if (opens is None) != (closes is None):
            getattr(form, f"closes_{day}").errors.append(_("Give both times, or neither (closed)."))
            return _settings_page(center, form, policy_form, 422)
        hours[day] = (opens, closes) if opens is not None else None
    now = utcnow()
    try:
        hits = closures.hours_hits(center, hours, now=now) if form.confirm.data != "yes" else []
        if hits:
            form.confirm.data = "yes"  # the next POST of this form is the confirmation
            return _settings_page(center, form, policy_form, 200, hours_hits=hits)
        _saved, cancelled = closures.update_opening_hours(_me(), center, hours, now=now)
    except SmartworkError as error:
        _put_error(form, error)
        return _settings_page(center, form, policy_form, error.status)
    flash(_("Opening hours saved.") if not cancelled else ngettext(
        "Opening hours saved; %(num)d booking was cancelled and its holder notified.",
        "Opening hours saved; %(num)d bookings were cancelled and their holders notified.", len(cancelled)),
        "success")
    return redirect(url_for(".settings", code=center.code), 303)


@bp.post("/centers/<code>/ready")
@manager_required
def center_ready(code: str):
    """Mark the (not yet open) center ready: the calendar opens it on its planned date."""
    center = _center(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        closures.mark_center_ready(_me(), center, now=utcnow())
    except SmartworkError as error:
        flash(error.message, "error")
    else:
        flash(_("Marked ready: the center opens on its planned date."), "success")
    return redirect(url_for(".settings", code=center.code), 303)


@bp.post("/centers/<code>/settings/policy")
@manager_required
def settings_policy(code: str):
    """Save the center's policy overrides."""
    center = _center(code)
    form = PolicyForm()
    hours_form, _unused = _filled_forms(center)
    if not form.validate_on_submit():
        return _settings_page(center, hours_form, form, 422)
    try:
        closures.update_policy(_me(), center, {key: getattr(form, key).data for key in closures.POLICY_RANGES},
                              now=utcnow())
    except SmartworkError as error:
        _put_error(form, error)
        return _settings_page(center, hours_form, form, error.status)
    flash(_("Booking rules saved."), "success")
    return redirect(url_for(".settings", code=center.code), 303)


@bp.get("/centers/<code>/history")
@manager_required
def history(code: str):
    """Every change made at the center: who, when, what."""
    center = _center(code)
    return render_template("operations/history.html", center=center, entries=audit.center_history(center.id))


# --- reports ----------------------------------------------------------------------------------


def _report_range(form: ReportForm):
    default_start, default_end = reports.default_range(utcnow())
    return form.start.data or default_start, form.end.data or default_end


@bp.get("/centers/<code>/reports")
@manager_required
def report(code: str):
    """Occupancy for a date range: charts (server-side SVG) and tables."""
    center = _center(code)
    form = ReportForm(request.args)
    form.validate()
    start, end = _report_range(form)
    form.start.data, form.end.data = start, end
    try:
        result = reports.build_report(center, start, end, SPACE_KIND_LABELS)
    except SmartworkError as error:
        _put_error(form, error)
        return render_template("operations/report.html", center=center, form=form, report=None,
                               labels=_labels(), percent=reports.percent), error.status
    return render_template("operations/report.html", center=center, form=form, report=result,
                           labels=_labels(), percent=reports.percent)


@bp.get("/centers/<code>/reports.csv")
@manager_required
def report_csv(code: str):
    """The report's tables as CSV."""
    center = _center(code)
    form = ReportForm(request.args)
    form.validate()
    start, end = _report_range(form)
    result = reports.build_report(center, start, end, SPACE_KIND_LABELS)
    filename = f"occupancy-{center.code}-{start.isoformat()}-{end.isoformat()}.csv"
    record_audit_now(AuditEventType.EXPORT, target=f"operations/{center.code}/reports.csv",
                     details={"start": start.isoformat(), "end": end.isoformat()})
    return Response(
        "\ufeff" + reports.report_csv(result, SPACE_KIND_LABELS),  # BOM: Excel opens Hangul correctly
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- QR sheet ---------------------------------------------------------------------------------


@bp.get("/centers/<code>/qr")
@manager_required
def qr_sheet(code: str):
    """A printable A4 sheet: one check-in QR code per active space."""
    center = _center(code)
    return render_template("operations/qr.html", center=center, labels=qr.qr_sheet(center),
                           kind_labels=SPACE_KIND_LABELS)


# --- kiosk ------------------------------------------------------------------------------------


def _kiosk_center(code: str) -> Center:
    """The center if this device may show its kiosk: a manager's session or a kiosk token."""
    center = center_services.get_center(code)
    if current_user.is_authenticated:
        if center_services.can_manage_center(current_user, center.id):
            return center
        if not has_role(current_user, Role.CENTER_MANAGER, Role.ADMIN):
            abort(403)
        raise NotFound(_("The page you asked for does not exist."), rule="center_not_found")
    credential = session.get(KIOSK_SESSION_KEY) or {}
    if credential.get("center_id") == center.id and kiosk.token_valid(center.id, credential.get("token")):
        return center
    abort(redirect(url_for("auth.login", next=request.path)))


def _framable(response: Response) -> Response:
    """The kiosk may be framed by this site (a wall display page), never by another."""
    response.headers["Content-Security-Policy"] = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _kiosk_page(center: Center, form: WalkInForm, status: int = 200) -> Response:
    response = Response(render_template(
        "operations/kiosk.html", center=center, free=board.free_spaces_now(center, utcnow()), form=form,
        kind_labels=SPACE_KIND_LABELS, is_manager=current_user.is_authenticated,
    ), status=status)
    return _framable(response)


@bp.get("/centers/<code>/kiosk")
def kiosk_page(code: str):
    """The entrance tablet: free spaces now and the walk-in form."""
    center = _kiosk_center(code)
    return _kiosk_page(center, WalkInForm(formdata=None))


@bp.get("/centers/<code>/kiosk/free")
def kiosk_fragment(code: str):
    """Just the list of free spaces, for board.js to refresh."""
    center = _kiosk_center(code)
    return _framable(Response(render_template(
        "operations/_kiosk_free.html", center=center, free=board.free_spaces_now(center, utcnow()),
        kind_labels=SPACE_KIND_LABELS,
    )))


@bp.post("/centers/<code>/kiosk/walk-in")
@limiter.limit("30 per minute")
def kiosk_walk_in(code: str):
    """Take a free space now: check the credentials, book until the chosen end, check in."""
    center = _kiosk_center(code)
    form = WalkInForm()
    if not form.validate_on_submit():
        return _kiosk_page(center, form, 422)
    try:
        space_id = int(form.space_id.data)
    except (TypeError, ValueError):
        abort(400)
    try:
        booking = kiosk.walk_in(center, form.identifier.data, form.password.data, space_id, form.ends_at.data,
                                now=utcnow())
    except SmartworkError as error:
        form.password.data = ""
        _put_error(form, error)
        return _kiosk_page(center, form, error.status)
    # No one was signed in; the message names the space, never the person (it is a shared screen).
    flash(_("Checked in at %(space)s until %(time)s. Enjoy your day!", space=booking.space.code,
            time=to_local(booking.ends_at).strftime("%H:%M")), "success")
    return redirect(url_for(".kiosk_page", code=center.code), 303)


@bp.post("/centers/<code>/kiosk/start")
@manager_required
def kiosk_start(code: str):
    """Turn this device into the center's kiosk: issue a token, sign the manager out."""
    center = _center(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    token = kiosk.issue_token(_me(), center, now=utcnow())
    logout_user()
    session[KIOSK_SESSION_KEY] = {"center_id": center.id, "token": token}
    return redirect(url_for(".kiosk_page", code=center.code), 303)


@bp.post("/centers/<code>/kiosk/revoke")
@manager_required
def kiosk_revoke(code: str):
    """Stop every kiosk tablet of the center."""
    center = _center(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    count = kiosk.revoke_tokens(_me(), center, now=utcnow())
    flash(ngettext("Kiosk mode ended on %(num)d device.", "Kiosk mode ended on %(num)d devices.", count), "success")
    return redirect(url_for(".board_page", code=center.code), 303)
