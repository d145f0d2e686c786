"""API authentication: tokens (scopes, expiry, revocation), the web session with CSRF, 401/403 problems."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from smartwork.api import tokens
from smartwork.api.models import ApiToken
from smartwork.auth.models import UserStatus
from smartwork.extensions import db
from smartwork.timeutils import utcnow
from tests.api.town import assert_problem, auth, bearer, local_iso, token_for, tomorrow

# Every API route with a method and a path that exists for the town (ids that exist or not: auth comes first).
ROUTES = [
    ("get", "/api/v1/centers?lat=37.5&lon=127&date=2030-01-01&start=09:00&end=10:00"),
    ("get", "/api/v1/centers/hub"),
    ("get", "/api/v1/centers/hub/availability?date=2030-01-01"),
    ("get", "/api/v1/bookings"),
    ("post", "/api/v1/bookings"),
    ("get", "/api/v1/bookings/1"),
    ("post", "/api/v1/bookings/1/cancel"),
    ("post", "/api/v1/bookings/check-in"),
    ("post", "/api/v1/bookings/best"),
    ("post", "/api/v1/bookings/1/check-out"),
    ("get", "/api/v1/series"),
    ("post", "/api/v1/series"),
    ("get", "/api/v1/series/1"),
    ("post", "/api/v1/series/1/cancel"),
    ("get", "/api/v1/waitlist"),
    ("post", "/api/v1/waitlist"),
    ("delete", "/api/v1/waitlist/1"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/me/notifications"),
    ("post", "/api/v1/me/notifications/read"),
    ("get", "/api/v1/operations/centers/hub/board"),
    ("get", "/api/v1/operations/centers/hub/report"),
    ("get", "/api/v1/planning/rollout"),
    ("get", "/api/v1/planning/coverage"),
    ("post", "/api/v1/admin/roster/preview"),
    ("post", "/api/v1/admin/roster/import"),
    ("get", "/api/v1/admin/users"),
    ("get", "/api/v1/admin/users/E1"),
    ("post", "/api/v1/admin/users/E1/status"),
]


def sign_in(client, user) -> None:
    """Sign in by session cookie (the login form is tested in auth)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True


def test_anonymous_gets_401_problem_on_every_route(client, town):
    for method, path in ROUTES:  # one test, many routes: each app build costs more than the requests
        response = getattr(client, method)(path, json={} if method != "get" else None)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), path


def test_spec_routes_all_appear_in_the_route_matrix(client):
    """The matrix above covers every operation of the spec (a new endpoint must be added to it)."""
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = {(method, path) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    covered = set()
    for method, path in ROUTES:
        bare = path.split("?")[0]
        for spec_method, spec_path in operations:
            pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", spec_path) + "$"
            if spec_method == method and re.match(pattern, bare) and not (
                bare.endswith(("/check-in", "/best")) and "{" in spec_path
            ):
                covered.add((spec_method, spec_path))
    assert covered == operations


def test_unknown_token_is_401(client, town):
    response = client.get("/api/v1/me", headers=bearer("swp_not-a-real-token"))
    assert_problem(response, 401, "token_invalid")


def test_other_authorization_scheme_is_401_naming_the_header(client, town):
    response = client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_problem(response, 401, "token_invalid", field="Authorization")


def test_expired_token_is_401_and_a_live_one_a_second_before_works(client, town):
    now = utcnow()
    expired = token_for(town.employee, days=7, now=now - timedelta(days=7, seconds=1))
    live = token_for(town.employee, days=7, now=now - timedelta(days=7) + timedelta(minutes=5))
    body = assert_problem(client.get("/api/v1/me", headers=bearer(expired)), 401, "token_expired")
    assert "expired_at" in body["allowed"]
    assert client.get("/api/v1/me", headers=bearer(live)).status_code == 200


def test_expiry_boundary_in_the_service(town):
    now = utcnow()
    issued = tokens.create_token(town.employee, "t", ["read"], 7, now=now)
    assert tokens.authenticate(issued.secret, now=issued.token.expires_at - timedelta(seconds=1)).id == issued.token.id
    with pytest.raises(tokens.Unauthenticated) as refusal:
        tokens.authenticate(issued.secret, now=issued.token.expires_at)
    assert refusal.value.rule == "token_expired"


def test_revoked_token_is_401(client, town):
    issued = tokens.create_token(town.employee, "phone", ["read"], 30)
    assert client.get("/api/v1/me", headers=bearer(issued.secret)).status_code == 200
    tokens.revoke_token(town.employee, issued.token.id)
    assert_problem(client.get("/api/v1/me", headers=bearer(issued.secret)), 401, "token_revoked")


def test_token_of_a_suspended_account_is_401(client, town):
    secret = token_for(town.employee)
    town.employee.status = UserStatus.SUSPENDED
    db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=bearer(secret)), 401, "account_inactive")


def test_read_token_cannot_book(client, town):
    day = tomorrow()
    response = client.post("/api/v1/bookings", headers=auth(town.employee, ["read"]), json={
        "space_id": town.desk1.id, "starts_at": local_iso(day, "09:00"), "ends_at": local_iso(day, "10:00")})
    body = assert_problem(response, 403, "insufficient_scope")
    assert body["allowed"] == {"required_scope": "book", "token_scopes": ["read"]}


def test_book_token_without_read_cannot_list(client, town):
    assert_problem(client.get("/api/v1/bookings", headers=auth(town.employee, ["book"])), 403, "insufficient_scope")


def test_manager_token_needs_the_manage_scope_for_the_board(client, town):
    path = "/api/v1/operations/centers/hub/board"
    assert_problem(client.get(path, headers=auth(town.manager, ["read", "book"])), 403, "insufficient_scope")
    assert client.get(path, headers=auth(town.manager, ["manage"])).status_code == 200


def test_token_request_sets_no_cookie_and_leaves_no_session(client, town):
    secret = token_for(town.employee)
    response = client.get("/api/v1/me", headers=bearer(secret))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert_problem(client.get("/api/v1/me"), 401, "unauthenticated")


def test_last_used_is_recorded(client, town):
    issued = tokens.create_token(town.employee, "phone", ["read"], 30)
    assert issued.token.last_used_at is None
    client.get("/api/v1/me", headers=bearer(issued.secret))
    db.session.expire_all()
    assert db.session.get(ApiToken, issued.token.id).last_used_at is not None


def test_token_is_stored_only_as_a_hash(town):
    issued = tokens.create_token(town.employee, "phone", ["read", "book"], 30)
    row = db.session.scalar(select(ApiToken).where(ApiToken.id == issued.token.id))
    assert row.token_hash == tokens.hash_token(issued.secret)
    assert issued.secret not in (row.token_hash, row.prefix)
    assert issued.secret.startswith(row.prefix)


def test_session_user_can_use_the_api(client, town):
    sign_in(client, town.employee)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["employee_number"] == town.employee.employee_number


def test_session_post_needs_csrf_header_but_token_post_does_not(app_factory):
    from smartwork.extensions import db as _db

    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from tests.api.town import build_town

        town = build_town()
        client = app.test_client()
        sign_in(client, town.employee)
        assert_problem(client.post("/api/v1/me/notifications/read"), 400, "csrf_failed", field="X-CSRFToken")
        page = client.get("/api/tokens").get_data(as_text=True)
        csrf_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page)
        assert csrf_token, page
        response = client.post("/api/v1/me/notifications/read", headers={"X-CSRFToken": csrf_token.group(1)})
        assert response.status_code == 200
        other = app.test_client()
        response = other.post("/api/v1/me/notifications/read", headers=auth(town.other))
        assert response.status_code == 200
        _db.session.remove()


# --- the settings page ----------------------------------------------------------------------------


def test_tokens_page_needs_sign_in(client, town):
    response = client.get("/api/tokens")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_create_shows_the_token_once_then_only_its_prefix(client, town):
    sign_in(client, town.employee)
    response = client.post("/api/tokens", data={"name": "My phone", "scopes": ["read", "book"], "days": "30"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    secret = re.search(r"(swp_[A-Za-z0-9_-]{20,})", html).group(1)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    again = client.get("/api/tokens").get_data(as_text=True)
    assert secret not in again
    assert secret[:10] in again and "My phone" in again


def test_create_without_scope_is_refused_on_the_form(client, town):
    sign_in(client, town.employee)
    response = client.post("/api/tokens", data={"name": "x", "days": "30"})
    assert response.status_code == 422
    assert db.session.scalar(select(ApiToken.id)) is None


def test_revoke_from_the_page_and_not_someone_elses(client, town):
    mine = tokens.create_token(town.employee, "mine", ["read"], 30)
    theirs = tokens.create_token(town.other, "theirs", ["read"], 30)
    sign_in(client, town.employee)
    assert client.post(f"/api/tokens/{theirs.token.id}/revoke").status_code == 404
    assert client.post(f"/api/tokens/{mine.token.id}/revoke").status_code == 302
    assert_problem(client.get("/api/v1/me", headers=bearer(mine.secret)), 401, "token_revoked")
    assert client.get("/api/v1/me", headers=bearer(theirs.secret)).status_code == 200


def test_docs_page_is_served_locally(client, town):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/api/v1/bookings" in html
    # Nothing is loaded from another host (scripts and styles are the app's own).
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', html)


def test_unknown_api_url_and_wrong_method_are_problems(client, town):
    assert_problem(client.get("/api/v1/nothing-here", headers=auth(town.employee)), 404, "not_found")
    assert_problem(client.delete("/api/v1/me", headers=auth(town.employee)), 405, "method_not_allowed")


def test_a_token_does_not_open_the_html_pages(client, town):
    """Tokens authenticate /api/v1 only: the settings page (and every page) still wants a signed-in session."""
    response = client.get("/api/tokens", headers=auth(town.employee))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get("/bookings/mine", headers=auth(town.employee)).status_code == 302


def test_token_and_docs_pages_follow_the_page_rules(client, town):
    from tests.test_pages import audit

    tokens.create_token(town.employee, "phone", ["read"], 30)
    sign_in(client, town.employee)
    audit(client, client.get("/api/tokens"), "/api/tokens")
    created = client.post("/api/tokens", data={"name": "tablet", "scopes": ["read"], "days": "7"})
    audit(client, created, "/api/tokens (created)")
    audit(client, client.get("/api/docs"), "/api/docs")
