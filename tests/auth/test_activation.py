"""Activation and password-reset links (services, fixed clocks, a real SMTP server), hostile paths included."""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from smartwork.api.models import ApiToken
from smartwork.api.tokens import create_token
from smartwork.audit import AuditEvent
from smartwork.auth import activation, roster, services
from smartwork.auth.models import AccountToken, TokenPurpose, User, UserStatus
from smartwork.bookings.calendar import create_feed_token, feed_status
from smartwork.errors import Invalid, NotFound, PermissionDenied
from smartwork.extensions import db
from tests import factories as f
from tests.auth.mailbox import body, link_in

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
NEW_PASSWORD = "a quiet desk near home"
HEADER = "employee_number,name,email,agency_code,home_region_code,status\n"
ACTIVATE, RESET = TokenPurpose.ACTIVATION, TokenPurpose.PASSWORD_RESET


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[-1]


def pending_user(**fields) -> User:
    user = f.user(status=UserStatus.PENDING, **fields)
    user.password_hash = None
    return user


def reload(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


# --- issuing ----------------------------------------------------------------------------------


def test_an_activation_link_is_absolute_and_only_its_hash_is_stored(app, session):
    user = pending_user()
    link = activation.issue_activation_link(user, now=T0)
    session.commit()
    assert link.startswith("http://localhost.test/auth/activate/")
    token = token_of(link)
    assert len(token) >= 43  # 256 random bits
    row = session.scalar(select(AccountToken))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert (row.purpose, row.user_id, row.expires_at, row.used_at) == (ACTIVATE, user.id, T0 + timedelta(hours=72),
                                                                        None)


def test_links_are_built_under_public_base_url_outside_a_request(app_factory):
    app = app_factory(PUBLIC_BASE_URL="https://smartwork.example.kr/app", SERVER_NAME=None)
    with app.app_context():
        user = pending_user()
        link = activation.issue_activation_link(user, now=T0)
        db.session.commit()
    assert link.startswith("https://smartwork.example.kr/app/auth/activate/")


def test_without_an_address_the_cli_gets_a_clear_error_and_nothing_is_stored(app_factory):
    app = app_factory(PUBLIC_BASE_URL=None, SERVER_NAME=None)
    with app.app_context():
        user = pending_user()
        with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
            activation.issue_activation_link(user, now=T0)
        assert db.session.scalar(select(AccountToken)) is None


# --- the roster import ------------------------------------------------------------------------


def test_import_makes_newcomers_pending_and_mails_each_a_working_link(app, session, smtp):
    agency = f.agency(code="MOIS")
    f.region(code="11110")
    f.user(employee_number="M001", email="kim@mois.go.kr", agency_obj=agency)
    session.commit()
    report = roster.import_roster(io.StringIO(
        HEADER + "M001,김민수,kim@mois.go.kr,MOIS,11110,active\n"
        "M100,한별,han@mois.go.kr,MOIS,11110,active\n"
        "M101,정하늘,jung@mois.go.kr,MOIS,11110,active\n"
        "M102,윤도현,yoon@mois.go.kr,MOIS,11110,suspended\n"), now=T0)
    assert (report.created, report.activation_sent, report.errors) == (3, 2, [])
    people = {u.employee_number: u for u in session.scalars(select(User))}
    assert people["M100"].status == people["M101"].status == UserStatus.PENDING
    assert people["M102"].status == UserStatus.SUSPENDED  # HR says suspended: no activation mail
    assert people["M001"].status == UserStatus.ACTIVE
    messages = smtp.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["han@mois.go.kr", "jung@mois.go.kr"]
    mail = smtp.to("han@mois.go.kr")[0]
    assert "계정" in mail["Subject"]  # Korean by default
    assert "M100" in body(mail) and "72" in body(mail)
    link, kind, token = link_in(mail)
    assert kind == "activate" and link.startswith("http://localhost.test/")
    user, _revoked = activation.use_link(token, ACTIVATE, NEW_PASSWORD, now=T0 + timedelta(hours=1))
    assert user.employee_number == "M100" and user.status == UserStatus.ACTIVE
    assert services.authenticate("M100", NEW_PASSWORD, now=T0 + timedelta(hours=2)).id == user.id


def test_a_second_import_keeps_a_pending_account_pending(app, session):
    f.agency(code="MOIS")
    f.region(code="11110")
    session.commit()
    csv = HEADER + "M100,한별,han@mois.go.kr,MOIS,11110,active\n"
    roster.import_roster(io.StringIO(csv), now=T0)
    report = roster.import_roster(io.StringIO(csv), now=T0 + timedelta(days=1))
    assert (report.created, report.unchanged, report.activation_sent) == (0, 1, 0)
    assert session.scalar(select(User)).status == UserStatus.PENDING  # only the person activates it


# --- using a link -----------------------------------------------------------------------------


def test_activation_sets_the_password_and_the_link_works_once(app, session):
    user = pending_user()
    token = token_of(activation.issue_activation_link(user, now=T0))
    session.commit()
    assert activation.link_owner(token, ACTIVATE, now=T0) == user
    activated, _ = activation.use_link(token, ACTIVATE, NEW_PASSWORD, now=T0 + timedelta(minutes=5))
    assert activated.status == UserStatus.ACTIVE and activated.password_hash.startswith("$argon2id$")
    assert session.scalar(select(AccountToken)).used_at == T0 + timedelta(minutes=5)
    with pytest.raises(NotFound) as reused:
        activation.use_link(token, ACTIVATE, "another quiet desk", now=T0 + timedelta(minutes=6))
    assert reused.value.rule == "link_invalid"
    assert services.authenticate(user.email, NEW_PASSWORD, now=T0 + timedelta(minutes=7)).id == user.id


def test_an_activation_link_expires_after_72_hours(app, session):
    user = pending_user()
    late = token_of(activation.issue_activation_link(user, now=T0))
    session.commit()
    with pytest.raises(NotFound):
        activation.use_link(late, ACTIVATE, NEW_PASSWORD, now=T0 + timedelta(hours=72))
    with pytest.raises(NotFound):
        activation.link_owner(late, ACTIVATE, now=T0 + timedelta(hours=72))
    assert reload(user.id).status == UserStatus.PENDING
    assert activation.link_owner(late, ACTIVATE, now=T0 + timedelta(hours=72) - timedelta(seconds=1))


def test_a_new_link_replaces_the_old_one(app, session):
    user = pending_user()
    first = token_of(activation.issue_activation_link(user, now=T0))
    second = token_of(activation.issue_activation_link(user, now=T0 + timedelta(minutes=1)))
    session.commit()
    with pytest.raises(NotFound):
        activation.use_link(first, ACTIVATE, NEW_PASSWORD, now=T0 + timedelta(minutes=2))
    activation.use_link(second, ACTIVATE, NEW_PASSWORD, now=T0 + timedelta(minutes=2))


def test_a_link_is_good_only_for_its_own_purpose_and_unknown_tokens_fail_alike(app, session):
    user = f.user()
    reset = token_of(activation._issue(user, RESET, T0))
    session.commit()
    with pytest.raises(NotFound) as wrong_purpose:
        activation.use_link(reset, ACTIVATE, NEW_PASSWORD, now=T0)
    with pytest.raises(NotFound) as made_up:
        activation.use_link("x" * 43, RESET, NEW_PASSWORD, now=T0)
    assert wrong_purpose.value.message == made_up.value.message
    activation.use_link(reset, RESET, NEW_PASSWORD, now=T0)


def test_a_link_of_another_account_is_refused_to_someone_signed_in(app, session):
    owner, intruder = pending_user(), f.user()
    token = token_of(activation.issue_activation_link(owner, now=T0))
    session.commit()
    intruder_hash = intruder.password_hash
    for attempt in (lambda: activation.link_owner(token, ACTIVATE, actor=intruder, now=T0),
                    lambda: activation.use_link(token, ACTIVATE, NEW_PASSWORD, actor=intruder, now=T0)):
        with pytest.raises(PermissionDenied) as caught:
            attempt()
        assert caught.value.rule == "link_other_account"
    assert reload(intruder.id).password_hash == intruder_hash
    assert reload(owner.id).status == UserStatus.PENDING
    # The link is still good for its owner, and sets only the owner's password.
    user, _ = activation.use_link(token, ACTIVATE, NEW_PASSWORD, actor=None, now=T0)
    assert user.id == owner.id
    assert reload(intruder.id).password_hash == intruder_hash


def test_a_weak_password_does_not_spend_the_link(app, session):
    user = pending_user()
    token = token_of(activation.issue_activation_link(user, now=T0))
    session.commit()
    for weak in ("short", "password1234", "qwertyuiop123"):
        with pytest.raises(Invalid) as caught:
            activation.use_link(token, ACTIVATE, weak, now=T0)
        assert caught.value.field == "password"
    activation.use_link(token, ACTIVATE, NEW_PASSWORD, now=T0)


def test_an_account_suspended_after_the_mail_cannot_use_its_link(app, session):
    user = pending_user()
    token = token_of(activation.issue_activation_link(user, now=T0))
    user.status = UserStatus.SUSPENDED
    session.commit()
    with pytest.raises(NotFound):
        activation.use_link(token, ACTIVATE, NEW_PASSWORD, now=T0)
    assert reload(user.id).password_hash is None


def test_two_tabs_using_one_link_at_once_set_one_password(app, session):
    user = pending_user()
    token = token_of(activation.issue_activation_link(user, now=T0))
    user_id = user.id
    session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def tab(password: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                activation.use_link(token, ACTIVATE, password, now=T0)
                outcomes.append("ok")
            except NotFound:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tab, args=(p,)) for p in (NEW_PASSWORD, "another quiet desk")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert reload(user_id).status == UserStatus.ACTIVE


# --- resend -----------------------------------------------------------------------------------


def test_resend_activation_mails_a_fresh_link_audited_with_the_admin(app, session, smtp):
    admin, user = f.user(), pending_user(email="new@korea.kr")
    old = token_of(activation.issue_activation_link(user, now=T0))
    session.commit()
    link = activation.resend_activation(admin, user, now=T0 + timedelta(hours=1))
    assert link_in(smtp.wait_for(1)[0])[0] == link
    with pytest.raises(NotFound):
        activation.link_owner(old, ACTIVATE, now=T0 + timedelta(hours=1))
    event = session.scalar(select(AuditEvent).where(AuditEvent.event == "activation_sent"))
    assert (event.actor_id, event.target) == (admin.id, "new@korea.kr")


def test_resend_activation_refuses_accounts_that_need_none(app, session):
    active, suspended = f.user(), pending_user()
    suspended.status = UserStatus.SUSPENDED
    session.commit()
    for user in (active, suspended):
        with pytest.raises(Invalid) as caught:
            activation.resend_activation(None, user, now=T0)
        assert caught.value.rule == "no_activation_needed"
    assert session.scalar(select(AccountToken)) is None


# --- password reset ---------------------------------------------------------------------------


def test_reset_mails_a_link_that_sets_a_new_password_and_ends_everything(app, session, smtp):
    user = f.user(email="Kim@korea.kr")
    old_session = user.session_token
    create_token(user, "laptop", ["read"], 30, now=T0)
    create_feed_token(user, now=T0)
    for _ in range(5):  # a stranger has the account locked
        with pytest.raises(Invalid):
            services.authenticate(user.email, "wrong-password-1", now=T0)
    activation.request_password_reset("  kim@KOREA.kr ", now=T0)
    mail = smtp.wait_for(1)[0]
    assert mail["To"] == "Kim@korea.kr"
    assert "60" in body(mail)  # minutes the link works
    _link, kind, token = link_in(mail)
    assert kind == "reset"
    changed, revoked = activation.use_link(token, RESET, NEW_PASSWORD, now=T0 + timedelta(minutes=59))
    assert revoked == {"api_tokens": 1, "calendar_feeds": 1}
    assert changed.session_token != old_session
    assert services.load_user_by_session_token(old_session) is None
    assert session.scalar(select(ApiToken)).revoked_at == T0 + timedelta(minutes=59)
    assert feed_status(changed) is None
    # The lock is lifted: the owner signs in at once with the new password.
    assert services.authenticate(user.email, NEW_PASSWORD, now=T0 + timedelta(minutes=59)).id == user.id
    with pytest.raises(NotFound):
        activation.use_link(token, RESET, "a second new password", now=T0 + timedelta(minutes=59))


def test_a_reset_link_expires_after_an_hour(app, session):
    user = f.user()
    token = token_of(activation._issue(user, RESET, T0))
    session.commit()
    with pytest.raises(NotFound):
        activation.use_link(token, RESET, NEW_PASSWORD, now=T0 + timedelta(hours=1))


def test_reset_for_an_unknown_address_sends_nothing_and_returns_the_same(app, session, smtp):
    f.user(email="known@korea.kr")
    session.commit()
    assert activation.request_password_reset("nobody@korea.kr", now=T0) is None
    assert activation.request_password_reset("known@korea.kr", now=T0) is None
    assert [m["To"] for m in smtp.wait_for(1, timeout=1)] == ["known@korea.kr"]
    events = session.scalars(select(AuditEvent).where(AuditEvent.event == "password_reset_requested")
                             .order_by(AuditEvent.id)).all()
    assert [(e.target, e.details["sent"]) for e in events] == [("nobody@korea.kr", None),
                                                               ("known@korea.kr", "password_reset")]


def test_reset_for_a_pending_account_sends_a_new_activation_link_and_nothing_to_the_inactive(app, session, smtp):
    pending_user(email="pending@korea.kr")
    gone = f.user(email="gone@korea.kr", status=UserStatus.RETIRED)
    session.commit()
    activation.request_password_reset("pending@korea.kr", now=T0)
    activation.request_password_reset(gone.email, now=T0)
    messages = smtp.wait_for(1)
    assert [m["To"] for m in messages] == ["pending@korea.kr"]
    assert link_in(messages[0])[1] == "activate"


def test_password_change_revokes_api_tokens_and_the_feed(app, session):
    user = f.user()
    create_token(user, "laptop", ["read"], 30, now=T0)
    create_token(user, "phone", ["read"], 30, now=T0)
    create_feed_token(user, now=T0)
    other = f.user()
    create_token(other, "theirs", ["read"], 30, now=T0)
    revoked = services.change_password(user, f.PASSWORD, NEW_PASSWORD, now=T0 + timedelta(minutes=1))
    assert revoked == {"api_tokens": 2, "calendar_feeds": 1}
    tokens = {t.name: t.revoked_at for t in session.scalars(select(ApiToken))}
    assert tokens == {"laptop": T0 + timedelta(minutes=1), "phone": T0 + timedelta(minutes=1), "theirs": None}
    event = session.scalar(select(AuditEvent).where(AuditEvent.event == "password_change"))
    assert event.details == {"by": "self", "revoked": {"api_tokens": 2, "calendar_feeds": 1}}
