"""The deliver_mail job and the admin's outbox page: dead letters are visible and retried (audited)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from smartwork import mail
from smartwork.audit import AuditEvent
from smartwork.auth.models import Role
from smartwork.extensions import db
from smartwork.jobs.registry import JOBS_BY_NAME
from smartwork.jobs.services import run_job
from smartwork.mail import OutboxMessage, OutboxStatus
from tests import factories
from tests.smtp_server import smtp_server

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def signed_in(client, *roles: Role):
    user = factories.user(roles=roles)
    db.session.commit()
    factories.login(client, user)
    return user


def dead_letter(smtp) -> int:
    """A message the server refused for good."""
    message = mail.enqueue("nobody@example.go.kr", "반송될 메일", "본문", now=NOW)
    db.session.commit()
    message_id = message.id
    smtp.replies = ["550 5.1.1 mailbox unavailable"]
    mail.deliver_due(now=NOW)
    return message_id


def test_the_job_runs_every_minute_and_sends_due_mail(app):
    spec = JOBS_BY_NAME["deliver_mail"]
    assert spec.every is not None and spec.every.total_seconds() == 60
    with smtp_server(app) as smtp:
        mail.enqueue("kim@example.go.kr", "제목", "본문", now=NOW)
        mail.enqueue("lee@example.go.kr", "제목", "본문", now=NOW)
        db.session.commit()
        run = run_job("deliver_mail", now=NOW)
        assert run.error is None and run.rows_touched == 2
        assert len(smtp.messages) == 2
        assert run_job("deliver_mail", now=NOW).rows_touched == 0


def test_admin_sees_dead_letters_and_retries_one(app, client):
    with smtp_server(app) as smtp:
        message_id = dead_letter(smtp)
        admin = signed_in(client, Role.ADMIN)
        index = client.get("/jobs/").get_data(as_text=True)
        assert "/jobs/outbox" in index
        page = client.get("/jobs/outbox")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "nobody@example.go.kr" in text and "550 5.1.1 mailbox unavailable" in text
        assert f"/jobs/outbox/{message_id}/retry" in text
        response = client.post(f"/jobs/outbox/{message_id}/retry")
        assert response.status_code == 302
        db.session.expire_all()
        message = db.session.get(OutboxMessage, message_id)
        assert message.status == OutboxStatus.PENDING and message.attempts == 0
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.event == "mail_retry"))
        assert event.actor_id == admin.id and event.target == f"outbox:{message_id}"
        db.session.rollback()
        # Retrying again is refused: it is no longer a dead letter.
        assert client.post(f"/jobs/outbox/{message_id}/retry").status_code == 409
        assert client.post("/jobs/outbox/999999/retry").status_code == 404
        assert mail.deliver_due(now=message.next_attempt_at).sent == 1
        assert [m["To"] for m in smtp.messages] == ["nobody@example.go.kr"]


def test_the_outbox_is_for_admins_only(app, client):
    with smtp_server(app) as smtp:
        message_id = dead_letter(smtp)
    assert client.get("/jobs/outbox").status_code == 302  # to the sign-in page
    signed_in(client, Role.PLANNER, Role.CENTER_MANAGER)
    assert client.get("/jobs/outbox").status_code == 403
    assert client.post(f"/jobs/outbox/{message_id}/retry").status_code == 403
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message_id).status == OutboxStatus.DEAD
