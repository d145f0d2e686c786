"""Sign-in with outside providers (SSO, client certificates) and linking a certificate to one's account."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from ...database import writing
from ...errors import SmartworkError
from ...extensions import db, limiter
from ...security import config_limit
from .. import services
from . import SigninRefused, certificate_provider, certificates, configured_providers, get_provider, oidc
from .forms import CertificateForm, ProviderSigninForm

bp = Blueprint("auth_providers", __name__, url_prefix="/auth")

_STATE_KEY = "oidc_state:{}"


def _peer() -> str | None:
    """The socket's peer: engineer 15a's middleware records it before any proxy fix rewrites remote_addr."""
    return request.environ.get("smartwork.peer_addr", request.remote_addr)


@bp.app_context_processor
def _signin_buttons():
    return {"signin_providers": configured_providers}


def _refused(refusal: SmartworkError, provider, status: int | None = None):
    return render_template("auth/signin_refused.html", refusal=refusal, provider=provider), status or refusal.status


def _callback_url(provider) -> str:
    # Behind a proxy the external address may differ from what the app sees: the setting wins.
    return provider.settings.get("redirect_uri") or url_for(".sso_callback", provider=provider.name, _external=True)


@bp.get("/sso/<provider>")
@limiter.limit(config_limit("RATELIMIT_SIGNIN"))
def sso_start(provider: str):
    """Send the browser to the SSO provider (authorization code + PKCE)."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    chosen = get_provider(provider, "oidc")
    try:
        with writing(db.session):
            url, state = oidc.begin_signin(chosen, redirect_uri=_callback_url(chosen),
                                           next_url=services.safe_next_url(request.args.get("next")))
    except SigninRefused as refusal:
        return _refused(refusal, chosen, 503)
    session[_STATE_KEY.format(chosen.name)] = state
    return redirect(url)


@bp.get("/sso/<provider>/callback")
@limiter.limit(config_limit("RATELIMIT_SIGNIN"))
def sso_callback(provider: str):
    """The SSO provider sends the browser back here; a verified answer signs the matched account in."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    chosen = get_provider(provider, "oidc")
    expected = session.pop(_STATE_KEY.format(chosen.name), None)
    try:
        with writing(db.session):
            user, next_url = oidc.complete_signin(
                chosen, state=request.args.get("state"), expected_state=expected, code=request.args.get("code"),
                error=request.args.get("error"), redirect_uri=_callback_url(chosen))
    except SigninRefused as refusal:
        return _refused(refusal, chosen)
    login_user(user)  # the session is established exactly as after a password sign-in
    return redirect(services.safe_next_url(next_url) or url_for("home.index"))


@bp.post("/certificate/login")
@limiter.limit(config_limit("RATELIMIT_SIGNIN"))
def certificate_login():
    """Sign in with the client certificate the trusted proxy verified."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    provider = certificate_provider()
    form = ProviderSigninForm()
    try:
        user = certificates.sign_in(provider, request.headers, _peer())
    except SigninRefused as refusal:
        return _refused(refusal, provider)
    login_user(user)
    return redirect(services.safe_next_url(form.next.data) or url_for("home.index"))


@bp.get("/certificate/refused")
@limiter.limit(config_limit("RATELIMIT_SIGNIN"))
def certificate_refused():
    """Where the proxy sends a request whose certificate it refused (nginx ``error_page 495``)."""
    provider = certificate_provider()
    return _refused(certificates.record_refusal(provider, request.headers, _peer()), provider)


@bp.route("/certificate", methods=["GET", "POST"])
@login_required
def certificate():
    """Show the certificate presented now and the linked ones; POST links the presented one."""
    provider = certificate_provider()
    user = current_user._get_current_object()
    form = CertificateForm()
    status = 200
    if form.validate_on_submit():
        try:
            certificates.bind(provider, user, request.headers, _peer())
        except SmartworkError as error:
            form.form_errors.append(error.message)
            status = error.status
        else:
            flash(_("The certificate is linked to your account: next time you can sign in with it."), "success")
            return redirect(url_for(".certificate"))
    presented = certificates.presented_certificate(request.headers, _peer())
    return render_template(
        "auth/certificate.html", provider=provider, form=form, unlink_form=CertificateForm(formdata=None),
        presented=presented if presented is not None and presented.verified else None,
        identities=certificates.identities_of(provider, user),
    ), status


@bp.post("/certificate/<int:identity_id>/delete")
@login_required
def certificate_unlink(identity_id: int):
    """Unlink one of one's certificates."""
    provider = certificate_provider()
    certificates.unbind(provider, current_user._get_current_object(), identity_id)
    flash(_("The certificate is no longer linked to your account."), "info")
    return redirect(url_for(".certificate"))

