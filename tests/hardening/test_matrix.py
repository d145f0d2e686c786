"""Authorization proof: every route and API endpoint × every role gets exactly the expected status.

The routes are read from ``app.url_map`` at test time: a new route without a row here fails
``test_every_endpoint_has_a_row``. Objects in the URLs belong to ``world.employee`` (a booking,
a series, a waitlist entry, an API token) or to ``world.center`` (managed by ``world.manager``),
so the "other" columns prove nothing leaks: another employee or another center's manager gets a
404 (the object is not theirs to know about) or a 403 (the page is not for their role).
This table is the source of truth; tests/test_roles.py keeps the foundation's first rows.
"""

from __future__ import annotations

import pytest

from smartwork.extensions import db
from tests import factories as f
from tests.auth.helpers import isolate
from tests.hardening.matrix_requests import ROLES, ordered, query_string, url_values

IGNORED_ENDPOINTS = {"static"}  # the app's own files: public, checked by the browser tests

# Status per role, in the order of ROLES:
#   anonymous, employee, other employee, manager of this center, manager of another center, planner, admin
# HTML pages send anonymous visitors to sign in (302); the JSON API answers 401.
# A 422 means the request got past authorisation and was refused for its (empty) body.
EXPECTED: dict[str, tuple[int, ...]] = {
    "GET admin.audit": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.audit_csv": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.index": (302, 403, 403, 403, 403, 403, 302),
    "GET admin.users": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.user_detail": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.agencies": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.agency_new": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.agency_edit": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.operators": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.operator_new": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.operator_edit": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.contracts": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.contract_new": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.contract_edit": (302, 403, 403, 403, 403, 403, 200),
    "GET admin.roster": (302, 403, 403, 403, 403, 403, 200),
    "GET api_admin.user_list": (401, 403, 403, 403, 403, 403, 200),
    "GET api_admin.user_status": (401, 403, 403, 403, 403, 403, 200),
    "GET api.docs": (200, 200, 200, 200, 200, 200, 200),
    "GET api.openapi_json": (200, 200, 200, 200, 200, 200, 200),
    "GET api.token_list": (302, 200, 200, 200, 200, 200, 200),
    "GET api_bookings.detail": (401, 200, 404, 200, 404, 404, 200),
    "GET api_bookings.list_mine": (401, 200, 200, 200, 200, 200, 200),
    "GET api_centers.availability": (401, 200, 200, 200, 200, 200, 200),
    "GET api_centers.detail": (401, 200, 200, 200, 200, 200, 200),
    "GET api_centers.search": (401, 200, 200, 200, 200, 200, 200),
    "GET api_me.notifications": (401, 200, 200, 200, 200, 200, 200),
    "GET api_me.profile": (401, 200, 200, 200, 200, 200, 200),
    "GET api_operations.board": (401, 403, 403, 200, 404, 403, 200),
    "GET api_operations.report": (401, 403, 403, 200, 404, 403, 200),
    "GET api_planning.coverage_figures": (401, 403, 403, 403, 403, 200, 200),
    "GET api_planning.rollout_figures": (401, 403, 403, 403, 403, 200, 200),
    "GET api_series.series_detail": (401, 200, 404, 404, 404, 404, 404),
    "GET api_series.series_list": (401, 200, 200, 200, 200, 200, 200),
    "GET api_waitlist.waitlist_list": (401, 200, 200, 200, 200, 200, 200),
    "GET auth.login": (200, 302, 302, 302, 302, 302, 302),
    "GET auth.password": (302, 200, 200, 200, 200, 200, 200),
    # Account links: open to anyone holding the link; the matrix's token is no account link (404).
    "GET auth.activate": (404, 404, 404, 404, 404, 404, 404),
    "POST auth.activate": (404, 404, 404, 404, 404, 404, 404),
    "GET auth.reset_password": (404, 404, 404, 404, 404, 404, 404),
    "POST auth.reset_password": (404, 404, 404, 404, 404, 404, 404),
    "GET auth.reset_request": (200, 200, 200, 200, 200, 200, 200),
    "POST auth.reset_request": (422, 422, 422, 422, 422, 422, 422),
    "GET bookings.booking_ics": (302, 200, 404, 404, 404, 404, 404),
    "GET bookings.calendar": (302, 200, 200, 200, 200, 200, 200),
    "GET bookings.cancel_confirm": (302, 200, 404, 200, 404, 404, 200),
    "GET bookings.checkin": (302, 200, 200, 200, 200, 200, 200),
    "GET bookings.day": (302, 200, 200, 200, 200, 200, 200),
    "GET bookings.feed": (200, 200, 200, 200, 200, 200, 200),
    "GET bookings.find": (302, 200, 200, 200, 200, 200, 200),
    "GET bookings.mine": (302, 200, 200, 200, 200, 200, 200),
    "GET bookings.notifications": (302, 200, 200, 200, 200, 200, 200),
    "GET bookings.on_behalf": (302, 403, 403, 200, 403, 403, 200),
    "GET bookings.series_detail": (302, 200, 404, 404, 404, 404, 404),
    "GET bookings.series_new": (302, 200, 200, 200, 200, 200, 200),
    "GET centers.detail": (302, 200, 200, 200, 200, 200, 200),
    "GET centers.directory": (302, 200, 200, 200, 200, 200, 200),
    "GET health.healthz": (200, 200, 200, 200, 200, 200, 200),
    "GET health.readyz": (503, 503, 503, 503, 503, 503, 503),  # the world has no scheduler running
    "GET home.index": (302, 200, 200, 200, 200, 200, 200),
    "GET jobs.detail": (302, 403, 403, 403, 403, 403, 200),
    "GET jobs.index": (302, 403, 403, 403, 403, 403, 200),
    "GET jobs.outbox": (302, 403, 403, 403, 403, 403, 200),
    "GET operations.board_fragment": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.board_page": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.booking_page": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.closure_list": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.history": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.index": (302, 403, 403, 200, 200, 403, 200),
    "GET operations.kiosk_fragment": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.kiosk_page": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.qr_sheet": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.report": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.report_csv": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.settings": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.space_deactivate": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.space_edit": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.space_list": (302, 403, 403, 200, 404, 403, 200),
    "GET operations.space_new": (302, 403, 403, 200, 404, 403, 200),
    "GET planning.billing": (302, 403, 403, 403, 403, 200, 200),
    "GET planning.center": (302, 403, 403, 403, 403, 200, 200),
    "GET planning.centers": (302, 403, 403, 403, 403, 200, 200),
    "GET planning.demand": (302, 403, 403, 403, 403, 200, 200),
    "GET planning.edit_target": (302, 403, 403, 403, 403, 200, 200),
    "GET planning.export_table": (302, 403, 403, 403, 403, 200, 200),
    "GET planning.index": (302, 403, 403, 403, 403, 200, 200),
    "GET planning.invoice": (302, 403, 403, 403, 403, 200, 200),
    "GET planning.targets": (302, 403, 403, 403, 403, 200, 200),
    "POST admin.user_roles": (302, 403, 403, 403, 403, 403, 422),
    "POST admin.user_status": (302, 403, 403, 403, 403, 403, 422),
    "POST admin.user_centers": (302, 403, 403, 403, 403, 403, 422),
    "POST admin.user_resend_activation": (302, 403, 403, 403, 403, 403, 422),
    "POST admin.agency_new": (302, 403, 403, 403, 403, 403, 422),
    "POST admin.agency_edit": (302, 403, 403, 403, 403, 403, 303),  # an empty form keeps the stored values
    "POST admin.operator_new": (302, 403, 403, 403, 403, 403, 422),
    "POST admin.operator_edit": (302, 403, 403, 403, 403, 403, 303),  # an empty form keeps the stored values
    "POST admin.contract_new": (302, 403, 403, 403, 403, 403, 422),
    "POST admin.contract_edit": (302, 403, 403, 403, 403, 403, 422),
    "POST admin.roster": (302, 403, 403, 403, 403, 403, 422),
    "POST admin.roster_review": (302, 403, 403, 403, 403, 403, 422),
    "POST api_admin.roster_preview": (401, 403, 403, 403, 403, 403, 422),
    "POST api_admin.roster_import": (401, 403, 403, 403, 403, 403, 422),
    "POST api_admin.set_user_status": (401, 403, 403, 403, 403, 403, 422),
    "DELETE api_waitlist.waitlist_leave": (401, 200, 404, 404, 404, 404, 404),
    "POST api.token_create": (302, 422, 422, 422, 422, 422, 422),
    "POST api_bookings.cancel": (401, 200, 404, 200, 404, 404, 200),
    "POST api_bookings.check_in": (401, 422, 422, 422, 422, 422, 422),
    "POST api_bookings.check_out": (401, 409, 404, 409, 404, 404, 409),
    "POST api_bookings.create": (401, 422, 422, 422, 422, 422, 422),
    "POST api_bookings.create_best": (401, 422, 422, 422, 422, 422, 422),
    "POST api_me.mark_read": (401, 200, 200, 200, 200, 200, 200),
    "POST api_series.series_cancel": (401, 200, 404, 404, 404, 404, 404),
    "POST api_series.series_create": (401, 422, 422, 422, 422, 422, 422),
    "POST api_waitlist.waitlist_join": (401, 422, 422, 422, 422, 422, 422),
    "POST auth.language": (302, 302, 302, 302, 302, 302, 302),
    "POST auth.login": (422, 302, 302, 302, 302, 302, 302),
    "POST auth.password": (302, 422, 422, 422, 422, 422, 422),
    "POST bookings.book_best": (302, 422, 422, 422, 422, 422, 422),
    "POST bookings.book_space": (302, 422, 422, 422, 422, 422, 422),
    "POST bookings.cancel": (302, 409, 404, 409, 404, 404, 409),
    "POST bookings.checkin": (302, 404, 404, 404, 404, 404, 404),
    "POST bookings.checkout": (302, 409, 404, 409, 404, 404, 409),
    "POST bookings.notifications_read": (302, 302, 302, 302, 302, 302, 302),
    "POST bookings.on_behalf": (302, 403, 403, 422, 403, 403, 422),
    "POST bookings.series_cancel_one": (302, 404, 404, 404, 404, 404, 404),
    "POST bookings.series_cancel_rest": (302, 302, 404, 404, 404, 404, 404),
    "POST bookings.series_new": (302, 200, 200, 200, 200, 200, 200),
    "POST bookings.waitlist_join": (302, 404, 404, 404, 404, 404, 404),
    "POST bookings.waitlist_leave": (302, 409, 404, 404, 404, 404, 404),
    "POST jobs.outbox_retry": (302, 403, 403, 403, 403, 403, 404),
    "POST jobs.run_now": (302, 403, 403, 403, 403, 403, 302),
    "POST operations.check_in": (302, 403, 403, 303, 404, 403, 303),
    "POST operations.check_out": (302, 403, 403, 303, 404, 403, 303),
    "POST operations.closure_delete": (302, 403, 403, 303, 404, 403, 303),
    "POST operations.closure_list": (302, 403, 403, 422, 404, 403, 422),
    "POST operations.kiosk_revoke": (302, 403, 403, 303, 404, 403, 303),
    "POST operations.kiosk_walk_in": (302, 403, 403, 422, 404, 403, 422),
    "POST operations.no_show": (302, 403, 403, 303, 404, 403, 303),
    # Closing every day hits the employee's booking: the page lists it and asks to confirm (issue 16).
    "POST operations.settings_hours": (302, 403, 403, 200, 404, 403, 200),
    "POST operations.booking_cancel": (302, 403, 403, 422, 404, 403, 422),
    "POST operations.center_ready": (302, 403, 403, 303, 404, 403, 303),
    "POST operations.booking_move": (302, 403, 403, 422, 404, 403, 422),
    "POST planning.center_ready": (302, 403, 403, 403, 403, 303, 303),
    "POST operations.settings_policy": (302, 403, 403, 303, 404, 403, 303),
    "POST operations.space_deactivate": (302, 403, 403, 200, 404, 403, 200),
    "POST operations.space_edit": (302, 403, 403, 422, 404, 403, 422),
    "POST operations.space_new": (302, 403, 403, 422, 404, 403, 422),
    "POST operations.space_reactivate": (302, 403, 403, 303, 404, 403, 303),
    "POST planning.center": (302, 403, 403, 403, 403, 422, 422),
    "POST planning.edit_target": (302, 403, 403, 403, 403, 422, 422),
    "POST planning.targets": (302, 403, 403, 403, 403, 422, 422),
    "POST planning.delete_target": (302, 403, 403, 403, 403, 302, 302),
    "POST bookings.calendar_token": (302, 200, 200, 200, 200, 200, 200),
    "POST bookings.calendar_revoke": (302, 302, 302, 302, 302, 302, 302),
    "POST api.token_revoke": (302, 302, 404, 404, 404, 404, 404),
    "POST operations.kiosk_start": (302, 403, 403, 303, 404, 403, 303),
    "POST auth.logout": (302, 302, 302, 302, 302, 302, 302),
    # Sign-in providers (none configured here: 404; signed-in people are sent home first).
    # tests/auth/test_oidc.py and test_certificates.py check them with providers configured.
    "GET auth_providers.sso_start": (404, 302, 302, 302, 302, 302, 302),
    "GET auth_providers.sso_callback": (404, 302, 302, 302, 302, 302, 302),
    "POST auth_providers.certificate_login": (404, 302, 302, 302, 302, 302, 302),
    "GET auth_providers.certificate_refused": (404, 404, 404, 404, 404, 404, 404),
    "GET auth_providers.certificate": (302, 404, 404, 404, 404, 404, 404),
    "POST auth_providers.certificate": (302, 404, 404, 404, 404, 404, 404),
    "POST auth_providers.certificate_unlink": (302, 404, 404, 404, 404, 404, 404),
}


def run_matrix(app, world, role: str) -> dict[str, int]:
    """Send every request of the matrix as ``role``; returns {"METHOD endpoint": status}."""
    client = isolate(app).test_client()
    user = None if role == "anonymous" else getattr(world, role)
    if user is not None:
        assert f.login(client, user).status_code == 302
    values = url_values(world)
    requests = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            requests[f"{method} {rule.endpoint}"] = rule
    statuses = {}
    for key in ordered(requests):
        method, endpoint = key.split(" ", 1)
        rule = requests[key]
        with app.test_request_context():
            path = app.url_for(endpoint, **{name: values[name] for name in rule.arguments}, **query_string(key))
        response = client.open(path, method=method, base_url="http://localhost.test")
        statuses[key] = response.status_code
    db.session.remove()
    return statuses


def test_every_endpoint_has_a_row(app):
    routed = {
        f"{method} {rule.endpoint}"
        for rule in app.url_map.iter_rules() if rule.endpoint not in IGNORED_ENDPOINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(routed - set(EXPECTED))
    assert not missing, "routes without a row in the authorization matrix: " + ", ".join(missing)
    stale = sorted(set(EXPECTED) - routed)
    assert not stale, "matrix rows for routes that no longer exist: " + ", ".join(stale)
    assert all(len(row) == len(ROLES) for row in EXPECTED.values())


@pytest.mark.parametrize("role", ROLES)
def test_route_role_matrix(app, world, role):
    column = ROLES.index(role)
    actual = run_matrix(app, world, role)
    mismatches = [
        f"{key}: got {status}, expected {EXPECTED[key][column]}"
        for key, status in actual.items() if key in EXPECTED and status != EXPECTED[key][column]
    ]
    assert not mismatches, f"{role}:\n  " + "\n  ".join(mismatches)
    assert actual.get("GET static") is None  # ignored endpoints are not requested


def test_no_page_shows_another_employees_booking(app, world):
    """The other employee's booking id in every booking URL: never a 200 for the employee."""
    client = isolate(app).test_client()
    f.login(client, world.employee)
    other_id = world.other_booking.id
    for path in (f"/bookings/{other_id}/cancel", f"/bookings/{other_id}.ics", f"/api/v1/bookings/{other_id}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert world.other.name not in response.text
    for path in (f"/bookings/{other_id}/cancel", f"/bookings/{other_id}/checkout",
                 f"/api/v1/bookings/{other_id}/cancel", f"/api/v1/bookings/{other_id}/check-out"):
        assert client.post(path).status_code == 404, path
    mine = client.get("/bookings/mine")
    assert world.other.name not in mine.text
    day = client.get(f"/bookings/centers/{world.center.code}/day")
    assert world.other.name not in day.text and world.other.email not in day.text
