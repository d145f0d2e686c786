"""Sessions expire: after ``SESSION_IDLE_TIMEOUT`` without a request, and ``PERMANENT_SESSION_LIFETIME`` after sign-in.

The signed session cookie carries two instants (seconds since the epoch): when the person signed in
and when they were last seen. Every request checks both on the server, so a copied cookie, or a
browser that ignores the cookie's expiry, gains nothing. Whatever signs a person in (password,
SSO, certificate) goes through Flask-Login's ``login_user``; its signal stamps the session here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, current_app, flash, request, session
from flask_babel import lazy_gettext as _l
from flask_login import logout_user, user_logged_in, user_logged_out
from flask_login.config import COOKIE_NAME

from ..timeutils import utcnow

SIGNED_IN_AT = "_sw_signed_in_at"
SEEN_AT = "_sw_seen_at"
# Writing the last-seen instant on every request would re-send the cookie each time; a minute is enough.
SEEN_RESOLUTION = timedelta(minutes=1)
EXPIRED_MESSAGES = {
    "idle": _l("You were signed out after a period of inactivity. Please sign in again."),
    "absolute": _l("Your sign-in has expired. Please sign in again."),
}


def expiry_reason(signed_in_at: float | None, seen_at: float | None, now: datetime, *, idle: timedelta,
                  absolute: timedelta) -> str | None:
    """Why a session with these stamps is over at ``now`` ("idle", "absolute"), or None if it is not."""
    if signed_in_at is None or seen_at is None:
        return "absolute"  # a session without stamps was not made by login_user: refuse it
    stamp = now.timestamp()
    if stamp - signed_in_at >= absolute.total_seconds():
        return "absolute"
    if stamp - seen_at >= idle.total_seconds():
        return "idle"
    return None


def stamp_new_session(now: datetime | None = None) -> None:
    """Record the sign-in instant (kept across a re-login after a password change)."""
    stamp = (now or utcnow()).timestamp()
    session.setdefault(SIGNED_IN_AT, stamp)
    session[SEEN_AT] = stamp


def clear_stamps() -> None:
    """Forget the stamps (sign-out)."""
    session.pop(SIGNED_IN_AT, None)
    session.pop(SEEN_AT, None)


def enforce_session_limits(now: datetime | None = None) -> None:
    """Before each request: sign out an idle or too old session, else note that it was seen."""
    if "_user_id" not in session:
        # Flask-Login's remember-me cookie would start a session that no stamp bounds: none is
        # issued any more, and one left from an older release is refused and deleted.
        if current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
            session["_remember"] = "clear"
        return
    now = now or utcnow()
    if SIGNED_IN_AT not in session or SEEN_AT not in session:
        # Signed in before this check existed (or by a test helper): the limits count from now.
        session[SIGNED_IN_AT] = session[SEEN_AT] = now.timestamp()
        return
    reason = expiry_reason(session.get(SIGNED_IN_AT), session.get(SEEN_AT), now,
                           idle=current_app.config["SESSION_IDLE_TIMEOUT"],
                           absolute=current_app.config["PERMANENT_SESSION_LIFETIME"])
    if reason is not None:
        logout_user()  # its signal clears the stamps
        session.permanent = False
        flash(str(EXPIRED_MESSAGES[reason]), "info")
        return
    if now.timestamp() - session[SEEN_AT] >= SEEN_RESOLUTION.total_seconds():
        session[SEEN_AT] = now.timestamp()


def configure_session_expiry(app: Flask) -> None:
    """Stamp sessions at sign-in, clear them at sign-out, check them before every request."""

    def _on_login(_app, user=None, **_extra) -> None:
        stamp_new_session()

    def _on_logout(_app, user=None, **_extra) -> None:
        clear_stamps()

    user_logged_in.connect(_on_login, app, weak=False)
    user_logged_out.connect(_on_logout, app, weak=False)
    app.before_request(enforce_session_limits)
