"""`flask seed`: the 250 regions, the real public centers and a full 500-center network, idempotently."""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

import click
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth.models import Agency, User
from ..centers.labels import SPACE_KIND_LABELS, STATUS_LABELS
from ..centers.models import Center, Closure, Operator, Ownership, Region, Space
from ..extensions import db
from ..timeutils import local_to_utc, local_today, utcnow
from .catalog import PRIVATE_OPERATORS
from .network import NetworkResult, insert_centers, insert_holiday_closures, upsert_regions
from .people import (
    PeopleResult,
    ensure_agencies,
    ensure_contracts,
    ensure_demo_accounts,
    ensure_employees,
    ensure_operators,
    shared_password_hash,
)
from .plans import PRIVATE_TARGET, PUBLIC_TARGET, generated_center_plans, real_center_plans

Progress = Callable[[str, int, int], None]


def _no_progress(_label: str, _done: int, _total: int) -> None:
    """The default progress callback: say nothing."""


@dataclass
class SeedReport:
    """What the database holds after seeding, and what this run added."""

    regions: int = 0
    agencies: int = 0
    operators: int = 0
    centers_by_ownership: dict[str, int] = field(default_factory=dict)
    centers_by_status: dict[str, int] = field(default_factory=dict)
    spaces_by_kind: dict[str, int] = field(default_factory=dict)
    closures: int = 0
    users: int = 0
    network: NetworkResult = field(default_factory=NetworkResult)
    people: PeopleResult = field(default_factory=PeopleResult)
    seconds: float = 0.0
    demo_credentials: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def centers(self) -> int:
        """All centers, public and private."""
        return sum(self.centers_by_ownership.values())

    @property
    def changed(self) -> bool:
        """True if this run added or changed anything."""
        network, people = self.network, self.people
        return any((network.regions_created, network.regions_updated, network.centers_created,
                    network.closures_created, people.agencies_created, people.operators_created,
                    people.contracts_created, people.users_created, people.demo_created))

    def summary_lines(self) -> list[str]:
        """Counts for the command's output."""
        statuses = ", ".join(
            f"{label} {self.centers_by_status.get(status.value, 0)}" for status, label in STATUS_LABELS.items()
        )
        kinds = ", ".join(
            f"{label} {self.spaces_by_kind.get(kind.value, 0)}" for kind, label in SPACE_KIND_LABELS.items()
        )
        lines = [
            _("Regions: %(count)d", count=self.regions),
            _("Agencies: %(count)d", count=self.agencies),
            _("Operators: %(count)d", count=self.operators),
            _("Centers: %(total)d (public %(public)d, private %(private)d)", total=self.centers,
              public=self.centers_by_ownership.get(Ownership.PUBLIC.value, 0),
              private=self.centers_by_ownership.get(Ownership.PRIVATE.value, 0)),
            _("Centers by status: %(statuses)s", statuses=statuses),
            _("Spaces: %(total)d (%(kinds)s)", total=sum(self.spaces_by_kind.values()), kinds=kinds),
            _("Closures: %(count)d", count=self.closures),
            _("Users: %(count)d", count=self.users),
        ]
        if self.changed:
            lines.append(_(
                "Added %(centers)d centers, %(spaces)d spaces, %(closures)d closures, %(users)d users "
                "in %(seconds).1f s.",
                centers=self.network.centers_created, spaces=self.network.spaces_created,
                closures=self.network.closures_created,
                users=self.people.users_created + len(self.people.demo_created), seconds=self.seconds,
            ))
        else:
            lines.append(_("The network was already seeded: nothing changed."))
        return lines


def seed_network(
    *,
    seed: int = 2010,
    users: int = 2000,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> SeedReport:
    """Load the regions and the real centers, fill the network to 500 centers, add people; commit once.

    Idempotent: every step only adds what is missing (by code, employee number, agency–operator
    pair, center–day), and the centers are topped up to 50 public + 450 private at most, so a
    rerun — even with another ``seed`` — never builds a second network.
    """
    refuse_production()
    started = clock.perf_counter()
    now = now or utcnow()
    now_day = local_today(now)
    progress = progress or _no_progress
    network, people = NetworkResult(), PeopleResult()

    progress(_("Regions"), 0, 1)
    regions = upsert_regions(network)
    agencies = ensure_agencies(people)
    operators = ensure_operators(people)
    progress(_("Regions"), 1, 1)

    real = real_center_plans(random.Random(f"{seed}:real"), regions, operators, now_day)
    if _centers_missing():
        generated = generated_center_plans(
            seed, regions, operators,
            {code: weight for code, *_names, weight in PRIVATE_OPERATORS},
            {code: (brand_ko, brand_en) for code, _ko, _en, brand_ko, brand_en, _w in PRIVATE_OPERATORS},
            real, now_day,
        )
        insert_centers(real + generated, now, network, progress)
    insert_holiday_closures(now, network, progress)

    ensure_contracts(seed, agencies, operators, people)
    ensure_employees(seed, users, agencies, regions, _demo_hash(), now, people, progress)
    ensure_demo_accounts(agencies, _demo_hash(), now, people)
    db.session.commit()

    report = _count(network, people)
    report.seconds = clock.perf_counter() - started
    return report


def refuse_production() -> None:
    """The demo (fictional centers, shared demo password) never goes into a production database."""
    from flask import current_app

    if current_app.config.get("SMARTWORK_CONFIG") == "production":
        raise DemoRefused(
            "flask seed builds the demo (fictional centers and people with a shared password) and refuses "
            "the production config. Use `flask bootstrap` to set up a production database."
        )


class DemoRefused(click.ClickException):
    """The demo seed was asked to run under the production config."""


def seed_reference_instant(day: date) -> datetime:
    """Noon in Seoul on ``day``, as the UTC instant the seed treats as "now"."""
    return local_to_utc(day, time(12, 0))


def _centers_missing() -> bool:
    counts = dict(db.session.execute(select(Center.ownership, func.count()).group_by(Center.ownership)).all())
    return counts.get(Ownership.PUBLIC, 0) < PUBLIC_TARGET or counts.get(Ownership.PRIVATE, 0) < PRIVATE_TARGET


_hash_cache: dict[str, str] = {}


def _demo_hash() -> str:
    """The shared demo-password hash, computed once per process (argon2 is slow on purpose)."""
    if "demo" not in _hash_cache:
        _hash_cache["demo"] = shared_password_hash()
    return _hash_cache["demo"]


def _count(network: NetworkResult, people: PeopleResult) -> SeedReport:
    def grouped(column, model) -> dict[str, int]:
        return {str(getattr(key, "value", key)): count
                for key, count in db.session.execute(select(column, func.count()).select_from(model)
                                                     .group_by(column)).all()}

    return SeedReport(
        regions=db.session.scalar(select(func.count()).select_from(Region)),
        agencies=db.session.scalar(select(func.count()).select_from(Agency)),
        operators=db.session.scalar(select(func.count()).select_from(Operator)),
        centers_by_ownership=grouped(Center.ownership, Center),
        centers_by_status=grouped(Center.status, Center),
        spaces_by_kind=grouped(Space.kind, Space),
        closures=db.session.scalar(select(func.count()).select_from(Closure)),
        users=db.session.scalar(select(func.count()).select_from(User)),
        network=network,
        people=people,
        demo_credentials=people.demo_credentials,
    )
