"""The employee's booking pages: find, day view, book, my bookings, check-in, calendar, series, waitlist.

One blueprint; each module adds its routes to it: ``search`` (find, a center's day, book, on behalf,
join the waitlist), ``mine`` (my bookings, check-in, calendar, notifications), ``recurring`` (series).
"""

from . import mine, recurring, search  # noqa: F401  (each registers its routes on bp)
from .common import bp

__all__ = ["bp"]
