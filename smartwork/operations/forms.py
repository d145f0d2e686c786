"""Manager console forms (input shape only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, PasswordField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..centers.labels import CLOSURE_KIND_LABELS, SPACE_KIND_LABELS, WEEKDAY_LABELS
from .closures import POLICY_RANGES


class ActionForm(FlaskForm):
    """A POST button: nothing but the CSRF token."""


class SpaceForm(FlaskForm):
    """Add or edit a space."""

    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in SPACE_KIND_LABELS.items()],
                       validators=[DataRequired()])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    capacity = IntegerField(_l("Capacity"), default=1, validators=[InputRequired(), NumberRange(min=1, max=100)])
    features = StringField(_l("Features (comma-separated)"), validators=[Optional(), Length(max=400)])


class DeactivateForm(FlaskForm):
    """Confirm taking a space out of service."""

    reason = StringField(_l("Reason (sent to the people affected)"), validators=[Optional(), Length(max=200)])


class BookingCancelForm(FlaskForm):
    """A manager cancels one booking; the holder reads the reason."""

    reason = StringField(_l("Reason (sent to the person)"), validators=[DataRequired(), Length(max=200)])


class BookingMoveForm(FlaskForm):
    """A manager moves one booking to another free space; the holder reads the reason."""

    space_id = SelectField(_l("New space"), coerce=int, choices=[], validate_choice=False,
                           validators=[DataRequired()])
    reason = StringField(_l("Reason (sent to the person)"), validators=[DataRequired(), Length(max=200)])


class ClosureForm(FlaskForm):
    """A closure; ``confirm`` is set once the manager has seen the bookings it cancels."""

    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in CLOSURE_KIND_LABELS.items()],
                       validators=[DataRequired()])
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])
    confirm = HiddenField(default="")


class HoursForm(FlaskForm):
    """Opening hours per weekday; a weekday left empty is closed. ``confirm`` is set once the
    manager has seen the bookings the new hours cancel."""

    confirm = HiddenField(default="")


for _day, _label in enumerate(WEEKDAY_LABELS):
    setattr(HoursForm, f"opens_{_day}", TimeField(_label, validators=[Optional()]))
    setattr(HoursForm, f"closes_{_day}", TimeField(_label, validators=[Optional()]))


class PolicyForm(FlaskForm):
    """Per-center overrides of the booking policy; empty means the default applies."""


for _key, _bounds in POLICY_RANGES.items():
    setattr(PolicyForm, _key, IntegerField(_bounds.label, validators=[Optional()]))


class ReportForm(FlaskForm):
    """The report's date range (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class WalkInForm(FlaskForm):
    """A walk-in at the kiosk: who they are, which free space, until when."""

    space_id = HiddenField(validators=[DataRequired()])
    identifier = StringField(_l("Employee number or government e-mail"),
                             validators=[DataRequired(), Length(max=254)],
                             render_kw={"autocomplete": "off"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "off"})
    ends_at = TimeField(_l("Until (empty: closing time)"), validators=[Optional()])
