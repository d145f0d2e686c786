"""The employee's booking pages: find, day view, book, my bookings, check-in, calendar, series, waitlist.

One blueprint; each module adds its routes to it: ``search`` (find, a center's day, book, on behalf,
join the waitlist), ``mine`` (my bookings, check-in, calendar, notifications), ``recurring`` (series).
"""

from flask import Blueprint

bp = Blueprint("bookings", __name__, url_prefix="/bookings")

from . import mine, recurring, search  # noqa: E402,F401  (registers the routes on bp)
