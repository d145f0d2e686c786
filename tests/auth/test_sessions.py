"""Sessions expire when idle (SESSION_IDLE_TIMEOUT) and after PERMANENT_SESSION_LIFETIME, checked on the server.

No sleeping and no wall-clock dates: the pure rule takes fixed instants, and the page tests move the
session's stored stamps back in time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smartwork.auth import sessions
from tests import factories as f

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=12)
HOME = "/"


@pytest.mark.parametrize(("signed_in", "seen", "reason"), [
    (T0 - timedelta(minutes=5), T0 - timedelta(minutes=29, seconds=59), None),
    (T0 - timedelta(minutes=30), T0 - timedelta(minutes=30), "idle"),
    (T0 - timedelta(hours=11, minutes=59), T0 - timedelta(minutes=1), None),
    (T0 - timedelta(hours=12), T0 - timedelta(minutes=1), "absolute"),
    (T0 - timedelta(hours=13), T0, "absolute"),
])
def test_the_expiry_rule(signed_in, seen, reason):
    assert sessions.expiry_reason(signed_in.timestamp(), seen.timestamp(), T0, idle=IDLE, absolute=ABSOLUTE) == reason


def test_a_session_without_stamps_is_refused_by_the_rule():
    assert sessions.expiry_reason(None, T0.timestamp(), T0, idle=IDLE, absolute=ABSOLUTE) == "absolute"


def test_a_session_from_before_the_check_is_stamped_at_its_next_request_then_expires(app, client, session):
    user = f.user()
    session.commit()
    f.login(client, user)
    with client.session_transaction() as stored:
        del stored[sessions.SIGNED_IN_AT], stored[sessions.SEEN_AT]
    assert client.get(HOME).status_code == 200
    shift(client, sessions.SEEN_AT, timedelta(minutes=30))
    assert client.get(HOME).status_code == 302


def shift(client, key: str, delta: timedelta) -> None:
    """Move one stored stamp of the client's session back by ``delta``."""
    with client.session_transaction() as stored:
        stored[key] = stored[key] - delta.total_seconds()


def test_an_idle_session_ends_after_thirty_minutes(app, client, session):
    user = f.user()
    session.commit()
    f.login(client, user)
    shift(client, sessions.SEEN_AT, timedelta(minutes=29))
    assert client.get(HOME).status_code == 200  # and the visit counts as activity
    with client.session_transaction() as stored:
        assert stored[sessions.SEEN_AT] > stored[sessions.SIGNED_IN_AT]
    shift(client, sessions.SEEN_AT, timedelta(minutes=30))
    response = client.get(HOME)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    with client.session_transaction() as stored:
        assert "_user_id" not in stored and sessions.SIGNED_IN_AT not in stored
    page = client.get(response.headers["Location"])
    with app.test_request_context():
        message = str(sessions.EXPIRED_MESSAGES["idle"])
    assert message in page.text


def test_an_active_session_still_ends_twelve_hours_after_sign_in(app, client, session):
    user = f.user()
    session.commit()
    f.login(client, user, remember="y")
    shift(client, sessions.SIGNED_IN_AT, timedelta(hours=11, minutes=59))
    assert client.get(HOME).status_code == 200
    shift(client, sessions.SIGNED_IN_AT, timedelta(minutes=1))
    assert client.get(HOME).status_code == 302


def test_the_idle_timeout_is_configurable(app_factory):
    from tests.auth.helpers import isolate

    app = isolate(app_factory(SESSION_IDLE_TIMEOUT=timedelta(minutes=5)))
    with app.app_context():
        user = f.user()
        from smartwork.extensions import db

        db.session.commit()
        client = app.test_client()
        f.login(client, user)
    shift(client, sessions.SEEN_AT, timedelta(minutes=4))
    assert client.get(HOME).status_code == 200
    shift(client, sessions.SEEN_AT, timedelta(minutes=5))
    assert client.get(HOME).status_code == 302


def test_a_password_change_keeps_the_original_sign_in_time(app, client, session):
    user = f.user()
    session.commit()
    f.login(client, user)
    with client.session_transaction() as stored:
        signed_in = stored[sessions.SIGNED_IN_AT]
    client.post("/auth/password", data={"current_password": f.PASSWORD, "new_password": "a quiet desk near home"})
    assert client.get(HOME).status_code == 200
    with client.session_transaction() as stored:
        assert stored[sessions.SIGNED_IN_AT] == signed_in  # no way to stretch the 12 hours


def test_keep_me_signed_in_cookie_expires_with_the_lifetime(app, client, session):
    user = f.user()
    session.commit()
    response = f.login(client, user, remember="y")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    expires = datetime.strptime(cookie.split("Expires=")[1].split(";")[0], "%a, %d %b %Y %H:%M:%S GMT")
    lifetime = expires.replace(tzinfo=UTC) - sessions.utcnow()
    assert timedelta(hours=11, minutes=58) < lifetime <= timedelta(hours=12)


def test_a_remember_me_cookie_from_an_older_release_signs_nobody_in_and_is_deleted(app, client, session):
    user = f.user()
    session.commit()
    from flask_login.utils import encode_cookie

    with app.test_request_context():
        value = encode_cookie(user.session_token)
    client.set_cookie("remember_token", value, domain=app.config["SERVER_NAME"])
    response = client.get(HOME)
    assert response.status_code == 302
    assert any(h.startswith("remember_token=;") for h in response.headers.getlist("Set-Cookie"))
