"""Kiosk services: tokens and the walk-in (book from now, check in, never sign in)."""

from __future__ import annotations

from datetime import time

import pytest

from smartwork.bookings.models import BookingStatus
from smartwork.errors import Invalid
from smartwork.extensions import db
from smartwork.operations import kiosk
from tests import factories
from tests.operations.helpers import NOW, at, booking, center_with_spaces, space


@pytest.fixture
def setup(app):
    center = center_with_spaces(desks=2, rooms=1)
    manager = factories.manager_of(center)
    walker = factories.user()
    db.session.commit()
    return center, manager, walker


def test_tokens_are_per_center_and_revocable(setup):
    center, manager, _walker = setup
    other = center_with_spaces(desks=1)
    token = kiosk.issue_token(manager, center, NOW)
    assert kiosk.token_valid(center.id, token)
    assert not kiosk.token_valid(other.id, token)
    assert not kiosk.token_valid(center.id, token + "x") and not kiosk.token_valid(center.id, None)
    assert kiosk.revoke_tokens(manager, center, NOW) == 1
    assert not kiosk.token_valid(center.id, token)


def test_walk_in_until_closing_time(setup):
    center, _manager, walker = setup
    made = kiosk.walk_in(center, walker.email, factories.PASSWORD, space(center, "D01").id, now=at("10:07"))
    assert made.status == BookingStatus.CHECKED_IN and made.checked_in_at == at("10:07")
    assert (made.starts_at, made.ends_at) == (at("10:00"), at("18:30"))  # from the current slot to closing


def test_walk_in_takes_a_room_for_one(setup):
    center, _manager, walker = setup
    made = kiosk.walk_in(center, walker.employee_number, factories.PASSWORD, space(center, "M01").id,
                         time(11, 0), now=NOW)
    assert made.attendees == 1 and made.ends_at == at("11:00")


def test_walk_in_end_rules(setup):
    center, _manager, walker = setup
    for chosen, rule in [(time(10, 0), "end_in_past"), (time(19, 0), "outside_hours"), (time(11, 10), "grid")]:
        with pytest.raises(Invalid) as refused:
            kiosk.walk_in(center, walker.email, factories.PASSWORD, space(center, "D01").id, chosen, now=NOW)
        assert refused.value.rule == rule


def test_walk_in_refuses_a_taken_space_and_bad_password(setup):
    center, _manager, walker = setup
    d1 = space(center, "D01")
    booking(d1, factories.user(), "09:30", "11:00")
    db.session.commit()
    with pytest.raises(Invalid) as taken:
        kiosk.walk_in(center, walker.email, factories.PASSWORD, d1.id, now=NOW)
    assert taken.value.rule == "space_taken"
    with pytest.raises(Invalid) as wrong:
        kiosk.walk_in(center, walker.email, "not-the-password-9", space(center, "D02").id, now=NOW)
    assert wrong.value.rule == "bad_credentials"
