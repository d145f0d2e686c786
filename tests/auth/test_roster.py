"""The HR roster import: preview first, creates, updates, moves, retires leavers of complete agencies only."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from smartwork.audit import AuditEvent, AuditEventType
from smartwork.auth import roster, services
from smartwork.auth.models import User, UserStatus
from smartwork.errors import Conflict, Invalid, PermissionDenied
from tests import factories as f

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
HEADER = "employee_number,name,email,agency_code,home_region_code,status\n"


def run(text: str, header: str = HEADER, **options) -> roster.RosterReport:
    """Apply a roster; by default MOIS and MOEF are declared complete and large retirements confirmed."""
    options.setdefault("complete_agencies", _named_agencies(text))
    options.setdefault("confirm_large_retirement", True)
    return roster.import_roster(io.StringIO(header + text), now=T0, **options)


def preview(text: str, header: str = HEADER, **options) -> roster.RosterReport:
    return roster.preview_roster(io.StringIO(header + text), **options)


def _named_agencies(text: str) -> list[str]:
    known = {"MOIS", "MOEF"}
    return sorted({line.split(",")[3] for line in text.splitlines() if line.count(",") >= 3} & known)


def audit_events(session) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.event == AuditEventType.ROSTER_IMPORT)))


def users(session) -> dict[str, User]:
    session.expire_all()
    return {user.employee_number: user for user in session.scalars(select(User))}


@pytest.fixture
def world(session):
    """Two agencies and two regions; MOIS has three people, MOEF one."""
    mois, moef = f.agency(code="MOIS"), f.agency(code="MOEF")
    seoul, sejong = f.region(code="11110"), f.region(code="36110")
    f.user(employee_number="M001", email="kim@mois.go.kr", name="김민수", agency_obj=mois, home=seoul)
    f.user(employee_number="M002", email="lee@mois.go.kr", name="이지은", agency_obj=mois, home=seoul)
    f.user(employee_number="M003", email="park@mois.go.kr", name="박서준", agency_obj=mois, home=seoul)
    f.user(employee_number="F001", email="choi@moef.go.kr", name="최유나", agency_obj=moef, home=sejong)
    session.commit()
    return {"mois": mois, "moef": moef, "seoul": seoul, "sejong": sejong}


def test_import_creates_updates_and_retires_leavers_of_the_listed_agencies(app, session, world):
    old_token = users(session)["M003"].session_token
    report = run(
        "M001,김민수,kim@mois.go.kr,MOIS,11110,active\n"
        "M002,이지은,lee@mois.go.kr,MOIS,36110,active\n"  # moved to Sejong
        "M004,정하늘,jung@mois.go.kr,MOIS,36110,pending\n"  # new; M003 is gone
    )
    assert report.errors == []
    assert (report.created, report.updated, report.deactivated, report.unchanged) == (1, 1, 1, 1)
    assert [p.employee_number for p in report.retired_people] == ["M003"]
    people = users(session)
    assert people["M002"].home_region_id == world["sejong"].id
    assert people["M003"].status == UserStatus.RETIRED
    assert people["M003"].session_token != old_token  # a leaver's open sessions end
    assert people["F001"].status == UserStatus.ACTIVE  # MOEF was not in this roster
    new = people["M004"]
    assert (new.name, new.email, new.agency_id, new.status) == ("정하늘", "jung@mois.go.kr", world["mois"].id,
                                                                UserStatus.PENDING)
    assert new.password_hash is None and new.created_at == T0
    assert report.activation_sent == 1
    assert len(report.summary_lines()) == 7
    assert all(str(n) in line for n, line in zip((1, 1, 0, 1, 1, 0, 1), report.summary_lines(), strict=True))


def test_people_created_by_an_import_sign_in_only_after_a_password_is_set(app, session, world):
    run("M009,한별,han@mois.go.kr,MOIS,11110,active\nM001,김민수,kim@mois.go.kr,MOIS,11110,active\n")
    with pytest.raises(Invalid):
        services.authenticate("M009", "", now=T0)
    services.set_password("M009", "first-password-9")
    assert services.authenticate("han@mois.go.kr", "first-password-9", now=T0).employee_number == "M009"


def test_importing_the_same_roster_twice_changes_nothing_the_second_time(app, session, world):
    text = (
        "M001,김민수,KIM@MOIS.GO.KR,MOIS,11110,active\n"
        "M002,이지은 ,lee@mois.go.kr,MOIS,36110,suspended\n"
        "F002,  윤  도현 ,yoon@moef.go.kr,MOEF,36110,active\n"
    )
    first = run(text)
    assert (first.created, first.updated, first.deactivated) == (1, 2, 2)  # M003 and F001 left
    second = run(text)
    assert second.errors == []
    assert (second.created, second.updated, second.deactivated, second.unchanged) == (0, 0, 0, 3)
    assert users(session)["F002"].name == "윤 도현"


def test_status_changes_apply_and_leaving_active_ends_sessions(app, session, world):
    before = users(session)
    tokens = {number: user.session_token for number, user in before.items()}
    report = run(
        "M001,김민수,kim@mois.go.kr,MOIS,11110,suspended\n"
        "M002,이지은,lee@mois.go.kr,MOIS,11110,retired\n"
        "M003,박서준,park@mois.go.kr,MOIS,11110,active\n"
    )
    assert (report.updated, report.unchanged, report.deactivated) == (2, 1, 0)
    after = users(session)
    assert after["M001"].status == UserStatus.SUSPENDED and after["M001"].session_token != tokens["M001"]
    assert after["M002"].status == UserStatus.RETIRED and after["M002"].session_token != tokens["M002"]
    assert after["M003"].session_token == tokens["M003"]
    # Back from suspension: active again, listed, so not counted as a leaver.
    again = run(
        "M001,김민수,kim@mois.go.kr,MOIS,11110,active\n"
        "M002,이지은,lee@mois.go.kr,MOIS,11110,retired\n"
        "M003,박서준,park@mois.go.kr,MOIS,11110,active\n"
    )
    assert (again.updated, again.unchanged, again.deactivated) == (1, 2, 0)


def test_bad_rows_are_reported_by_line_and_good_rows_are_kept(app, session, world):
    report = run(
        "M001,김민수,kim@mois.go.kr,MOIS,11110,active\n"          # 2 good
        "M002,이지은,not-an-email,MOIS,11110,active\n"            # 3 bad e-mail
        "M010,,new10@mois.go.kr,MOIS,11110,active\n"             # 4 missing name
        "M011,신입,new11@mois.go.kr,NOPE,11110,active\n"          # 5 unknown agency
        "M012,신입,new12@mois.go.kr,MOIS,99999,active\n"          # 6 unknown region
        "M013,신입,new13@mois.go.kr,MOIS,11110,on_leave\n"        # 7 bad status
        "M001,김민수,kim2@mois.go.kr,MOIS,11110,active\n"         # 8 duplicate number
        "M014,신입,KIM@mois.go.kr,MOIS,11110,active\n"            # 9 duplicate e-mail in file
        "M015,신입,new15@mois.go.kr,MOIS\n"                       # 10 too few fields
        "M016,신입,choi@moef.go.kr,MOIS,11110,active\n"           # 11 e-mail of another person
        "\n"                                                    # 12 blank: skipped
        "M017,\"새 직원\nOK\",new17@mois.go.kr,MOIS,11110,active\n"  # 13-14 good, quoted newline
        "M018,신입,new18@mois.go.kr,MOIS,11110,active,extra\n"    # 15 too many fields
        "bad number,신입,new19@mois.go.kr,MOIS,11110,active\n"    # 16 bad employee number
        "M020,신입,new20@mois.go.kr,MOIS,11110,pending\n"         # 17 good
    )
    assert [line for line, _message in report.errors] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16]
    messages = dict(report.errors)
    assert "not-an-email" in messages[3]
    assert "NOPE" in messages[5]
    assert "99999" in messages[6]
    assert "on_leave" in messages[7]
    assert "2" in messages[8]  # points at the first occurrence
    assert "M001" not in messages[9] and "2" in messages[9]
    assert "F001" in messages[11]
    assert all(message for message in messages.values())
    assert (report.created, report.unchanged) == (2, 1)
    people = users(session)
    assert people["M017"].name == "새 직원 OK"
    assert people["M020"].status == UserStatus.PENDING
    for number in ("M010", "M011", "M012", "M013", "M014", "M015", "M016", "M018"):
        assert number not in people
    # M002's row was bad, but M002 is listed: a typo must not retire anyone. M003 is a leaver.
    assert people["M002"].status == UserStatus.ACTIVE and people["M002"].email == "lee@mois.go.kr"
    assert people["M003"].status == UserStatus.RETIRED
    assert report.deactivated == 1


def test_a_bad_header_rejects_the_whole_file(app, session, world):
    headers = [
        "",
        "employee_number,name,email,agency_code,status\n",
        "employee_number,name,email,agency_code,home_region_code,status,salary\n",
        "employee_number,name,name,email,agency_code,home_region_code,status\n",
    ]
    for header in headers:
        report = run("M009,한별,han@mois.go.kr,MOIS,11110,active\n", header=header)
        assert [line for line, _message in report.errors] == [1], header
        assert (report.created, report.updated, report.deactivated) == (0, 0, 0)
    assert "M009" not in users(session)
    assert users(session)["M003"].status == UserStatus.ACTIVE


def test_header_order_case_and_byte_order_mark_are_accepted(app, session, world):
    report = run("active,36110,MOIS,han@mois.go.kr,한별,M009\n",
                 header="\ufeffStatus,home_region_code,AGENCY_CODE,email,name,employee_number\n")
    assert report.errors == [] and report.created == 1
    assert users(session)["M009"].home_region_id == world["sejong"].id


def test_too_many_rows_changes_nothing(app, session, world, monkeypatch):
    monkeypatch.setattr(roster, "ROSTER_MAX_ROWS", 2)
    text = "".join(f"M10{n},신입,new{n}@mois.go.kr,MOIS,11110,active\n" for n in range(3))
    report = run(text)
    assert [line for line, _message in report.errors] == [4]
    assert (report.created, report.deactivated) == (0, 0)
    assert len(users(session)) == 4
    monkeypatch.setattr(roster, "ROSTER_MAX_ROWS", 3)
    assert run(text).created == 3


def test_too_large_a_file_changes_nothing(app, session, world, monkeypatch):
    text = "M009,한별,han@mois.go.kr,MOIS,11110,active\n"
    monkeypatch.setattr(roster, "ROSTER_MAX_CHARS", len(HEADER + text) - 1)
    report = run(text)
    assert [line for line, _message in report.errors] == [1]
    assert report.created == 0 and "M009" not in users(session)
    monkeypatch.setattr(roster, "ROSTER_MAX_CHARS", len(HEADER + text))
    assert run(text).created == 1


def test_an_unreadable_record_refuses_the_whole_file(app, session, world):
    # Only M001 is listed before the unreadable record: applying the rest would retire M002 and M003.
    report = run(
        "M001,김민수,kim@mois.go.kr,MOIS,11110,active\n"
        f"M009,{'가' * 200_000},han@mois.go.kr,MOIS,11110,active\n"
        "M002,이지은,lee@mois.go.kr,MOIS,11110,active\n"
    )
    assert [line for line, _message in report.errors] == [3]
    assert (report.created, report.updated, report.deactivated, report.unchanged) == (0, 0, 0, 0)
    people = users(session)
    assert "M009" not in people
    assert people["M003"].status == UserStatus.ACTIVE


def test_a_row_with_an_unusable_employee_number_still_protects_its_holder(app, session, world):
    # An account made before today's number rules: its roster row is refused, and not a leaver.
    f.user(employee_number="M.004", email="old@mois.go.kr", agency_obj=world["mois"])
    session.commit()
    report = run(
        "M001,김민수,kim@mois.go.kr,MOIS,11110,active\n"
        "M002,이지은,lee@mois.go.kr,MOIS,11110,active\n"
        "M003,박서준,park@mois.go.kr,MOIS,11110,active\n"
        "M.004,오래된,old@mois.go.kr,MOIS,11110,active\n"
    )
    assert [line for line, _message in report.errors] == [5]
    assert report.deactivated == 0
    assert users(session)["M.004"].status == UserStatus.ACTIVE


# --- preview, complete agencies, the retirement guard, the audit trail ---------------------------


@pytest.fixture
def five(session, world):
    """MOEF gets four more people: five in all, like the agency the stray row emptied."""
    for n in range(2, 6):
        f.user(employee_number=f"F00{n}", email=f"f{n}@moef.go.kr", agency_obj=world["moef"], home=world["sejong"])
    session.commit()
    return world


MOIS_ROSTER = (
    "M001,김민수,kim@mois.go.kr,MOIS,11110,active\n"
    "M002,이지은,lee@mois.go.kr,MOIS,11110,active\n"
    "M003,박서준,park@mois.go.kr,MOIS,11110,active\n"
)
STRAY_ROW = "F001,최유나,choi@moef.go.kr,MOEF,36110,active\n"


def test_one_stray_row_no_longer_retires_the_rest_of_its_agency(app, session, five):
    """The issue's bug: a MOIS roster with one stray MOEF row retired the other MOEF people (5 of 5 in the
    issue's test: before this fix the import retired F002..F005 with no preview and no audit entry)."""
    report = roster.import_roster(io.StringIO(HEADER + MOIS_ROSTER + STRAY_ROW), now=T0)
    assert report.errors == [] and report.deactivated == 0
    assert all(user.status == UserStatus.ACTIVE for user in users(session).values())
    (event,) = audit_events(session)
    assert event.details["counts"]["retired"] == 0 and event.details["complete_agencies"] == []


def test_declaring_the_stray_agency_complete_hits_the_guard_and_changes_nothing(app, session, five):
    text = MOIS_ROSTER + STRAY_ROW
    with pytest.raises(Conflict) as refused:
        roster.import_roster(io.StringIO(HEADER + text), complete_agencies=["MOEF"], now=T0)
    assert refused.value.rule == "retirement_over_limit" and refused.value.allowed == {"MOEF": 0.8}
    assert all(user.status == UserStatus.ACTIVE for user in users(session).values())
    assert audit_events(session) == []
    # The second confirmation retires them, and the audit event lists each one.
    report = roster.import_roster(io.StringIO(HEADER + text), complete_agencies=["MOEF"],
                                  confirm_large_retirement=True, now=T0)
    assert report.deactivated == 4
    (event,) = audit_events(session)
    assert event.details["retired"] == ["F002", "F003", "F004", "F005"]
    assert event.details["confirmed_large_retirement"] is True and event.at == T0


def test_the_guard_lets_a_small_share_through_without_confirmation(app, session, world):
    app.config["ROSTER_MAX_RETIRE_SHARE"] = 0.5
    without_m003 = MOIS_ROSTER.replace("M003,박서준,park@mois.go.kr,MOIS,11110,active\n", "")
    report = roster.import_roster(io.StringIO(HEADER + without_m003), complete_agencies=["MOIS"],
                                  now=T0)  # 1 of 3 = 33 % ≤ 50 %
    assert report.deactivated == 1 and users(session)["M003"].status == UserStatus.RETIRED
    app.config["ROSTER_MAX_RETIRE_SHARE"] = 0.10
    with pytest.raises(Conflict):  # 1 of the 2 left = 50 % > 10 %
        roster.import_roster(io.StringIO(HEADER + "M001,김민수,kim@mois.go.kr,MOIS,11110,active\n"),
                             complete_agencies=["MOIS"], now=T0)


def test_preview_lists_created_updated_moved_retired_and_changes_nothing(app, session, five):
    text = (
        "M001,김민수,kim@mois.go.kr,MOIS,36110,active\n"      # updated: home region
        "M002,이지은,lee@mois.go.kr,MOEF,11110,active\n"      # moved MOIS → MOEF
        "M009,한별,han@mois.go.kr,MOIS,11110,pending\n"       # created
        + STRAY_ROW
    )
    before = {number: (u.status, u.agency_id, u.home_region_id) for number, u in users(session).items()}
    report = preview(text, complete_agencies=["MOIS", "MOEF"])
    assert report.dry_run
    assert [p.employee_number for p in report.created_people] == ["M009"]
    assert [(p.employee_number, p.detail) for p in report.updated_people] == [("M001", "home_region_id")]
    assert [(p.employee_number, p.detail) for p in report.moved_people] == [("M002", "MOIS → MOEF")]
    assert [p.employee_number for p in report.retired_people] == ["F002", "F003", "F004", "F005", "M003"]
    assert (report.created, report.updated, report.moved, report.deactivated, report.unchanged) == (1, 1, 1, 5, 1)
    plans = {plan.code: plan for plan in report.agencies}
    assert (plans["MOEF"].listed, plans["MOEF"].current, plans["MOEF"].retiring) == (2, 5, 4)
    assert (plans["MOIS"].listed, plans["MOIS"].current, plans["MOIS"].retiring) == (2, 3, 1)
    assert {plan.code for plan in report.over_limit} == {"MOIS", "MOEF"}
    lines = report.preview_lines()
    assert any("M009" in line for line in lines) and any("F005" in line for line in lines)
    after = {number: (u.status, u.agency_id, u.home_region_id) for number, u in users(session).items()}
    assert after == before and "M009" not in after
    assert audit_events(session) == []
    # Applying with the preview's fingerprint does what the preview said.
    applied = run(text, complete_agencies=["MOIS", "MOEF"], expected_fingerprint=report.fingerprint)
    assert applied.counts() == report.counts()
    people = users(session)
    assert people["M002"].agency_id == five["moef"].id and people["M003"].status == UserStatus.RETIRED


def test_an_apply_refuses_a_plan_that_changed_since_the_preview(app, session, world):
    report = preview(MOIS_ROSTER)
    f.user(employee_number="M004", email="new@mois.go.kr", agency_obj=world["mois"])
    session.commit()
    assert preview(MOIS_ROSTER).fingerprint == report.fingerprint  # not complete: M004 is not retired
    changed = preview(MOIS_ROSTER, complete_agencies=["MOIS"])
    assert changed.fingerprint != report.fingerprint
    with pytest.raises(Conflict) as refused:
        run(MOIS_ROSTER, complete_agencies=["MOIS"], expected_fingerprint=report.fingerprint)
    assert refused.value.rule == "roster_preview_stale"
    assert users(session)["M004"].status == UserStatus.ACTIVE


def test_complete_agencies_must_be_known_and_named_by_the_roster(app, session, world):
    for codes, rule in ((["NOPE"], "unknown_agency"), (["MOEF"], "complete_agency_not_listed")):
        with pytest.raises(Invalid) as refused:
            run(MOIS_ROSTER, complete_agencies=codes)
        assert refused.value.rule == rule and refused.value.field == "complete_agencies"
    assert users(session)["F001"].status == UserStatus.ACTIVE


def test_an_agency_restricted_import_refuses_other_agencies(app, session, world):
    mois = world["mois"].id
    with pytest.raises(PermissionDenied):
        run(MOIS_ROSTER + STRAY_ROW, complete_agencies=[], restrict_to_agency=mois)
    with pytest.raises(PermissionDenied):
        run(MOIS_ROSTER, complete_agencies=["MOEF"], restrict_to_agency=mois)
    # A MOEF person claimed by a MOIS row is refused on that row, not moved.
    report = run(MOIS_ROSTER + "F001,최유나,choi@moef.go.kr,MOIS,36110,active\n", complete_agencies=["MOIS"],
                 restrict_to_agency=mois)
    assert [line for line, _message in report.errors] == [5]
    assert users(session)["F001"].agency_id == world["moef"].id


def test_every_import_is_one_audit_event_with_its_counts(app, session, world):
    run(MOIS_ROSTER + "M009,한별,han@mois.go.kr,MOIS,11110,active\nbad,row\n", complete_agencies=["MOIS"])
    (event,) = audit_events(session)
    assert event.details["counts"] == {"created": 1, "updated": 0, "moved": 0, "retired": 0, "unchanged": 3,
                                       "errors": 1}
    assert event.details["source"] == "cli" and event.actor_label == "cli" and event.target == "MOIS"


def test_users_import_dry_run_prints_the_preview_and_changes_nothing(app, session, five, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + MOIS_ROSTER + STRAY_ROW, encoding="utf-8")
    cli = app.test_cli_runner()
    result = cli.invoke(args=["users", "import", str(path), "--dry-run", "--complete", "MOEF"])
    assert result.exit_code == 0, result.output
    assert "F002" in result.stdout and "F005" in result.stdout and "MOEF" in result.stdout
    assert all(user.status == UserStatus.ACTIVE for user in users(session).values())
    refused = cli.invoke(args=["users", "import", str(path), "--complete", "MOEF"])
    assert refused.exit_code == 1 and "MOEF" in refused.output
    assert audit_events(session) == []
    done = cli.invoke(args=["users", "import", str(path), "--complete", "MOEF", "--confirm-large-retirement"])
    assert done.exit_code == 0 and "retired F005" in done.stdout
    assert users(session)["F005"].status == UserStatus.RETIRED


def test_a_roster_cannot_retire_or_suspend_the_last_active_administrator(app, session, world):
    from smartwork.auth.models import Role, RoleAssignment

    people = users(session)
    session.add(RoleAssignment(user_id=people["M003"].id, role=Role.ADMIN))
    session.commit()
    suspended = MOIS_ROSTER.replace("park@mois.go.kr,MOIS,11110,active", "park@mois.go.kr,MOIS,11110,suspended")
    for text, complete in ((MOIS_ROSTER.replace("M003,박서준,park@mois.go.kr,MOIS,11110,active\n", ""), ["MOIS"]),
                           (suspended, [])):
        with pytest.raises(Conflict) as refused:
            run(text, complete_agencies=complete)
        assert refused.value.rule == "last_admin"
    assert users(session)["M003"].status == UserStatus.ACTIVE and audit_events(session) == []
    # With another active admin elsewhere, the same roster goes through.
    session.add(RoleAssignment(user_id=users(session)["F001"].id, role=Role.ADMIN))
    session.commit()
    assert run(suspended, complete_agencies=[]).updated == 1
