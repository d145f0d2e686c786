"""JSON API v1 wiring: the spec generator, Bearer-token or session auth, scopes, problem+json, paging.

Every endpoint is a flask-smorest view: the marshmallow schemas that validate its input are the ones
the OpenAPI document is generated from. Times are ISO 8601 with the Asia/Seoul offset (+09:00).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint
from flask_smorest.utils import prepare_response
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, UnprocessableEntity

from ..auth.models import Role, User
from ..errors import NotFound, PermissionDenied, SmartworkError, problem_response
from ..extensions import csrf, limiter
from ..security import config_limit
from . import tokens
from .models import ApiToken, Scope
from .schemas import ProblemSchema

API_PREFIX = "/api/v1"
PROBLEM_CONTENT_TYPE = "application/problem+json"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

API_DESCRIPTION = """\
The smartwork JSON API: the same rules as the web pages, for mobile apps and agency systems.

* **Auth**: `Authorization: Bearer <token>` with a personal access token (created on /api/tokens,
  scopes `read`, `book`, `manage`), or the web session cookie (then unsafe methods need the
  `X-CSRFToken` header).
* **Times** are ISO 8601 with their offset. Responses use Korea time (`+09:00`); requests may use
  any offset, naive times are refused. Days are `YYYY-MM-DD`, clock times `HH:MM` (Korea time).
* **Errors** are `application/problem+json` (RFC 9457) with `rule` (the rule that refused) and
  `field` (the input it concerns); 401 without valid credentials, 403 missing role or scope,
  404 unknown or not yours, 409 conflicts, 422 invalid input (unknown fields are refused).
* **Lists** are paged with `page` and `per_page` (at most 100); `next_page` is null on the last page.
"""


class CsrfFailed(SmartworkError):
    """A cookie-authenticated unsafe request without a valid CSRF token (400)."""

    status = 400
    rule = "csrf_failed"


class ScopeMissing(PermissionDenied):
    """The access token lacks the scope an endpoint needs (403)."""

    rule = "insufficient_scope"


# --- the Api ------------------------------------------------------------------------------------


class Api(SmorestApi):
    """flask-smorest's Api, answering errors through smartwork's handler and documenting problem+json."""

    ERROR_SCHEMA = ProblemSchema

    # Building the document costs ~0.1 s; every app (each test builds one) would pay it at start-up,
    # so the spec is built on the first request for it and the blueprints' docs are queued until then.
    def _init_spec(self, **spec_kwargs) -> None:
        self._spec_kwargs_deferred = spec_kwargs
        self._pending_docs: list[tuple[Blueprint, str, Any]] = []
        self._spec_lock = threading.Lock()
        self.spec = None

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._pending_docs.append((blp, name, parameters))

    def openapi(self) -> dict:
        """The OpenAPI document (built once, on first use)."""
        with self._spec_lock:
            if self.spec is None:
                super()._init_spec(**self._spec_kwargs_deferred)
                for blp, name, parameters in self._pending_docs:
                    blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
                    self.spec.tag({"name": name, "description": blp.description})
            return self.spec.to_dict()

    def _register_error_handlers(self) -> None:
        # smartwork's own handler (errors.py) answers every error, HTML or problem+json.
        pass

    def _register_responses(self) -> None:
        import http

        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        # The document is for developers and built once per process, so it is not translated.
        response = {"description": "A problem document (RFC 9457).", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def init_api(app: Flask) -> Api:
    """Create the Api for ``app`` and register every domain's blueprint under /api/v1."""
    app.config.setdefault("API_TITLE", "smartwork API")
    app.config.setdefault("API_VERSION", "1.0.0")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": API_DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "A personal access token from /api/tokens."},
            "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
        }},
    })
    # No OPENAPI_URL_PREFIX: the spec and the reference page are served by views.py, locally.
    api = Api(app)
    from . import admin, bookings, centers, me, operations, planning

    for module in (centers, bookings, me, operations, planning, admin):
        for blueprint in module.blueprints:
            api.register_blueprint(blueprint)
    app.extensions["smartwork_api"] = api
    return api


def spec_for(app: Flask) -> dict:
    """The OpenAPI document of ``app``'s API."""
    return app.extensions["smartwork_api"].openapi()


# --- blueprints, auth and scopes ----------------------------------------------------------------


def make_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    """A domain's API blueprint: token/session auth, CSRF for cookies only, problem+json for bad input."""
    blp = Blueprint(name, __name__, url_prefix=API_PREFIX + url_prefix, description=description)
    # Token requests carry no cookie and cannot be forged cross-site; cookie requests are checked in
    # _authenticate, after we know which kind of request this is.
    csrf.exempt(blp)
    # One budget per client across the whole API (RATELIMIT_API), counted before authentication so
    # guessing tokens is limited too.
    limiter.shared_limit(config_limit("RATELIMIT_API"), scope="api_v1")(blp)
    blp.before_request(_authenticate)
    blp.after_request(_www_authenticate)
    blp.teardown_request(_forget_token_user)
    blp.register_error_handler(UnprocessableEntity, _invalid_input)
    blp.register_error_handler(BadRequest, _bad_request)
    return blp


def _bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or ""


def _authenticate() -> None:
    """A Bearer token makes its holder the request's user (no cookie session is made); else the session."""
    # A request reusing an outer app context (tests, CLI) must not inherit an earlier request's user.
    g.pop("_login_user", None)
    g.api_token = None
    secret = _bearer_secret()
    if secret is not None:
        token = tokens.authenticate(secret)
        g.api_token = token
        # Flask-Login reads the request's user from here; nothing is written to the session.
        g._login_user = token.user
        return
    if "Authorization" in request.headers:
        raise tokens.Unauthenticated(_("Use 'Authorization: Bearer <token>'."), rule="token_invalid",
                                     field="Authorization")
    if request.method in UNSAFE_METHODS and current_user.is_authenticated and current_app.config.get(
        "WTF_CSRF_ENABLED", True
    ):
        try:
            csrf.protect()
        except CSRFError as error:
            raise CsrfFailed(_("Send the X-CSRFToken header with session-authenticated requests."),
                             field="X-CSRFToken") from error


def _forget_token_user(_exc) -> None:
    """The token's user lives for this request only."""
    if g.pop("api_token", None) is not None:
        g.pop("_login_user", None)


def _www_authenticate(response):
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="smartwork"'
    return response


def current_token() -> ApiToken | None:
    """The token that authenticated this request; None for the web session."""
    return getattr(g, "api_token", None)


def requires(scope: Scope, *roles: Role) -> Callable:
    """Endpoint decorator: signed in (token or session), the token holds ``scope``, the user any of ``roles``.

    Apply it directly under ``@blp.route`` so it runs before the input is parsed.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                raise tokens.Unauthenticated(_("Sign in or send an access token."))
            token = current_token()
            if token is not None and not token.allows(scope):
                raise ScopeMissing(
                    _("This access token lacks the '%(scope)s' scope.", scope=scope.value),
                    allowed={"required_scope": scope.value, "token_scopes": list(token.scopes)},
                )
            if roles and not current_user.has_role(*roles):
                raise PermissionDenied(_("Your role does not allow this."), rule="role_required",
                                       allowed={"roles": [role.value for role in roles]})
            return view(*args, **kwargs)

        return wrapped

    return decorator


def me() -> User:
    """The request's user (token holder or session user)."""
    return current_user._get_current_object()


def safe_code(code: str, what: str = "center") -> str:
    """A path code that can be looked up; anything else is simply not found (never a database error)."""
    if not code or len(code) > 40 or not all(ch.isalnum() or ch in "-_" for ch in code) or not code.isascii():
        raise NotFound(f"{what} {code[:40]!r}", rule=f"{what}_not_found")
    return code


# --- input errors as problem documents ----------------------------------------------------------


LOCATIONS = frozenset({"json", "query", "path", "view_args", "headers", "form"})


def _flatten(messages: Any) -> dict[str, Any]:
    """webargs' {location: {field: messages}} as {field: messages}."""
    if isinstance(messages, dict) and set(messages) <= LOCATIONS:
        merged: dict[str, Any] = {}
        for value in messages.values():
            merged.update(value if isinstance(value, dict) else {"_body": value})
        return merged
    return messages if isinstance(messages, dict) else {"_body": messages}


def _leaves(messages: dict, path: tuple = ()) -> list[tuple[str, list]]:
    """(dotted field path, messages) for every invalid input, nested ones included."""
    found: list[tuple[str, list]] = []
    for key, value in messages.items():
        here = path if key == "_schema" else (*path, str(key))
        if isinstance(value, dict):
            found += _leaves(value, here)
        else:
            found.append((".".join(here), value if isinstance(value, list) else [value]))
    return found


def _invalid_input(error: UnprocessableEntity):
    """422 from schema validation, as a problem naming the invalid field (an unknown one first)."""
    errors = _flatten((getattr(error, "data", None) or {}).get("messages", {}))
    leaves = _leaves(errors)
    unknown = next((name for name, texts in leaves if "Unknown field." in texts), None)
    field = unknown or next((name for name, _texts in leaves if name and name != "_body"), None)
    if unknown:
        detail = _("Unknown field: %(field)s.", field=unknown)
    else:
        detail = _("Invalid input in %(field)s.", field=field or _("the request"))
    problem = SmartworkError(detail, field=field, rule="unknown_field" if unknown else "invalid_input")
    problem.status = 422
    document = problem.to_problem()
    document["errors"] = errors
    return problem_response(document, 422)


def _bad_request(error: BadRequest):
    """400 (a body that is not JSON, or a malformed request) as a problem document."""
    messages = (getattr(error, "data", None) or {}).get("messages")
    if isinstance(messages, dict) and "json" in messages:
        problem = SmartworkError(_("The request body is not valid JSON."), rule="invalid_json")
    else:
        problem = SmartworkError(_("The request could not be understood."), rule="bad_request")
    problem.status = 400
    document = problem.to_problem()
    if messages:
        document["errors"] = _flatten(messages)
    return problem_response(document, 400)
