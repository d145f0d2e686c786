"""Outgoing e-mail through an outbox: rows written in the use case's transaction, sent by a job.

``enqueue`` adds a message to the caller's session (the caller's commit writes it with the event
that causes it, a rollback drops both). ``deliver_due`` (the ``deliver_mail`` job) claims due rows
with a conditional UPDATE, hands them to the backend (SMTP, or the console in development) and
records the outcome: sent, retried later with exponential back-off, or dead after
``MAIL_MAX_ATTEMPTS`` (admins see dead letters at ``/jobs/outbox`` and can retry them).
Nothing here opens an SMTP connection inside a web request.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import logging
import smtplib
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from functools import lru_cache
from urllib.parse import quote, urlsplit

from blinker import Namespace
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .audit import AuditEventType, record_audit
from .database import UTCDateTime
from .errors import Conflict, NotFound
from .extensions import db
from .timeutils import utcnow

log = logging.getLogger(__name__)
ERROR_MAX_CHARS = 2000

signals = Namespace()
# Sent (sender: the app) with ``ids`` and ``at`` inside the transaction that marks messages sent, so
# a domain can record the delivery on its own rows without this module knowing it.
message_sent = signals.signal("mail-message-sent")


class MailError(Exception):
    """The message could not be handed to the mail server."""

    def __init__(self, message: str, *, permanent: bool = False, connection: bool = False) -> None:
        super().__init__(message)
        # 5xx: the server refused this message for good; retrying cannot help.
        self.permanent = permanent
        # The server could not be reached: the rest of the batch would fail the same way.
        self.connection = connection


class OutboxStatus(enum.StrEnum):
    """pending → sending → sent; a failure goes back to pending (later) or to dead."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message; ``content_type`` may carry parameters (``method=REQUEST``)."""

    filename: str
    content_type: str
    data: bytes


class OutboxMessage(db.Model):
    """One e-mail to send: written with its cause, then claimed, sent and recorded by the job."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'dead')", name="status"),
        # The job's claim: due pending rows in order.
        Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # [{"filename", "content_type", "data": base64}]
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    # A registered renderer still to write subject, body and attachments (enqueue_rendered_later); the
    # deliverer renders once, stores the result and clears this, so every try sends the same message.
    render_with: Mapped[str | None] = mapped_column(String(40))
    # Stable across retries, so a receiver can drop the copy of a message re-sent after a crash.
    message_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None: as soon as possible (a new message is due whatever clock the job runs on).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    def attachment_list(self) -> list[Attachment]:
        """The stored attachments, decoded."""
        return [Attachment(a["filename"], a["content_type"], base64.b64decode(a["data"]))
                for a in self.attachments or []]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status} to={self.recipient!r} attempts={self.attempts}>"


# --- writing ---------------------------------------------------------------------------------------


def _stored(attachments: Iterable[Attachment | tuple]) -> list[dict]:
    stored = []
    for item in attachments:
        item = item if isinstance(item, Attachment) else Attachment(*item)
        data = item.data.encode() if isinstance(item.data, str) else item.data
        stored.append({"filename": item.filename, "content_type": item.content_type,
                       "data": base64.b64encode(data).decode("ascii")})
    return stored


@lru_cache(maxsize=4)
def _id_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "smartwork.local"


def _new(to: str, now: datetime | None, **fields) -> OutboxMessage:
    domain = _id_domain(current_app.config["MAIL_SENDER"])
    message = OutboxMessage(
        status=OutboxStatus.PENDING, recipient=to, message_id=f"<outbox.{uuid.uuid4().hex}@{domain}>",
        created_at=now or utcnow(), next_attempt_at=None, attempts=0, **fields,
    )
    db.session.add(message)
    return message


def enqueue(to: str, subject: str, body: str, attachments: Iterable[Attachment | tuple] = (),
            now: datetime | None = None) -> OutboxMessage:
    """Add a message to the current session without committing; the caller's commit writes it."""
    return _new(to, now, subject=subject, body=body, attachments=_stored(attachments))


Renderer = Callable[[OutboxMessage], tuple[str, str, Sequence[Attachment]]]
RENDERERS: dict[str, Renderer] = {}


def register_renderer(name: str, renderer: Renderer) -> None:
    """Let ``enqueue_rendered_later(..., name)`` messages be written by ``renderer(message) -> (subject, body,
    attachments)``; a domain registers its own (this module knows none)."""
    RENDERERS[name] = renderer


def enqueue_rendered_later(to: str, renderer: str, now: datetime | None = None) -> OutboxMessage:
    """Add a message whose text the deliverer renders (once, before the first try) with a registered renderer.

    For use cases that write many mails at once: rendering (an .ics costs ~3 ms) then happens in
    the job, not in the request. ``now`` is kept as ``created_at`` for the renderer to use.
    """
    return _new(to, now, subject="", body="", attachments=[], render_with=renderer)


def external_url(endpoint: str, _anchor: str | None = None, **values) -> str:
    """An absolute URL for a link in a mail (a job rendering it has no request to take the host from).

    ``PUBLIC_BASE_URL`` wins; else ``SERVER_NAME`` with ``PREFERRED_URL_SCHEME`` and ``APPLICATION_ROOT``;
    else the current request's host; else a path only (logged: configure PUBLIC_BASE_URL).
    """
    config = current_app.config
    if config.get("PUBLIC_BASE_URL"):
        parts = urlsplit(config["PUBLIC_BASE_URL"])
        adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    elif config.get("SERVER_NAME"):
        adapter = current_app.url_map.bind(config["SERVER_NAME"], script_name=config.get("APPLICATION_ROOT") or "/",
                                           url_scheme=config.get("PREFERRED_URL_SCHEME") or "http")
    elif has_request_context():
        adapter = current_app.url_map.bind(request.host, script_name=request.script_root or "/",
                                           url_scheme=request.scheme)
    else:
        log.warning("PUBLIC_BASE_URL is not set: mail links carry a path only")
        adapter = current_app.url_map.bind("localhost")
        url = adapter.build(endpoint, values)
        return url + (f"#{quote(_anchor)}" if _anchor else "")
    url = adapter.build(endpoint, values, force_external=True)
    return url + (f"#{quote(_anchor)}" if _anchor else "")


# --- building and sending one message -----------------------------------------------------------------


def build_message(to: str, subject: str, body: str, sender: str | None = None,
                  attachments: Sequence[Attachment] = (), message_id: str | None = None) -> EmailMessage:
    """A UTF-8 plain-text message (Korean subjects are RFC 2047 encoded by the library)."""
    message = EmailMessage()
    message["From"] = sender or current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="smartwork.local")
    message.set_content(body)
    for attachment in attachments:
        kind, _sep, rest = attachment.content_type.partition(";")
        maintype, subtype = kind.strip().split("/", 1)
        params = dict(p.strip().split("=", 1) for p in rest.split(";") if "=" in p)
        params.pop("charset", None)
        if maintype == "text":
            message.add_attachment(attachment.data.decode("utf-8"), subtype=subtype, filename=attachment.filename,
                                   params=params)
        else:
            message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                                   filename=attachment.filename, params=params)
    return message


def _readable(message: EmailMessage) -> str:
    """A message as a person reads it: decoded headers, the body text, the attachments by name."""
    lines = [f"{name}: {message[name]}" for name in ("From", "To", "Subject", "Message-ID")]
    body = message.get_body(preferencelist=("plain",))
    lines += ["", body.get_content().rstrip() if body is not None else ""]
    for part in message.iter_attachments():
        size = len(part.get_payload(decode=True) or b"")
        lines.append(f"[attachment: {part.get_filename()} ({part.get_content_type()}, {size} bytes)]")
    return "\n".join(lines)


class Transport:
    """Hands messages to the configured backend; one SMTP connection serves a whole batch."""

    def __init__(self) -> None:
        config = current_app.config
        self.backend = config.get("MAIL_BACKEND", "console")
        self.host, self.port = config.get("MAIL_SERVER", "127.0.0.1"), int(config.get("MAIL_PORT", 25))
        self.timeout = float(config.get("MAIL_TIMEOUT", 10))
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.username, self.password = config.get("MAIL_USERNAME"), config.get("MAIL_PASSWORD", "")
        self._smtp: smtplib.SMTP | None = None
        self.connections = 0

    def send(self, message: EmailMessage) -> None:
        """Send one message; raises MailError (permanent for 5xx, connection when unreachable)."""
        if self.backend == "console":
            sys.stdout.write(f"--- mail ---\n{_readable(message)}\n--- end mail ---\n")
            sys.stdout.flush()
            return
        if self.backend != "smtp":
            raise MailError(f"unknown MAIL_BACKEND {self.backend!r}", permanent=True)
        try:
            self._connection().send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _msg in error.recipients.values()]
            raise MailError(f"recipient refused: {error.recipients}",
                            permanent=all(code >= 500 for code in codes)) from error
        except smtplib.SMTPResponseException as error:
            self.close()  # after a refusal the session state is unknown: start afresh
            reply = error.smtp_error
            reply = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
            raise MailError(f"SMTP {error.smtp_code} {reply}", permanent=error.smtp_code >= 500) from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise MailError(f"SMTP delivery to {self.host}:{self.port} failed: {error}", connection=True) from error

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            self.connections += 1
            # Optional settings (instance/config.py) for relays that need them.
            if self.use_tls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            self._smtp = smtp
        return self._smtp

    def close(self) -> None:
        """End the SMTP session, if any (errors on the way out do not matter)."""
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one message at once (command line only: requests and use cases call ``enqueue``)."""
    transport = Transport()
    try:
        transport.send(build_message(to, subject, body))
    finally:
        transport.close()


# --- the delivery job --------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: base × 2^(attempts-1), capped."""
    config = current_app.config
    seconds = config["MAIL_RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["MAIL_RETRY_MAX_SECONDS"]))


def _due(now: datetime):
    return or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)


def recover_stale_claims(now: datetime) -> int:
    """Give back rows claimed by a deliverer that died (claimed longer ago than MAIL_CLAIM_TIMEOUT_SECONDS).

    The interrupted try counts as an attempt (a message that kills its deliverer ends as a dead
    letter instead of looping). The message may have reached the server before the crash; its
    Message-ID is kept, so the copy is recognisable.
    """
    config = current_app.config
    stale = OutboxMessage.claimed_at < now - timedelta(seconds=config["MAIL_CLAIM_TIMEOUT_SECONDS"])
    common = (OutboxMessage.status == OutboxStatus.SENDING, stale)
    dead = db.session.execute(
        update(OutboxMessage).where(*common, OutboxMessage.attempts + 1 >= config["MAIL_MAX_ATTEMPTS"])
        .values(status=OutboxStatus.DEAD, attempts=OutboxMessage.attempts + 1, claimed_by=None, failed_at=now,
                last_error="the deliverer stopped while sending (claim expired)")
        .execution_options(synchronize_session=False)
    ).rowcount or 0
    back = db.session.execute(
        update(OutboxMessage).where(*common)
        .values(status=OutboxStatus.PENDING, attempts=OutboxMessage.attempts + 1, claimed_by=None,
                next_attempt_at=now, last_error="the deliverer stopped while sending (claim expired)")
        .execution_options(synchronize_session=False)
    ).rowcount or 0
    db.session.commit()
    return dead + back


@dataclass(frozen=True)
class Claimed:
    """A claimed message, detached from the session (sending holds no transaction open)."""

    id: int
    recipient: str
    subject: str
    body: str
    attachments: list[Attachment]
    message_id: str
    attempts: int


def prune_sent(now: datetime) -> int:
    """Delete sent mails older than MAIL_SENT_RETENTION_DAYS (they hold addresses and text)."""
    cutoff = now - timedelta(days=current_app.config["MAIL_SENT_RETENTION_DAYS"])
    deleted = db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount or 0
    db.session.commit()
    return deleted


def claim(now: datetime, limit: int) -> tuple[str, list[Claimed]]:
    """Claim up to ``limit`` due messages for this deliverer; another deliverer never gets the same row.

    PostgreSQL: the candidates are locked ``FOR UPDATE SKIP LOCKED`` (a concurrent claim takes other
    rows instead of waiting) and the UPDATE still requires ``status = 'pending'``. SQLite: the claim
    runs under the database write lock. Either way of two claims only one takes a row.
    """
    token = uuid.uuid4().hex
    candidates = list(db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, _due(now))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ))
    if candidates:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENDING, claimed_by=token, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    rows = list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.claimed_by == token).order_by(OutboxMessage.id)
    ))
    claimed = []
    for row in rows:
        if row.render_with and not _render(row, now):
            continue
        claimed.append(Claimed(row.id, row.recipient, row.subject, row.body, row.attachment_list(),
                               row.message_id, row.attempts))
    # End the transaction: none (on SQLite: no write lock) stays open while the server is talked to.
    db.session.commit()
    return token, claimed


def _render(row: OutboxMessage, now: datetime) -> bool:
    """Write a claimed row's text with its renderer; a row that cannot be rendered is a dead letter."""
    try:
        renderer = RENDERERS[row.render_with]
        subject, body, attachments = renderer(row)
    except Exception as error:  # retrying cannot render what is not there
        log.exception("mail %s could not be rendered by %r", row.id, row.render_with)
        row.status, row.claimed_by, row.failed_at = OutboxStatus.DEAD, None, now
        row.attempts += 1
        row.last_error = f"not rendered ({row.render_with}): {error!r}"[:ERROR_MAX_CHARS]
        return False
    row.subject, row.body, row.attachments, row.render_with = subject, body, _stored(attachments), None
    return True


def _mark_sent(message_id: int, token: str, now: datetime) -> bool:
    done = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == token,
               OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.SENT, sent_at=now, claimed_by=None, last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if done:
        message_sent.send(current_app._get_current_object(), ids=[message_id], at=now)
    db.session.commit()
    return done


def _mark_failed(message: Claimed, token: str, now: datetime, error: MailError) -> str:
    attempts = message.attempts + 1
    dead = error.permanent or attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]
    values = {"attempts": attempts, "claimed_by": None, "last_error": str(error)[:ERROR_MAX_CHARS]}
    if dead:
        values.update(status=OutboxStatus.DEAD, failed_at=now)
    else:
        values.update(status=OutboxStatus.PENDING, next_attempt_at=now + backoff(attempts))
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claimed_by == token,
               OutboxMessage.status == OutboxStatus.SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    log.warning("mail %s to %s failed (attempt %d%s): %s", message.id, message.recipient, attempts,
                ", dead letter" if dead else "", error)
    return values["status"]


@dataclass
class DeliveryResult:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    pruned: int = 0
    connections: int = 0

    @property
    def touched(self) -> int:
        """Messages the run sent, put off or gave up on (the job's ``rows touched``)."""
        return self.sent + self.retried + self.dead


def deliver_due(now: datetime | None = None, *, limit: int | None = None) -> DeliveryResult:
    """Send every due message, a batch at a time; safe to run in several processes at once."""
    now = now or utcnow()
    batch = limit or current_app.config["MAIL_BATCH_SIZE"]
    sender = current_app.config["MAIL_SENDER"]
    result = DeliveryResult()
    result.retried += recover_stale_claims(now)
    result.pruned = prune_sent(now)
    transport = Transport()
    try:
        while True:
            token, claimed = claim(now, batch)
            if not claimed:
                break
            for index, message in enumerate(claimed):
                try:
                    transport.send(build_message(message.recipient, message.subject, message.body, sender,
                                                 message.attachments, message.message_id))
                except MailError as error:
                    status = _mark_failed(message, token, now, error)
                    result.dead += status == OutboxStatus.DEAD
                    result.retried += status == OutboxStatus.PENDING
                    if error.connection:
                        # The server is unreachable: the rest of this batch fails alike, without a
                        # connection attempt (and its timeout) each.
                        for rest in claimed[index + 1:]:
                            status = _mark_failed(rest, token, now, error)
                            result.dead += status == OutboxStatus.DEAD
                            result.retried += status == OutboxStatus.PENDING
                        return result
                    continue
                result.sent += _mark_sent(message.id, token, now)
    finally:
        transport.close()
        result.connections = transport.connections
    return result


# --- the admin's view ----------------------------------------------------------------------------------


def outbox_counts() -> dict[str, int]:
    """How many messages are in each state."""
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    counts = {status.value: 0 for status in OutboxStatus}
    counts.update({status: count for status, count in rows})
    return counts


def troubled_messages(limit: int = 100) -> list[OutboxMessage]:
    """Dead letters, then messages waiting for a retry, newest first."""
    return list(db.session.scalars(
        select(OutboxMessage)
        .where(or_(OutboxMessage.status == OutboxStatus.DEAD,
                   (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.attempts > 0)))
        .order_by((OutboxMessage.status == OutboxStatus.DEAD).desc(), OutboxMessage.id.desc())
        .limit(limit)
    ))


def retry_message(message_id: int, actor, now: datetime | None = None) -> OutboxMessage:
    """Put a dead letter back in the queue with fresh attempts (audited); Conflict unless it is dead."""
    now = now or utcnow()
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"outbox message {message_id}", rule="outbox_message_not_found")
    changed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.DEAD)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, failed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise Conflict(_("Only a dead letter can be retried."), rule="not_dead")
    record_audit(AuditEventType.MAIL_RETRY, actor=actor, target=f"outbox:{message_id}",
                 details={"recipient": message.recipient, "last_error": message.last_error or ""}, now=now)
    db.session.commit()
    db.session.refresh(message)
    return message
