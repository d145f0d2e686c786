"""A stranger hammering an account cannot keep its owner out: known devices still sign in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from smartwork.auth import services
from smartwork.auth.devices import DEVICE_COOKIE
from smartwork.auth.models import KnownDevice, User
from smartwork.errors import Invalid
from smartwork.extensions import db
from tests import factories as f

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
WRONG = "wrong-password-1"
HOME = "/"


def device_cookie(client) -> str | None:
    cookie = client.get_cookie(DEVICE_COOKIE, domain=client.application.config["SERVER_NAME"], path="/auth/")
    return cookie.value if cookie else None


def test_the_attack_a_stranger_hammering_cannot_stop_the_owner_on_a_known_device(app, session):
    owner = f.user()
    session.commit()
    laptop = app.test_client()
    assert f.login(laptop, owner).status_code == 302  # the owner signed in here before
    laptop.post("/auth/logout")
    assert device_cookie(laptop)  # the device cookie outlives the sign-out

    stranger = app.test_client()
    answers = {f.login(stranger, owner, password=f"guess-{n:04d}-x").status_code for n in range(40)}
    assert answers == {422}
    locked = db.session.get(User, owner.id)
    db.session.refresh(locked)
    assert locked.lockouts == 1 and locked.is_locked(services.utcnow())  # attempts while locked do not count
    # Even the right password is refused to the stranger's browser ...
    assert f.login(stranger, owner).status_code == 422
    assert stranger.get(HOME).status_code == 302
    # ... and to a new browser of the owner's, but the owner's known laptop signs in.
    assert f.login(app.test_client(), owner).status_code == 422
    response = f.login(laptop, owner)
    assert response.status_code == 302
    assert laptop.get(HOME).status_code == 200
    db.session.refresh(locked)
    assert locked.is_locked(services.utcnow())  # the stranger stays locked out


def test_known_device_failures_lock_only_that_device(app, session):
    owner = f.user()
    session.commit()
    first = services.sign_in(owner.email, f.PASSWORD, now=T0)
    assert first.device_token
    token = first.device_token
    for _ in range(5):
        with pytest.raises(Invalid):
            services.sign_in(owner.email, WRONG, device_token=token, now=T0)
    assert db.session.get(User, owner.id).failed_logins == 0  # the account counted nothing
    device = session.scalar(select(KnownDevice))
    assert device.locked_until == T0 + timedelta(minutes=15)
    # A locked device is just an unknown browser: the account is open, so the right password works.
    assert services.sign_in(owner.email, f.PASSWORD, device_token=token, now=T0).user.id == owner.id


def test_a_known_device_gets_no_new_token_and_a_forged_or_foreign_one_is_not_trusted(app, session):
    owner, other = f.user(), f.user()
    session.commit()
    token = services.sign_in(owner.email, f.PASSWORD, now=T0).device_token
    other_token = services.sign_in(other.email, f.PASSWORD, now=T0).device_token
    assert services.sign_in(owner.email, f.PASSWORD, device_token=token, now=T0).device_token is None
    for _ in range(5):
        with pytest.raises(Invalid):
            services.sign_in(owner.email, WRONG, now=T0)
    assert db.session.get(User, owner.id).is_locked(T0)
    for forged in ("x" * 43, other_token, token + "x", "y" * 500):
        with pytest.raises(Invalid):
            services.sign_in(owner.email, f.PASSWORD, device_token=forged, now=T0)
    assert services.sign_in(owner.email, f.PASSWORD, device_token=token, now=T0).user.id == owner.id
    assert {d.token_hash for d in session.scalars(select(KnownDevice))} and token not in {
        d.token_hash for d in session.scalars(select(KnownDevice))}  # stored hashed


def test_a_device_unused_for_its_lifetime_is_forgotten(app, session):
    owner = f.user()
    session.commit()
    token = services.sign_in(owner.email, f.PASSWORD, now=T0).device_token
    later = T0 + app.config["KNOWN_DEVICE_LIFETIME"] + timedelta(minutes=1)
    for _ in range(5):
        with pytest.raises(Invalid):
            services.sign_in(owner.email, WRONG, now=later)
    with pytest.raises(Invalid):
        services.sign_in(owner.email, f.PASSWORD, device_token=token, now=later)


def test_the_kiosk_check_never_remembers_a_device(app, session):
    owner = f.user()
    session.commit()
    services.authenticate(owner.email, f.PASSWORD, now=T0)
    assert session.scalar(select(KnownDevice)) is None


def test_a_stranger_hammering_for_a_day_never_stops_the_owner_and_the_locks_grow(app, session):
    owner = f.user()
    session.commit()
    token = services.sign_in(owner.email, f.PASSWORD, now=T0).device_token
    now = T0
    for _hour in range(24):
        for _ in range(6):  # a burst of guesses every hour
            with pytest.raises(Invalid):
                services.sign_in(owner.email, WRONG, now=now)
        assert services.sign_in(owner.email, f.PASSWORD, device_token=token,
                                now=now + timedelta(minutes=1)).user.id == owner.id
        now += timedelta(hours=1)
    account = db.session.get(User, owner.id)
    # Locks of 15, 30, 60 min ... capped at a day: the stranger got far fewer than 24 bursts in.
    assert 3 <= account.lockouts < 24
    assert account.locked_until - now <= app.config["LOGIN_LOCKOUT_MAX"]
    assert account.is_locked(now)
