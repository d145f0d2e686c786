"""Sign-in and account forms (input shape only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    """Employee number or government e-mail, and a password."""

    identifier = StringField(
        _l("Employee number or government e-mail"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class LogoutForm(FlaskForm):
    """An empty form: logout is a POST carrying a CSRF token."""


class PasswordChangeForm(FlaskForm):
    """Change one's own password."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=200)],
        description=_l("At least 12 characters. A short sentence is easy to remember and hard to guess."),
        render_kw={"autocomplete": "new-password", "minlength": 12},
    )


class SetPasswordForm(FlaskForm):
    """Choose a password through an activation or reset link."""

    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=200)],
        description=_l("At least 12 characters. A short sentence is easy to remember and hard to guess."),
        render_kw={"autocomplete": "new-password", "minlength": 12},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ResetRequestForm(FlaskForm):
    """Ask for a password-reset link."""

    email = StringField(
        _l("Government e-mail"), validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "email", "inputmode": "email", "autofocus": True},
    )


class LanguageForm(FlaskForm):
    """Switch the interface language."""

    locale = HiddenField(validators=[DataRequired()])
    next = HiddenField()
