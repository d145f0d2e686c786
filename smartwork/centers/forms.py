"""Center directory filters (input shape only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from .labels import KIND_LABELS, OWNERSHIP_LABELS, STATUS_LABELS


def _choices(labels: dict) -> list[tuple[str, object]]:
    return [("", _l("Any"))] + [(member.value, label) for member, label in labels.items()]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class DirectoryFilterForm(FlaskForm):
    """GET filters for the center directory (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name or address"), validators=[Optional(), Length(max=80)], filters=[_strip]
    )
    sido = SelectField(_l("Province"), validators=[Optional()], choices=[])
    ownership = SelectField(_l("Ownership"), validators=[Optional()], choices=_choices(OWNERSHIP_LABELS))
    kind = SelectField(_l("Type"), validators=[Optional()], choices=_choices(KIND_LABELS))
    status = SelectField(_l("Status"), validators=[Optional()], choices=_choices(STATUS_LABELS))
