"""The booking pages' blueprint and the helpers its views share: the signed-in user, refusals on forms, form times."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ...errors import SmartworkError
from ...i18n import localized_name
from ...timeutils import local_to_utc, local_today, to_local
from ..forms import SERVICE_FIELDS, parse_clock

# The views modules add their routes to it; the package imports them all (views/__init__.py).
bp = Blueprint("bookings", "smartwork.bookings.views", url_prefix="/bookings")


def current():
    """The signed-in user as a model object (not the proxy)."""
    return current_user._get_current_object()


def english() -> bool:
    """True when the page is shown in English."""
    return str(get_locale() or "ko").startswith("en")


def put_error(form, error: SmartworkError) -> None:
    """Show a service refusal on the matching form field, else as a form error."""
    name = SERVICE_FIELDS.get(error.field or "", error.field or "")
    target = getattr(form, name, None) if name else None
    if target is not None and hasattr(target, "errors") and name != "csrf_token":
        if not isinstance(target.errors, list):
            target.errors = list(target.errors)
        target.errors.append(error.message)
    else:
        form.form_errors.append(error.message)


def interval(form) -> tuple:
    """The form's local date and grid times as a UTC [starts_at, ends_at)."""
    return (
        local_to_utc(form.date.data, parse_clock(form.start.data)),
        local_to_utc(form.date.data, parse_clock(form.end.data)),
    )


def booked_message(booking) -> str:
    """The flash after a booking: where and when."""
    local_start = to_local(booking.starts_at)
    return _(
        "Booked: %(center)s, space %(space)s, %(date)s %(start)s–%(end)s.",
        center=localized_name(booking.center), space=booking.space.code,
        date=local_start.strftime("%Y-%m-%d"), start=local_start.strftime("%H:%M"),
        end=to_local(booking.ends_at).strftime("%H:%M"),
    )


def day_from_args() -> date:
    """The ?date=YYYY-MM-DD of the request, or today when it is missing or malformed."""
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return local_today()
