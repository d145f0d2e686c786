"""Role gating: every route × every role gets the status it should (DESIGN §9).

Later issues append rows to ROUTES; each row says what each role gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from smartwork.auth.models import Role
from smartwork.auth.permissions import has_role, role_required
from tests import factories as f
from tests.auth.helpers import isolate, use_fast_password_hashing

ANONYMOUS, EMPLOYEE, MANAGER, PLANNER, ADMIN = "anonymous", "employee", "center_manager", "planner", "admin"
ROLES = (ANONYMOUS, EMPLOYEE, MANAGER, PLANNER, ADMIN)
LOGIN_REDIRECT = 302  # anonymous visitors of a protected page are sent to the sign-in page


def signed_in(status: int, **per_role: int) -> dict[str, int]:
    """Anonymous → sign-in redirect; every signed-in role → ``status`` unless given per role."""
    return {ANONYMOUS: LOGIN_REDIRECT, EMPLOYEE: status, MANAGER: status, PLANNER: status, ADMIN: status,
            **per_role}


def everyone(status: int) -> dict[str, int]:
    """The same status for every role, anonymous included."""
    return dict.fromkeys(ROLES, status)


@dataclass(frozen=True)
class Route:
    """One request and the status each role must get. ``{center}`` is an open center's code."""

    method: str
    path: str
    expected: dict[str, int]
    data: dict = field(default_factory=dict)
    signs_out: bool = False  # run last: the user is no longer signed in afterwards

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ROUTES: list[Route] = [
    Route("GET", "/", signed_in(200)),
    Route("GET", "/centers/", signed_in(200)),
    Route("GET", "/centers/?ownership=public&page=1", signed_in(200)),
    Route("GET", "/centers/{center}", signed_in(200)),
    Route("GET", "/centers/no-such-center", signed_in(404)),
    Route("GET", "/auth/login", {**everyone(302), ANONYMOUS: 200}),
    Route("GET", "/auth/password", signed_in(200)),
    Route("POST", "/auth/language", everyone(302), data={"locale": "ko", "next": "/"}),
    Route("GET", "/auth/logout", everyone(405)),
    Route("POST", "/auth/logout", everyone(302), signs_out=True),
]


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap argon2id parameters: these tests sign in often."""
    use_fast_password_hashing(monkeypatch)


@pytest.fixture
def people(session):
    """One open center and one signed-in-able user per role."""
    center = f.center()
    users = {
        EMPLOYEE: f.user(),
        MANAGER: f.manager_of(center),
        PLANNER: f.user(roles=(Role.PLANNER,)),
        ADMIN: f.user(roles=(Role.ADMIN,)),
    }
    session.commit()
    return {"center": center.code, "users": users}


@pytest.mark.parametrize("role", ROLES)
def test_route_role_matrix(app, session, people, role):
    client = isolate(app).test_client()
    if role != ANONYMOUS:
        assert f.login(client, people["users"][role]).status_code == 302
    mismatches = []
    for route in sorted(ROUTES, key=lambda r: r.signs_out):
        path = route.path.format(center=people["center"])
        response = client.open(path, method=route.method, data=route.data)
        if response.status_code != route.expected[role]:
            mismatches.append(f"{route.method} {path}: {response.status_code}, expected {route.expected[role]}")
    assert not mismatches, f"{role}: " + "; ".join(mismatches)


def test_every_route_row_covers_every_role():
    for route in ROUTES:
        assert set(route.expected) == set(ROLES), route


def test_role_required_gates_a_view_and_shows_the_403_page(app, session, people):
    app.add_url_rule("/_test/planning-only", "planning_only",
                     role_required(Role.PLANNER, Role.ADMIN)(lambda: "planning desk"))
    expected = {ANONYMOUS: 302, EMPLOYEE: 403, MANAGER: 403, PLANNER: 200, ADMIN: 200}
    for role, status in expected.items():
        client = isolate(app).test_client()
        if role != ANONYMOUS:
            f.login(client, people["users"][role])
        response = client.get("/_test/planning-only")
        assert response.status_code == status, role
        if status == 403:
            assert '<p class="error-code">403</p>' in response.text
            assert "planning desk" not in response.text
        if status == 200:
            assert response.text == "planning desk"


def test_has_role_for_anonymous_and_signed_in_users(app, session, people):
    from flask_login import AnonymousUserMixin

    assert not has_role(AnonymousUserMixin(), Role.EMPLOYEE)
    assert has_role(people["users"][EMPLOYEE], Role.EMPLOYEE)
    assert not has_role(people["users"][EMPLOYEE], Role.PLANNER, Role.ADMIN)
    assert has_role(people["users"][MANAGER], Role.CENTER_MANAGER)
    assert not has_role(people["users"][ADMIN], Role.PLANNER)  # admin is not implicitly a planner
