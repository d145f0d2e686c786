"""Planner console forms (input shape only; the rules live in the services)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.fields import MonthField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..centers.labels import OWNERSHIP_LABELS, STATUS_LABELS
from ..centers.models import CenterStatus


class TargetForm(FlaskForm):
    """Add or change a rollout target."""

    target_on = DateField(_l("Open by"), validators=[DataRequired()])
    ownership = SelectField(
        _l("Ownership"),
        choices=[(o.value, label) for o, label in OWNERSHIP_LABELS.items()],
        validators=[DataRequired()],
    )
    centers = IntegerField(_l("Centers"), validators=[InputRequired(), NumberRange(min=0, max=100_000)])
    seats = IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(min=0, max=10_000_000)])


class ReadyForm(FlaskForm):
    """Mark a not-yet-open center ready to open (a button: only the CSRF token)."""


class StatusChangeForm(FlaskForm):
    """Move a center one step along its lifecycle; the choices are the allowed next statuses."""

    # The list shows only the allowed moves; any status still reaches the service, which
    # refuses a move it does not allow with a message naming the allowed ones.
    to_status = SelectField(_l("New status"), choices=[], validators=[DataRequired()], validate_choice=False)
    effective_on = DateField(_l("Effective date"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])

    def validate_to_status(self, field) -> None:
        if field.data not in {status.value for status in CenterStatus}:
            raise ValidationError(_l("Choose a status from the list."))


class LifecycleFilterForm(FlaskForm):
    """GET filter of the lifecycle list (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        validators=[Optional()],
        choices=[("", _l("Any"))] + [(s.value, label) for s, label in STATUS_LABELS.items()],
    )


class MonthForm(FlaskForm):
    """GET month picker of the billing pages (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    month = MonthField(_l("Month"), validators=[Optional()])
