"""Sign-in pages: redirects, refusals, lockout, logout, remember-me, cookies, language, errors."""

from __future__ import annotations

import re

from smartwork.auth import services
from smartwork.auth.models import User, UserStatus
from smartwork.extensions import db
from tests import factories as f
from tests.auth.helpers import isolate
from tests.auth.test_services import ACCEPTED_NEXT

HOME = "/"
LOGIN = "/auth/login"


def location(response) -> str:
    """The redirect target as a path (Werkzeug may make it absolute)."""
    return re.sub(r"^https?://[^/]+", "", response.headers["Location"])


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def set_cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


# --- sign in ------------------------------------------------------------------------------


def test_login_page_renders(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert 'name="identifier"' in response.text and 'name="password"' in response.text


def test_anonymous_visitors_are_sent_to_login_with_next(client):
    response = client.get("/centers/")
    assert response.status_code == 302
    assert location(response).startswith(LOGIN + "?next=")
    page = client.get(location(response))
    assert 'value="/centers/"' in page.text


def test_sign_in_with_email_or_employee_number(app, client, session):
    user = f.user(employee_number="E7654321")
    session.commit()
    response = f.login(client, user)
    assert (response.status_code, location(response)) == (302, HOME)
    assert client.get(HOME).status_code == 200
    other = app.test_client()
    response = other.post(LOGIN, data={"identifier": "E7654321", "password": f.PASSWORD})
    assert (response.status_code, location(response)) == (302, HOME)


def test_wrong_password_shows_the_form_again(client, session):
    user = f.user()
    session.commit()
    response = f.login(client, user, password="wrong-password-1")
    assert response.status_code == 422
    assert 'name="identifier"' in response.text
    assert client.get(HOME).status_code == 302


def test_a_lock_answers_like_a_wrong_password_or_an_unknown_account(app, client, session):
    user = f.user()
    session.commit()
    statuses = [f.login(client, user, password="wrong-password-1").status_code for _ in range(5)]
    assert statuses == [422] * 5
    locked = f.login(client, user)  # the right password, during the lockout, from a new browser
    assert locked.status_code == 422
    assert client.get(HOME).status_code == 302
    unknown = app.test_client().post(LOGIN, data={"identifier": "nobody@korea.kr", "password": f.PASSWORD})
    wrong = f.login(app.test_client(), f.user(), password="wrong-password-1")
    with app.test_request_context():
        message = services.bad_credentials().message.replace("'", "&#39;")
    for response in (locked, unknown, wrong):
        assert response.status_code == 422
        assert message in response.text
        assert "smartwork_device" not in set_cookies(response)


def test_inactive_accounts_see_their_message(app, client, session):
    for status in (UserStatus.PENDING, UserStatus.SUSPENDED, UserStatus.RETIRED):
        user = f.user(status=status)
        browser = app.test_client()
        response = f.login(browser, user)
        assert response.status_code == 403
        with app.test_request_context():
            message = str(services.STATUS_MESSAGES[status])
        assert message.replace("'", "&#39;") in response.text
        assert browser.get(HOME).status_code == 302


def test_refused_next_targets_go_home(app, client, session):
    user = f.user()
    session.commit()
    # Every form is checked against safe_next_url in test_services; here the view's wiring.
    for target in ("//evil.example", "/\\evil.example", "https://evil.example/x", "javascript:alert(1)",
                   " //evil.example", "/\t/evil.example"):
        client = app.test_client()
        response = client.post(LOGIN, data={"identifier": user.email, "password": f.PASSWORD,
                                             "next": target or ""})
        assert response.status_code == 302, target
        assert location(response) == HOME, target


def test_local_next_targets_are_followed(app, client, session):
    user = f.user()
    session.commit()
    for target in ACCEPTED_NEXT:
        client = app.test_client()
        response = client.post(LOGIN, data={"identifier": user.email, "password": f.PASSWORD, "next": target})
        assert response.status_code == 302, target
        assert response.headers["Location"].endswith(target.strip()), target


def test_signed_in_users_skip_the_login_page(client, session):
    f.login(client, f.user())
    session.commit()
    response = client.get(LOGIN)
    assert (response.status_code, location(response)) == (302, HOME)


# --- logout and CSRF ----------------------------------------------------------------------


def test_logout_is_post_only(client, session):
    f.login(client, f.user())
    assert client.get("/auth/logout").status_code == 405
    assert client.get(HOME).status_code == 200  # the GET did not sign anyone out
    response = client.post("/auth/logout")
    assert (response.status_code, location(response)) == (302, LOGIN)
    assert client.get(HOME).status_code == 302


def test_logout_requires_csrf_when_csrf_is_on(app_factory):
    app = isolate(app_factory(WTF_CSRF_ENABLED=True))
    with app.app_context():
        user = f.user()
        db.session.commit()
        email = user.email
        db.session.remove()
    client = app.test_client()
    assert client.post(LOGIN, data={"identifier": email, "password": f.PASSWORD}).status_code == 400
    token = csrf_token(client.get(LOGIN).text)
    response = client.post(LOGIN, data={"identifier": email, "password": f.PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    page = client.get(HOME)
    assert page.status_code == 200
    assert client.post("/auth/logout").status_code == 400
    assert client.post("/auth/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get(HOME).status_code == 200  # still signed in
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})
    assert (response.status_code, location(response)) == (302, LOGIN)
    assert client.get(HOME).status_code == 302


# --- keep me signed in, password change and cookies ---------------------------------------


def test_keep_me_signed_in_makes_the_session_cookie_outlive_the_browser_up_to_the_lifetime(app, client, session):
    user = f.user()
    session.commit()
    kept = set_cookies(f.login(client, user, remember="y"))["session"]
    assert "Expires=" in kept  # a persistent cookie ...
    assert "remember_token" not in set_cookies(f.login(app.test_client(), user, remember="y"))
    plain = set_cookies(f.login(app.test_client(), user))["session"]
    assert "Expires=" not in plain  # ... while a plain sign-in ends with the browser


def test_password_change_signs_out_other_devices_and_keeps_this_one(app, client, session):
    user = f.user()
    session.commit()
    f.login(client, user, remember="y")
    laptop = app.test_client()
    f.login(laptop, user)
    assert laptop.get(HOME).status_code == 200
    response = client.post("/auth/password", data={"current_password": f.PASSWORD,
                                                    "new_password": "brand-new-pass-7"})
    assert (response.status_code, location(response)) == (302, HOME)
    assert laptop.get(HOME).status_code == 302  # the other device is signed out
    assert client.get(HOME).status_code == 200  # this one carries on under the new token


def test_password_change_errors_stay_on_the_form(client, session):
    f.login(client, f.user())
    assert client.get("/auth/password").status_code == 200
    wrong = client.post("/auth/password", data={"current_password": "nope-nope-1",
                                                 "new_password": "brand-new-pass-7"})
    weak = client.post("/auth/password", data={"current_password": f.PASSWORD,
                                                "new_password": "onlyletters"})
    assert wrong.status_code == weak.status_code == 422
    assert 'aria-invalid="true"' in wrong.text and 'aria-invalid="true"' in weak.text


def test_session_and_device_cookies_are_httponly_and_samesite_lax(client, session):
    response = f.login(client, f.user(), remember="y")
    cookies = set_cookies(response)
    assert "Path=/auth/" in cookies["smartwork_device"]  # sent only to the sign-in pages
    for name in ("session", "smartwork_device"):
        assert "HttpOnly" in cookies[name], name
        assert "SameSite=Lax" in cookies[name], name
        assert "Secure" not in cookies[name], name  # plain http in testing


def test_suspending_a_signed_in_account_ends_its_session(client, session):
    user = f.user()
    f.login(client, user)
    assert client.get(HOME).status_code == 200
    db.session.get(User, user.id).status = UserStatus.SUSPENDED
    session.commit()
    assert client.get(HOME).status_code == 302


# --- language -----------------------------------------------------------------------------


def test_language_switch_for_visitors_uses_a_cookie(client):
    assert '<html lang="ko">' in client.get(LOGIN).text
    response = client.post("/auth/language", data={"locale": "en", "next": LOGIN})
    assert (response.status_code, location(response)) == (302, LOGIN)
    assert "HttpOnly" in set_cookies(response)["smartwork_lang"]
    page = client.get(LOGIN)
    assert '<html lang="en">' in page.text
    assert "Sign in" in page.text and "로그인" not in page.text
    client.post("/auth/language", data={"locale": "ko", "next": LOGIN})
    page = client.get(LOGIN)
    assert '<html lang="ko">' in page.text and "로그인" in page.text


def test_language_switch_is_kept_on_the_account(app, client, session):
    user = f.user()
    f.login(client, user)
    client.post("/auth/language", data={"locale": "en", "next": "/centers/"})
    assert db.session.get(User, user.id).locale == "en"
    elsewhere = app.test_client()  # another browser, no language cookie
    f.login(elsewhere, user)
    page = elsewhere.get(HOME)
    assert '<html lang="en">' in page.text and "Sign out" in page.text


def test_language_switch_ignores_unknown_locales_and_foreign_next(client):
    response = client.post("/auth/language", data={"locale": "fr", "next": "//evil.example"})
    assert (response.status_code, location(response)) == (302, HOME)
    assert "smartwork_lang" not in set_cookies(response)
    assert '<html lang="ko">' in client.get(LOGIN).text


def test_language_switch_is_post_only(client):
    assert client.get("/auth/language").status_code == 405


# --- error pages --------------------------------------------------------------------------


def test_not_found_pages_render(client, session):
    f.login(client, f.user())
    for path in ("/no/such/page", "/centers/no-such-center"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert '<p class="error-code">404</p>' in response.text
        assert response.headers["Content-Type"].startswith("text/html")
    anonymous = client.application.test_client()
    assert anonymous.get("/no/such/page").status_code == 404
