"""Input shapes of the admin console."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..audit import EVENT_LABELS
from ..bookings.forms import MultiCheckboxField


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


# --- users ------------------------------------------------------------------------------------

STATUS_LABELS = {
    "pending": _l("Pending activation"),
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "retired": _l("Retired"),
}
ROLE_LABELS = {
    "employee": _l("Employee"),
    "center_manager": _l("Center manager"),
    "planner": _l("Planner"),
    "admin": _l("Administrator"),
}


class UserSearchForm(FlaskForm):
    """GET search of users (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, employee number or e-mail"), validators=[Optional(), Length(max=254)])
    agency = SelectField(_l("Agency"), validators=[Optional()], choices=[])
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=[("", _l("Any")), *STATUS_LABELS.items()])
    role = SelectField(_l("Role"), validators=[Optional()],
                       choices=[("", _l("Any"))] + [(k, v) for k, v in ROLE_LABELS.items() if k != "employee"])


class RoleForm(FlaskForm):
    """Grant or revoke one role."""

    role = SelectField(_l("Role"), validators=[DataRequired()],
                       choices=[(k, v) for k, v in ROLE_LABELS.items() if k != "employee"])
    action = SelectField(_l("Action"), validators=[DataRequired()],
                         choices=[("grant", _l("Grant")), ("revoke", _l("Revoke"))])


class StatusForm(FlaskForm):
    """Activate, suspend (why, until when) or retire an account."""

    status = SelectField(_l("New status"), validators=[DataRequired()],
                         choices=[(k, v) for k, v in STATUS_LABELS.items() if k != "pending"])
    reason = StringField(_l("Reason (for a suspension)"), validators=[Optional(), Length(max=200)])
    until = DateField(_l("Suspended until (last day, optional)"), validators=[Optional()])


class CenterAssignForm(FlaskForm):
    """Assign a center manager to a center, or take one away."""

    center = StringField(_l("Center code"), validators=[DataRequired(), Length(max=40)])
    action = SelectField(_l("Action"), validators=[DataRequired()],
                         choices=[("assign", _l("Assign")), ("unassign", _l("Unassign"))])


class ConfirmForm(FlaskForm):
    """A button that changes something: the hidden field proves the form was sent on purpose."""

    confirm = HiddenField(validators=[DataRequired()])


# --- agencies, operators, contracts -----------------------------------------------------------


class AgencyForm(FlaskForm):
    """An agency's code, names and kind."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name_ko = StringField(_l("Name (Korean)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=160)])
    kind = SelectField(_l("Kind"), validators=[DataRequired()], choices=[
        ("central", _l("Central government")), ("local", _l("Local government")),
        ("public_institution", _l("Public institution")),
    ])


class OperatorForm(FlaskForm):
    """An operator's code, names and ownership."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name_ko = StringField(_l("Name (Korean)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=160)])
    ownership = SelectField(_l("Ownership"), validators=[DataRequired()],
                            choices=[("private", _l("Private")), ("public", _l("Public"))])


class ContractForm(FlaskForm):
    """A contract: which agency may use which private operator's centers, when, at what rate."""

    agency = SelectField(_l("Agency"), validators=[DataRequired()], choices=[])
    operator = SelectField(_l("Operator"), validators=[DataRequired()], choices=[])
    hourly_rate_krw = IntegerField(_l("Hourly rate (KRW)"), validators=[InputRequired(), NumberRange(min=0)])
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day (optional)"), validators=[Optional()])
    centers = TextAreaField(_l("Center codes it is limited to (blank: every center of the operator)"),
                            validators=[Optional(), Length(max=20_000)])

    def validate_ends_on(self, field) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date must not be before the start date."))


# --- roster upload ----------------------------------------------------------------------------


class RosterUploadForm(FlaskForm):
    """Step 1: the CSV file (nothing is applied before the preview)."""

    roster = FileField(_l("Roster (CSV, UTF-8)"), validators=[FileRequired()])


class RosterReviewForm(FlaskForm):
    """Step 2: which agencies the roster lists completely, the second confirmation, preview again or apply."""

    upload = HiddenField(validators=[DataRequired(), Length(max=80)])
    fingerprint = HiddenField(validators=[Optional(), Length(max=40)])
    complete = MultiCheckboxField(_l("Complete agencies: their people missing from the roster are retired"),
                                  choices=[], validate_choice=False)
    confirm_large_retirement = BooleanField(_l("I confirm these retirements (more than the usual share)"))
    action = SelectField(validators=[DataRequired()], choices=[("preview", _l("Preview again")),
                                                                ("apply", _l("Apply"))])
