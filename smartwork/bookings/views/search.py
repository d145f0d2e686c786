"""Finding a place and booking it: search, a center's day, book, book on behalf, join the waitlist."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ...auth import services as auth_services
from ...centers import services as center_services
from ...centers.labels import SPACE_KIND_LABELS
from ...centers.models import SpaceKind
from ...database import read_first
from ...errors import Invalid, NotFound, SmartworkError
from ...extensions import limiter
from ...security import config_limit
from ...timeutils import local_today, to_local
from .. import search, services
from ..forms import (
    GRID_TIMES,
    HOME_ORIGIN,
    WAITLIST_PREFIX,
    BookBestForm,
    BookSpaceForm,
    FindForm,
    OnBehalfForm,
    WaitlistForm,
    parse_clock,
)
from ..policies import effective_policy
from .common import booked_message, bp, current, day_from_args, english, interval, put_error
from .grid import grid_body

# --- find -------------------------------------------------------------------------------------


def _origin_choices(user) -> dict:
    """Where to search from: the user's home, or any 시군구 grouped by 시도 (travel days)."""
    in_english = english()
    choices: dict = {}
    if user.home_region_id:
        home = center_services.get_region(user.home_region_id)
        label = f"{home.name_en}, {home.sido_name_en}" if in_english else f"{home.sido_name_ko} {home.name_ko}"
        choices[_("My home")] = [(HOME_ORIGIN, _("My home (%(region)s)", region=label))]
    for region in center_services.list_regions():
        group = region.sido_name_en if in_english else region.sido_name_ko
        choices.setdefault(group, []).append((region.code, region.name_en if in_english else region.name_ko))
    return choices


def _find_form(user, formdata):
    form = FindForm(formdata=formdata)
    form.origin.choices = _origin_choices(user)
    if formdata is None or "date" not in formdata:
        form.date.data = local_today() + timedelta(days=1)
    if formdata is None or "origin" not in formdata:
        form.origin.data = HOME_ORIGIN if user.home_region_id else None
    return form


def _find_page(form, user, *, searched: bool, error: SmartworkError | None = None, status: int = 200,
               full_center=None):
    """Search (when the form is valid) and render the results page (and a refusal, if any)."""
    matches, origin_region = [], None
    if searched and form.validate():
        origin = form.origin.data
        try:
            result = search.find_centers(
                user, form.date.data, parse_clock(form.start.data), parse_clock(form.end.data),
                SpaceKind(form.kind.data), region_code=None if origin == HOME_ORIGIN else origin,
                attendees=form.attendees.data,
            )
            matches, origin_region = result.matches, result.region
        except NotFound:
            form.origin.errors.append(_("Pick a place from the list."))
        except SmartworkError as refusal:
            put_error(form, refusal)
    show_results = searched and not form.errors
    if error is not None:
        put_error(form, error)
    if status == 200 and form.errors:
        status = 422
    return render_template(
        "bookings/find.html", form=form, matches=matches, searched=show_results,
        origin_region=origin_region, kind_labels=SPACE_KIND_LABELS, full_center=full_center,
    ), status


@bp.get("/find")
@login_required
def find():
    """Open centers near home (or a chosen 시군구) with a free space for a date and time."""
    user = current()
    # Without a home region there is nothing to measure from until a place is picked.
    searched = user.home_region_id is not None or "origin" in request.args
    form = _find_form(user, request.args or None)
    return _find_page(form, user, searched=searched)


@bp.post("/book-best")
@limiter.limit(config_limit("RATELIMIT_BOOKING"))
@login_required
@read_first
def book_best():
    """One click from the results: book the best free space of a kind in one center."""
    user = current()
    form = BookBestForm()
    if not form.validate_on_submit():
        raise Invalid(_("The booking request was incomplete. Please search again."), rule="bad_request")
    center = center_services.get_center(form.center.data)
    try:
        booking = services.book_best_space(
            user, center.id, SpaceKind(form.kind.data), form.date.data,
            parse_clock(form.start.data), parse_clock(form.end.data), attendees=form.attendees.data,
        )
    except NotFound:
        raise
    except SmartworkError as error:
        # A center that filled up meanwhile drops out of the results: offer its waitlist here.
        full_center = center if error.rule == "center_full" else None
        return _find_page(_find_form(user, request.form), user, searched=True, error=error,
                          status=error.status, full_center=full_center)
    flash(booked_message(booking), "success")
    return redirect(url_for("bookings.mine", _anchor=f"booking-{booking.id}"))


# --- a center's day ---------------------------------------------------------------------------


def _space_choices(grid) -> list[tuple[int, str]]:
    return [
        (row.space.id, f"{row.space.code} · {SPACE_KIND_LABELS[row.space.kind]}") for row in grid.rows
    ]


def _day_page(center, day: date, kind: SpaceKind | None, form, *, waitlist_form=None, status: int = 200):
    """Render the day grid with its booking form (and a refusal, if any)."""
    user = current()
    grid = services.day_availability(center, day, user=user, kind=kind)
    form.space.choices = _space_choices(grid)
    if waitlist_form is None:
        waitlist_form = WaitlistForm(formdata=None, prefix=WAITLIST_PREFIX, center=center.code, date=day,
                                     kind=(kind or SpaceKind.DESK).value)
    day_url = url_for("bookings.day", code=center.code, date=day.isoformat(), kind=kind.value if kind else None)
    return render_template(
        "bookings/day.html", center=center, grid=grid, day=day, kind=kind, form=form,
        grid_body=grid_body(grid, day_url, _free_runs(grid, effective_policy(center).max_minutes)),
        waitlist_form=waitlist_form, kind_labels=SPACE_KIND_LABELS,
        prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1), today=local_today(),
        can_book_for_others=center_services.can_manage_center(user, center.id),
    ), status


def _free_runs(grid, max_minutes: int) -> dict:
    """For each free cell, the end of its run of free cells (capped), URL-quoted: the link's suggested end.

    One backward pass per row, and each distinct end formatted once (a large center has ~800 cells).
    """
    cap = timedelta(minutes=max_minutes)
    quoted: dict = {}
    runs: dict = {}
    for row in grid.rows:
        cells = row.cells
        run_end = None
        for index in range(len(cells) - 1, -1, -1):
            cell = cells[index]
            if cell.state != "free":
                run_end = None
                continue
            run_end = run_end or cell.ends_at
            stop = min(run_end, cell.starts_at + cap)
            if stop not in quoted:
                quoted[stop] = quote(to_local(stop).strftime("%H:%M"))
            runs[(row.space.id, index)] = quoted[stop]
    return runs


@bp.get("/centers/<code>/day")
@login_required
def day(code: str):
    """A center's spaces × 30-minute slots for a day: free, taken, closed, past or yours."""
    center = center_services.get_center(code)
    day_ = day_from_args()
    kind = request.args.get("kind") or None
    kind = SpaceKind(kind) if kind in {k.value for k in SpaceKind} else None
    form = BookSpaceForm(formdata=None, date=day_)
    space_arg = request.args.get("space", type=int)
    if space_arg:
        form.space.data = space_arg
    if request.args.get("start") in GRID_TIMES:
        form.start.data = request.args["start"]
    if request.args.get("end") in GRID_TIMES[1:]:
        form.end.data = request.args["end"]
    return _day_page(center, day_, kind, form)


@bp.post("/centers/<code>/book")
@limiter.limit(config_limit("RATELIMIT_BOOKING"))
@login_required
@read_first
def book_space(code: str):
    """Book one space of the center's day view."""
    center = center_services.get_center(code)
    form = BookSpaceForm()
    form.space.choices = [(space.id, space.code) for space in center.spaces]
    day_ = form.date.data or local_today()
    if not form.validate_on_submit():
        return _day_page(center, day_, None, form, status=422)
    starts_at, ends_at = interval(form)
    try:
        booking = services.create_booking(
            current(), form.space.data, starts_at, ends_at, attendees=form.attendees.data,
        )
    except NotFound:
        raise
    except SmartworkError as error:
        put_error(form, error)
        return _day_page(center, day_, None, form, status=error.status)
    flash(booked_message(booking), "success")
    return redirect(url_for("bookings.mine", _anchor=f"booking-{booking.id}"))


@bp.route("/centers/<code>/on-behalf", methods=["GET", "POST"])
@limiter.limit(config_limit("RATELIMIT_BOOKING"), methods=["POST"])
@login_required
def on_behalf(code: str):
    """Managers (of this center) and admins book a space for an employee, recorded as booked_by."""
    user = current()
    center = center_services.get_center(code)
    if not center_services.can_manage_center(user, center.id):
        abort(403)
    form = OnBehalfForm(formdata=request.form if request.method == "POST" else None)
    form.space.choices = [
        (space.id, f"{space.code} · {SPACE_KIND_LABELS[space.kind]}") for space in center.spaces if space.is_active
    ]
    if request.method == "GET":
        form.date.data = day_from_args()
        return render_template("bookings/on_behalf.html", center=center, form=form)
    status = 422
    if form.validate_on_submit():
        employee = auth_services.find_user_by_identifier(form.employee_number.data.strip())
        if employee is None:
            form.employee_number.errors.append(_("No account has this employee number."))
        else:
            starts_at, ends_at = interval(form)
            try:
                booking = services.create_booking(
                    user, form.space.data, starts_at, ends_at, attendees=form.attendees.data,
                    on_behalf_of=employee,
                )
            except SmartworkError as error:
                if error.status == 404:
                    raise
                put_error(form, error)
                status = error.status
            else:
                flash(_("Booked for %(name)s (%(number)s): space %(space)s, %(date)s %(start)s–%(end)s.",
                        name=employee.name, number=employee.employee_number, space=booking.space.code,
                        date=form.date.data.isoformat(), start=form.start.data, end=form.end.data), "success")
                return redirect(url_for("bookings.day", code=center.code, date=form.date.data.isoformat()))
    return render_template("bookings/on_behalf.html", center=center, form=form), status


# --- waitlist ---------------------------------------------------------------------------------


@bp.post("/waitlist")
@login_required
def waitlist_join():
    """Join the waitlist for a center, day, time and space kind (from the search or the day view)."""
    user = current()
    form = WaitlistForm(prefix=WAITLIST_PREFIX)
    center = center_services.get_center(form.center.data or "")
    day_ = form.date.data or local_today()
    if not form.validate_on_submit():
        book_form = BookSpaceForm(formdata=None, date=day_)
        return _day_page(center, day_, None, book_form, waitlist_form=form, status=422)
    starts_at, ends_at = interval(form)
    try:
        services.join_waitlist(
            user, center.id, SpaceKind(form.kind.data), starts_at, ends_at, attendees=form.attendees.data,
        )
    except NotFound:
        raise
    except SmartworkError as error:
        put_error(form, error)
        book_form = BookSpaceForm(formdata=None, date=day_)
        return _day_page(center, day_, SpaceKind(form.kind.data), book_form, waitlist_form=form,
                         status=error.status)
    flash(_("You are on the waitlist. If a space frees up, it is booked for you and you are told."), "success")
    return redirect(url_for("bookings.mine", _anchor="waitlist"))


