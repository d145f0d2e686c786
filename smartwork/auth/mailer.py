"""The one place auth writes e-mail (activation and reset links): an outbox row in the use case's transaction.

The outbox job delivers it with retries (``smartwork.mail``); no SMTP runs inside a request.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..mail import enqueue
from .models import TokenPurpose, User


def render_account_mail(user: User, kind: TokenPurpose, link: str) -> tuple[str, str]:
    """(subject, body) of an account mail in the current locale."""
    if kind == TokenPurpose.ACTIVATION:
        hours = int(current_app.config["ACTIVATION_LINK_LIFETIME"].total_seconds() // 3600)
        return (
            _("Activate your smartwork account"),
            _("Hello %(name)s,\n\nAn account was created for you on smartwork, the smart work center booking "
              "service. Open this link to choose your password and activate it (the link works once, for "
              "%(hours)d hours):\n\n%(link)s\n\nYour employee number is %(number)s.\n\nIf you did not expect "
              "this message, tell your agency's HR office.",
              name=user.name, hours=hours, link=link, number=user.employee_number),
        )
    minutes = int(current_app.config["PASSWORD_RESET_LINK_LIFETIME"].total_seconds() // 60)
    return (
        _("Reset your smartwork password"),
        _("Hello %(name)s,\n\nSomeone asked to reset the password of your smartwork account. Open this link "
          "to choose a new password (the link works once, for %(minutes)d minutes):\n\n%(link)s\n\n"
          "Setting a new password signs you out everywhere and revokes your API tokens and calendar feed.\n"
          "If you did not ask for this, ignore this message: your password stays as it is.",
          name=user.name, minutes=minutes, link=link),
    )


def queue_account_mail(user: User, kind: TokenPurpose, link: str, now: datetime | None = None) -> None:
    """Write the mail of ``link`` to ``user``, in their language, into the outbox; the caller commits."""
    with force_locale(user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "ko")):
        subject, body = render_account_mail(user, kind, link)
    enqueue(user.email, subject, body, now=now)
