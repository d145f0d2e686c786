"""Recurring bookings: a weekly series, its result, cancel one date or the rest."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from ...centers import services as center_services
from ...centers.labels import SPACE_KIND_LABELS, WEEKDAY_LABELS
from ...centers.models import CenterStatus
from ...errors import NotFound, SmartworkError
from ...extensions import db, limiter
from ...security import config_limit
from ...timeutils import local_today, utcnow
from .. import services
from ..forms import ActionForm, SeriesForm, parse_clock
from ..labels import STATUS_LABELS
from .common import bp, current, day_from_args, put_error


@bp.route("/series/new", methods=["GET", "POST"])
@limiter.limit(config_limit("RATELIMIT_BOOKING"), methods=["POST"])
@login_required
def series_new():
    """Book one space weekly on chosen weekdays for up to 8 weeks."""
    user = current()
    code = request.values.get("center", "")
    if not code:
        centers = list(db.session.scalars(center_services.directory_query(
            center_services.DirectoryFilter(status=CenterStatus.OPEN))))
        return render_template("bookings/series_pick_center.html", centers=centers)
    center = center_services.get_center(code)
    form = SeriesForm(formdata=request.form if request.method == "POST" else None)
    form.space.choices = [
        (space.id, f"{space.code} · {SPACE_KIND_LABELS[space.kind]}") for space in center.spaces if space.is_active
    ]
    if request.method == "GET":
        form.first_day.data = day_from_args() if request.args.get("date") else local_today() + timedelta(days=1)
        form.weekdays.data = [str(form.first_day.data.weekday())]
        if request.args.get("space", type=int):
            form.space.data = request.args.get("space", type=int)
        return render_template("bookings/series_new.html", center=center, form=form)
    status = 422
    if form.validate_on_submit():
        try:
            result = services.create_series(
                user, form.space.data, [int(d) for d in form.weekdays.data],
                parse_clock(form.start.data), parse_clock(form.end.data), form.first_day.data,
                form.weeks.data, attendees=form.attendees.data,
            )
        except SmartworkError as error:
            if error.status == 404:
                raise
            put_error(form, error)
            status = error.status
        else:
            return render_template(
                "bookings/series_result.html", result=result, series=result.series,
                weekday_labels=WEEKDAY_LABELS,
            ), 201
    return render_template("bookings/series_new.html", center=center, form=form), status


def _series_page(series_id: int, error: SmartworkError | None = None, status: int = 200):
    series = services.get_series_for(current(), series_id)
    return render_template(
        "bookings/series.html", series=series, error=error, action_form=ActionForm(),
        status_labels=STATUS_LABELS, weekday_labels=WEEKDAY_LABELS, now=utcnow(),
    ), status


@bp.get("/series/<int:series_id>")
@login_required
def series_detail(series_id: int):
    """A series: its dates and their status; cancel one date or the rest."""
    return _series_page(series_id)


@bp.post("/series/<int:series_id>/cancel/<int:booking_id>")
@login_required
def series_cancel_one(series_id: int, booking_id: int):
    """Cancel one date of the series."""
    user = current()
    series = services.get_series_for(user, series_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if booking_id not in {booking.id for booking in series.bookings}:
        abort(404)
    try:
        services.cancel_series_occurrence(user, booking_id)
    except NotFound:
        raise
    except SmartworkError as error:
        return _series_page(series_id, error, error.status)
    flash(_("That date was cancelled."), "success")
    return redirect(url_for("bookings.series_detail", series_id=series_id))


@bp.post("/series/<int:series_id>/cancel-rest")
@login_required
def series_cancel_rest(series_id: int):
    """Cancel every future date of the series and stop it."""
    user = current()
    services.get_series_for(user, series_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        count = services.cancel_series_rest(user, series_id)
    except NotFound:
        raise
    except SmartworkError as error:
        return _series_page(series_id, error, error.status)
    flash(ngettext("The rest of the series was cancelled (%(num)d date).",
                   "The rest of the series was cancelled (%(num)d dates).", count), "success")
    return redirect(url_for("bookings.series_detail", series_id=series_id))


