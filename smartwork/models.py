"""Imports every domain's models so Alembic and create_all see the whole schema.

Nothing in the application imports this module; domains import their own models.
"""

from .api.models import ApiToken  # noqa: F401
from .audit import AuditEvent  # noqa: F401
from .auth.models import AccountToken, Agency, KnownDevice, RoleAssignment, User  # noqa: F401
from .auth.providers.models import ExternalIdentity, OidcSignin  # noqa: F401
from .bookings.demand import SearchMiss  # noqa: F401
from .bookings.models import (  # noqa: F401
    Booking,
    CalendarFeed,
    Notification,
    Series,
    WaitlistEntry,
)
from .centers.models import (  # noqa: F401
    Center,
    CenterManager,
    CenterStatusChange,
    Closure,
    Contract,
    OpeningHours,
    Operator,
    Region,
    Space,
)
from .jobs.models import JobRun, SchedulerLease  # noqa: F401
from .mail import OutboxMessage  # noqa: F401
from .operations.console_models import ChangeLog, KioskToken  # noqa: F401
from .operations.models import OccupancyHourly  # noqa: F401
from .planning.models import RolloutTarget  # noqa: F401
