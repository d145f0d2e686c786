"""A manager cancels someone's booking through the existing API endpoint, with a reason the holder reads."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from smartwork.api import tokens
from smartwork.bookings import services as booking_services
from smartwork.bookings.models import BookingStatus, Notification
from smartwork.extensions import db
from tests import factories
from tests.operations.helpers import DAY, NOW, booking, center_with_spaces, space


def _auth(user) -> dict[str, str]:
    secret = tokens.create_token(user, "test", ["read", "book"], 30).secret
    return {"Authorization": f"Bearer {secret}"}


def test_cancel_takes_an_optional_reason(client, app, monkeypatch):
    monkeypatch.setattr(booking_services, "utcnow", lambda: NOW)  # the endpoint reads the clock there
    center = center_with_spaces(desks=1)
    manager = factories.manager_of(center)
    holder = factories.user()
    later = booking(space(center, "D01"), holder, "14:00", "15:00", day=DAY + timedelta(days=1))
    mine = booking(space(center, "D01"), holder, "16:00", "17:00", day=DAY + timedelta(days=1))
    db.session.commit()
    url = f"/api/v1/bookings/{later.id}/cancel"
    too_long = client.post(url, json={"reason": "가" * 201}, headers=_auth(manager))
    assert too_long.status_code == 422
    done = client.post(url, json={"reason": "정전 점검"}, headers=_auth(manager))
    assert done.status_code == 200 and done.get_json()["status"] == "cancelled"
    reason = db.session.scalar(select(Notification.params).where(Notification.booking_id == later.id))["reason"]
    assert reason == "정전 점검"
    # Without a body, as before.
    assert client.post(f"/api/v1/bookings/{mine.id}/cancel", headers=_auth(holder)).status_code == 200
    db.session.expire_all()
    assert db.session.get(type(mine), mine.id).status == BookingStatus.CANCELLED
