"""The one permission helper for roles, used by every view and API.

Center scope (which centers a manager may touch) lives in ``centers.services``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .models import Role


def has_role(user, *roles: Role) -> bool:
    """True if ``user`` is signed in and holds any of ``roles``."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(*roles)


def role_required(*roles: Role) -> Callable:
    """View decorator: sign-in required, then any of ``roles`` (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
