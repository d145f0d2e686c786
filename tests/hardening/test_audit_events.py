"""The security-relevant events land in the audit log where they happen (issue 9 §1)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from smartwork.audit import AuditEvent
from smartwork.auth.models import Role
from smartwork.extensions import db
from smartwork.timeutils import local_today
from tests import factories as f
from tests.hardening.conftest import client_for


def _events(kind: str | None = None) -> list[AuditEvent]:
    db.session.rollback()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if kind:
        query = query.where(AuditEvent.event == kind)
    return list(db.session.scalars(query))


def test_sign_in_success_and_failures_are_audited(app, world):
    client = client_for(app, None)
    assert f.login(client, world.employee, password="wrong").status_code == 422
    assert client.post("/auth/login", data={"identifier": "nobody@korea.kr", "password": "x"}).status_code == 422
    assert f.login(client, world.employee).status_code == 302
    failed = _events("sign_in_failed")
    assert [(e.actor_id, e.actor_label.lower()) for e in failed] == [
        (world.employee.id, world.employee.email.lower()), (None, "nobody@korea.kr")]
    assert all(e.details.get("rule") == "bad_credentials" for e in failed)
    assert all(e.ip == "127.0.0.1" for e in failed)
    signed_in = _events("sign_in")
    assert [e.actor_id for e in signed_in] == [world.employee.id]


def test_lockout_is_audited_once(app, world):
    client = client_for(app, None)
    statuses = [f.login(client, world.employee, password="wrong").status_code
                for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1)]
    assert statuses[-1] == 422  # a lock answers like a wrong password (issue 14: no account oracle)
    assert [e.actor_id for e in _events("lockout")] == [world.employee.id]
    assert len(_events("sign_in_failed")) == app.config["LOGIN_MAX_FAILURES"] + 1


def test_booking_on_behalf_is_audited_and_own_booking_is_not(app, world):
    manager = client_for(app, world.manager)
    day = (local_today() + timedelta(days=2)).isoformat()
    response = manager.post(f"/bookings/centers/{world.center.code}/on-behalf", data={
        "employee_number": world.other.employee_number, "space": str(world.room.id), "date": day,
        "start": "14:00", "end": "15:00", "attendees": "2"})
    assert response.status_code == 302, response.text[:500]
    events = _events("booking_on_behalf")
    assert [(e.actor_id, e.target) for e in events] == [(world.manager.id, world.other.employee_number)]
    assert events[0].details["booking_id"]
    employee = client_for(app, world.employee)
    employee.post(f"/bookings/centers/{world.center.code}/book", data={
        "space": str(world.room.id), "date": day, "start": "16:00", "end": "17:00", "attendees": "2"})
    assert len(_events("booking_on_behalf")) == 1


def test_exports_are_audited(app, world):
    planner = client_for(app, world.planner)
    assert planner.get("/planning/export/rollout.csv").status_code == 200
    assert planner.get("/planning/export/rollout.xlsx").status_code == 200
    manager = client_for(app, world.manager)
    assert manager.get(f"/operations/centers/{world.center.code}/reports.csv").status_code == 200
    exports = _events("export")
    assert [(e.actor_id, e.target) for e in exports] == [
        (world.planner.id, "planning/rollout.csv"),
        (world.planner.id, "planning/rollout.xlsx"),
        (world.manager.id, f"operations/{world.center.code}/reports.csv"),
    ]


def test_refused_exports_are_not_audited(app, world):
    client_for(app, world.employee).get("/planning/export/rollout.csv")
    client_for(app, world.other_manager).get(f"/operations/centers/{world.center.code}/reports.csv")
    assert _events("export") == []


def test_role_changes_are_audited(app, world):
    from smartwork.auth.services import grant_role

    grant_role(world.employee, Role.PLANNER)
    db.session.commit()
    events = _events("role_change")
    assert [(e.target, e.details) for e in events] == [(world.employee.email, {"added": "planner"})]
    grant_role(world.employee, Role.PLANNER)  # no change, no event
    db.session.commit()
    assert len(_events("role_change")) == 1


def test_api_tokens_are_audited(app, world):
    client = client_for(app, world.employee)
    response = client.post("/api/tokens", data={"name": "laptop", "scopes": ["read"], "days": "30"})
    assert response.status_code == 200
    created = _events("token_created")  # the world's own token ("matrix") was audited too
    assert [(e.actor_id, e.target) for e in created] == [(world.employee.id, "matrix"), (world.employee.id, "laptop")]
    client.post(f"/api/tokens/{world.api_token.id}/revoke")
    assert [e.target for e in _events("token_revoked")] == ["matrix"]


def test_password_changes_are_audited(app, world):
    from smartwork.auth.services import set_password

    client = client_for(app, world.employee)
    response = client.post("/auth/password", data={"current_password": f.PASSWORD,
                                                    "new_password": "a-new-password-77"})
    assert response.status_code == 302
    set_password(world.other.email, "another-password-88")  # the admin's CLI
    events = _events("password_change")
    assert [(e.actor_id, e.target) for e in events] == [
        (world.employee.id, world.employee.email), (None, world.other.email)]
    assert events[1].details == {"by": "admin"}
