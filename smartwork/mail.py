"""Outgoing e-mail: printed to the console in development, sent over SMTP otherwise."""

from __future__ import annotations

import smtplib
import sys
from email.message import EmailMessage

from flask import current_app


class MailError(Exception):
    """The message could not be handed to the mail server."""


def build_message(to: str, subject: str, body: str, sender: str | None = None) -> EmailMessage:
    """A UTF-8 plain-text message (Korean subjects are RFC 2047 encoded by the library)."""
    message = EmailMessage()
    message["From"] = sender or current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def send_mail(to: str, subject: str, body: str) -> None:
    """Deliver one message with the configured backend; raises MailError on failure."""
    message = build_message(to, subject, body)
    backend = current_app.config.get("MAIL_BACKEND", "console")
    if backend == "console":
        sys.stdout.write(f"--- mail ---\n{message.as_string()}\n--- end mail ---\n")
        return
    if backend == "smtp":
        host, port = current_app.config["MAIL_SERVER"], int(current_app.config["MAIL_PORT"])
        timeout = float(current_app.config.get("MAIL_TIMEOUT", 10))
        try:
            with smtplib.SMTP(host, port, timeout=timeout) as smtp:
                # Optional settings (instance/config.py) for relays that need them.
                if current_app.config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if current_app.config.get("MAIL_USERNAME"):
                    smtp.login(current_app.config["MAIL_USERNAME"], current_app.config.get("MAIL_PASSWORD", ""))
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(f"SMTP delivery to {host}:{port} failed: {error}") from error
        return
    raise MailError(f"unknown MAIL_BACKEND {backend!r}")
