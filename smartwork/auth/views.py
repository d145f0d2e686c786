"""Sign-in, sign-out, password and language views."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME

from ..errors import SmartworkError
from ..extensions import limiter
from ..i18n import LANGUAGE_COOKIE
from ..security import config_limit
from . import services
from .forms import LanguageForm, LoginForm, PasswordChangeForm
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
            user = services.authenticate(form.identifier.data, form.password.data)
        except SmartworkError as error:
            form.form_errors.append(error.message)
            return render_template(
                "auth/login.html", form=form, show_demo=current_app.config["SHOW_DEMO_CREDENTIALS"]
            ), error.status
        login_user(user, remember=form.remember.data)
        return redirect(services.safe_next_url(form.next.data) or url_for("home.index"))
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
            services.change_password(user, form.current_password.data, form.new_password.data)
        except SmartworkError as error:
            getattr(form, error.field or "new_password").errors.append(error.message)
            return render_template("auth/password.html", form=form), error.status
        # Re-issue this device's session (and remember cookie, if it had one) under the new token.
        login_user(user, remember=current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies)
        flash(_("Your password has been changed."), "success")
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
