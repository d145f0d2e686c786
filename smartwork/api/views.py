"""The API's pages: personal access tokens (settings), the OpenAPI document and its reference page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import SmartworkError
from . import tokens
from .core import API_PREFIX, spec_for
from .forms import TokenForm

bp = Blueprint("api", __name__, url_prefix="/api")

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _tokens_page(form: TokenForm, issued: tokens.IssuedToken | None = None, status: int = 200):
    user = current_user._get_current_object()
    return render_template("api/tokens.html", form=form, tokens=tokens.list_tokens(user), issued=issued,
                           docs_url=url_for("api.docs")), status


@bp.get("/tokens")
@login_required
def token_list():
    """Your personal access tokens and a form to create one."""
    return _tokens_page(TokenForm())


@bp.post("/tokens")
@login_required
def token_create():
    """Create a token and show it once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form, status=422)
    try:
        issued = tokens.create_token(current_user._get_current_object(), form.name.data, form.scopes.data or [],
                                     form.days.data)
    except SmartworkError as error:
        target = getattr(form, error.field or "", None)
        (target.errors if target is not None else form.form_errors).append(error.message)
        return _tokens_page(form, status=error.status)
    # The secret is in this response only: it is never stored and a reload will not show it again.
    return _tokens_page(TokenForm(formdata=None), issued=issued)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    """Revoke a token at once."""
    token = tokens.revoke_token(current_user._get_current_object(), token_id)
    flash(_("The token %(name)s was revoked.", name=token.name), "success")
    return redirect(url_for("api.token_list"))


@bp.get("/v1/openapi.json")
def openapi_json():
    """The OpenAPI 3 document, generated from the endpoints' schemas."""
    return jsonify(spec_for(current_app))


@bp.get("/docs")
def docs():
    """A reference of every endpoint, rendered on the server from the OpenAPI document (no CDN)."""
    spec = spec_for(current_app)
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                operations.append((path, method.upper(), item[method], item.get("parameters", [])))
    return render_template("api/docs.html", spec=spec, operations=operations, prefix=API_PREFIX,
                           schemas=spec.get("components", {}).get("schemas", {}))
