"""Sign-in, lockout, passwords, safe redirects and account creation (services, fixed clocks)."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import Type
from sqlalchemy import select

from smartwork.auth import services
from smartwork.auth.models import Role, User, UserStatus
from smartwork.errors import Invalid, NotFound, PermissionDenied
from smartwork.extensions import db
from tests import factories as f

PRODUCTION_HASHER = services.password_hasher
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
WRONG = "wrong-password-1"


def numbers(message: str) -> list[str]:
    """The numbers in a message, whatever its language."""
    return re.findall(r"\d+", message)


def fail(identifier: str, now: datetime) -> Exception:
    with pytest.raises((Invalid, PermissionDenied)) as caught:
        services.authenticate(identifier, WRONG, now=now)
    return caught.value


def lock(user: User, now: datetime = T0) -> None:
    for _attempt in range(5):
        error = fail(user.email, now)
    assert error.rule == "bad_credentials"  # a lock answers like a wrong password
    assert db.session.get(User, user.id).is_locked(now)


def refusal(identifier: str, password: str, now: datetime) -> Exception:
    with pytest.raises((Invalid, PermissionDenied)) as caught:
        services.authenticate(identifier, password, now=now)
    return caught.value


def test_passwords_are_hashed_with_argon2id_at_production_cost():
    # Read at import, before the tests' cheap hasher is swapped in (conftest).
    assert PRODUCTION_HASHER.type == Type.ID
    assert PRODUCTION_HASHER.memory_cost >= 19 * 1024 and PRODUCTION_HASHER.time_cost >= 2  # OWASP minimum
    assert services.hash_password("x1" * 6).startswith("$argon2id$")


# --- credentials --------------------------------------------------------------------------


def test_sign_in_by_employee_number_or_email_in_any_case(app, session):
    user = f.user(employee_number="E2026001", email="Kim.Minsu@korea.kr")
    session.commit()
    assert services.authenticate("E2026001", f.PASSWORD, now=T0) == user
    assert services.authenticate("  kim.minsu@KOREA.kr ", f.PASSWORD, now=T0) == user


def test_wrong_password_and_unknown_user_get_the_same_refusal(app, session):
    user = f.user()
    session.commit()
    wrong = fail(user.email, T0)
    unknown = fail("nobody@korea.kr", T0)
    assert type(wrong) is type(unknown) is Invalid
    assert wrong.rule == unknown.rule == "bad_credentials"
    assert wrong.message == unknown.message


def test_account_without_password_cannot_sign_in(app, session):
    user = f.user()
    user.password_hash = None
    session.commit()
    with pytest.raises(Invalid):
        services.authenticate(user.email, "", now=T0)
    with pytest.raises(Invalid):
        services.authenticate(user.email, f.PASSWORD, now=T0)


# --- lockout ------------------------------------------------------------------------------


def test_four_failures_do_not_lock_and_the_fifth_does(app, session):
    user = f.user()
    session.commit()
    for _ in range(4):
        assert fail(user.email, T0).rule == "bad_credentials"
    assert services.authenticate(user.email, f.PASSWORD, now=T0) == user  # still open after 4
    for _ in range(4):
        fail(user.email, T0)
    error = fail(user.email, T0)
    assert isinstance(error, Invalid) and error.rule == "bad_credentials"
    assert session.get(User, user.id).locked_until == T0 + timedelta(minutes=15)


def test_lockout_refuses_the_right_password_until_fifteen_minutes_pass(app, session):
    user = f.user()
    session.commit()
    lock(user)
    assert refusal(user.email, f.PASSWORD, T0 + timedelta(minutes=15) - timedelta(seconds=1)).rule == "bad_credentials"
    assert services.authenticate(user.email, f.PASSWORD, now=T0 + timedelta(minutes=15)) == user
    refreshed = session.get(User, user.id)
    assert refreshed.locked_until is None
    assert refreshed.failed_logins == 0 and refreshed.lockouts == 0


def test_locked_wrong_and_unknown_accounts_answer_exactly_alike(app, session):
    """A stranger cannot tell a locked account from a wrong password or from no account at all."""
    locked, open_ = f.user(), f.user()
    session.commit()
    lock(locked)
    answers = [
        refusal(locked.email, f.PASSWORD, T0),  # the right password, during the lock
        refusal(locked.email, WRONG, T0),
        refusal(open_.email, WRONG, T0),
        refusal("nobody@korea.kr", WRONG, T0),
        refusal("E0000000", f.PASSWORD, T0),
    ]
    assert {(type(answer), answer.rule, answer.message, answer.status, answer.field) for answer in answers} == {
        (Invalid, "bad_credentials", answers[0].message, 422, None)}
    # Hammering an unknown identifier never changes its answer either.
    assert {refusal("nobody@korea.kr", WRONG, T0).message for _ in range(7)} == {answers[0].message}


def test_each_lockout_in_a_row_lasts_twice_as_long_up_to_a_day(app, session):
    user = f.user()
    session.commit()
    now = T0
    expected = [15, 30, 60, 120, 240, 480, 960, 1440, 1440]
    for minutes in expected:
        lock(user, now)
        until = session.get(User, user.id).locked_until
        assert until == now + timedelta(minutes=minutes), minutes
        now = until  # the next burst starts the moment the lock ends
    assert session.get(User, user.id).lockouts == len(expected)
    services.authenticate(user.email, f.PASSWORD, now=now)  # the owner signs in: the growth starts over
    lock(user, now)
    assert session.get(User, user.id).locked_until == now + timedelta(minutes=15)


def test_after_an_expired_lockout_counting_starts_again(app, session):
    user = f.user()
    session.commit()
    lock(user)
    later = T0 + timedelta(minutes=16)
    assert fail(user.email, later).rule == "bad_credentials"
    refreshed = session.get(User, user.id)
    assert refreshed.failed_logins == 1
    assert refreshed.locked_until is None


def test_lockout_is_kept_in_the_database_for_every_worker(app, session, app_factory):
    user = f.user()
    email, user_id = user.email, user.id  # read before the commit: a reload would hold SQLite's lock
    session.commit()
    for _ in range(3):
        fail(email, T0)
    other = app_factory()  # a second worker process: its own app, engine and session
    with other.app_context():
        for _ in range(2):
            fail(email, T0)  # failures 4 and 5 land on the other worker
        db.session.remove()
    with pytest.raises(Invalid):
        services.authenticate(email, f.PASSWORD, now=T0 + timedelta(minutes=1))
    with other.app_context():
        with pytest.raises(Invalid):
            services.authenticate(email, f.PASSWORD, now=T0 + timedelta(minutes=14))
        assert services.authenticate(email, f.PASSWORD, now=T0 + timedelta(minutes=15)).id == user_id
        db.session.remove()


def test_simultaneous_failures_in_several_workers_all_count(app, session):
    """Five wrong passwords at the same moment lock the account: no failure is lost in a race."""
    user = f.user()
    user.password_hash = PRODUCTION_HASHER.hash(f.PASSWORD)  # a slow verify widens any race window
    email, user_id = user.email, user.id  # read before the commit: a reload would hold SQLite's lock
    session.commit()
    barrier = threading.Barrier(5)
    outcomes: list[str] = []

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            try:
                services.authenticate(email, WRONG, now=T0)
            except (Invalid, PermissionDenied) as error:
                outcomes.append(error.rule)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["bad_credentials"] * 5
    session.expire_all()
    assert session.get(User, user_id).locked_until == T0 + timedelta(minutes=15)


# --- account status -----------------------------------------------------------------------


def test_inactive_accounts_are_refused_with_their_message(app, session):
    inactive = {status: f.user(status=status).email
                for status in (UserStatus.PENDING, UserStatus.SUSPENDED, UserStatus.RETIRED)}
    session.commit()
    for status, email in inactive.items():
        with pytest.raises(PermissionDenied) as caught:
            services.authenticate(email, f.PASSWORD, now=T0)
        assert caught.value.rule == f"account_{status.value}"
        assert caught.value.message == str(services.STATUS_MESSAGES[status])
        # Without the password nobody learns the account's status.
        assert fail(email, T0).rule == "bad_credentials"
    assert len({str(message) for message in services.STATUS_MESSAGES.values()}) == 3


def test_sessions_of_an_account_that_stops_being_active_no_longer_load(app, session):
    user = f.user()
    session.commit()
    token = user.session_token
    assert services.load_user_by_session_token(token) == user
    user.status = UserStatus.SUSPENDED
    session.commit()
    assert services.load_user_by_session_token(token) is None
    assert services.load_user_by_session_token("") is None


# --- next redirects -----------------------------------------------------------------------

REFUSED_NEXT = [
    "//evil.example",
    "//evil.example/path",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil",
    "\\/evil.example",
    "https://evil.example/x",
    "http://evil.example",
    "HTTPS://evil.example",
    "http:evil",
    "https:/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,hi",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\x00/evil",
    "/\x7f/evil",
    "evil.example",
    "centers/",
    "",
    None,
]
ACCEPTED_NEXT = ["/", "/centers/", "/centers/?ownership=public&page=2", "/centers/seoul-1#spaces",
                 "/auth/password", "/%09/still-a-local-path", " /centers/ "]


@pytest.mark.parametrize("target", REFUSED_NEXT)
def test_next_refuses_everything_but_local_paths(target):
    assert services.safe_next_url(target) is None


@pytest.mark.parametrize("target", ACCEPTED_NEXT)
def test_next_accepts_local_paths(target):
    assert services.safe_next_url(target) == target.strip()


# --- passwords ----------------------------------------------------------------------------


def test_change_password_checks_the_current_one_and_strength(app, session):
    user = f.user()
    session.commit()
    with pytest.raises(Invalid) as caught:
        services.change_password(user, "not-my-password-1", "brand-new-pass-7")
    assert caught.value.field == "current_password"
    for weak, rule in (("short1", "weak_password"), ("elevenchars", "weak_password"),
                       ("1234567890123", "common_password"), ("iloveyou2024!!", "common_password"),
                       ("Password12345", "common_password"), ("aaaaaaaaaaaaaaaa", "common_password"),
                       (user.email.split("@")[0] + "-in-2026-ok", "personal_password")):
        with pytest.raises(Invalid) as caught:
            services.change_password(user, f.PASSWORD, weak)
        assert (caught.value.field, caught.value.rule) == ("new_password", rule), weak


def test_change_password_rotates_the_session_token(app, session):
    user = f.user()
    session.commit()
    old_token = user.session_token
    services.change_password(user, f.PASSWORD, "brand-new-pass-7")
    assert user.session_token != old_token
    assert services.load_user_by_session_token(old_token) is None
    assert services.authenticate(user.email, "brand-new-pass-7", now=T0) == user
    with pytest.raises(Invalid):
        services.authenticate(user.email, f.PASSWORD, now=T0)


def test_set_password_clears_a_lockout_and_ends_sessions(app, session):
    user = f.user()
    user.password_hash = None
    session.commit()
    old_token = user.session_token
    lock(user)
    services.set_password(user.employee_number, "first-password-9")
    assert user.session_token != old_token
    assert services.authenticate(user.email, "first-password-9", now=T0 + timedelta(minutes=1)) == user


def test_set_password_refuses_unknown_accounts_and_weak_passwords(app, session):
    user = f.user()
    session.commit()
    with pytest.raises(NotFound):
        services.set_password("E9999999", "first-password-9")
    with pytest.raises(Invalid) as caught:
        services.set_password(user.email, "weak")
    assert caught.value.field == "password"


# --- create_user --------------------------------------------------------------------------


def make(**fields) -> User:
    values = {
        "employee_number": "M2026001", "email": "lee.jieun@mois.go.kr", "name": "이지은",
        "agency_code": "MOIS", "home_region_code": "11110", "roles": [], "password": "first-password-9",
    } | fields
    return services.create_user(**values, now=T0)


@pytest.fixture
def mois(session):
    agency = f.agency(code="MOIS")
    f.region(code="11110")
    session.commit()
    return agency


def test_create_user_makes_an_active_account_that_can_sign_in(app, session, mois):
    user = make(roles=[Role.PLANNER, Role.EMPLOYEE, Role.PLANNER], email="Lee.Jieun@MOIS.go.kr")
    session.expire_all()
    stored = session.scalar(select(User).where(User.employee_number == "M2026001"))
    assert stored.id == user.id
    assert stored.status == UserStatus.ACTIVE
    assert stored.email == "Lee.Jieun@mois.go.kr"
    assert stored.role_set == {Role.EMPLOYEE, Role.PLANNER}
    assert stored.agency_id == mois.id and stored.home_region_id is not None
    assert stored.created_at == T0
    assert services.authenticate("M2026001", "first-password-9", now=T0) == stored


def test_create_user_without_password_or_region(app, session, mois):
    user = make(password=None, home_region_code=None)
    assert user.password_hash is None
    assert user.home_region_id is None


def test_create_user_refuses_duplicates(app, session, mois):
    make()
    cases = [({"employee_number": "M2026001"}, "employee_number", "duplicate_employee_number"),
             ({"email": "LEE.JIEUN@mois.go.kr"}, "email", "duplicate_email")]
    for fields, field, rule in cases:
        other = {"employee_number": "M2026002", "email": "other@mois.go.kr"} | fields
        with pytest.raises(Invalid) as caught:
            make(**other)
        assert (caught.value.field, caught.value.rule) == (field, rule)
    assert len(session.scalars(select(User)).all()) == 1


def test_create_user_validates_each_field(app, session, mois):
    cases = [
        ({"agency_code": "NOPE"}, "agency_code"),
        ({"home_region_code": "99999"}, "home_region_code"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "kim@@korea.kr"}, "email"),
        ({"employee_number": "has space"}, "employee_number"),
        ({"employee_number": ""}, "employee_number"),
        ({"name": "   "}, "name"),
        ({"password": "short1"}, "password"),
    ]
    for fields, field in cases:
        with pytest.raises(Invalid) as caught:
            make(**fields)
        assert caught.value.field == field, fields
        assert caught.value.message
    assert session.scalars(select(User)).all() == []
