"""The JSON API's table of contents: the domain modules served under /api/v1.

``create_app`` calls ``register_api``; the endpoint modules import ``core`` and ``schemas``, never
this module nor each other, so the package has no import cycle.
"""

from __future__ import annotations

from flask import Flask

from . import admin, bookings, centers, me, operations, planning
from .core import Api, new_api

# One line per domain; each module exposes ``blueprints``.
API_MODULES = (centers, bookings, me, operations, planning, admin)


def register_api(app: Flask) -> Api:
    """Create the API for ``app`` and register every domain's blueprints under /api/v1."""
    api = new_api(app)
    for module in API_MODULES:
        for blueprint in module.blueprints:
            api.register_blueprint(blueprint)
    return api
