"""A small network whose planner numbers are computed by hand in the tests.

Regions (lat 37.5 unless noted; 0.1° of longitude ≈ 8.8 km here):
  A (11) 127.000  4 people   c1 public open, 3 desks + 1 booth + 1 meeting room (4 seats), opened 2010-11-03
  B (11) 37.635   2 people   c2 private open travel, 2 desks, opened 2012-05-01 (15 km north of A)
  C (31) 127.500  3 people   c3 public closed (2011-03-01 → 2013-06-30), c5 public under construction
  D (31) 127.750  1 person   c4 private planned, planned 2026-10-01 (45 days late on 2026-11-15)
  E (31) 127.625  nobody     11 km from both C and D: the best first pick
  F (32) 37.75/128.9  2 people
  G (32) 38.20/128.9  2 people, one search miss there (50 km from F)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from smartwork.auth.models import Role, User, UserStatus
from smartwork.centers.models import Center, CenterKind, CenterStatus, Ownership, Region, SpaceKind
from smartwork.extensions import db
from tests import factories as f
from tests.builders import at

# The planner's scenario day (tests/builders.py holds the booking tests' clock): noon in Seoul.
TODAY = date(2026, 11, 15)
NOW = at(TODAY, "12:00")  # 03:00 UTC

SIDO = {
    "11": ("서울특별시", "Seoul"),
    "31": ("경기도", "Gyeonggi-do"),
    "32": ("강원도", "Gangwon-do"),
}


@dataclass
class Network:
    regions: dict[str, Region]
    centers: dict[str, Center]
    planner: User


def _region(code: str, sido: str, lat: float, lon: float, name: str) -> Region:
    ko, en = SIDO[sido]
    return f.region(code, sido_code=sido, sido_name_ko=ko, sido_name_en=en, lat=lat, lon=lon, name_ko=name)


def build_network() -> Network:
    regions = {
        "A": _region("11010", "11", 37.5, 127.0, "가구"),
        "B": _region("11020", "11", 37.635, 127.0, "나구"),
        "C": _region("31010", "31", 37.5, 127.5, "다시"),
        "D": _region("31020", "31", 37.5, 127.75, "라시"),
        "E": _region("31030", "31", 37.5, 127.625, "마시"),
        "F": _region("32010", "32", 37.75, 128.9, "바군"),
        "G": _region("32020", "32", 38.2, 128.9, "사군"),
    }
    agency = f.agency()
    for key, count in {"A": 4, "B": 2, "C": 3, "D": 1, "F": 2, "G": 2}.items():
        for _ in range(count):
            f.user(home=regions[key], agency_obj=agency)
    f.user(home=regions["D"], agency_obj=agency, status=UserStatus.RETIRED)  # not counted
    planner = f.user(roles=(Role.PLANNER,), agency_obj=agency)  # no home region: not placed
    public_op = f.operator(Ownership.PUBLIC)
    private_op = f.operator(Ownership.PRIVATE)
    centers = {
        "c1": f.center(
            code="c1",
            region_obj=regions["A"],
            operator_obj=public_op,
            opened_on=date(2010, 11, 3),
            spaces={SpaceKind.DESK: 3, SpaceKind.BOOTH: 1, SpaceKind.MEETING_ROOM: 1},
        ),
        "c2": f.center(
            code="c2",
            ownership=Ownership.PRIVATE,
            kind=CenterKind.TRAVEL,
            region_obj=regions["B"],
            operator_obj=private_op,
            opened_on=date(2012, 5, 1),
            spaces={SpaceKind.DESK: 2},
        ),
        "c3": f.center(
            code="c3",
            status=CenterStatus.CLOSED,
            region_obj=regions["C"],
            operator_obj=public_op,
            opened_on=date(2011, 3, 1),
            closed_on=date(2013, 6, 30),
            spaces={SpaceKind.DESK: 2},
        ),
        "c4": f.center(
            code="c4",
            ownership=Ownership.PRIVATE,
            status=CenterStatus.PLANNED,
            region_obj=regions["D"],
            operator_obj=private_op,
            opened_on=None,
            planned_open_on=date(2026, 10, 1),
            spaces={SpaceKind.DESK: 5},
        ),
        "c5": f.center(
            code="c5",
            status=CenterStatus.UNDER_CONSTRUCTION,
            region_obj=regions["C"],
            operator_obj=public_op,
            opened_on=None,
            planned_open_on=TODAY,
            spaces={SpaceKind.DESK: 5},
        ),
    }
    db.session.commit()
    return Network(regions=regions, centers=centers, planner=planner)
