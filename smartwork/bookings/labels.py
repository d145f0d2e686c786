"""Display labels of the bookings' enums; forms, views and services read them here."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import BookingStatus

STATUS_LABELS = {
    BookingStatus.RESERVED: _l("Reserved"),
    BookingStatus.CHECKED_IN: _l("Checked in"),
    BookingStatus.COMPLETED: _l("Completed"),
    BookingStatus.CANCELLED: _l("Cancelled"),
    BookingStatus.RELEASED: _l("Released (no-show)"),
}
