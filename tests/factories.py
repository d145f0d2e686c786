"""Small builders for test data; each flushes and returns the object."""

from __future__ import annotations

import itertools
from datetime import date, time

from smartwork.auth.models import Agency, AgencyKind, Role, RoleAssignment, User, UserStatus
from smartwork.auth.services import hash_password
from smartwork.centers.models import (
    Center,
    CenterKind,
    CenterManager,
    CenterStatus,
    Closure,
    ClosureKind,
    Contract,
    OpeningHours,
    Operator,
    Ownership,
    Region,
    Space,
    SpaceKind,
)
from smartwork.extensions import db

PASSWORD = "correct-horse-42"
_counter = itertools.count(1)
_password_hash_cache: dict[str, str] = {}


def _next() -> int:
    return next(_counter)


def region(code: str | None = None, **fields) -> Region:
    n = _next()
    obj = Region(
        code=code or f"9{n % 10000:04d}",
        sido_code=fields.pop("sido_code", "11"),
        sido_name_ko=fields.pop("sido_name_ko", "서울특별시"),
        sido_name_en=fields.pop("sido_name_en", "Seoul"),
        name_ko=fields.pop("name_ko", f"시험구{n}"),
        name_en=fields.pop("name_en", f"Test-gu {n}"),
        lat=fields.pop("lat", 37.55),
        lon=fields.pop("lon", 126.98),
        population=fields.pop("population", 100_000),
        **fields,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def agency(code: str | None = None, kind: AgencyKind = AgencyKind.CENTRAL, **fields) -> Agency:
    n = _next()
    obj = Agency(code=code or f"AG{n}", name_ko=f"시험부{n}", name_en=f"Ministry {n}", kind=kind, **fields)
    db.session.add(obj)
    db.session.flush()
    return obj


def user(
    *,
    roles: tuple[Role, ...] = (),
    status: UserStatus = UserStatus.ACTIVE,
    agency_obj: Agency | None = None,
    home: Region | None = None,
    password: str = PASSWORD,
    **fields,
) -> User:
    n = _next()
    if password not in _password_hash_cache:
        _password_hash_cache[password] = hash_password(password)
    obj = User(
        employee_number=fields.pop("employee_number", f"E{n:07d}"),
        email=fields.pop("email", f"user{n}@korea.kr"),
        name=fields.pop("name", f"공무원{n}"),
        agency=agency_obj or agency(),
        home_region_id=home.id if home else None,
        status=status,
        password_hash=_password_hash_cache[password],
        **fields,
    )
    obj.roles = [RoleAssignment(role=role) for role in roles if role != Role.EMPLOYEE]
    db.session.add(obj)
    db.session.flush()
    return obj


def operator(ownership: Ownership = Ownership.PUBLIC, **fields) -> Operator:
    n = _next()
    obj = Operator(
        code=fields.pop("code", f"op{n}"),
        name_ko=f"운영사{n}",
        name_en=f"Operator {n}",
        ownership=ownership,
        **fields,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def center(
    *,
    ownership: Ownership = Ownership.PUBLIC,
    status: CenterStatus = CenterStatus.OPEN,
    kind: CenterKind = CenterKind.RESIDENTIAL,
    region_obj: Region | None = None,
    operator_obj: Operator | None = None,
    hours: tuple[time, time] | None = (time(8, 30), time(18, 30)),
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4),
    spaces: dict[SpaceKind, int] | None = None,
    **fields,
) -> Center:
    n = _next()
    reg = region_obj or region()
    obj = Center(
        code=fields.pop("code", f"c{n}"),
        name_ko=fields.pop("name_ko", f"시험 스마트워크센터 {n}"),
        name_en=fields.pop("name_en", f"Test Center {n}"),
        ownership=ownership,
        kind=kind,
        status=status,
        region=reg,
        operator=operator_obj or operator(ownership),
        address_ko=fields.pop("address_ko", "서울 어딘가"),
        lat=fields.pop("lat", reg.lat),
        lon=fields.pop("lon", reg.lon),
        opened_on=fields.pop("opened_on", date(2012, 1, 2)),
        policy_overrides=fields.pop("policy_overrides", {}),
        **fields,
    )
    if hours:
        obj.opening_hours = [OpeningHours(weekday=d, opens_at=hours[0], closes_at=hours[1]) for d in weekdays]
    for kind_, count in (spaces if spaces is not None else {SpaceKind.DESK: 2}).items():
        for i in range(count):
            obj.spaces.append(
                Space(code=f"{kind_.value[0].upper()}{i + 1:02d}", kind=kind_,
                      capacity=6 if kind_.is_room else 1, features=[])
            )
    db.session.add(obj)
    db.session.flush()
    return obj


def manager_of(center_obj: Center, **fields) -> User:
    obj = user(roles=(Role.CENTER_MANAGER,), **fields)
    db.session.add(CenterManager(center_id=center_obj.id, user_id=obj.id))
    db.session.flush()
    return obj


def closure(center_obj: Center, start: date, end: date | None = None, kind=ClosureKind.MAINTENANCE,
            reason: str = "maintenance") -> Closure:
    obj = Closure(center=center_obj, starts_on=start, ends_on=end or start, kind=kind, reason=reason)
    db.session.add(obj)
    db.session.flush()
    return obj


def contract(agency_obj: Agency, operator_obj: Operator, rate: int = 5000,
             starts_on: date = date(2010, 1, 1), ends_on: date | None = None) -> Contract:
    obj = Contract(agency_id=agency_obj.id, operator_id=operator_obj.id, hourly_rate_krw=rate,
                   starts_on=starts_on, ends_on=ends_on)
    db.session.add(obj)
    db.session.flush()
    return obj


def login(client, user_obj: User, password: str = PASSWORD, **extra):
    """Sign ``user_obj`` in through the real login form."""
    return client.post(
        "/auth/login",
        data={"identifier": user_obj.email, "password": password, **extra},
        follow_redirects=False,
    )
