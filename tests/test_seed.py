"""The seed: 250 regions, the 21 real centers, exactly 500 centers inside Korea, people, idempotency."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time

from sqlalchemy import delete, func, select

from smartwork.auth.models import Agency, AgencyKind, Role, User, UserStatus
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
)
from smartwork.extensions import db
from smartwork.seed import seed_network, seed_reference_instant
from smartwork.seed.geo import in_korea, in_province, place_point
from smartwork.seed.people import DEMO_PASSWORD
from smartwork.seed.plans import parse_partial_date, quota, status_for
from tests.conftest import empty_tables
from tests.factories import login

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)  # noon in Seoul
USERS = 50

REAL = {  # code: (name_ko, opened_on, closed_on)
    "pub-seoul-dobong": ("도봉 스마트워크센터", date(2010, 11, 3), date(2017, 7, 1)),
    "pub-gyeonggi-bundang": ("분당 스마트워크센터", date(2010, 11, 1), None),
    "pub-seoul-seocho": ("서초 스마트워크센터", date(2011, 9, 5), None),
    "pub-gyeonggi-ilsan": ("일산(고양) 스마트워크센터", date(2011, 10, 17), None),
    "pub-gyeonggi-bucheon": ("부천 스마트워크센터", date(2011, 10, 17), date(2017, 12, 1)),
    "pub-incheon-incheon": ("인천 스마트워크센터", date(2011, 11, 1), None),
    "pub-gyeonggi-suwon": ("수원 스마트워크센터", date(2011, 11, 1), date(2017, 12, 1)),
    "pub-seoul-songpa": ("송파(잠실) 스마트워크센터", date(2011, 12, 1), None),
    "pub-seoul-guro": ("구로 스마트워크센터", date(2011, 12, 1), None),
    "pub-seoul-seoul-gov": ("정부서울청사(중앙청사) 스마트워크센터", date(2011, 12, 7), None),
    "pub-sejong-sejong-1": ("세종청사1 스마트워크센터", date(2012, 12, 27), None),
    "pub-seoul-national-assembly": ("국회 스마트워크센터", date(2013, 1, 1), None),
    "pub-seoul-seoul-station": ("서울역 스마트워크센터", date(2013, 10, 18), None),
    "pub-gyeonggi-gwacheon-gov": ("정부과천청사 스마트워크센터", date(2013, 1, 1), None),
    "pub-daejeon-daejeon-gov": ("정부대전청사 스마트워크센터", date(2015, 9, 1), None),
    "pub-seoul-gangnam-terminal": ("강남고속터미널 스마트워크센터", date(2016, 1, 28), None),
    "pub-seoul-suseo": ("수서 스마트워크센터", date(2017, 9, 19), None),
    "pub-chungbuk-osong": ("오송역 스마트워크센터", date(2018, 12, 13), None),
    "pub-seoul-seoul-station-2": ("서울역 2호점 스마트워크센터", date(2022, 2, 11), None),
    "pub-seoul-yongsan": ("용산 스마트워크센터", date(2023, 5, 12), None),
    "pub-seoul-seoul-city": ("서울시 스마트워크센터 (U-Work)", date(2010, 8, 1), date(2016, 9, 29)),
}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _snapshot() -> dict:
    """The columns that must be identical for the same seed."""
    centers = db.session.execute(
        select(Center.code, Center.name_ko, Center.name_en, Center.ownership, Center.kind, Center.status,
               Center.lat, Center.lon, Center.address_ko, Center.planned_open_on, Center.opened_on,
               Center.closed_on, Region.code, Operator.code)
        .join(Region, Center.region_id == Region.id).join(Operator, Center.operator_id == Operator.id)
        .order_by(Center.code)
    ).all()
    spaces = db.session.execute(
        select(Center.code, Space.code, Space.kind, Space.capacity, Space.features)
        .join(Center, Space.center_id == Center.id).order_by(Center.code, Space.code)
    ).all()
    hours = db.session.execute(
        select(Center.code, OpeningHours.weekday, OpeningHours.opens_at, OpeningHours.closes_at)
        .join(Center, OpeningHours.center_id == Center.id).order_by(Center.code, OpeningHours.weekday)
    ).all()
    users = db.session.execute(
        select(User.employee_number, User.email, User.name, User.status, Agency.code, Region.code)
        .join(Agency, User.agency_id == Agency.id).outerjoin(Region, User.home_region_id == Region.id)
        .order_by(User.employee_number)
    ).all()
    contracts = db.session.execute(
        select(Agency.code, Operator.code, Contract.hourly_rate_krw, Contract.starts_on, Contract.ends_on)
        .join(Agency, Contract.agency_id == Agency.id).join(Operator, Contract.operator_id == Operator.id)
        .order_by(Agency.code, Operator.code)
    ).all()
    return {"centers": centers, "spaces": spaces, "hours": hours, "users": users, "contracts": contracts}


def _empty(app) -> None:
    """Empty every table, as for a second, fresh database (our session must let go first)."""
    db.session.remove()
    empty_tables(app)


def _counts() -> dict:
    return {model.__name__: _count(model) for model in
            (Region, Agency, Operator, Center, Space, OpeningHours, Closure, Contract, User, CenterManager)}


# --- pure helpers (no database) ------------------------------------------------------------------


def test_status_follows_the_dates_on_both_sides_of_each_threshold():
    planned, opened, closed = date(2013, 3, 1), date(2013, 6, 1), date(2017, 7, 1)
    assert status_for(date(2013, 5, 31), planned, opened, closed) == CenterStatus.UNDER_CONSTRUCTION
    assert status_for(date(2013, 6, 1), planned, opened, closed) == CenterStatus.OPEN
    assert status_for(date(2017, 6, 30), planned, opened, closed) == CenterStatus.OPEN
    assert status_for(date(2017, 7, 1), planned, opened, closed) == CenterStatus.CLOSED
    # Building starts a year before the planned date; before that it is only planned.
    assert status_for(date(2012, 2, 29), planned, None, None) == CenterStatus.PLANNED
    assert status_for(date(2012, 3, 1), planned, None, None) == CenterStatus.UNDER_CONSTRUCTION
    assert status_for(date(2026, 1, 1), planned, None, None, fate="planned") == CenterStatus.PLANNED
    assert status_for(date(2026, 1, 1), planned, opened, None, fate="suspended") == CenterStatus.SUSPENDED
    assert status_for(date(2013, 5, 31), planned, opened, None, fate="suspended") == (
        CenterStatus.UNDER_CONSTRUCTION
    )


def test_partial_dates_and_quotas():
    assert parse_partial_date("2010-11-03") == date(2010, 11, 3)
    assert parse_partial_date("2017-07") == date(2017, 7, 1)
    assert parse_partial_date("2013") == date(2013, 1, 1)
    assert parse_partial_date("") is None
    split = quota({"a": 1, "b": 1, "c": 1}, 10)
    assert len(split) == 10 and Counter(split) in (Counter(a=4, b=3, c=3), Counter(a=3, b=4, c=3),
                                                   Counter(a=3, b=3, c=4))
    assert Counter(quota({2011: 40, 2012: 90, 2013: 120, 2014: 110, 2015: 90}, 450))[2013] == 120


def test_point_in_province_polygons():
    city_hall = (37.5663, 126.9779)
    assert in_province(*city_hall, "11")
    assert not in_province(*city_hall, "31")  # Seoul is a hole in Gyeonggi's outline
    assert in_province(37.2636, 127.0286, "31")  # Suwon
    assert in_province(33.4996, 126.5312, "39")  # Jeju city, on an island part
    assert not in_korea(37.0, 125.0)  # the Yellow Sea
    assert not in_korea(35.6762, 139.6503)  # Tokyo


def test_place_point_moves_an_offshore_centroid_onto_land():
    import random

    yeongdo = (35.07870, 129.06472)  # the CSV centroid falls just outside the simplified outline
    assert not in_province(*yeongdo, "21")
    lat, lon = place_point(random.Random(1), *yeongdo, "21", 1.0)
    assert in_province(lat, lon, "21")
    assert abs(lat - yeongdo[0]) < 0.2 and abs(lon - yeongdo[1]) < 0.2


# --- the seeded network (both engines) -----------------------------------------------------------


def test_seed_builds_exactly_500_centers_inside_korea(app):
    report = seed_network(seed=2010, users=USERS, now=NOW)

    assert report.centers == 500
    assert report.centers_by_ownership == {"public": 50, "private": 450}
    assert _count(Region) == 250
    assert db.session.scalar(select(func.count(func.distinct(Region.sido_code)))) == 17
    kinds = Counter(db.session.scalars(select(Agency.kind)))
    assert kinds == {AgencyKind.CENTRAL: 22, AgencyKind.LOCAL: 17, AgencyKind.PUBLIC_INSTITUTION: 10}
    assert Counter(db.session.scalars(select(Operator.ownership))) == {Ownership.PUBLIC: 2, Ownership.PRIVATE: 12}

    centers = list(db.session.scalars(select(Center).order_by(Center.code)))
    assert len(centers) == 500 and len({center.code for center in centers}) == 500
    regions = {region.id: region for region in db.session.scalars(select(Region))}
    for center in centers:
        region = regions[center.region_id]
        assert in_province(center.lat, center.lon, region.sido_code), center.code
        assert in_korea(center.lat, center.lon)
        assert center.planned_open_on is not None
        assert center.code.startswith("pub-" if center.ownership == Ownership.PUBLIC else "prv-")

    # The real centers keep their names and dates, and their status follows those dates.
    real = {center.code: center for center in centers if center.is_historical}
    assert set(real) == set(REAL)
    for code, (name_ko, opened_on, closed_on) in REAL.items():
        center = real[code]
        assert (center.name_ko, center.opened_on, center.closed_on) == (name_ko, opened_on, closed_on)
        assert center.ownership == Ownership.PUBLIC
    assert real["pub-seoul-dobong"].status == CenterStatus.CLOSED
    assert real["pub-seoul-seoul-station"].status == CenterStatus.OPEN
    assert regions[real["pub-gyeonggi-ilsan"].region_id].name_ko == "고양시 일산동구"
    assert regions[real["pub-seoul-seoul-station"].region_id].code == "11020"
    seoul_station_spaces = Counter(space.kind.value for space in real["pub-seoul-seoul-station"].spaces)
    assert seoul_station_spaces["meeting_room"] == 5 and seoul_station_spaces["video_room"] == 3

    # Lifecycle: most open, some still planned or being built, a few suspended or closed.
    statuses = Counter(center.status for center in centers)
    assert statuses[CenterStatus.OPEN] > 350
    assert statuses[CenterStatus.PLANNED] > 0 and statuses[CenterStatus.UNDER_CONSTRUCTION] > 0
    assert statuses[CenterStatus.SUSPENDED] > 0 and statuses[CenterStatus.CLOSED] > 0
    for center in centers:
        if center.status in (CenterStatus.OPEN, CenterStatus.SUSPENDED, CenterStatus.CLOSED):
            assert center.opened_on is not None and center.opened_on <= NOW.date()
        else:
            assert center.opened_on is None or center.opened_on > NOW.date()

    # Spaces and hours: every center can be booked, travel hubs have more room.
    sizes = {kind: [len(c.spaces) for c in centers if c.kind == kind] for kind in CenterKind}
    assert min(min(values) for values in sizes.values()) >= 2
    assert sum(sizes[CenterKind.TRAVEL]) / len(sizes[CenterKind.TRAVEL]) > (
        sum(sizes[CenterKind.RESIDENTIAL]) / len(sizes[CenterKind.RESIDENTIAL])
    )
    assert 30 <= len(sizes[CenterKind.TRAVEL]) <= 80
    features = Counter(feature for c in centers for space in c.spaces for feature in space.features)
    assert {"monitor", "dual monitor", "window", "standing", "docking"} <= set(features)
    weekday_default = [(day, time(8, 30), time(18, 30)) for day in range(5)]
    hours = {c.code: [(h.weekday, h.opens_at, h.closes_at) for h in c.opening_hours] for c in centers}
    assert all(rows[:5] and {day for day, _o, _c in rows} >= set(range(5)) for rows in hours.values())
    assert sum(rows == weekday_default for rows in hours.values()) > 400
    assert any(len(rows) == 6 for rows in hours.values())  # some travel hubs open on Saturdays

    # Agencies and their contracts with private operators.
    contracted = set(db.session.scalars(
        select(Agency.code).join(Contract, Contract.agency_id == Agency.id).where(Agency.kind == AgencyKind.CENTRAL)
    ))
    assert "MOIS" in contracted and len(contracted) >= 15
    assert all(2000 <= rate <= 6000 for rate in db.session.scalars(select(Contract.hourly_rate_krw)))

    # Employees: the asked number plus one demo account per role, unique and mostly active.
    assert _count(User) == USERS + 4
    users = list(db.session.scalars(select(User)))
    assert len({user.email for user in users}) == len(users)
    assert sum(user.status == UserStatus.ACTIVE for user in users) >= USERS * 0.8
    assert all(user.home_region_id for user in users if user.email.endswith("@korea.kr"))
    assert report.summary_lines() and any("500" in line for line in report.summary_lines())


def test_holidays_are_closures_and_demo_accounts_sign_in(app, client):
    report = seed_network(seed=2010, users=USERS, now=NOW)

    seoul_station = db.session.scalar(select(Center).where(Center.code == "pub-seoul-seoul-station"))
    holidays = {closure.starts_on: closure for closure in seoul_station.closures}
    assert holidays[date(2026, 10, 3)].reason == "개천절"
    assert holidays[date(2026, 12, 25)].kind == ClosureKind.HOLIDAY
    assert date(2027, 1, 1) in holidays  # next year's too
    assert date(2026, 10, 2) not in holidays and date(2028, 1, 1) not in holidays
    dobong = db.session.scalar(select(Center).where(Center.code == "pub-seoul-dobong"))
    assert dobong.closures == []  # closed centers get none

    assert [(role, email) for role, email, _password in report.demo_credentials] == [
        ("employee", "demo.employee@smartwork.go.kr"),
        ("center_manager", "demo.manager@smartwork.go.kr"),
        ("planner", "demo.planner@smartwork.go.kr"),
        ("admin", "demo.admin@smartwork.go.kr"),
    ]
    demo = {email.split("@")[0].split(".")[1]: db.session.scalar(select(User).where(User.email == email))
            for _role, email, _password in report.demo_credentials}
    assert demo["manager"].role_set == {Role.EMPLOYEE, Role.CENTER_MANAGER}
    assert demo["planner"].role_set == {Role.EMPLOYEE, Role.PLANNER}
    assert demo["admin"].role_set == {Role.EMPLOYEE, Role.ADMIN}
    assert demo["employee"].role_set == {Role.EMPLOYEE}

    home = db.session.get(Region, demo["employee"].home_region_id)
    assert home.sido_code in ("11", "31")
    assert db.session.scalar(select(func.count()).select_from(Contract)
                             .where(Contract.agency_id == demo["employee"].agency_id)) > 0
    managed = list(db.session.scalars(
        select(Center).join(CenterManager, CenterManager.center_id == Center.id)
        .where(CenterManager.user_id == demo["manager"].id)
    ))
    assert 2 <= len(managed) <= 3
    assert all(center.status == CenterStatus.OPEN for center in managed)
    assert "pub-seoul-seoul-station" in {center.code for center in managed}

    employee = db.session.scalar(
        select(User).where(User.status == UserStatus.ACTIVE, User.email.like("%@korea.kr")).limit(1)
    )
    assert login(client, employee, "wrong-password-1").status_code in (400, 401, 403, 422)
    for user in [*demo.values(), employee]:  # every seeded account shares the demo password
        response = login(client, user, DEMO_PASSWORD)
        assert response.status_code == 302, user.email
        assert "/auth/login" not in response.headers["Location"]
        assert client.post("/auth/logout").status_code == 302


def test_rerun_changes_nothing_even_with_another_seed_and_tops_up(app):
    seed_network(seed=2010, users=USERS, now=NOW)
    counts, snapshot = _counts(), _snapshot()

    again = seed_network(seed=2010, users=USERS, now=NOW)
    assert not again.changed
    assert _counts() == counts and _snapshot() == snapshot

    other = seed_network(seed=99, users=USERS, now=NOW)
    assert not other.changed
    assert _counts() == counts and _snapshot() == snapshot

    # Lost rows are topped up, never beyond 50 public + 450 private.
    for code in ("prv-0001", "prv-0450", "pub-gyeonggi-bundang"):
        db.session.execute(delete(Center).where(Center.code == code))
    db.session.execute(delete(User).where(User.employee_number == "10000007"))
    db.session.commit()
    topped = seed_network(seed=99, users=USERS + 5, now=NOW)  # and 5 more employees
    assert topped.network.centers_created == 3 and topped.people.users_created == 1 + 5
    assert topped.centers_by_ownership == {"public": 50, "private": 450}
    assert db.session.scalar(select(func.count()).select_from(Center)
                             .where(Center.code == "pub-gyeonggi-bundang")) == 1
    assert _count(User) == counts["User"] + 5
    kept = [row for row in snapshot["users"] if row.employee_number != "10000007"]
    assert set(kept) <= set(_snapshot()["users"])  # the first employees are untouched


def test_same_seed_gives_identical_data_and_another_seed_differs(app):
    seed_network(seed=2010, users=USERS, now=NOW)
    first = _snapshot()
    _empty(app)

    seed_network(seed=2010, users=USERS, now=NOW)
    assert _snapshot() == first
    _empty(app)

    seed_network(seed=11, users=USERS, now=NOW)
    other = _snapshot()
    assert other["centers"] != first["centers"] and other["users"] != first["users"]
    assert other["spaces"] != first["spaces"]
    # The real centers are facts, not random: same names and dates whatever the seed.
    assert [row[:4] for row in other["centers"] if row.code in REAL] == (
        [row[:4] for row in first["centers"] if row.code in REAL]
    )


def test_reference_date_decides_statuses_and_holiday_years(app):
    seed_network(seed=2010, users=0, now=seed_reference_instant(date(2013, 6, 1)))
    by_code = {center.code: center for center in db.session.scalars(select(Center))}
    assert by_code["pub-seoul-dobong"].status == CenterStatus.OPEN
    assert by_code["pub-seoul-seoul-station"].status == CenterStatus.UNDER_CONSTRUCTION  # opened 2013-10
    assert by_code["pub-gyeonggi-gwacheon-gov"].status == CenterStatus.OPEN  # opened 2013
    assert by_code["pub-seoul-yongsan"].status == CenterStatus.PLANNED
    statuses = Counter(center.status for center in by_code.values())
    assert statuses[CenterStatus.OPEN] < statuses[CenterStatus.PLANNED] + statuses[CenterStatus.UNDER_CONSTRUCTION]
    years = {day.year for day in db.session.scalars(select(Closure.starts_on).distinct())}
    assert years == {2013, 2014}


def test_cli_seed_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--users", "20", "--now", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "500" in result.output
    assert _count(Center) == 500 and _count(User) == 24
    assert "demo.admin@smartwork.go.kr" not in result.output  # credentials only in development
    from smartwork.planning.models import RolloutTarget

    assert _count(RolloutTarget) == 12 and "rollout targets: 12 added" in result.output
    again = runner.invoke(args=["seed", "--users", "20", "--now", "2026-06-01"])
    assert again.exit_code == 0 and _count(RolloutTarget) == 12 and "rollout targets" not in again.output
    assert runner.invoke(args=["seed", "--now", "June"]).exit_code != 0
