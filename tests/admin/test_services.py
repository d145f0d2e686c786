"""Admin services: user search, roles (the last admin stays), status, center managers, organisations."""

from __future__ import annotations

import importlib.util
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from smartwork.admin import organisations as org_services
from smartwork.admin import services
from smartwork.audit import AuditEvent, AuditEventType, record_audit
from smartwork.auth.models import AgencyKind, Role, User, UserStatus
from smartwork.centers.models import CenterManager, Ownership
from smartwork.errors import Conflict, Invalid, NotFound, Unavailable
from smartwork.extensions import db
from tests import factories as f

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def events(session, kind: AuditEventType) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.event == kind).order_by(AuditEvent.id)))


def test_search_by_name_number_email_agency_status_and_role(app, session, org):
    def found(**criteria) -> list[str]:
        page = services.search_users(services.UserFilter(**criteria))
        return sorted(user.employee_number for user in page.items)

    assert found(text="김민") == ["M001"]
    assert found(text="m002") == ["M002"]
    assert found(text="CHOI@moef") == ["F001"]
    assert found(agency_code="MOEF") == ["F001"]
    assert found(role=Role.ADMIN) == ["A001"]
    assert found(text="%") == []  # LIKE wildcards are literal
    org["other"].status = UserStatus.SUSPENDED
    session.commit()
    assert found(status=UserStatus.SUSPENDED, agency_code="MOIS") == ["M002"]
    assert services.search_users(services.UserFilter(agency_code="MOIS"), per_page=2).pages == 2


def test_grant_and_revoke_roles_are_audited_with_before_and_after(app, session, org):
    admin, staff = org["admin"], org["staff"]
    token = staff.session_token
    assert services.set_role(admin, staff, Role.PLANNER, True, now=T0)
    assert not services.set_role(admin, staff, Role.PLANNER, True, now=T0)  # already held: nothing
    assert services.set_role(admin, staff, Role.PLANNER, False, now=T0)
    assert staff.session_token != token  # a revoked role ends the sessions that carried it
    first, second = events(session, AuditEventType.ROLE_CHANGE)
    assert first.details == {"added": "planner", "before": ["employee"], "after": ["employee", "planner"]}
    assert second.details["removed"] == "planner" and first.actor_id == admin.id and first.at == T0
    with pytest.raises(Invalid):
        services.set_role(admin, staff, Role.EMPLOYEE, False)


def test_the_last_admin_cannot_be_removed_by_role_suspension_or_retirement(app, session, org):
    admin = org["admin"]
    with pytest.raises(Conflict) as refused:
        services.set_role(admin, admin, Role.ADMIN, False)
    assert refused.value.rule == "last_admin"
    for status in (UserStatus.SUSPENDED, UserStatus.RETIRED):
        with pytest.raises(Conflict):
            services.change_status(admin, admin, status, reason="test", now=T0)
    services.set_role(admin, org["staff"], Role.ADMIN, True)
    assert services.set_role(admin, admin, Role.ADMIN, False)  # another admin exists now
    session.expire_all()
    assert not db.session.get(User, admin.id).has_role(Role.ADMIN)
    with pytest.raises(Conflict):
        services.set_role(org["staff"], org["staff"], Role.ADMIN, False)


def test_two_admins_removing_each_other_at_once_leave_one(app, app_factory, session, org, engine_name):
    """Two workers each revoke the other admin's role at the same moment: exactly one succeeds."""
    second = f.user(roles=(Role.ADMIN,), agency_obj=org["mois"], employee_number="A002")
    session.commit()
    ids = (org["admin"].id, second.id)
    session.commit()  # reading the ids began a transaction: on SQLite it would hold the write lock
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    apps = [app_factory(), app_factory()]  # built here: compiling in two threads at once trips CPython 3.11

    def revoke(other_app, actor_id: int, target_id: int) -> None:
        with other_app.app_context():
            actor, target = db.session.get(User, actor_id), db.session.get(User, target_id)
            assert target.has_role(Role.ADMIN) and actor.has_role(Role.ADMIN)  # both start as admins
            db.session.commit()  # end the read (on SQLite it would hold the write lock across the barrier)
            barrier.wait()
            try:
                services.set_role(actor, target, Role.ADMIN, False)
                outcomes.append("ok")
            except Conflict:
                outcomes.append("last_admin")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=revoke, args=(apps[n], *pair)) for n, pair in enumerate((ids, ids[::-1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["last_admin", "ok"]
    session.expire_all()
    admins = session.scalars(select(User).where(User.id.in_(ids))).all()
    assert sum(user.has_role(Role.ADMIN) for user in admins) == 1


def test_suspend_with_reason_and_until_then_activate(app, session, org):
    admin, staff = org["admin"], org["staff"]
    token = staff.session_token
    with pytest.raises(Invalid) as refused:
        services.change_status(admin, staff, UserStatus.SUSPENDED, now=T0)
    assert refused.value.field == "reason"
    with pytest.raises(Invalid) as refused:
        services.change_status(admin, staff, UserStatus.SUSPENDED, reason="x", until=T0, now=T0)
    assert refused.value.field == "until"
    until = T0 + timedelta(days=7)
    assert services.change_status(admin, staff, UserStatus.SUSPENDED, reason=" 감사  중 ", until=until, now=T0)
    assert (staff.status, staff.suspended_reason, staff.suspended_until) == (UserStatus.SUSPENDED, "감사 중", until)
    assert staff.session_token != token
    assert services.change_status(admin, staff, UserStatus.ACTIVE, now=T0)
    assert (staff.suspended_reason, staff.suspended_until) == (None, None)
    assert not services.change_status(admin, staff, UserStatus.ACTIVE, now=T0)
    suspended, activated = events(session, AuditEventType.ACCOUNT_STATUS)
    assert suspended.details["before"]["status"] == "active"
    assert suspended.details["after"] == {"status": "suspended", "reason": "감사 중", "until": until.isoformat()}
    assert activated.details["after"]["status"] == "active"
    assert services.change_status(admin, staff, UserStatus.RETIRED, now=T0)
    with pytest.raises(Invalid):
        services.change_status(admin, staff, UserStatus.PENDING, now=T0)


def test_a_pending_account_without_password_cannot_be_activated_by_hand(app, session, org):
    newcomer = f.user(agency_obj=org["mois"], status=UserStatus.PENDING)
    newcomer.password_hash = None
    session.commit()
    with pytest.raises(Invalid) as refused:
        services.change_status(org["admin"], newcomer, UserStatus.ACTIVE, now=T0)
    assert refused.value.rule == "activation_pending"


def test_managers_hold_several_centers_and_lose_them_with_the_role(app, session, org):
    admin, staff = org["admin"], org["staff"]
    second = f.center(code="sejong")
    session.commit()
    with pytest.raises(Invalid):
        services.assign_center(admin, staff, org["center"], True)
    services.set_role(admin, staff, Role.CENTER_MANAGER, True)
    assert services.assign_center(admin, staff, org["center"], True, now=T0)
    assert services.assign_center(admin, staff, second, True, now=T0)
    assert not services.assign_center(admin, staff, second, True, now=T0)
    assert {c.code for c in services.managed_centers_of(staff)} == {"pangyo", "sejong"}
    assert services.assign_center(admin, staff, second, False, now=T0)
    assert {c.code for c in services.managed_centers_of(staff)} == {"pangyo"}
    services.set_role(admin, staff, Role.CENTER_MANAGER, False)
    assert session.scalars(select(CenterManager).where(CenterManager.user_id == staff.id)).all() == []
    details = [event.details for event in events(session, AuditEventType.ROLE_CHANGE)]
    assert {"center_added": "pangyo", "before": [], "after": ["pangyo"]} in details
    assert details[-1]["centers_removed"] == ["pangyo"]
    with pytest.raises(NotFound):
        services.get_center_by_code("nope")


def test_sign_in_history_comes_from_the_audit_trail(app, session, org):
    staff = org["staff"]
    record_audit(AuditEventType.SIGN_IN, actor=staff, now=T0, ip="10.0.0.1")
    record_audit(AuditEventType.SIGN_IN_FAILED, actor=staff, now=T0 + timedelta(hours=1))
    record_audit(AuditEventType.EXPORT, actor=staff, now=T0 + timedelta(hours=2))  # not a sign-in
    record_audit(AuditEventType.SIGN_IN, actor=org["other"], now=T0)  # someone else's
    session.commit()
    history = services.sign_in_history(staff)
    assert [event.event for event in history] == ["sign_in_failed", "sign_in"]


@pytest.mark.skipif(importlib.util.find_spec("smartwork.auth.activation") is None,
                    reason="needs smartwork.auth.activation.resend_activation (engineer 14a, issue 14 §1); "
                           "runs once that branch is merged")
def test_resend_activation_calls_the_activation_service(app, session, org):
    newcomer = f.user(agency_obj=org["mois"], status=UserStatus.PENDING)
    session.commit()
    services.resend_activation(org["admin"], newcomer, now=T0)


@pytest.mark.skipif(importlib.util.find_spec("smartwork.auth.activation") is not None,
                    reason="smartwork.auth.activation exists: the real resend is tested above")
def test_resend_activation_says_it_is_unavailable_until_activation_exists(app, session, org):
    with pytest.raises(Unavailable) as refused:
        services.resend_activation(org["admin"], org["staff"], now=T0)
    assert refused.value.rule == "activation_unavailable"


# --- agencies, operators, contracts -----------------------------------------------------------


def test_agencies_and_operators_are_created_and_edited_with_audit(app, session, org):
    admin = org["admin"]
    agency = org_services.save_agency(admin, None, code="MOLEG", name_ko="법제처", name_en="Ministry of Legislation",
                                      kind=AgencyKind.CENTRAL, now=T0)
    org_services.save_agency(admin, agency, code="MOLEG", name_ko="법제처", name_en="Legislation",
                             kind=AgencyKind.CENTRAL, now=T0)
    org_services.save_agency(admin, agency, code="MOLEG", name_ko="법제처", name_en="Legislation",
                             kind=AgencyKind.CENTRAL, now=T0)  # no change: no event
    created, edited = events(session, AuditEventType.AGENCY_CHANGE)
    assert created.details["before"] is None and created.details["after"]["code"] == "MOLEG"
    assert edited.details["before"]["name_en"] == "Ministry of Legislation"
    assert edited.details["after"]["name_en"] == "Legislation"
    with pytest.raises(Invalid) as refused:
        org_services.save_agency(admin, None, code="MOIS", name_ko="중복", name_en="Dup", kind=AgencyKind.CENTRAL)
    assert refused.value.field == "code"
    with pytest.raises(Invalid):
        org_services.save_agency(admin, None, code="bad code", name_ko="x", name_en="x", kind=AgencyKind.LOCAL)
    operator = org_services.save_operator(admin, None, code="regus", name_ko="리저스", name_en="Regus",
                                          ownership=Ownership.PRIVATE, now=T0)
    assert events(session, AuditEventType.OPERATOR_CHANGE)[0].details["after"]["ownership"] == "private"
    with pytest.raises(Invalid) as refused:  # it runs a center: ownership is fixed
        org_services.save_operator(admin, org["private"], code="kt", name_ko="케이티", name_en="KT",
                                   ownership=Ownership.PUBLIC)
    assert refused.value.rule == "operator_has_centers"
    assert operator.id is not None


def test_contracts_produce_contract_change_events_with_before_and_after(app, session, org):
    admin, mois, private = org["admin"], org["mois"], org["private"]
    contract = org_services.save_contract(admin, None, agency=mois, operator=private, hourly_rate_krw=5000,
                                          starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), now=T0)
    org_services.save_contract(admin, contract, agency=mois, operator=private, hourly_rate_krw=5500,
                               starts_on=date(2026, 1, 1), ends_on=None, now=T0)
    created, edited = events(session, AuditEventType.CONTRACT_CHANGE)
    assert created.details["before"] is None and created.details["after"] == {
        "agency": "MOIS", "operator": "kt", "hourly_rate_krw": 5000, "starts_on": "2026-01-01",
        "ends_on": "2026-12-31", "centers": []}
    assert edited.details["before"]["hourly_rate_krw"] == 5000
    assert edited.details["after"]["hourly_rate_krw"] == 5500 and edited.details["after"]["ends_on"] is None
    assert edited.target == f"contract {contract.id}"
    with pytest.raises(Conflict) as refused:  # overlaps the open-ended one
        org_services.save_contract(admin, None, agency=mois, operator=private, hourly_rate_krw=1,
                                   starts_on=date(2030, 1, 1), ends_on=None)
    assert refused.value.rule == "contract_overlap"
    public = f.operator(Ownership.PUBLIC)
    with pytest.raises(Invalid):
        org_services.save_contract(admin, None, agency=mois, operator=public, hourly_rate_krw=1,
                                   starts_on=date(2026, 1, 1), ends_on=None)
    with pytest.raises(Invalid):
        org_services.save_contract(admin, None, agency=org["moef"], operator=private, hourly_rate_krw=-1,
                                   starts_on=date(2026, 1, 1), ends_on=None)
    with pytest.raises(Invalid):
        org_services.save_contract(admin, None, agency=org["moef"], operator=private, hourly_rate_krw=1,
                                   starts_on=date(2026, 2, 1), ends_on=date(2026, 1, 1))
    assert [row.centers for row in org_services.list_contracts("MOIS")] == [1]
    assert [c.code for c in org_services.covered_centers(contract)] == ["pangyo"]


def test_suspensions_end_by_themselves_once_and_only_when_due(app, session, org):
    from smartwork.jobs.services import run_job

    admin, staff, other = org["admin"], org["staff"], org["other"]
    services.change_status(admin, staff, UserStatus.SUSPENDED, reason="징계", until=T0 + timedelta(days=1), now=T0)
    services.change_status(admin, other, UserStatus.SUSPENDED, reason="무기한", now=T0)  # no end
    assert services.end_due_suspensions(now=T0 + timedelta(hours=23)) == 0
    assert run_job("end_suspensions", now=T0 + timedelta(days=1)).rows_touched == 1
    assert services.end_due_suspensions(now=T0 + timedelta(days=2)) == 0  # already done
    session.expire_all()
    back = session.get(User, staff.id)
    assert back.status == UserStatus.ACTIVE and back.suspended_reason is None
    assert session.get(User, other.id).status == UserStatus.SUSPENDED
    last = events(session, AuditEventType.ACCOUNT_STATUS)[-1]
    assert last.actor_label == "scheduler" and last.details["after"]["status"] == "active"
    assert last.at == T0 + timedelta(days=1)


def test_a_contract_limited_to_some_centers_reaches_only_them(app, session, org):
    from datetime import time

    from smartwork.bookings.policies import has_contract
    from smartwork.bookings.search import _eligible_centers
    from smartwork.centers.models import SpaceKind
    from smartwork.planning.billing import _contract_for

    private, admin, staff = org["private"], org["admin"], org["staff"]
    listed = f.center(code="listed", ownership=Ownership.PRIVATE, operator_obj=private, spaces={SpaceKind.DESK: 1})
    unlisted = f.center(code="unlisted", ownership=Ownership.PRIVATE, operator_obj=private,
                        spaces={SpaceKind.DESK: 1})
    f.center(code="elsewhere", ownership=Ownership.PRIVATE)  # another operator's
    session.commit()
    monday = date(2026, 3, 2)
    contract = org_services.save_contract(admin, None, agency=org["mois"], operator=private, hourly_rate_krw=5000,
                                          starts_on=date(2026, 1, 1), ends_on=None, center_codes=["listed"], now=T0)
    assert has_contract(staff, listed, monday) and not has_contract(staff, unlisted, monday)
    eligible = {row[0] for row in _eligible_centers(monday, time(9), time(10), SpaceKind.DESK, staff, None)}
    assert listed.id in eligible and unlisted.id not in eligible
    assert _contract_for([contract], monday, listed.id) is contract
    assert _contract_for([contract], monday, unlisted.id) is None  # not billed at the contract's rate
    assert [c.code for c in org_services.covered_centers(contract)] == ["listed"]
    with pytest.raises(Invalid) as refused:
        org_services.save_contract(admin, contract, agency=org["mois"], operator=private, hourly_rate_krw=5000,
                                   starts_on=date(2026, 1, 1), ends_on=None, center_codes=["elsewhere"])
    assert refused.value.field == "centers" and "elsewhere" in refused.value.message
    session.rollback()
    org_services.save_contract(admin, contract, agency=org["mois"], operator=private, hourly_rate_krw=5000,
                               starts_on=date(2026, 1, 1), ends_on=None, center_codes=[], now=T0)
    assert has_contract(staff, unlisted, monday)  # no list: every center of the operator
    created, widened = events(session, AuditEventType.CONTRACT_CHANGE)
    assert created.details["after"]["centers"] == ["listed"]
    assert widened.details["before"]["centers"] == ["listed"] and widened.details["after"]["centers"] == []
    assert org_services.parse_center_codes("a, b\nb  c") == ["a", "b", "c"]
