"""The personal access token form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..bookings.forms import MultiCheckboxField
from .tokens import EXPIRY_CHOICES_DAYS

SCOPE_CHOICES = [
    ("read", _l("read: search centers, see your bookings, profile and notifications")),
    ("book", _l("book: book, cancel, check in and out, series, waitlist")),
    ("manage", _l("manage: live board and reports of centers you manage, planning figures")),
    ("agency:manage", _l("agency:manage: roster upload and account status of your own agency (administrators)")),
]


class TokenForm(FlaskForm):
    """Name, scopes and lifetime of a new token."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("For example the phone or system that will use it."))
    scopes = MultiCheckboxField(_l("Scopes"), choices=SCOPE_CHOICES, default=["read"])
    days = SelectField(_l("Valid for"), coerce=int, default=90,
                       choices=[(days, _l("%(num)d days", num=days)) for days in EXPIRY_CHOICES_DAYS])
