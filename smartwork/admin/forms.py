"""Input shapes of the admin console."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from ..audit import EVENT_LABELS


class AuditFilterForm(FlaskForm):
    """GET filter of the audit log (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    event = SelectField(
        _l("Event type"),
        validators=[Optional()],
        choices=[("", _l("Any"))] + [(kind.value, label) for kind, label in EVENT_LABELS.items()],
    )
    user = StringField(_l("User (e-mail or employee number)"), validators=[Optional(), Length(max=254)])
    date_from = DateField(_l("First day"), validators=[Optional()])
    date_to = DateField(_l("Last day"), validators=[Optional()])

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date must not be before the start date."))
