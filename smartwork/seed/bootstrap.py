"""`flask bootstrap`: the real reference data a production database starts from, and its first administrator.

Only real data: the 250 시군구, the government agencies, the public operators and the real public
centers shipped in ``smartwork/data/``, and public-holiday closures. No fictional center, operator,
contract or person. Every step only adds what is missing, so it is safe to run after each upgrade.
The first administrator is created without a password; the command prints a one-time link.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.models import Role, RoleAssignment, User, UserStatus
from ..auth.services import create_user
from ..centers.models import Operator, Ownership
from ..extensions import db
from ..timeutils import local_today, utcnow
from .catalog import PUBLIC_OPERATORS
from .network import NetworkResult, insert_centers, insert_holiday_closures, upsert_regions
from .people import PeopleResult, ensure_agencies
from .plans import real_center_plans


@dataclass
class BootstrapReport:
    """What this run added."""

    regions_created: int = 0
    regions_updated: int = 0
    agencies_created: int = 0
    operators_created: int = 0
    centers_created: int = 0
    spaces_created: int = 0
    closures_created: int = 0

    def summary_lines(self) -> list[str]:
        """Counts for the command's output."""
        return [
            _("Regions: %(created)d added, %(updated)d updated", created=self.regions_created,
              updated=self.regions_updated),
            _("Agencies: %(count)d added", count=self.agencies_created),
            _("Public operators: %(count)d added", count=self.operators_created),
            _("Real public centers: %(centers)d added (%(spaces)d spaces)", centers=self.centers_created,
              spaces=self.spaces_created),
            _("Holiday closures: %(count)d added", count=self.closures_created),
        ]


def _ensure_public_operators() -> tuple[dict[str, Operator], int]:
    present = set(db.session.scalars(select(Operator.code)))
    missing = [(code, ko, en) for code, ko, en in PUBLIC_OPERATORS if code not in present]
    db.session.add_all(Operator(code=code, name_ko=ko, name_en=en, ownership=Ownership.PUBLIC)
                       for code, ko, en in missing)
    db.session.flush()
    return {operator.code: operator for operator in db.session.scalars(select(Operator))}, len(missing)


def bootstrap_reference_data(*, now: datetime | None = None) -> BootstrapReport:
    """Load the real regions, agencies, public operators, public centers and holidays; commit once."""
    now = now or utcnow()
    network, people = NetworkResult(), PeopleResult()
    regions = upsert_regions(network)
    ensure_agencies(people)
    operators, operators_created = _ensure_public_operators()
    # The real centers' spaces are laid out with a fixed seed, so every install gets the same ones.
    plans = real_center_plans(random.Random("bootstrap"), regions, operators, local_today(now))
    insert_centers(plans, now, network, lambda *_args: None)
    insert_holiday_closures(now, network, lambda *_args: None)
    db.session.commit()
    return BootstrapReport(
        regions_created=network.regions_created, regions_updated=network.regions_updated,
        agencies_created=people.agencies_created, operators_created=operators_created,
        centers_created=network.centers_created, spaces_created=network.spaces_created,
        closures_created=network.closures_created,
    )


def administrators() -> list[User]:
    """Every account holding the admin role."""
    return list(db.session.scalars(
        select(User).join(RoleAssignment).where(RoleAssignment.role == Role.ADMIN).order_by(User.id)
    ))


def ensure_first_admin(*, email: str, name: str, employee_number: str, agency_code: str,
                       now: datetime | None = None) -> User | None:
    """Create the first administrator, pending and without a password; None if an admin exists already."""
    if administrators():
        return None
    return create_user(employee_number=employee_number, email=email, name=name, agency_code=agency_code,
                       roles=[Role.ADMIN], password=None, status=UserStatus.PENDING, now=now)


def pending_first_admin() -> User | None:
    """The first administrator while they have not chosen a password yet."""
    admins = administrators()
    if len(admins) == 1 and admins[0].password_hash is None:
        return admins[0]
    return None
