"""Forms of the sign-in providers (input shape only)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField


class ProviderSigninForm(FlaskForm):
    """A sign-in button that posts (certificate sign-in): CSRF token and where to go next."""

    next = HiddenField()


class CertificateForm(FlaskForm):
    """Link or unlink a certificate: an empty form carrying the CSRF token."""
