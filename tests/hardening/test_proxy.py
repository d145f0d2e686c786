"""Behind a proxy (issue 15 §2): X-Forwarded-* is believed only from TRUSTED_PROXIES; rate limits,
the audit log and the request see the real client, and forged headers from anyone else are ignored."""

from __future__ import annotations

import pytest
from flask import jsonify, request
from sqlalchemy import select

from smartwork.audit import AuditEvent, AuditEventType
from smartwork.extensions import db, limiter
from smartwork.security import TrustedProxyMiddleware, is_trusted_proxy, parse_networks
from tests import factories as f
from tests.hardening.conftest import build_world

PROXY = "10.0.0.7"
STRANGER = "203.0.113.9"


def _echo_app(app_factory, **overrides):
    """An app with a route that shows what the app believes about the request."""
    application = app_factory(TRUSTED_PROXIES=["10.0.0.0/24", "::1"], **overrides)

    @application.get("/_test/whoami")
    def whoami():
        return jsonify(remote=request.remote_addr, scheme=request.scheme, host=request.host,
                       peer=request.environ["smartwork.peer_addr"])

    return application


def _whoami(client, peer: str, **headers):
    return client.get("/_test/whoami", environ_base={"REMOTE_ADDR": peer}, headers=headers).json


def test_headers_from_an_untrusted_peer_are_ignored(app_factory):
    client = _echo_app(app_factory).test_client()
    seen = _whoami(client, STRANGER, **{"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https",
                                        "X-Forwarded-Host": "evil.example"})
    assert seen == {"remote": STRANGER, "scheme": "http", "host": "localhost.test", "peer": STRANGER}


def test_a_trusted_proxy_gives_the_rightmost_untrusted_hop(app_factory):
    client = _echo_app(app_factory).test_client()
    # The client forged "6.6.6.6"; the proxy appended the address it saw (198.51.100.20), then an
    # inner proxy of ours (10.0.0.3) appended its own.
    seen = _whoami(client, PROXY, **{"X-Forwarded-For": "6.6.6.6, 198.51.100.20, 10.0.0.3",
                                     "X-Forwarded-Proto": "https", "X-Forwarded-Host": "smartwork.go.kr"})
    assert seen == {"remote": "198.51.100.20", "scheme": "https", "host": "smartwork.go.kr", "peer": PROXY}


def test_garbage_in_the_header_is_not_believed(app_factory):
    client = _echo_app(app_factory).test_client()
    assert _whoami(client, PROXY, **{"X-Forwarded-For": "<script>"})["remote"] == PROXY
    assert _whoami(client, PROXY, **{"X-Forwarded-For": "1.2.3.4, nonsense"})["remote"] == PROXY
    assert _whoami(client, PROXY, **{"X-Forwarded-Host": "a b/c"})["host"] == "localhost.test"
    assert _whoami(client, PROXY, **{"X-Forwarded-Proto": "gopher"})["scheme"] == "http"


def test_ipv6_proxies_and_clients(app_factory):
    client = _echo_app(app_factory).test_client()
    assert _whoami(client, "::1", **{"X-Forwarded-For": "2001:db8::5"})["remote"] == "2001:db8::5"
    assert _whoami(client, "2001:db8::9", **{"X-Forwarded-For": "1.2.3.4"})["remote"] == "2001:db8::9"


def test_no_trusted_proxies_by_default(app_factory):
    application = app_factory()
    assert application.config["TRUSTED_PROXIES"] == []

    @application.get("/_test/remote")
    def remote():
        return request.remote_addr

    response = application.test_client().get("/_test/remote", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                             headers={"X-Forwarded-For": "1.2.3.4"})
    assert response.text == "127.0.0.1"


def test_the_peer_is_always_recorded_for_other_checks():
    seen = {}

    def inner(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    middleware = TrustedProxyMiddleware(inner, "10.0.0.1")
    middleware({"REMOTE_ADDR": STRANGER, "HTTP_X_FORWARDED_FOR": "1.1.1.1"}, lambda *a: None)
    assert seen["smartwork.peer_addr"] == STRANGER and seen["REMOTE_ADDR"] == STRANGER
    middleware({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.1.1.1"}, lambda *a: None)
    assert seen["smartwork.peer_addr"] == "10.0.0.1" and seen["REMOTE_ADDR"] == "1.1.1.1"
    assert is_trusted_proxy("10.0.0.1", ["10.0.0.0/30"]) and not is_trusted_proxy("10.0.0.9", ["10.0.0.0/30"])
    assert not is_trusted_proxy(None, ["10.0.0.0/30"]) and not is_trusted_proxy("10.0.0.1", [])


def test_a_bad_trusted_proxies_entry_is_refused():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        parse_networks(["10.0.0.1", "proxy.local"])


@pytest.fixture
def limited(app_factory):
    application = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                              RATELIMIT_SIGNIN="3 per minute", TRUSTED_PROXIES=[PROXY])
    limiter.reset()
    with application.app_context():
        yield application
    limiter.reset()


def _sign_in(client, user, peer: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/auth/login", data={"identifier": user.email, "password": "wrong"},
                       environ_base={"REMOTE_ADDR": peer}, headers=headers)


def test_clients_behind_the_proxy_have_their_own_limits_and_audit_addresses(limited):
    world = build_world()
    client = limited.test_client()
    clients = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]
    people = [world.employee, world.other, world.planner, world.admin]  # one each: no account lockout
    # Four clients, three failed sign-ins each, all through the one proxy: nobody is limited ...
    statuses = [_sign_in(client, person, PROXY, address).status_code
                for address, person in zip(clients, people, strict=True) for _ in range(3)]
    assert set(statuses) == {422}
    # ... until one client goes over its own limit.
    assert _sign_in(client, world.manager, PROXY, clients[0]).status_code == 429
    db.session.remove()
    addresses = db.session.scalars(
        select(AuditEvent.ip).where(AuditEvent.event == AuditEventType.SIGN_IN_FAILED)
    ).all()
    assert sorted(set(addresses)) == clients
    assert PROXY not in addresses


def test_forged_forwarded_for_from_a_non_proxy_does_not_dodge_the_limit(limited):
    world = build_world()
    client = limited.test_client()
    statuses = [_sign_in(client, world.employee, STRANGER, f"198.51.100.{n}").status_code for n in range(4)]
    assert statuses == [422, 422, 422, 429]
    db.session.remove()
    addresses = set(db.session.scalars(
        select(AuditEvent.ip).where(AuditEvent.event == AuditEventType.SIGN_IN_FAILED)
    ))
    assert addresses == {STRANGER}


def test_a_signed_in_session_still_works_through_the_proxy(limited):
    world = build_world()
    client = limited.test_client()
    response = client.post("/auth/login", data={"identifier": world.employee.email, "password": f.PASSWORD},
                           environ_base={"REMOTE_ADDR": PROXY},
                           headers={"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"})
    assert response.status_code == 302
    assert db.session.scalars(select(AuditEvent.ip).where(AuditEvent.event == AuditEventType.SIGN_IN)).all() == [
        "198.51.100.1"
    ]
