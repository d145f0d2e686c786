"""Through the real app over HTTP: many people click "Book" for one space and slot at once → exactly one wins.

The app runs in a threaded werkzeug server on 127.0.0.1; each user signs in through the login form with
their own cookie jar; a barrier releases every POST together. Runs on file SQLite and on PostgreSQL.
"""

from __future__ import annotations

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import time, timedelta

from sqlalchemy import func, select
from werkzeug.serving import make_server

from smartwork.bookings.models import LIVE_STATUSES, Booking
from smartwork.centers.models import SpaceKind
from smartwork.extensions import db
from smartwork.timeutils import local_today
from tests import factories as f

PEOPLE = 12


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report redirects instead of following them (a 302 is the success answer of a form POST)."""

    def redirect_request(self, *args, **kwargs):
        return None


def _post(opener, url: str, data: dict) -> int:
    """POST a form; the HTTP status code, whatever it is."""
    body = urllib.parse.urlencode(data).encode()
    try:
        with opener.open(url, data=body, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_simultaneous_bookings_of_one_space_leave_exactly_one(app, app_factory):
    center = f.center(code="hot", hours=(time(0, 0), time(23, 59)), weekdays=tuple(range(7)),
                      spaces={SpaceKind.DESK: 1})
    people = [f.user() for _ in range(PEOPLE)]
    db.session.commit()
    space_id, emails = center.spaces[0].id, [person.email for person in people]
    db.session.close()  # hold no SQLite read lock while the server writes

    server_app = app_factory(SERVER_NAME=None)
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        openers = [
            urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                        _NoRedirect())
            for _ in emails
        ]
        with ThreadPoolExecutor(max_workers=4) as pool:
            logins = list(pool.map(
                lambda pair: _post(pair[0], f"{base}/auth/login", {"identifier": pair[1], "password": f.PASSWORD}),
                zip(openers, emails, strict=True),
            ))
        assert logins == [302] * PEOPLE

        day = local_today() + timedelta(days=1)
        form = {"space": str(space_id), "date": day.isoformat(), "start": "10:00", "end": "12:00"}
        barrier = threading.Barrier(PEOPLE)
        statuses: list[int] = []
        lock = threading.Lock()

        def click(opener) -> None:
            barrier.wait(timeout=30)
            status = _post(opener, f"{base}/bookings/centers/hot/book", form)
            with lock:
                statuses.append(status)

        clickers = [threading.Thread(target=click, args=(opener,)) for opener in openers]
        for clicker in clickers:
            clicker.start()
        for clicker in clickers:
            clicker.join(timeout=90)
    finally:
        server.shutdown()
        thread.join(timeout=10)

    assert sorted(statuses) == [302] + [409] * (PEOPLE - 1), statuses
    live = db.session.scalar(
        select(func.count()).select_from(Booking).where(Booking.space_id == space_id,
                                                        Booking.status.in_(LIVE_STATUSES))
    )
    assert live == 1
