"""Signals auth sends to the floors above it (DESIGN §4: a lower domain never imports a higher one).

``password_changed`` fires inside the use case's transaction, before its commit, whenever a
password is changed, reset or first set. Receivers (API tokens, the calendar feed) revoke what the
old password let someone create, flushing only, and return ``{label: count}`` so the page can say
what was revoked.
"""

from __future__ import annotations

from datetime import datetime

from blinker import Namespace

_signals = Namespace()

# sender: the User; keyword argument ``now``.
password_changed = _signals.signal("smartwork.auth.password-changed")


def announce_password_change(user, now: datetime) -> dict[str, int]:
    """Send ``password_changed`` and add up what the receivers revoked (only what was there)."""
    revoked: dict[str, int] = {}
    for _receiver, result in password_changed.send(user, now=now):
        for label, count in (result or {}).items():
            if count:
                revoked[label] = revoked.get(label, 0) + int(count)
    return revoked
