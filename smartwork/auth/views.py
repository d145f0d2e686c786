"""Sign-in, sign-out, password and language views."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import SmartworkError
from ..extensions import limiter
from ..i18n import LANGUAGE_COOKIE
from ..security import config_limit
from . import activation, services
from .devices import DEVICE_COOKIE
from .forms import LanguageForm, LoginForm, PasswordChangeForm, ResetRequestForm, SetPasswordForm
from .models import TokenPurpose
from .providers import require_password_login

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(config_limit("RATELIMIT_SIGNIN"), methods=["POST"])
def login():
    """Show the sign-in form; on success go to ``next`` if it is a local path."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if request.method == "POST":
        require_password_login()  # PASSWORD_LOGIN_ENABLED off: SSO or certificate only
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            result = services.sign_in(form.identifier.data, form.password.data,
                                      device_token=request.cookies.get(DEVICE_COOKIE))
        except SmartworkError as error:
            form.form_errors.append(error.message)
            return render_template(
                "auth/login.html", form=form, show_demo=current_app.config["SHOW_DEMO_CREDENTIALS"]
            ), error.status
        # "Keep me signed in": the cookie outlives the browser (never the server's idle/absolute limits).
        session.permanent = bool(form.remember.data)
        login_user(result.user)
        response = redirect(services.safe_next_url(form.next.data) or url_for("home.index"))
        if result.device_token:
            _set_device_cookie(response, result.device_token)
        return response
    status = 422 if form.errors else 200
    return render_template(
        "auth/login.html", form=form, show_demo=current_app.config["SHOW_DEMO_CREDENTIALS"]
    ), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out (POST with CSRF) and rotate the token so old cookies stop working."""
    services.rotate_session_token(current_user._get_current_object())
    logout_user()
    flash(_("You have been signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(config_limit("RATELIMIT_SIGNIN"), methods=["POST"])  # no guessing the current password
@login_required
def password():
    """Change one's own password; every other device is signed out."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            revoked = services.change_password(user, form.current_password.data, form.new_password.data)
        except SmartworkError as error:
            getattr(form, error.field or "new_password").errors.append(error.message)
            return render_template("auth/password.html", form=form), error.status
        login_user(user)  # this device carries on under the new token; every other one is signed out
        flash(_("Your password has been changed."), "success")
        _flash_revoked(revoked)
        return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200


@bp.post("/language")
def language():
    """Switch between Korean and English (stored on the account and in a cookie)."""
    form = LanguageForm()
    locale = form.locale.data if form.validate_on_submit() else None
    target = services.safe_next_url(form.next.data) or url_for("home.index")
    response = redirect(target)
    if locale in current_app.config["LANGUAGES"]:
        if current_user.is_authenticated:
            services.set_locale(current_user._get_current_object(), locale)
        response.set_cookie(
            LANGUAGE_COOKIE, locale, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def _set_device_cookie(response, token: str) -> None:
    """Remember this browser as one the account signed in on (sent only to /auth/)."""
    response.set_cookie(
        DEVICE_COOKIE, token, max_age=int(current_app.config["KNOWN_DEVICE_LIFETIME"].total_seconds()),
        path=url_for("auth.login").rsplit("/", 1)[0] + "/", httponly=True, samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def _flash_revoked(revoked: dict[str, int]) -> None:
    """Say what a new password revoked, so the person knows to make new ones."""
    if revoked.get("api_tokens"):
        flash(ngettext("%(num)d API token was revoked; create a new one if you still need it.",
                       "%(num)d API tokens were revoked; create new ones if you still need them.",
                       revoked["api_tokens"]), "info")
    if revoked.get("calendar_feeds"):
        flash(_("Your calendar feed link was revoked; create a new one if you still need it."), "info")


def _reset_account_key() -> str:
    """Rate-limit key for reset requests: the e-mail address asked about, whether or not it has an account."""
    return "reset-account:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(config_limit("RATELIMIT_PASSWORD_RESET"), methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_PASSWORD_RESET_ACCOUNT"), methods=["POST"], key_func=_reset_account_key)
def reset_request():
    """Ask for a reset link; the answer is the same page whether or not the address has an account."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        activation.request_password_reset(form.email.data)
        return render_template("auth/reset_sent.html", email=form.email.data.strip())
    return render_template("auth/reset_request.html", form=form), 422 if form.errors else 200


def _link_page(token: str, purpose: TokenPurpose):
    """Show or submit the set-password form of an activation or reset link."""
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    form = SetPasswordForm()
    try:
        if form.validate_on_submit():
            activation.use_link(token, purpose, form.password.data, actor=actor)
            if actor is not None:
                logout_user()  # the session token was rotated: start clean
            flash(_("Your password is set. Sign in with it now.") if purpose == TokenPurpose.ACTIVATION
                  else _("Your password has been reset and every device signed out. Sign in with the new password."),
                  "success")
            return redirect(url_for("auth.login"))
        user = activation.link_owner(token, purpose, actor=actor)
    except SmartworkError as error:
        if error.field:
            getattr(form, error.field).errors.append(error.message)
            user = activation.link_owner(token, purpose, actor=actor)
        else:
            return render_template("auth/link_invalid.html", message=error.message), error.status
    status = 422 if form.errors else 200
    return render_template("auth/set_password.html", form=form, user=user, purpose=purpose.value), status


@bp.route("/activate/<token>", methods=["GET", "POST"])
@limiter.limit(config_limit("RATELIMIT_SIGNIN"), methods=["POST"])
def activate(token: str):
    """An activation link: choose a password and the account becomes active."""
    return _link_page(token, TokenPurpose.ACTIVATION)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(config_limit("RATELIMIT_SIGNIN"), methods=["POST"])
def reset_password(token: str):
    """A reset link: choose a new password; every session, API token and feed of the account ends."""
    return _link_page(token, TokenPurpose.PASSWORD_RESET)
