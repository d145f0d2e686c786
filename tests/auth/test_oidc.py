"""SSO sign-in end to end against a real OpenID Connect provider process (tests/auth/oidc_provider.py).

The provider runs as its own HTTP server with its own RSA key; the app fetches its discovery
document and JWKS, exchanges codes with PKCE and verifies every id_token, as in production.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from smartwork.audit import AuditEvent
from smartwork.auth.models import User, UserStatus
from smartwork.auth.providers import SigninRefused, get_provider, oidc
from smartwork.auth.providers.models import ExternalIdentity, OidcSignin
from smartwork.extensions import db
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "smartwork-test", "client-secret-for-tests"
CALLBACK = "http://localhost.test/auth/sso/gov/callback"


@pytest.fixture(scope="session")
def oidc_provider():
    """The provider process on a free port of 127.0.0.1, with this app registered as a client."""
    process = subprocess.Popen([sys.executable, "-m", "tests.auth.oidc_provider"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(process.stdout.readline().strip())
        url = f"http://127.0.0.1:{port}"
        response = requests.put(f"{url}/clients/{CLIENT_ID}", timeout=10,
                                json={"secret": CLIENT_SECRET, "redirect_uris": [CALLBACK]})
        assert response.status_code == 204
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def provider_settings(url: str, **extra) -> dict:
    return {"name": "gov", "type": "oidc", "label_ko": "정부 통합인증", "label_en": "Government SSO",
            "issuer": url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": "openid profile",
            "claim": "employee_number", **extra}


@pytest.fixture
def sso_app(app_factory, oidc_provider):
    application = app_factory(SIGNIN_PROVIDERS=[provider_settings(oidc_provider)])
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def client(sso_app):
    return sso_app.test_client()


_subjects = iter(range(1, 10_000))


def provider_user(provider_url: str, *, employee_number: str | None, claims: dict | None = None,
                  id_token: dict | None = None) -> str:
    """Register a person at the provider; returns their subject (login name there)."""
    sub = f"sso-subject-{next(_subjects)}-{employee_number}"
    body = {"claims": {"name": "김철수", **({"employee_number": employee_number} if employee_number else {}),
                       **(claims or {})}, "id_token": id_token or {}}
    assert requests.put(f"{provider_url}/users/{sub}", json=body, timeout=10).status_code == 204
    return sub


def authorize_at_provider(authorization_url: str, sub: str) -> str:
    """What the person's browser does at the provider: open its form, sign in; returns the callback URL."""
    page = requests.get(authorization_url, timeout=10)
    assert page.status_code == 200 and "<form" in page.text, page.text
    answer = requests.post(authorization_url, data={"username": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def start(client, next_path: str | None = None) -> str:
    response = client.get("/auth/sso/gov" + (f"?next={next_path}" if next_path else ""))
    assert response.status_code == 302, response.text
    return response.location


def sign_in_via_sso(client, provider_url: str, sub: str, next_path: str | None = None):
    callback = authorize_at_provider(start(client, next_path), sub)
    assert callback.startswith(CALLBACK)
    return client.get(callback)


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def audit(kind: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.event == kind).order_by(AuditEvent.id)))


def test_the_sign_in_page_shows_the_provider_button(client):
    page = client.get("/auth/login?next=/bookings/mine")
    assert page.status_code == 200
    assert "정부 통합인증" in page.text
    assert "/auth/sso/gov?next=/bookings/mine" in page.text.replace("%2F", "/")
    assert 'name="password"' in page.text  # password sign-in stays on by default


def test_password_login_can_be_switched_off(app_factory, oidc_provider):
    application = app_factory(SIGNIN_PROVIDERS=[provider_settings(oidc_provider)], PASSWORD_LOGIN_ENABLED=False)
    with application.app_context():
        user = f.user()
        db.session.commit()
        client = application.test_client()
        page = client.get("/auth/login")
        assert "정부 통합인증" in page.text and 'name="password"' not in page.text
        assert f.login(client, user).status_code == 403
        assert not signed_in(client)
        db.session.remove()


def test_a_known_active_employee_signs_in(client, oidc_provider):
    user = f.user(employee_number="MOIS-0001")
    db.session.commit()
    sub = provider_user(oidc_provider, employee_number="MOIS-0001")
    authorization_url = start(client, "/bookings/mine")
    query = parse_qs(urlsplit(authorization_url).query)
    assert authorization_url.startswith(oidc_provider + "/authorize")
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["client_id"] == [CLIENT_ID]
    response = client.get(authorize_at_provider(authorization_url, sub))
    assert response.status_code == 302 and response.location.endswith("/bookings/mine")
    assert signed_in(client)
    [event] = audit("sign_in")
    assert event.actor_id == user.id
    assert event.details["method"] == "oidc" and event.details["subject"] == sub
    identity = db.session.scalar(select(ExternalIdentity))
    assert (identity.provider, identity.subject, identity.user_id) == ("gov", sub, user.id)
    assert db.session.scalar(select(OidcSignin)).used_at is not None


def refused(response, rule: str, korean: str) -> None:
    assert response.status_code == 403, response.text
    assert korean in response.text, response.text
    assert rule in response.text
    assert "로그인하지 못했습니다" in response.text  # the page says so in Korean first


def test_a_token_for_another_audience_is_refused(client, oidc_provider):
    f.user(employee_number="AUD-1")
    db.session.commit()
    sub = provider_user(oidc_provider, employee_number="AUD-1", id_token={"aud": "another-application"})
    refused(sign_in_via_sso(client, oidc_provider, sub), "sso_wrong_audience", "다른 응용 프로그램")
    assert not signed_in(client)
    [event] = audit("sign_in_failed")
    assert event.details["rule"] == "sso_wrong_audience" and event.details["aud"] == "another-application"
    assert audit("sign_in") == []


def test_an_expired_token_is_refused(client, oidc_provider):
    f.user(employee_number="EXP-1")
    db.session.commit()
    sub = provider_user(oidc_provider, employee_number="EXP-1", id_token={"lifetime": -600})
    refused(sign_in_via_sso(client, oidc_provider, sub), "sso_token_expired", "만료")
    assert not signed_in(client)
    assert [e.details["rule"] for e in audit("sign_in_failed")] == ["sso_token_expired"]


def test_a_token_signed_with_another_key_is_refused(client, oidc_provider):
    f.user(employee_number="SIG-1")
    db.session.commit()
    sub = provider_user(oidc_provider, employee_number="SIG-1", id_token={"foreign_key": True})
    refused(sign_in_via_sso(client, oidc_provider, sub), "sso_token_invalid", "확인할 수 없어")
    assert not signed_in(client)


def test_an_unknown_employee_number_is_refused_and_not_created(client, oidc_provider):
    sub = provider_user(oidc_provider, employee_number="NOBODY-9")
    response = sign_in_via_sso(client, oidc_provider, sub)
    refused(response, "sso_unknown_employee", "NOBODY-9")
    assert db.session.scalar(select(User).where(User.employee_number == "NOBODY-9")) is None
    [event] = audit("sign_in_failed")
    assert event.details["rule"] == "sso_unknown_employee" and event.actor_label == "NOBODY-9"


def test_an_inactive_account_is_refused(client, oidc_provider):
    f.user(employee_number="SUS-1", status=UserStatus.SUSPENDED)
    db.session.commit()
    sub = provider_user(oidc_provider, employee_number="SUS-1")
    refused(sign_in_via_sso(client, oidc_provider, sub), "account_suspended", "정지")
    assert not signed_in(client)


def test_a_missing_employee_claim_is_refused(client, oidc_provider):
    sub = provider_user(oidc_provider, employee_number=None)
    refused(sign_in_via_sso(client, oidc_provider, sub), "sso_claim_missing", "사번")


def test_a_replayed_state_is_refused(sso_app, client, oidc_provider):
    f.user(employee_number="RPL-1")
    db.session.commit()
    sub = provider_user(oidc_provider, employee_number="RPL-1")
    authorization_url = start(client)
    cookie_before = client.get_cookie("session", domain="localhost.test").value  # what an attacker could have copied
    callback = authorize_at_provider(authorization_url, sub)
    assert client.get(callback).status_code == 302 and signed_in(client)

    # The same browser, signed out, opens the callback again: its session no longer expects that state.
    client.post("/auth/logout")
    refused(client.get(callback), "sso_state_mismatch", "다시 시작")
    # Another browser carrying the session cookie from before the callback: the state is spent.
    attacker = sso_app.test_client()
    attacker.set_cookie("session", cookie_before, domain="localhost.test")
    refused(attacker.get(callback), "sso_state_replayed", "이미 사용")
    assert not signed_in(attacker)
    assert [e.details["rule"] for e in audit("sign_in_failed")] == ["sso_state_mismatch", "sso_state_replayed"]


def test_a_callback_started_in_another_browser_is_refused(sso_app, client, oidc_provider):
    """Login CSRF: an attacker's own callback URL planted on a victim's browser signs nobody in."""
    f.user(employee_number="CSRF-1")
    db.session.commit()
    sub = provider_user(oidc_provider, employee_number="CSRF-1")
    attacker = sso_app.test_client()
    callback = authorize_at_provider(start(attacker), sub)
    refused(client.get(callback), "sso_state_mismatch", "다시 시작")
    assert not signed_in(client)


def test_an_error_from_the_provider_is_refused(client):
    authorization_url = start(client)
    state = parse_qs(urlsplit(authorization_url).query)["state"][0]
    response = client.get(f"/auth/sso/gov/callback?error=access_denied&state={state}")
    refused(response, "sso_provider_error", "정부 통합인증")


def test_the_state_expires(sso_app, oidc_provider):
    provider = get_provider("gov", "oidc")
    t0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    with sso_app.test_request_context():
        _url, state = oidc.begin_signin(provider, redirect_uri=CALLBACK, next_url=None, now=t0)
        with pytest.raises(SigninRefused) as refusal:
            oidc.complete_signin(provider, state=state, expected_state=state, code="any", error=None,
                                 redirect_uri=CALLBACK, now=t0 + timedelta(minutes=11))
    assert refusal.value.rule == "sso_state_expired"


def test_accounts_are_created_only_for_listed_agencies(app_factory, oidc_provider):
    application = app_factory(SIGNIN_PROVIDERS=[provider_settings(oidc_provider, auto_create_agencies=["AUTO"])])
    with application.app_context():
        f.agency(code="AUTO")
        f.agency(code="OTHER")
        db.session.commit()
        listed = provider_user(oidc_provider, employee_number="NEW-1",
                               claims={"agency_code": "AUTO", "email": "new.one@korea.kr"})
        unlisted = provider_user(oidc_provider, employee_number="NEW-2",
                                 claims={"agency_code": "OTHER", "email": "new.two@korea.kr"})
        client = application.test_client()
        refused(sign_in_via_sso(client, oidc_provider, unlisted), "sso_unknown_employee", "NEW-2")
        assert sign_in_via_sso(client, oidc_provider, listed).status_code == 302
        assert signed_in(client)
        created = db.session.scalar(select(User).where(User.employee_number == "NEW-1"))
        assert created.status == UserStatus.ACTIVE and created.agency.code == "AUTO"
        assert created.password_hash is None and created.name == "김철수"
        assert db.session.scalar(select(User).where(User.employee_number == "NEW-2")) is None
        assert audit("sign_in")[-1].details.get("created") is True
        db.session.remove()


def test_an_unknown_provider_is_not_found(client):
    assert client.get("/auth/sso/nope").status_code == 404
    assert client.get("/auth/sso/nope/callback?state=x&code=y").status_code == 404


def test_an_unreachable_provider_answers_a_clear_page(app_factory, oidc_provider):
    from tests.auth.pki import free_port

    application = app_factory(SIGNIN_PROVIDERS=[provider_settings(f"http://127.0.0.1:{free_port()}")])
    with application.app_context():
        response = application.test_client().get("/auth/sso/gov")
        assert response.status_code == 503 and "연결할 수 없습니다" in response.text
        assert [e.details["rule"] for e in audit("sign_in_failed")] == ["sso_unavailable"]
        db.session.remove()


@pytest.mark.parametrize("entry", [
    {"name": "Bad Name", "type": "oidc"},
    {"name": "x", "type": "saml"},
    {"name": "x", "type": "oidc", "issuer": "https://idp"},  # no client id or secret
    {"name": "x", "type": "certificate", "match": "fingerprint"},
])
def test_a_mistyped_provider_fails_loudly(app_factory, entry):
    application = app_factory(SIGNIN_PROVIDERS=[entry])
    with application.app_context(), pytest.raises(RuntimeError, match="SIGNIN_PROVIDERS"):
        application.test_client().get("/auth/login")
