"""`flask users create | import | set-password | resend-activation` through the real command line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from smartwork.auth import activation, services
from smartwork.auth.models import Role, TokenPurpose, User, UserStatus
from smartwork.errors import NotFound
from smartwork.mail import OutboxMessage
from tests import factories as f
from tests.auth.mailbox import link_in

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
HEADER = "employee_number,name,email,agency_code,home_region_code,status\n"


@pytest.fixture
def mois(session):
    agency = f.agency(code="MOIS")
    f.region(code="11110")
    session.commit()
    return agency


def invoke(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=["users", *args], input=input)


def summary(stdout: str) -> list[str]:
    """The report's lines, after any mail the console backend printed."""
    return stdout.rsplit("--- end mail ---", 1)[-1].strip().splitlines()


def user_by_number(session, number: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.employee_number == number))


CREATE = ["create", "--employee-number", "M2026001", "--email", "lee.jieun@mois.go.kr", "--name", "이지은",
          "--agency", "MOIS", "--home-region", "11110"]


def test_users_create_makes_an_account_that_signs_in(app, session, mois):
    result = invoke(app, *CREATE, "--role", "planner", "--role", "admin", "--password", "first-password-9")
    assert result.exit_code == 0, result.output
    assert "M2026001" in result.output
    user = user_by_number(session, "M2026001")
    assert user.role_set == {Role.EMPLOYEE, Role.PLANNER, Role.ADMIN}
    assert user.status == UserStatus.ACTIVE
    assert services.authenticate("lee.jieun@mois.go.kr", "first-password-9", now=NOW).id == user.id


def test_users_create_prompts_for_the_password_twice(app, session, mois):
    result = invoke(app, *CREATE, input="first-password-9\nfirst-password-9\n")
    assert result.exit_code == 0, result.output
    assert services.authenticate("M2026001", "first-password-9", now=NOW)


def test_users_create_reports_invalid_input(app, session, mois):
    cases = [("--agency", "NOPE"), ("--home-region", "99999"), ("--email", "not-an-email"), ("--password", "short1")]
    for option, value in cases:
        args = [*CREATE, "--password", "first-password-9"]
        args[args.index(option) + 1] = value
        result = invoke(app, *args)
        assert result.exit_code == 1, option
        assert "Error" in result.output
        if option != "--password":
            assert value in result.output
    assert user_by_number(session, "M2026001") is None


def test_users_create_refuses_a_duplicate(app, session, mois):
    assert invoke(app, *CREATE, "--password", "first-password-9").exit_code == 0
    args = list(CREATE)
    args[args.index("--email") + 1] = "other@mois.go.kr"
    result = invoke(app, *args, "--password", "first-password-9")
    assert result.exit_code == 1
    assert "M2026001" in result.output


def test_users_import_reports_counts_and_bad_lines(app, session, mois, tmp_path):
    f.user(employee_number="M001", email="gone@mois.go.kr", agency_obj=mois)
    session.commit()
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "\ufeff" + HEADER
        + "M100,한별,han@mois.go.kr,MOIS,11110,active\n"
        + "M101,정하늘,bad-email,MOIS,11110,active\n"
        + "M102,윤도현,yoon@mois.go.kr,MOIS,11110,sleeping\n",
        encoding="utf-8",
    )
    result = invoke(app, "import", str(roster))
    assert result.exit_code == 1  # some rows were refused
    assert "line 3:" in result.stderr and "bad-email" in result.stderr
    assert "line 4:" in result.stderr and "sleeping" in result.stderr
    assert len(summary(result.stdout)) == 7
    # The activation mail waits in the outbox, written in the import's transaction.
    assert session.scalars(select(OutboxMessage.recipient)).all() == ["han@mois.go.kr"]
    assert user_by_number(session, "M100").password_hash is None
    # MOIS was not declared complete (--complete MOIS): nobody is retired.
    assert user_by_number(session, "M001").status == UserStatus.ACTIVE


def test_users_import_twice_reports_everything_unchanged(app, session, mois, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(HEADER + "M100,한별,han@mois.go.kr,MOIS,11110,active\n"
                      + "M101,정하늘,jung@mois.go.kr,MOIS,11110,pending\n", encoding="utf-8")
    first = invoke(app, "import", str(roster))
    second = invoke(app, "import", str(roster))
    assert first.exit_code == second.exit_code == 0
    assert first.stdout != second.stdout
    counts = [int(line.rsplit(" ", 1)[-1]) for line in summary(second.stdout)]
    assert counts == [0, 0, 0, 0, 2, 0, 0]  # created, updated, moved, deactivated, unchanged, errors, activations


def test_users_import_explains_a_file_that_is_not_utf8(app, session, mois, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes((HEADER + "M100,한별,han@mois.go.kr,MOIS,11110,active\n").encode("cp949"))
    result = invoke(app, "import", str(roster))
    assert result.exit_code == 1
    assert "line 1:" in result.stderr and "UTF-8" in result.stderr
    assert user_by_number(session, "M100") is None


def test_users_import_of_a_missing_file_fails(app, tmp_path):
    assert invoke(app, "import", str(tmp_path / "nope.csv")).exit_code == 2


def test_users_resend_activation_mails_new_links_over_smtp(app, session, mois, tmp_path, smtp):
    roster = tmp_path / "roster.csv"
    roster.write_text(HEADER + "M100,한별,han@mois.go.kr,MOIS,11110,active\n"
                      + "M101,정하늘,jung@mois.go.kr,MOIS,11110,active\n", encoding="utf-8")
    assert invoke(app, "import", str(roster)).exit_code == 0
    first = {m["To"]: link_in(m)[2] for m in smtp.wait_for(2)}
    result = invoke(app, "resend-activation", "M100")
    assert result.exit_code == 0, result.output
    assert "han@mois.go.kr" in result.stdout
    latest = link_in(smtp.wait_for(3)[-1])
    assert latest[2] != first["han@mois.go.kr"]
    with pytest.raises(NotFound):  # the first link was replaced
        activation.link_owner(first["han@mois.go.kr"], TokenPurpose.ACTIVATION)
    everyone = invoke(app, "resend-activation", "--all-pending")
    assert everyone.exit_code == 0 and len(smtp.wait_for(5)) == 5
    f.user(employee_number="M200")
    session.commit()
    refused = invoke(app, "resend-activation", "M200")
    assert refused.exit_code == 1 and "M200" in refused.output
    assert invoke(app, "resend-activation", "M999").exit_code == 1
    assert invoke(app, "resend-activation").exit_code == 2


def test_users_set_password_lets_an_imported_person_sign_in(app, session, mois, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(HEADER + "M100,한별,han@mois.go.kr,MOIS,11110,active\n", encoding="utf-8")
    assert invoke(app, "import", str(roster)).exit_code == 0
    result = invoke(app, "set-password", "han@mois.go.kr", "--password", "first-password-9")
    assert result.exit_code == 0, result.output
    assert services.authenticate("M100", "first-password-9", now=NOW).employee_number == "M100"


def test_users_set_password_refuses_unknown_people_and_weak_passwords(app, session, mois):
    f.user(employee_number="M100")
    session.commit()
    unknown = invoke(app, "set-password", "M999", "--password", "first-password-9")
    weak = invoke(app, "set-password", "M100", "--password", "weak")
    assert unknown.exit_code == weak.exit_code == 1
    assert "M999" in unknown.output
    prompted = invoke(app, "set-password", "M100", input="first-password-9\nfirst-password-9\n")
    assert prompted.exit_code == 0, prompted.output
