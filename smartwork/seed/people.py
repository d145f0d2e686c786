"""Seeding who uses the network: agencies, operators, contracts, employees and the demo accounts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from ..auth.models import Agency, AgencyKind, Role, RoleAssignment, User, UserStatus, new_token
from ..auth.services import hash_password
from ..centers.models import (
    Center,
    CenterKind,
    CenterManager,
    CenterStatus,
    Contract,
    Operator,
    Ownership,
    Region,
    Space,
)
from ..centers.services import haversine_km
from ..extensions import db
from .catalog import (
    CENTRAL_AGENCIES,
    GIVEN_NAMES,
    LOCAL_AGENCIES,
    PRIVATE_OPERATORS,
    PUBLIC_INSTITUTIONS,
    PUBLIC_OPERATORS,
    SURNAMES,
)

DEMO_PASSWORD = "smartwork-demo-1"  # shown on the development login page
DEMO_DOMAIN = "smartwork.go.kr"
DEMO_ACCOUNTS: tuple[tuple[Role, str, str, str], ...] = (
    (Role.EMPLOYEE, "employee", "DEMO-0001", "김민준"),
    (Role.CENTER_MANAGER, "manager", "DEMO-0002", "이서연"),
    (Role.PLANNER, "planner", "DEMO-0003", "박지훈"),
    (Role.ADMIN, "admin", "DEMO-0004", "최수아"),
)

BUSIEST_HUB = "pub-seoul-seoul-station"
# Shares of employees by kind of agency.
KIND_SHARES = {AgencyKind.CENTRAL: 0.5, AgencyKind.LOCAL: 0.35, AgencyKind.PUBLIC_INSTITUTION: 0.15}
# Central staff cluster around the capital and the government complexes (Sejong, Daejeon).
CENTRAL_HOME_BOOST = {"11": 1.5, "23": 1.3, "31": 1.5, "29": 6.0, "25": 2.0, "33": 1.5, "34": 1.3}
STATUS_SHARES = ((UserStatus.ACTIVE, 0.94), (UserStatus.PENDING, 0.02),
                 (UserStatus.SUSPENDED, 0.02), (UserStatus.RETIRED, 0.02))


@dataclass
class PeopleResult:
    """What the people step added."""

    agencies_created: int = 0
    operators_created: int = 0
    contracts_created: int = 0
    users_created: int = 0
    demo_created: list[str] = field(default_factory=list)
    demo_credentials: list[tuple[str, str, str]] = field(default_factory=list)


def ensure_agencies(result: PeopleResult) -> dict[str, Agency]:
    """Insert the ministries, the 17 provincial governments and the public institutions that are missing."""
    wanted = [{"code": code, "name_ko": ko, "name_en": en, "kind": AgencyKind.CENTRAL}
              for code, ko, en, _w in CENTRAL_AGENCIES]
    wanted += [{"code": f"LOCAL-{sido}", "name_ko": ko, "name_en": en, "kind": AgencyKind.LOCAL}
               for sido, (ko, en) in LOCAL_AGENCIES.items()]
    wanted += [{"code": code, "name_ko": ko, "name_en": en, "kind": AgencyKind.PUBLIC_INSTITUTION}
               for code, ko, en, _w in PUBLIC_INSTITUTIONS]
    present = set(db.session.scalars(select(Agency.code)))
    missing = [row for row in wanted if row["code"] not in present]
    if missing:
        db.session.execute(insert(Agency), missing)
        result.agencies_created = len(missing)
    return {agency.code: agency for agency in db.session.scalars(select(Agency).order_by(Agency.code))}


def ensure_operators(result: PeopleResult) -> dict[str, Operator]:
    """Insert the public operators (NIA, Seoul City) and the private companies that are missing."""
    wanted = [{"code": code, "name_ko": ko, "name_en": en, "ownership": Ownership.PUBLIC}
              for code, ko, en in PUBLIC_OPERATORS]
    wanted += [{"code": code, "name_ko": ko, "name_en": en, "ownership": Ownership.PRIVATE}
               for code, ko, en, _bk, _be, _w in PRIVATE_OPERATORS]
    present = set(db.session.scalars(select(Operator.code)))
    missing = [row for row in wanted if row["code"] not in present]
    if missing:
        db.session.execute(insert(Operator), missing)
        result.operators_created = len(missing)
    return {operator.code: operator for operator in db.session.scalars(select(Operator))}


def ensure_contracts(
    seed: int, agencies: dict[str, Agency], operators: dict[str, Operator], result: PeopleResult
) -> None:
    """Most ministries contract several private operators; some local bodies and institutions do too.

    Only into an empty contracts table: once contracts exist, admins own them, and a rerun with
    another seed must not add a second set.
    """
    if db.session.scalar(select(Contract.id).limit(1)) is not None:
        return
    rng = random.Random(f"{seed}:contracts")
    private = [code for code, *_rest in PRIVATE_OPERATORS]
    weights = [row[-1] for row in PRIVATE_OPERATORS]
    plan: list[tuple[str, str, int, date, date | None]] = []
    for code in sorted(agencies):
        agency = agencies[code]
        share, sizes = {
            AgencyKind.CENTRAL: (0.85, (3, 6)),
            AgencyKind.LOCAL: (0.4, (1, 3)),
            AgencyKind.PUBLIC_INSTITUTION: (0.3, (1, 2)),
        }[agency.kind]
        roll = rng.random()
        if code != "MOIS" and roll >= share:  # the demo accounts' ministry always has contracts
            continue
        chosen: list[str] = []
        for _attempt in range(rng.randint(*sizes)):
            pick = rng.choices(private, weights=weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        for operator_code in chosen:
            starts = date(rng.choice((2011, 2012, 2013, 2014)), rng.choice((1, 3, 7)), 1)
            ends = date(2016, 12, 31) if code != "MOIS" and rng.random() < 0.1 else None
            plan.append((code, operator_code, rng.randrange(2000, 6001, 500), starts, ends))
    rows = [
        {"agency_id": agencies[agency].id, "operator_id": operators[operator].id,
         "hourly_rate_krw": Decimal(rate), "starts_on": starts, "ends_on": ends}
        for agency, operator, rate, starts, ends in plan
    ]
    if rows:
        db.session.execute(insert(Contract), rows)
        result.contracts_created = len(rows)


def ensure_employees(
    seed: int,
    count: int,
    agencies: dict[str, Agency],
    regions: dict[str, Region],
    password_hash: str,
    now: datetime,
    result: PeopleResult,
    progress,
) -> None:
    """Top the seeded employees up to ``count`` (numbered 1..count, so a rerun adds nothing)."""
    rng = random.Random(f"{seed}:employees")
    agency_list, agency_weights = _agency_weights(agencies, regions)
    region_list = list(regions.values())
    national = [region.population for region in region_list]
    central = [region.population * CENTRAL_HOME_BOOST.get(region.sido_code, 1.0) for region in region_list]
    by_sido: dict[str, tuple[list[Region], list[int]]] = {}
    for region in region_list:
        members, pops = by_sido.setdefault(region.sido_code, ([], []))
        members.append(region)
        pops.append(region.population)
    present_numbers = set(db.session.scalars(select(User.employee_number)))
    present_emails = {email.lower() for email in db.session.scalars(select(User.email))}
    statuses = [status for status, _share in STATUS_SHARES]
    status_weights = [share for _status, share in STATUS_SHARES]
    surnames = [(ko, en) for ko, en, _w in SURNAMES]
    surname_weights = [weight for _ko, _en, weight in SURNAMES]

    rows = []
    progress(_("Employees"), 0, count)
    for index in range(1, count + 1):
        # Every draw happens for every index, so employee N is the same whatever --users says.
        agency = rng.choices(agency_list, weights=agency_weights)[0]
        if agency.kind == AgencyKind.LOCAL:
            members, pops = by_sido[agency.code.removeprefix("LOCAL-")]
            home = rng.choices(members, weights=pops)[0]
        else:
            home = rng.choices(region_list, weights=central if agency.kind == AgencyKind.CENTRAL else national)[0]
        surname_ko, surname_en = rng.choices(surnames, weights=surname_weights)[0]
        given_ko, given_en = rng.choice(GIVEN_NAMES)
        status = rng.choices(statuses, weights=status_weights)[0]
        number = f"1{index:07d}"
        email = f"{given_en}.{surname_en}.{index:04d}@korea.kr"
        if number in present_numbers or email in present_emails:
            continue
        rows.append({
            "employee_number": number,
            "email": email,
            "name": f"{surname_ko}{given_ko}",
            "agency_id": agency.id,
            "home_region_id": home.id,
            "status": status,
            "password_hash": password_hash,
            "failed_logins": 0,
            "session_token": new_token(),
            "created_at": now,
        })
    batch = 1000
    for start in range(0, len(rows), batch):
        db.session.execute(insert(User.__table__), rows[start:start + batch])
        progress(_("Employees"), min(count, count - len(rows) + start + batch), count)
    progress(_("Employees"), count, count)
    result.users_created = len(rows)


def _agency_weights(agencies: dict[str, Agency], regions: dict[str, Region]) -> tuple[list[Agency], list[float]]:
    central = {code: weight for code, _ko, _en, weight in CENTRAL_AGENCIES}
    institutions = {code: weight for code, _ko, _en, weight in PUBLIC_INSTITUTIONS}
    sido_population: dict[str, int] = {}
    for region in regions.values():
        sido_population[region.sido_code] = sido_population.get(region.sido_code, 0) + region.population
    raw: dict[str, float] = {}
    for code, agency in agencies.items():
        if agency.kind == AgencyKind.CENTRAL and code in central:
            raw[code] = KIND_SHARES[AgencyKind.CENTRAL] * central[code] / sum(central.values())
        elif agency.kind == AgencyKind.LOCAL and code.removeprefix("LOCAL-") in sido_population:
            share = sido_population[code.removeprefix("LOCAL-")] / sum(sido_population.values())
            raw[code] = KIND_SHARES[AgencyKind.LOCAL] * share
        elif agency.kind == AgencyKind.PUBLIC_INSTITUTION and code in institutions:
            raw[code] = KIND_SHARES[AgencyKind.PUBLIC_INSTITUTION] * institutions[code] / sum(institutions.values())
    codes = sorted(raw)
    return [agencies[code] for code in codes], [raw[code] for code in codes]


def ensure_demo_accounts(
    agencies: dict[str, Agency], password_hash: str, now: datetime, result: PeopleResult
) -> None:
    """One account per role; the manager manages busy open centers, the employee lives near some."""
    for role, local_part, number, name in DEMO_ACCOUNTS:
        email = f"demo.{local_part}@{DEMO_DOMAIN}"
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None:
            if db.session.scalar(select(User.id).where(User.employee_number == number)) is not None:
                continue  # the number was given to someone else: leave that account alone
            home_region_id = _demo_home_region() if role == Role.EMPLOYEE else None
            user = User(employee_number=number, email=email, name=name, agency_id=agencies["MOIS"].id,
                        home_region_id=home_region_id, status=UserStatus.ACTIVE,
                        password_hash=password_hash, created_at=now)
            db.session.add(user)
            db.session.flush()
            if role == Role.CENTER_MANAGER:
                for center_id in _demo_managed_centers():
                    db.session.add(CenterManager(center_id=center_id, user_id=user.id))
            result.demo_created.append(email)
        if role != Role.EMPLOYEE and role not in {assignment.role for assignment in user.roles}:
            user.roles.append(RoleAssignment(role=role))
        result.demo_credentials.append((role.value, email, DEMO_PASSWORD))
    db.session.flush()


def _demo_home_region() -> int | None:
    """The Seoul or Gyeonggi region with the most open centers within 10 km of its centroid."""
    regions = list(db.session.scalars(
        select(Region).where(Region.sido_code.in_(("11", "31"))).order_by(Region.code)
    ))
    centers = db.session.execute(
        select(Center.lat, Center.lon).where(Center.status == CenterStatus.OPEN)
    ).all()
    if not regions:
        return None
    best = max(regions, key=lambda region: (
        sum(haversine_km(region.lat, region.lon, lat, lon) <= 10 for lat, lon in centers), -int(region.code)
    ))
    return best.id


def _demo_managed_centers() -> list[int]:
    """The open travel hub with the most spaces, plus the two open centers nearest to it."""
    spaces = (select(Space.center_id, func.count().label("n")).group_by(Space.center_id).subquery())
    rows = db.session.execute(
        select(Center, func.coalesce(spaces.c.n, 0))
        .outerjoin(spaces, spaces.c.center_id == Center.id)
        .where(Center.status == CenterStatus.OPEN)
        .order_by(Center.code)
    ).all()
    hubs = [(count, center) for center, count in rows if center.kind == CenterKind.TRAVEL]
    if not hubs:
        return [center.id for center, _count in rows[:2]]
    # Seoul Station was the busiest center of all (over 300 % use in 2014): manage it when open.
    hub = max(hubs, key=lambda item: (item[1].code == BUSIEST_HUB, item[0], item[1].code))[1]
    others = sorted(
        (center for center, _count in rows if center.id != hub.id),
        key=lambda center: (haversine_km(hub.lat, hub.lon, center.lat, center.lon), center.code),
    )
    return [hub.id] + [center.id for center in others[:2]]


def shared_password_hash() -> str:
    """ONE argon2 hash of the demo password, reused for every seeded account.

    Hashing takes ~50 ms by design; hashing it per employee would make the seed take minutes.
    Every seeded employee therefore shares the demo password (development data only).
    """
    return hash_password(DEMO_PASSWORD)
