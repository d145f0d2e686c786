"""The mail outbox: enqueue in the caller's transaction, delivery over a real SMTP server (aiosmtpd),
retries with back-off, dead letters, stale claims, exactly-once under two deliverers, the console."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from smartwork import mail
from smartwork.extensions import db
from smartwork.mail import Attachment, OutboxMessage, OutboxStatus
from tests.smtp_server import free_port, smtp_server

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def smtp(app):
    with smtp_server(app) as handler:
        yield handler


def outbox(status: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    rows = list(db.session.scalars(stmt))
    db.session.rollback()  # end the read (SQLite) before another connection writes
    return rows


def queue_some(count: int, **kwargs) -> list[int]:
    messages = [mail.enqueue(f"user{i}@example.go.kr", f"제목 {i}", f"본문 {i}", now=NOW, **kwargs)
                for i in range(count)]
    db.session.flush()
    ids = [m.id for m in messages]
    db.session.commit()
    return ids


# --- writing -----------------------------------------------------------------------------------------


def test_enqueue_belongs_to_the_callers_transaction(app):
    mail.enqueue("a@example.go.kr", "s", "b", now=NOW)
    db.session.rollback()
    assert outbox() == []
    mail.enqueue("a@example.go.kr", "s", "b", now=NOW)
    db.session.commit()
    [row] = outbox()
    assert row.status == OutboxStatus.PENDING and row.attempts == 0 and row.created_at == NOW
    assert row.next_attempt_at is None and row.message_id.startswith("<outbox.")


# --- delivery ------------------------------------------------------------------------------------------


def test_delivery_sends_over_smtp_with_attachments_on_one_connection(app, smtp):
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    first = mail.enqueue("kim@example.go.kr", "예약 확정", "안녕하세요",
                         [Attachment("a.ics", "text/calendar; method=REQUEST", ics)], now=NOW)
    mail.enqueue("lee@example.go.kr", "두 번째", "본문", [("b.bin", "application/octet-stream", b"\x00\x01")], now=NOW)
    db.session.commit()
    result = mail.deliver_due(now=NOW)
    assert (result.sent, result.retried, result.dead, result.connections) == (2, 0, 0, 1)
    assert smtp.connections == 1
    one, two = smtp.messages
    assert one["To"] == "kim@example.go.kr" and str(one["Subject"]) == "예약 확정"
    assert one["Message-ID"] == first.message_id
    assert one.get_body(preferencelist=("plain",)).get_content().strip() == "안녕하세요"
    [calendar] = list(one.iter_attachments())
    assert calendar.get_content_type() == "text/calendar" and calendar.get_param("method") == "REQUEST"
    assert calendar.get_filename() == "a.ics" and calendar.get_payload(decode=True) == ics
    [binary] = list(two.iter_attachments())
    assert binary.get_payload(decode=True) == b"\x00\x01"
    assert [(m.status, m.sent_at) for m in outbox()] == [(OutboxStatus.SENT, NOW)] * 2
    assert mail.deliver_due(now=NOW + timedelta(minutes=1)).touched == 0  # nothing is sent twice
    assert len(smtp.messages) == 2
    # Sent mail holds addresses and text: it is deleted after MAIL_SENT_RETENTION_DAYS.
    days = app.config["MAIL_SENT_RETENTION_DAYS"]
    assert mail.deliver_due(now=NOW + timedelta(days=days)).pruned == 0
    assert mail.deliver_due(now=NOW + timedelta(days=days, seconds=1)).pruned == 2
    assert outbox() == []


def test_a_refusal_is_retried_with_exponential_back_off(app, smtp):
    app.config.update(MAIL_RETRY_BASE_SECONDS=60, MAIL_RETRY_MAX_SECONDS=200, MAIL_MAX_ATTEMPTS=8)
    queue_some(1)
    smtp.replies = ["451 4.3.0 try again later"] * 3
    assert mail.deliver_due(now=NOW).retried == 1
    [row] = outbox()
    assert (row.status, row.attempts, row.next_attempt_at) == (OutboxStatus.PENDING, 1, NOW + timedelta(seconds=60))
    assert "451" in row.last_error
    # Not due before the back-off has passed.
    assert mail.deliver_due(now=NOW + timedelta(seconds=59)).touched == 0
    second = NOW + timedelta(seconds=60)
    mail.deliver_due(now=second)
    assert outbox()[0].next_attempt_at == second + timedelta(seconds=120)  # doubled
    third = second + timedelta(seconds=120)
    mail.deliver_due(now=third)
    assert outbox()[0].next_attempt_at == third + timedelta(seconds=200)  # capped
    assert mail.deliver_due(now=third + timedelta(seconds=200)).sent == 1
    [row] = outbox()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 3, None)
    assert len(smtp.messages) == 1 and smtp.messages[0]["Message-ID"] == row.message_id


def test_after_max_attempts_a_message_is_a_dead_letter(app, smtp):
    app.config.update(MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE_SECONDS=10)
    queue_some(1)
    smtp.always = "421 4.7.0 go away"
    at = NOW
    for expected in (OutboxStatus.PENDING, OutboxStatus.PENDING, OutboxStatus.DEAD):
        mail.deliver_due(now=at)
        row = outbox()[0]
        assert row.status == expected
        at = row.next_attempt_at or at
    assert row.attempts == 3 and row.failed_at == at and "421" in row.last_error
    assert mail.deliver_due(now=at + timedelta(days=1)).touched == 0  # the dead stay dead
    assert smtp.messages == []
    assert mail.outbox_counts() == {"pending": 0, "sending": 0, "sent": 0, "dead": 1}
    assert [m.id for m in mail.troubled_messages()] == [row.id]


def test_a_permanent_refusal_is_dead_at_once(app, smtp):
    queue_some(1)
    smtp.replies = ["550 5.1.1 no such user"]
    assert mail.deliver_due(now=NOW).dead == 1
    [row] = outbox()
    assert row.status == OutboxStatus.DEAD and row.attempts == 1 and "550" in row.last_error


def test_an_unreachable_server_fails_the_batch_with_one_try(app):
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    queue_some(3)
    result = mail.deliver_due(now=NOW)
    assert (result.retried, result.connections) == (3, 0)
    assert {(m.status, m.attempts, m.next_attempt_at) for m in outbox()} == {
        (OutboxStatus.PENDING, 1, NOW + timedelta(seconds=app.config["MAIL_RETRY_BASE_SECONDS"]))}


def test_a_retried_dead_letter_is_sent_and_the_retry_audited(app, smtp):
    from smartwork.audit import AuditEvent
    from tests import factories

    admin = factories.user()
    [message_id] = queue_some(1)
    smtp.replies = ["554 5.7.1 rejected"]
    mail.deliver_due(now=NOW)
    later = NOW + timedelta(hours=1)
    retried = mail.retry_message(message_id, admin, now=later)
    assert (retried.status, retried.attempts, retried.next_attempt_at) == (OutboxStatus.PENDING, 0, later)
    [event] = db.session.scalars(select(AuditEvent))
    assert (event.event, event.target, event.actor_id) == ("mail_retry", f"outbox:{message_id}", admin.id)
    with pytest.raises(mail.Conflict):
        mail.retry_message(message_id, admin, now=later)  # only a dead letter can be retried
    assert mail.deliver_due(now=later).sent == 1
    assert len(smtp.messages) == 1


# --- a deliverer that dies, and two deliverers at once ------------------------------------------------------


def test_a_claim_left_by_a_killed_deliverer_is_taken_back_after_the_timeout(app, smtp):
    app.config.update(MAIL_CLAIM_TIMEOUT_SECONDS=900)
    queue_some(1)
    # A deliverer claimed it and was killed before sending.
    db.session.execute(update(OutboxMessage).values(status=OutboxStatus.SENDING, claimed_by="dead", claimed_at=NOW))
    db.session.commit()
    assert mail.deliver_due(now=NOW + timedelta(seconds=899)).touched == 0  # it may still be sending
    assert smtp.messages == []
    result = mail.deliver_due(now=NOW + timedelta(seconds=901))
    assert result.sent == 1
    [row] = outbox()
    assert row.status == OutboxStatus.SENT and row.attempts == 1  # the interrupted try counted
    assert len(smtp.messages) == 1


def test_two_concurrent_deliverers_send_each_message_exactly_once(app, app_factory, smtp):
    app.config.update(MAIL_BATCH_SIZE=4)
    ids = queue_some(40)
    smtp.delay = 0.02  # 40 × 20 ms: the second deliverer is surely running before the first is done
    others = [app_factory(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=app.config["MAIL_PORT"],
                          MAIL_BATCH_SIZE=4) for _ in range(2)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def deliverer(application):
        with application.app_context():
            try:
                db.session.execute(select(1))  # connect before the start line
                db.session.rollback()
                barrier.wait()
                results.append(mail.deliver_due(now=NOW))
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deliverer, args=(application,)) for application in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r.sent for r in results) == 40
    assert all(r.sent > 0 for r in results), results
    received = [m["Message-ID"] for m in smtp.messages]
    assert len(received) == 40 and len(set(received)) == 40
    assert {m.message_id for m in outbox()} == set(received)
    assert db.session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)) == len(ids)


# --- the console backend and links -------------------------------------------------------------------


def test_the_console_backend_prints_readable_text(app, capsys):
    app.config.update(MAIL_BACKEND="console")
    mail.enqueue("kim@example.go.kr", "예약 확정: 세종센터", "예약이 확정되었습니다.\n좋은 하루 되세요.",
                 [Attachment("smartwork-booking-7.ics", "text/calendar; method=REQUEST", b"BEGIN:VCALENDAR")], now=NOW)
    db.session.commit()
    assert mail.deliver_due(now=NOW).sent == 1
    out = capsys.readouterr().out
    assert "Subject: 예약 확정: 세종센터" in out and "To: kim@example.go.kr" in out
    assert "예약이 확정되었습니다.\n좋은 하루 되세요." in out
    assert "[attachment: smartwork-booking-7.ics (text/calendar, " in out
    assert "=?utf-8?" not in out and "base64" not in out


def test_external_urls_come_from_the_configuration(app):
    app.config.update(PUBLIC_BASE_URL="https://smartwork.example.go.kr/app")
    assert mail.external_url("bookings.mine", _anchor="booking-3") == \
        "https://smartwork.example.go.kr/app/bookings/mine#booking-3"
    app.config.update(PUBLIC_BASE_URL=None, SERVER_NAME="sw.example.go.kr", PREFERRED_URL_SCHEME="https")
    assert mail.external_url("bookings.mine") == "https://sw.example.go.kr/bookings/mine"
