"""Imports every domain's models so Alembic and create_all see the whole schema.

Nothing in the application imports this module; domains import their own models.
"""

from .auth.models import Agency, RoleAssignment, User  # noqa: F401
from .centers.models import (  # noqa: F401
    Center,
    CenterManager,
    Closure,
    Contract,
    OpeningHours,
    Operator,
    Region,
    Space,
)
