"""Database plumbing: the UTC column type and SQLite's read-only marking after a refusal."""

from __future__ import annotations

from datetime import datetime

import pytest

from smartwork.bookings import services
from smartwork.database import UTCDateTime, sqlite_read_only
from smartwork.errors import SmartworkError
from tests import factories as f


def test_utc_column_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1, 9, 0), dialect=None)


def test_a_refused_use_case_leaves_the_rest_of_the_request_read_only(app):
    user = f.user()
    f.center()
    from smartwork.extensions import db

    db.session.commit()
    token = sqlite_read_only.set(False)  # as before_request does for a POST (teardown resets it)
    try:
        with app.test_request_context("/bookings/x", method="POST"):
            with pytest.raises(SmartworkError):
                services.cancel_booking(user, 999_999)
            assert sqlite_read_only.get() is True
    finally:
        sqlite_read_only.reset(token)
    token = sqlite_read_only.set(False)
    try:
        with pytest.raises(SmartworkError):
            services.cancel_booking(user, 999_999)  # outside a request (jobs, CLI): nothing changes
        assert sqlite_read_only.get() is False
    finally:
        sqlite_read_only.reset(token)
