"""Booking forms: input shape only (types, choices, the 30-minute grid, CSRF); rules live in services."""

from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..centers.labels import SPACE_KIND_LABELS, WEEKDAY_LABELS
from ..centers.models import SpaceKind

SLOT_MINUTES = 30
# The 30-minute grid as "HH:MM" choices; a booking cannot run past midnight, so ends stop at 23:30.
GRID_TIMES = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(0, 24 * 60, SLOT_MINUTES)]
START_CHOICES = [(value, value) for value in GRID_TIMES]
END_CHOICES = [(value, value) for value in GRID_TIMES[1:]]
KIND_CHOICES = [(kind.value, label) for kind, label in SPACE_KIND_LABELS.items()]
WEEKDAY_CHOICES = [(str(index), label) for index, label in enumerate(WEEKDAY_LABELS)]
HOME_ORIGIN = "home"
# The waitlist form shares a page with the booking form, so its fields carry a prefix.
WAITLIST_PREFIX = "wl"

# Service refusals name their own fields; this maps them onto the fields of these forms.
SERVICE_FIELDS = {
    "starts_at": "start",
    "ends_at": "end",
    "day": "date",
    "first_day": "first_day",
    "space_id": "space",
    "space": "space",
    "attendees": "attendees",
    "weekdays": "weekdays",
    "weeks": "weeks",
    "on_behalf_of": "employee_number",
    "user": "employee_number",
    "kind": "kind",
}


def parse_clock(value: str) -> time:
    """A grid choice ("09:30") as a time."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (weekdays)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TimeRangeMixin:
    """Start and end on the grid; the end after the start."""

    start = SelectField(_l("From"), choices=START_CHOICES, default="09:00", validators=[DataRequired()])
    end = SelectField(_l("Until"), choices=END_CHOICES, default="18:00", validators=[DataRequired()])

    def validate_end(self, field) -> None:
        if self.start.data in GRID_TIMES and field.data in GRID_TIMES and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start."))


class FindForm(TimeRangeMixin, FlaskForm):
    """GET search for a place (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    date = DateField(_l("Date"), validators=[DataRequired(message=_l("Pick a date."))])
    kind = SelectField(_l("Space"), choices=KIND_CHOICES, default=SpaceKind.DESK.value)
    origin = SelectField(_l("Near"), validators=[DataRequired(message=_l("Pick where to search from."))])
    attendees = IntegerField(
        _l("Attendees"), validators=[Optional(), NumberRange(min=1, max=200)],
    )


class BookBestForm(TimeRangeMixin, FlaskForm):
    """One click from the search results: the best free space of a kind in one center."""

    center = HiddenField(validators=[DataRequired()])
    date = DateField(validators=[DataRequired()])
    kind = SelectField(choices=KIND_CHOICES, validators=[DataRequired()])
    attendees = IntegerField(validators=[Optional(), NumberRange(min=1, max=200)])


class BookSpaceForm(TimeRangeMixin, FlaskForm):
    """Book one space of a center's day view."""

    space = SelectField(_l("Space"), coerce=int, validators=[DataRequired(message=_l("Pick a space."))])
    date = DateField(_l("Date"), validators=[DataRequired(message=_l("Pick a date."))])
    attendees = IntegerField(
        _l("Attendees (rooms)"), validators=[Optional(), NumberRange(min=1, max=200)],
    )


class OnBehalfForm(BookSpaceForm):
    """A manager or admin books a space for an employee, found by employee number."""

    employee_number = StringField(
        _l("Employee number"), validators=[DataRequired(message=_l("Enter the employee number.")), Length(max=20)],
    )


class WaitlistForm(TimeRangeMixin, FlaskForm):
    """Join the waitlist for a center, day, time and space kind."""

    center = HiddenField(validators=[DataRequired()])
    date = DateField(_l("Date"), validators=[DataRequired()])
    kind = SelectField(_l("Space"), choices=KIND_CHOICES, validators=[DataRequired()])
    attendees = IntegerField(_l("Attendees (rooms)"), validators=[Optional(), NumberRange(min=1, max=200)])


class SeriesForm(TimeRangeMixin, FlaskForm):
    """A weekly recurring booking of one space."""

    space = SelectField(_l("Space"), coerce=int, validators=[DataRequired(message=_l("Pick a space."))])
    weekdays = MultiCheckboxField(
        _l("Weekdays"), choices=WEEKDAY_CHOICES,
        validators=[DataRequired(message=_l("Pick at least one weekday."))],
    )
    first_day = DateField(_l("First day"), validators=[DataRequired(message=_l("Pick a date."))])
    weeks = IntegerField(
        _l("Weeks"), default=4,
        validators=[DataRequired(), NumberRange(min=1, max=8, message=_l("From 1 to 8 weeks."))],
    )
    attendees = IntegerField(
        _l("Attendees (rooms)"), validators=[Optional(), NumberRange(min=1, max=200)],
    )


class ActionForm(FlaskForm):
    """A bare POST (cancel, check in, check out, leave, mark read): only the CSRF token."""
