"""The audit log: recording with and without the caller's transaction, admin search and export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, select

from smartwork.audit import AuditEvent, AuditEventType, record_audit, record_audit_now
from smartwork.extensions import db
from tests.hardening.conftest import client_for

T1 = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)  # 3 Nov 00:30 in Seoul
T2 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_log(world):
    """Start from an empty log (building the world issued an API token, which is audited)."""
    db.session.execute(delete(AuditEvent))
    db.session.commit()


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_record_audit_rides_on_the_callers_transaction(app, world):
    record_audit(AuditEventType.ROLE_CHANGE, actor=world.admin, target=world.employee.email,
                 details={"added": "planner"}, now=T1)
    db.session.rollback()
    assert _count() == 0
    record_audit(AuditEventType.ROLE_CHANGE, actor=world.admin, target=world.employee.email, now=T1)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent))
    assert (event.event, event.actor_id, event.actor_label, event.at) == (
        "role_change", world.admin.id, world.admin.email, T1)


def test_record_audit_now_survives_the_callers_rollback(app, world, engine_name):
    if engine_name == "postgresql":
        world.employee.name = "rolled back"
        db.session.flush()  # an open write; on SQLite (one writer) callers have nothing uncommitted
    record_audit_now(AuditEventType.SIGN_IN_FAILED, actor_label="Someone@Korea.kr", ip="10.0.0.1",
                     details={"rule": "bad_credentials"}, now=T2)
    db.session.rollback()
    assert world.employee.name == "김직원"
    event = db.session.scalar(select(AuditEvent))
    assert event is not None
    assert (event.event, event.actor_id, event.ip, event.details) == (
        "sign_in_failed", None, "10.0.0.1", {"rule": "bad_credentials"})


def test_fields_are_cut_to_their_columns(app, world):
    record_audit(AuditEventType.EXPORT, actor=world.admin, target="x" * 500, ip="1" * 80, now=T1)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent))
    assert len(event.target) == 200
    assert len(event.ip) == 45


def _seed_events(world) -> None:
    record_audit(AuditEventType.SIGN_IN, actor=world.employee, ip="10.0.0.2", now=T1)
    record_audit(AuditEventType.EXPORT, actor=world.planner, target="planning/centers.csv", now=T2)
    record_audit(AuditEventType.SIGN_IN_FAILED, actor_label="ghost@korea.kr", now=T2,
                 details={"note": "<script>alert(1)</script>"})
    record_audit(AuditEventType.ROLE_CHANGE, actor=world.admin, target="=HYPERLINK(\"x\")", now=T2)
    db.session.commit()


def test_only_admins_see_the_audit_log(app, world):
    _seed_events(world)
    expected = {"anonymous": 302, "employee": 403, "manager": 403, "planner": 403, "admin": 200}
    for role, status in expected.items():
        client = client_for(app, world.person(role))
        assert client.get("/admin/audit").status_code == status, role
        assert client.get("/admin/audit.csv").status_code == status, role
    assert db.session.scalar(  # only the admin's export was recorded
        select(func.count()).select_from(AuditEvent).where(AuditEvent.event == "export",
                                                           AuditEvent.actor_id == world.admin.id)) == 1


def test_search_by_event_user_and_dates(app, world):
    _seed_events(world)
    client = client_for(app, world.admin)
    page = client.get("/admin/audit?event=export")
    assert page.status_code == 200
    assert "planning/centers.csv" in page.text
    assert "ghost@korea.kr" not in page.text
    by_user = client.get(f"/admin/audit?user={world.employee.employee_number}")
    assert "10.0.0.2" in by_user.text and "planning/centers.csv" not in by_user.text
    ghost = client.get("/admin/audit?user=GHOST@korea.kr")
    assert "ghost@korea.kr" in ghost.text
    # Seoul calendar days: T1 is 3 Nov in Seoul (2 Nov in UTC).
    first_day = client.get("/admin/audit?date_from=2026-11-03&date_to=2026-11-03")
    assert "10.0.0.2" in first_day.text and "planning/centers.csv" not in first_day.text
    assert "10.0.0.2" not in client.get("/admin/audit?date_from=2026-11-02&date_to=2026-11-02").text
    # HTML in details is shown escaped, never run.
    everything = client.get("/admin/audit")
    assert "<script>alert(1)</script>" not in everything.text


def test_bad_filters_are_refused_politely(app, world):
    client = client_for(app, world.admin)
    assert client.get("/admin/audit?date_from=2026-11-05&date_to=2026-11-01").status_code == 422
    assert client.get("/admin/audit?date_from=not-a-date").status_code == 422
    assert client.get("/admin/audit?event=nonsense").status_code == 422
    assert client.get("/admin/audit.csv?date_from=2026-99-99").status_code == 422
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)  # a refused export is not one
                             .where(AuditEvent.event == "export")) == 0


def test_csv_export_is_filtered_safe_and_audited(app, world):
    _seed_events(world)
    client = client_for(app, world.admin)
    response = client.get("/admin/audit.csv?date_from=2026-11-20")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert {"export", "sign_in_failed", "role_change"} <= {row["event"] for row in rows}
    assert "10.0.0.2" not in {row["ip"] for row in rows}  # the event of 3 Nov is filtered out
    role_change = next(row for row in rows if row["event"] == "role_change")
    assert role_change["target"] == "'=HYPERLINK(\"x\")"  # no formula reaches a spreadsheet
    assert role_change["at_seoul"].endswith("+09:00")
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == world.admin.id,
                                                           AuditEvent.event == "export")).all()
    assert [(e.target, e.details) for e in exported] == [("audit.csv", {"date_from": "2026-11-20"})]
    assert exported[0].at.date() >= date(2026, 1, 1)
