"""My bookings: the list, cancel, check out, .ics, check-in by QR, the calendar feed, notifications."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ...centers.labels import SPACE_KIND_LABELS
from ...centers.models import Space
from ...database import read_first
from ...errors import NotFound, SmartworkError
from ...extensions import db
from ...timeutils import to_local, utcnow
from .. import services
from ..forms import ActionForm
from ..labels import STATUS_LABELS
from .common import bp, current

# --- my bookings ------------------------------------------------------------------------------


def _mine_page(error: SmartworkError | None = None, status: int = 200):
    """My bookings, with a refusal from the last action (and its status), if any."""
    user = current()
    mine_ = services.my_bookings(user)
    return render_template(
        "bookings/mine.html", mine=mine_, waitlist=services.my_waitlist(user),
        error=error, action_form=ActionForm(), status_labels=STATUS_LABELS,
        kind_labels=SPACE_KIND_LABELS, feed_created=services.feed_status(user),
        unread=services.unread_count(user), now=utcnow(),
    ), status


@bp.get("/mine")
@login_required
def mine():
    """Upcoming and past bookings, the waitlist, and links to the calendar and notifications."""
    return _mine_page()


def _booking_action(action, booking_id: int, done_message: str):
    """Run one POST action on a booking; refusals stay on My bookings with their status."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(current(), booking_id)
    except NotFound:
        raise
    except SmartworkError as error:
        return _mine_page(error, error.status)
    flash(done_message, "success")
    return redirect(url_for("bookings.mine"))


@bp.get("/<int:booking_id>/cancel")
@login_required
def cancel_confirm(booking_id: int):
    """Ask before cancelling (works without JavaScript); the button POSTs to ``cancel``."""
    booking = services.get_booking_for(current(), booking_id)
    return render_template("bookings/cancel.html", booking=booking)


@bp.post("/<int:booking_id>/cancel")
@login_required
@read_first
def cancel(booking_id: int):
    """Cancel a booking before it starts."""
    return _booking_action(services.cancel_booking, booking_id, _("The booking was cancelled."))


@bp.post("/<int:booking_id>/checkout")
@login_required
@read_first
def checkout(booking_id: int):
    """Check out early: the space is free again from the next slot."""
    return _booking_action(services.check_out, booking_id, _("You have checked out. Thank you."))


@bp.get("/<int:booking_id>.ics")
@login_required
def booking_ics(booking_id: int):
    """The booking as an iCalendar file; only its owner may download it."""
    user = current()
    booking = services.get_booking_for(user, booking_id)
    if booking.user_id != user.id:
        abort(404)
    return Response(
        services.ics_for_booking(booking), mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="smartwork-booking-{booking.id}.ics"'},
    )


# --- check-in by QR ---------------------------------------------------------------------------


@bp.route("/checkin/<int:space_id>", methods=["GET", "POST"])
@login_required
def checkin(space_id: int):
    """The space's QR code opens this page; the booking is found from the signed-in user."""
    user = current()
    status_now = services.checkin_status(user, space_id)  # 404 for an unknown space
    space = db.session.get(Space, space_id)
    form = ActionForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            booking = services.check_in(user, space.id)
        except SmartworkError as error:
            form.form_errors.append(error.message)
            status = error.status
            status_now = services.checkin_status(user, space.id)
        else:
            flash(_("You are checked in at %(space)s until %(end)s.", space=space.code,
                    end=to_local(booking.ends_at).strftime("%H:%M")), "success")
            return redirect(url_for("bookings.mine"))
    return render_template(
        "bookings/checkin.html", space=space, center=space.center, booking=status_now.booking,
        state=status_now.state, opens=status_now.opens_at, closes=status_now.closes_at, form=form,
    ), status


# --- calendar ---------------------------------------------------------------------------------


@bp.get("/calendar")
@login_required
def calendar():
    """The personal calendar feed: create, rotate or revoke its secret address."""
    return render_template(
        "bookings/calendar.html", created=services.feed_status(current()), feed_url=None, form=ActionForm()
    )


@bp.post("/calendar/token")
@login_required
def calendar_token():
    """Create (or rotate) the feed token; its address is shown only in this response."""
    if not ActionForm().validate_on_submit():
        abort(400)
    user = current()
    token = services.create_feed_token(user)
    feed_url = url_for("bookings.feed", token=token, _external=True)
    return render_template(
        "bookings/calendar.html", created=services.feed_status(user), feed_url=feed_url, form=ActionForm()
    )


@bp.post("/calendar/revoke")
@login_required
def calendar_revoke():
    """Revoke the feed: calendars subscribed to it stop updating."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if services.revoke_feed_token(current()):
        flash(_("The calendar address was revoked."), "success")
    else:
        flash(_("There was no calendar address to revoke."), "info")
    return redirect(url_for("bookings.calendar"))


@bp.get("/feed/<token>.ics")
def feed(token: str):
    """The public subscription feed behind a secret token (no sign-in; unknown or revoked: 404)."""
    return Response(services.calendar_feed(token), mimetype="text/calendar")


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def waitlist_leave(entry_id: int):
    """Leave the waitlist."""
    return _booking_action(services.leave_waitlist, entry_id, _("You have left the waitlist."))


# --- notifications ----------------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def notifications():
    """The in-app notifications, newest first."""
    user = current()
    items = [
        (notification, *services.render_notification(notification))
        for notification in services.list_notifications(user)
    ]
    return render_template("bookings/notifications.html", entries=items, unread=services.unread_count(user))


@bp.post("/notifications/read")
@login_required
def notifications_read():
    """Mark every notification read."""
    if not ActionForm().validate_on_submit():
        abort(400)
    services.mark_notifications_read(current())
    return redirect(url_for("bookings.notifications"))
