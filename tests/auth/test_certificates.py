"""Certificate sign-in end to end: a real nginx verifies client certificates made with openssl and
passes what it verified to the app, which believes those headers only from the proxy's address.

nginx connects to the app from 127.0.0.2 (``proxy_bind``), the one trusted proxy; a client talking
to the app directly comes from 127.0.0.1, so its certificate headers are forged by definition.
"""

from __future__ import annotations

import io
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from flask import current_app
from sqlalchemy import select
from werkzeug.serving import make_server

from smartwork.audit import AuditEvent
from smartwork.auth import roster
from smartwork.auth.models import User, UserStatus
from smartwork.auth.providers import certificate_provider
from smartwork.auth.providers.certificates import (
    HEADER_SERIAL,
    HEADER_SUBJECT,
    HEADER_VERIFY,
    is_trusted_proxy,
    normalise_serial,
    unescape_dn,
)
from smartwork.auth.providers.models import ExternalIdentity, IdentitySource
from smartwork.errors import NotFound
from smartwork.extensions import db
from tests import factories as f
from tests.auth.pki import (
    NGINX,
    OPENSSL,
    PROXY_ADDRESS,
    CertificateAuthority,
    ClientCertificate,
    nginx_server_block,
    server_certificate,
    start_nginx,
    stop,
)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ROSTER_HEADER = "employee_number,name,email,agency_code,home_region_code,status,certificate\n"
PROVIDER = {"name": "gpki", "type": "certificate", "label_ko": "인증서 로그인(GPKI)", "label_en": "Certificate (GPKI)"}


@dataclass
class Pki:
    ca: Path
    crl: Path
    server_cert: Path
    server_key: Path
    certs: dict[str, ClientCertificate]


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    """A CA with a CRL, another CA, and client certificates: valid, revoked, expired, foreign."""
    if not Path(NGINX).exists() or not Path(OPENSSL).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("nginx or openssl is missing: `make nginx-deps` installs them")
        pytest.skip("nginx or openssl is missing (make nginx-deps)")
    base = tmp_path_factory.mktemp("pki")
    ca = CertificateAuthority(base / "ca", "Test GPKI CA")
    other = CertificateAuthority(base / "other", "Some Other CA")
    certs = {
        "kim": ca.issue("kim", "김철수 001"),
        "lee": ca.issue("lee", "Lee Younghee 002"),
        "revoked": ca.issue("revoked", "Park Revoked 003"),
        # Fixed dates long past: expired whenever the test runs.
        "expired": ca.issue("expired", "Choi Expired 004", start="20200101000000Z", end="20200201000000Z"),
        "foreign": other.issue("foreign", "김철수 001"),  # same subject, and a serial the CA also issued
    }
    ca.revoke(certs["revoked"])
    ca.publish_crl()
    server_cert, server_key = server_certificate(base / "server")
    return Pki(ca=ca.cert, crl=ca.crl, server_cert=server_cert, server_key=server_key, certs=certs)


@dataclass
class Gateway:
    url: str  # nginx, https
    app_url: str  # the app itself, http, for requests that bypass the proxy
    pki: Pki

    def browser(self, cert: str | None = None) -> requests.Session:
        """A client presenting ``cert`` (a name in the PKI) or none."""
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace ``verify``
        session.verify = str(self.pki.server_cert)
        if cert:
            session.cert = self.pki.certs[cert].pair
        return session


@pytest.fixture
def gateway(app_factory, pki, tmp_path):
    """The app served over HTTP on a free port, and nginx in front of it verifying client certificates."""
    application = app_factory(SIGNIN_PROVIDERS=[PROVIDER], TRUSTED_PROXIES=[PROXY_ADDRESS], SERVER_NAME=None,
                              WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    nginx = None
    try:
        nginx, port = start_nginx(tmp_path / "nginx", lambda port: nginx_server_block(
            listen=f"127.0.0.1:{port}", server_cert=pki.server_cert, server_key=pki.server_key, ca=pki.ca,
            crl=pki.crl, upstream=f"http://127.0.0.1:{server.server_port}", proxy_bind=PROXY_ADDRESS))
        with application.app_context():
            yield Gateway(url=f"https://127.0.0.1:{port}", app_url=f"http://127.0.0.1:{server.server_port}", pki=pki)
            db.session.remove()
    finally:
        if nginx is not None:
            stop(nginx)
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def csrf_token(browser: requests.Session, base: str) -> str:
    page = browser.get(f"{base}/auth/login")
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)


def certificate_sign_in(browser: requests.Session, base: str, token: str | None = None, **headers):
    token = token if token is not None else csrf_token(browser, base)
    return browser.post(f"{base}/auth/certificate/login", data={"csrf_token": token}, allow_redirects=False,
                        headers={"Referer": f"{base}/auth/login", **headers})


def signed_in(browser: requests.Session, base: str) -> bool:
    return browser.get(f"{base}/", allow_redirects=False).status_code == 200


def bind(user_id: int, pki: Pki, name: str, key: str | None = None) -> None:
    """Link a certificate to the user as the roster would."""
    cert = pki.certs[name]
    db.session.add(ExternalIdentity(user_id=user_id, provider="gpki", subject=key or normalise_serial(cert.serial),
                                    source=IdentitySource.ROSTER, description=name))
    db.session.commit()


def events(kind: str) -> list[dict]:
    """Audit events of ``kind`` as plain values; the read ends at once (on SQLite the test's open
    transaction would hold the write lock the live server needs)."""
    db.session.rollback()
    rows = [{"actor_id": e.actor_id, "details": e.details, "ip": e.ip, "actor_label": e.actor_label}
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.event == kind).order_by(AuditEvent.id))]
    db.session.rollback()
    return rows


def new_user(**fields) -> tuple[int, str]:
    """A committed user's id and e-mail (read before the commit, so no transaction stays open)."""
    user = f.user(**fields)
    user_id, email = user.id, user.email
    db.session.commit()
    return user_id, email


def refused(response, rule: str, korean: str) -> None:
    assert response.status_code == 403, response.text
    assert "로그인하지 못했습니다" in response.text and korean in response.text, response.text
    assert rule in response.text


def test_the_sign_in_page_shows_the_certificate_button(gateway):
    page = gateway.browser().get(f"{gateway.url}/auth/login")
    assert "인증서 로그인(GPKI)" in page.text and "/auth/certificate/login" in page.text


def test_a_valid_certificate_from_the_roster_signs_in(gateway):
    agency, region = f.agency(code="MOIS-T"), f.region(code="11110")
    db.session.commit()
    serial = gateway.pki.certs["kim"].serial
    current_app.config["PUBLIC_BASE_URL"] = "https://smartwork.test"  # the activation mail's link
    report = roster.import_roster(io.StringIO(
        f"{ROSTER_HEADER}R-0001,김철수,kim.roster@korea.kr,{agency.code},{region.code},active,{serial.lower()}\n"),
        now=T0)
    assert (report.created, report.errors) == (1, [])
    user = db.session.scalar(select(User).where(User.employee_number == "R-0001"))
    assert user.status == UserStatus.PENDING  # imported people activate by mail (tests/auth/test_activation.py)
    user.status, user_id = UserStatus.ACTIVE, user.id  # as after activation: the roster's certificate is bound
    db.session.commit()
    browser = gateway.browser("kim")
    response = certificate_sign_in(browser, gateway.url)
    assert response.status_code == 302, response.text
    assert signed_in(browser, gateway.url)
    [event] = events("sign_in")
    assert event["actor_id"] == user_id and event["details"]["method"] == "certificate"
    page = browser.get(f"{gateway.url}/auth/certificate")
    assert page.status_code == 200 and normalise_serial(serial) in page.text
    # nginx escapes the Hangul of the DN as bytes (\\EA\\B9...); the app reads it back as text.
    assert "CN=김철수 001" in event["details"]["subject"] and "O=Test Agency" in event["details"]["subject"]
    assert event["details"]["serial"] == normalise_serial(gateway.pki.certs["kim"].serial)
    assert event["ip"] == "127.0.0.1"  # the client behind nginx, from the trusted proxy's X-Forwarded-For


def test_a_certificate_is_linked_after_a_password_sign_in_then_signs_in_alone(gateway):
    user_id, email = new_user()
    browser = gateway.browser("lee")
    refused(certificate_sign_in(browser, gateway.url), "cert_not_bound", "아직 계정에 연결되지 않았습니다")
    token = csrf_token(browser, gateway.url)
    signed = browser.post(f"{gateway.url}/auth/login", allow_redirects=False,
                          headers={"Referer": f"{gateway.url}/auth/login"},
                          data={"csrf_token": token, "identifier": email, "password": f.PASSWORD})
    assert signed.status_code == 302
    page = browser.get(f"{gateway.url}/auth/certificate")
    assert page.status_code == 200 and "Lee Younghee 002" in page.text
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)
    linked = browser.post(f"{gateway.url}/auth/certificate", data={"csrf_token": token}, allow_redirects=False,
                          headers={"Referer": f"{gateway.url}/auth/certificate"})
    assert linked.status_code == 302, linked.text
    [identity] = db.session.scalars(select(ExternalIdentity))
    assert identity.user_id == user_id and identity.source == IdentitySource.BOUND
    assert [e["actor_id"] for e in events("certificate_bound")] == [user_id]

    fresh = gateway.browser("lee")  # another day: the certificate alone
    assert certificate_sign_in(fresh, gateway.url).status_code == 302
    assert signed_in(fresh, gateway.url)


@pytest.mark.parametrize(("cert", "korean", "reason"), [
    ("foreign", "인정하는 기관", ""),
    ("revoked", "폐지", "certificate revoked"),
    ("expired", "만료", "certificate has expired"),
])
def test_certificates_nginx_does_not_verify_are_refused(gateway, cert, korean, reason):
    user_id, _email = new_user()
    # Even linked to an account (the foreign one by the serial the real CA also issued): refused.
    bind(user_id, gateway.pki, cert)
    browser = gateway.browser(cert)
    # nginx refuses every request of this connection and shows the app's refusal page instead.
    refused(browser.get(f"{gateway.url}/auth/login"), "cert_failed", korean)
    refused(certificate_sign_in(browser, gateway.url, token="irrelevant"), "cert_failed", korean)
    assert not signed_in(gateway.browser(), gateway.url)
    failed = events("sign_in_failed")
    assert failed and all(e["details"]["rule"] == "cert_failed" and e["details"]["verify"].startswith("FAILED")
                          for e in failed)
    assert reason in failed[0]["details"]["verify"]
    assert events("sign_in") == []


def test_forged_headers_sent_straight_to_the_app_are_refused(gateway):
    user_id, _email = new_user()
    bind(user_id, gateway.pki, "kim")
    forged = {HEADER_VERIFY: "SUCCESS", HEADER_SERIAL: gateway.pki.certs["kim"].serial,
              HEADER_SUBJECT: "CN=Kim,O=Test Agency,C=KR"}
    browser = requests.Session()
    browser.trust_env = False
    response = certificate_sign_in(browser, gateway.app_url, **forged)
    refused(response, "cert_untrusted_source", "보안 관문")
    assert not signed_in(browser, gateway.app_url)
    [event] = events("sign_in_failed")
    assert event["details"]["rule"] == "cert_untrusted_source" and event["details"]["peer"] == "127.0.0.1"
    assert event["details"]["headers"][HEADER_VERIFY] == "SUCCESS"


def test_forged_headers_through_nginx_without_a_certificate_are_overwritten(gateway):
    user_id, _email = new_user()
    bind(user_id, gateway.pki, "kim")
    browser = gateway.browser()  # no certificate
    forged = {HEADER_VERIFY: "SUCCESS", HEADER_SERIAL: gateway.pki.certs["kim"].serial}
    refused(certificate_sign_in(browser, gateway.url, **forged), "cert_none", "제출된 인증서가 없습니다")
    assert not signed_in(browser, gateway.url)
    [event] = events("sign_in_failed")
    assert event["details"]["verify"] == "NONE" and event["details"]["serial"] == ""


def test_a_suspended_account_cannot_sign_in_with_its_certificate(gateway):
    user_id, _email = new_user(status=UserStatus.SUSPENDED)
    bind(user_id, gateway.pki, "kim")
    browser = gateway.browser("kim")
    refused(certificate_sign_in(browser, gateway.url), "account_suspended", "정지")
    assert not signed_in(browser, gateway.url)


# --- the rules without nginx: the proxy check, serials, ownership --------------------------------


@pytest.mark.parametrize(("peer", "trusted", "expected"), [
    ("127.0.0.2", ["127.0.0.2"], True),
    ("10.1.2.3", ["10.1.0.0/16"], True),
    ("10.2.0.1", ["10.1.0.0/16"], False),
    ("::1", ["::1/128"], True),
    ("127.0.0.1", [], False),
    ("", ["0.0.0.0/0"], False),
    ("not-an-address", ["0.0.0.0/0"], False),
])
def test_trusted_proxies(peer, trusted, expected):
    assert is_trusted_proxy(peer, trusted) is expected


def test_distinguished_names_are_unescaped():
    assert unescape_dn(r"C=KR,CN=\EA\B9\80\EC\B2\A0\EC\88\98 001") == "C=KR,CN=김철수 001"
    assert unescape_dn(r"CN=Kim\, Chulsoo,O=A\+B") == r"CN=Kim\, Chulsoo,O=A\+B"
    assert unescape_dn("CN=\\\\41") == "CN=\\\\41"  # an escaped backslash, then the text "41"


def test_serials_are_normalised():
    assert normalise_serial("0a:1B:00") == "A1B00"
    assert normalise_serial("1000") == "1000"
    assert normalise_serial("") == ""


@pytest.fixture
def cert_app(app_factory):
    application = app_factory(SIGNIN_PROVIDERS=[PROVIDER], TRUSTED_PROXIES=[PROXY_ADDRESS])
    with application.app_context():
        yield application
        db.session.remove()


def proxy_headers(serial: str) -> dict:
    return {HEADER_VERIFY: "SUCCESS", HEADER_SERIAL: serial, HEADER_SUBJECT: "CN=Someone,C=KR",
            "X-SSL-Client-I-DN": "CN=Test GPKI CA"}


def test_a_certificate_linked_to_someone_else_cannot_be_linked_again(cert_app):
    owner, other = f.user(), f.user()
    db.session.add(ExternalIdentity(user_id=owner.id, provider="gpki", subject="ABC1", source=IdentitySource.ROSTER))
    db.session.commit()
    client = cert_app.test_client()
    f.login(client, other)
    response = client.post("/auth/certificate", headers=proxy_headers("ABC1"),
                           environ_base={"REMOTE_ADDR": PROXY_ADDRESS})
    assert response.status_code == 409
    assert "이미 다른 계정에 연결" in response.text
    assert db.session.scalar(select(ExternalIdentity.user_id)) == owner.id


def test_only_ones_own_certificate_can_be_unlinked(cert_app):
    owner, other = f.user(), f.user()
    identity = ExternalIdentity(user_id=owner.id, provider="gpki", subject="ABC2", source=IdentitySource.ROSTER)
    db.session.add(identity)
    db.session.commit()
    intruder = cert_app.test_client()
    f.login(intruder, other)
    assert intruder.post(f"/auth/certificate/{identity.id}/delete").status_code == 404
    assert cert_app.test_client().post(f"/auth/certificate/{identity.id}/delete").status_code == 302  # to sign in
    mine = cert_app.test_client()
    f.login(mine, owner)
    assert mine.get("/auth/certificate").status_code == 200
    assert mine.post(f"/auth/certificate/{identity.id}/delete").status_code == 302
    assert db.session.scalar(select(ExternalIdentity)) is None
    assert [e["actor_id"] for e in events("certificate_unbound")] == [owner.id]


def test_certificate_pages_are_not_found_when_not_configured(client, app):
    user = f.user()
    db.session.commit()
    assert client.post("/auth/certificate/login").status_code == 404
    f.login(client, user)
    assert client.get("/auth/certificate").status_code == 404
    with app.test_request_context(), pytest.raises(NotFound) as refusal:
        certificate_provider()
    assert refusal.value.rule == "unknown_provider"


def test_the_roster_links_renews_and_refuses_certificates(cert_app):
    agency, region = f.agency(code="MOIS-R"), f.region(code="11120")
    existing = f.user(employee_number="R-0002", agency_obj=agency, email="r2@korea.kr")
    taken = f.user(employee_number="R-0009", agency_obj=agency, email="r9@korea.kr")
    db.session.add(ExternalIdentity(user_id=taken.id, provider="gpki", subject="BEEF", source=IdentitySource.BOUND))
    db.session.commit()
    rows = (f"R-0001,Kim,r1@korea.kr,MOIS-R,{region.code},active,0A:1B\n"
            f"R-0002,Lee,r2@korea.kr,MOIS-R,{region.code},active,1c2d\n"
            f"R-0003,Park,r3@korea.kr,MOIS-R,{region.code},active,beef\n"
            f"R-0009,Choi,r9@korea.kr,MOIS-R,{region.code},active,\n")
    report = roster.import_roster(io.StringIO(ROSTER_HEADER + rows), now=T0)
    assert report.created == 2 and [line for line, _message in report.errors] == [4]
    assert "BEEF" not in report.errors[0][1] and "beef" in report.errors[0][1]
    linked = {i.subject: (i.user.employee_number, i.source) for i in db.session.scalars(select(ExternalIdentity))}
    assert linked == {"A1B": ("R-0001", IdentitySource.ROSTER), "1C2D": ("R-0002", IdentitySource.ROSTER),
                      "BEEF": ("R-0009", IdentitySource.BOUND)}
    # A renewed certificate replaces the roster's earlier one.
    roster.import_roster(io.StringIO(ROSTER_HEADER + rows.replace("1c2d", "2e3f")), now=T0)
    assert {i.subject for i in db.session.scalars(select(ExternalIdentity).where(
        ExternalIdentity.user_id == existing.id))} == {"2E3F"}


def test_a_roster_certificate_column_needs_certificate_sign_in(app):
    region = f.region(code="11130")
    f.agency(code="MOIS-N")
    db.session.commit()
    report = roster.import_roster(io.StringIO(
        f"{ROSTER_HEADER}R-0001,Kim,r1@korea.kr,MOIS-N,{region.code},active,0A1B\n"), now=T0)
    assert report.errors and "설정되어 있지 않습니다" in report.errors[0][1]
    assert db.session.scalar(select(ExternalIdentity)) is None
