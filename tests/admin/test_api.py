"""The admin JSON API: roster preview/import and account status, with `agency:manage` confined to one agency."""

from __future__ import annotations

from sqlalchemy import select

from smartwork.api import tokens
from smartwork.audit import AuditEvent, AuditEventType
from smartwork.auth.models import Role, User, UserStatus
from smartwork.extensions import db
from tests import factories as f

HEADER = "employee_number,name,email,agency_code,home_region_code,status\n"
MOIS_ROWS = ("M001,김민수,kim@mois.go.kr,MOIS,11110,active\n"
             "M002,이지은,lee@mois.go.kr,MOIS,11110,active\n"
             "A001,관리자,admin@mois.go.kr,MOIS,11110,active\n")


def bearer(user, scopes) -> dict[str, str]:
    return {"Authorization": "Bearer " + tokens.create_token(user, "hr", scopes, 30).secret}


def test_preview_then_import_with_an_agency_token(app, session, org, client):
    org["admin"].email = "admin@mois.go.kr"
    session.commit()
    headers = bearer(org["admin"], ["agency:manage"])
    body = {"csv": HEADER + MOIS_ROWS + "M009,한별,han@mois.go.kr,MOIS,11110,pending\n", "complete_agencies": ["MOIS"]}
    preview = client.post("/api/v1/admin/roster/preview", json=body, headers=headers)
    assert preview.status_code == 200, preview.json
    data = preview.json
    assert data["dry_run"] is True and data["counts"]["created"] == 1 and data["needs_confirmation"] == []
    assert [p["employee_number"] for p in data["created"]] == ["M009"]
    assert session.scalar(select(User).where(User.employee_number == "M009")) is None
    applied = client.post("/api/v1/admin/roster/import", json={**body, "expected_fingerprint": data["fingerprint"]},
                          headers=headers)
    assert applied.status_code == 200 and applied.json["counts"] == data["counts"]
    event = session.scalar(select(AuditEvent).where(AuditEvent.event == AuditEventType.ROSTER_IMPORT))
    assert event.details["source"] == "api" and event.actor_id == org["admin"].id


def test_the_retirement_guard_answers_409_until_confirmed(app, session, org, client):
    headers = bearer(org["admin"], ["agency:manage"])
    body = {"csv": HEADER + "A001,관리자,x@mois.go.kr,MOIS,11110,active\n", "complete_agencies": ["MOIS"]}
    refused = client.post("/api/v1/admin/roster/import", json=body, headers=headers)
    assert refused.status_code == 409 and refused.content_type.startswith("application/problem+json")
    assert refused.json["rule"] == "retirement_over_limit" and refused.json["allowed"] == {"MOIS": 0.6667}
    session.expire_all()
    assert session.get(User, org["staff"].id).status == UserStatus.ACTIVE
    done = client.post("/api/v1/admin/roster/import", json={**body, "confirm_large_retirement": True}, headers=headers)
    assert done.status_code == 200 and done.json["counts"]["retired"] == 2


def test_an_agency_token_cannot_touch_another_agency(app, session, org, client):
    headers = bearer(org["admin"], ["agency:manage"])  # the admin works for MOIS
    body = {"csv": HEADER + "F001,최유나,choi@moef.go.kr,MOEF,11110,active\n", "complete_agencies": ["MOEF"]}
    for path in ("/api/v1/admin/roster/preview", "/api/v1/admin/roster/import"):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 403 and response.json["rule"] == "other_agency", path
    assert client.get("/api/v1/admin/users/F001", headers=headers).status_code == 404
    assert client.post("/api/v1/admin/users/F001/status", json={"status": "retired"},
                       headers=headers).status_code == 404
    session.expire_all()
    assert session.get(User, org["outsider"].id).status == UserStatus.ACTIVE


def test_the_manage_scope_and_non_admins_are_refused(app, session, org, client):
    manage = bearer(org["admin"], ["read", "book", "manage"])
    response = client.get("/api/v1/admin/users/M001", headers=manage)
    assert response.status_code == 403 and response.json["rule"] == "insufficient_scope"
    employee = bearer(org["staff"], ["agency:manage"])
    response = client.get("/api/v1/admin/users/M001", headers=employee)
    assert response.status_code == 403 and response.json["rule"] == "role_required"
    assert client.get("/api/v1/admin/users/M001").status_code == 401


def test_user_status_read_and_change(app, session, org, client):
    headers = bearer(org["admin"], ["agency:manage"])
    status = client.get("/api/v1/admin/users/M001", headers=headers)
    assert status.status_code == 200 and status.json["status"] == "active" and status.json["agency_code"] == "MOIS"
    changed = client.post("/api/v1/admin/users/M001/status", headers=headers, json={
        "status": "suspended", "reason": "징계", "until": "2099-01-01T00:00:00+09:00"})
    assert changed.status_code == 200
    assert changed.json["status"] == "suspended" and changed.json["suspended_until"].startswith("2099-01-01T00:00")
    bad = client.post("/api/v1/admin/users/M001/status", headers=headers, json={"status": "suspended"})
    assert bad.status_code == 422 and bad.json["field"] == "reason"
    last = client.post("/api/v1/admin/users/A001/status", headers=headers, json={"status": "retired"})
    assert last.status_code == 409 and last.json["rule"] == "last_admin"
    unknown = client.post("/api/v1/admin/users/M001/status", headers=headers, json={"status": "x", "role": "admin"})
    assert unknown.status_code == 422


def test_the_user_list_is_paged_and_confined_to_the_tokens_agency(app, session, org, client):
    headers = bearer(org["admin"], ["agency:manage"])
    first = client.get("/api/v1/admin/users?per_page=2", headers=headers).json
    second = client.get("/api/v1/admin/users?per_page=2&page=2", headers=headers).json
    numbers = [u["employee_number"] for u in first["items"] + second["items"]]
    assert sorted(numbers) == ["A001", "M001", "M002"] and first["next_page"] == 2 and second["next_page"] is None
    suspended = client.get("/api/v1/admin/users?status=suspended", headers=headers).json
    assert suspended["items"] == []
    assert client.get("/api/v1/admin/users?q=choi", headers=headers).json["items"] == []  # MOEF's
    f.login(client, org["admin"])
    assert [u["employee_number"] for u in client.get("/api/v1/admin/users?q=choi").json["items"]] == ["F001"]


def test_an_admin_session_reaches_every_agency(app, session, org, client):
    f.login(client, org["admin"])
    response = client.get("/api/v1/admin/users/F001")
    assert response.status_code == 200 and response.json["agency_code"] == "MOEF"
    assert org["admin"].has_role(Role.ADMIN)


def test_schemathesis_finds_no_server_error_on_the_admin_endpoints(app, session, org):
    """Generated (hostile) input against the admin operations, as an agency's HR token: no 500, no spec break."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    headers = bearer(org["admin"], ["agency:manage"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [operation for operation in operations if operation.path.startswith("/api/v1/admin/")]
    assert len(operations) == 5
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except Exception as error:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
        finally:
            db.session.rollback()
    csv_text = HEADER + MOIS_ROWS.replace("A001,관리자,admin@mois.go.kr", f"A001,관리자,{org['admin'].email}")
    explicit = [
        ("/api/v1/admin/roster/preview", "POST", {"body": {"csv": csv_text, "complete_agencies": ["MOIS"]}}, 200),
        ("/api/v1/admin/users/{employee_number}", "GET", {"path_parameters": {"employee_number": "M001"}}, 200),
        ("/api/v1/admin/users", "GET", {"query": {"q": "김", "per_page": 1}}, 200),
        ("/api/v1/admin/users/{employee_number}/status", "POST",
         {"path_parameters": {"employee_number": "M002"}, "body": {"status": "retired"}}, 200),
        ("/api/v1/admin/roster/import", "POST", {"body": {"csv": csv_text}}, 200),
    ]
    for path, method, data, status in explicit:
        response = schema[path][method].Case(**data).call_and_validate(headers=headers, checks=checks)
        assert response.status_code == status, (path, response.text)
    assert not failures, "\n\n".join(failures)
