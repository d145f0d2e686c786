"""Center services: distance, the directory query, seat counts, the network summary, manager scope."""

from __future__ import annotations

from datetime import date

import pytest

from smartwork.auth.models import Role
from smartwork.centers import services
from smartwork.centers.models import CenterKind, CenterStatus, Ownership, SpaceKind
from smartwork.errors import NotFound
from smartwork.extensions import db
from tests import factories as f

SEOUL_CITY_HALL = (37.5663, 126.9779)
BUSAN_CITY_HALL = (35.1798, 129.0750)


def names(stmt) -> set[str]:
    return {center.name_en for center in db.session.scalars(stmt)}


# --- haversine -------------------------------------------------------------------------


def test_haversine_seoul_to_busan_city_halls_is_about_325_km():
    distance = services.haversine_km(*SEOUL_CITY_HALL, *BUSAN_CITY_HALL)
    assert distance == pytest.approx(325, abs=5)


def test_haversine_is_symmetric_and_zero_for_the_same_point():
    there = services.haversine_km(*SEOUL_CITY_HALL, *BUSAN_CITY_HALL)
    back = services.haversine_km(*BUSAN_CITY_HALL, *SEOUL_CITY_HALL)
    assert there == pytest.approx(back)
    assert services.haversine_km(*SEOUL_CITY_HALL, *SEOUL_CITY_HALL) == 0


def test_haversine_one_degree_of_latitude_is_about_111_km():
    assert services.haversine_km(36.0, 127.0, 37.0, 127.0) == pytest.approx(111.2, abs=0.2)


# --- directory_query -------------------------------------------------------------------


@pytest.fixture
def network(app):
    """Five centers that differ in exactly one filter from the first."""
    seoul = f.region(sido_code="11", sido_name_ko="서울특별시", sido_name_en="Seoul")
    busan = f.region(sido_code="21", sido_name_ko="부산광역시", sido_name_en="Busan")
    f.center(name_en="Base", name_ko="기준 센터", region_obj=seoul, address_ko="서울 중구 세종대로 110")
    f.center(name_en="Busan one", name_ko="부산 센터", region_obj=busan)
    f.center(name_en="Private one", name_ko="민간 센터", region_obj=seoul, ownership=Ownership.PRIVATE)
    f.center(name_en="Hub", name_ko="역사 센터", region_obj=seoul, kind=CenterKind.TRAVEL)
    f.center(name_en="Planned one", name_ko="계획 센터", region_obj=seoul, status=CenterStatus.PLANNED)
    db.session.commit()
    return {"seoul": seoul, "busan": busan}


def test_directory_query_without_filters_lists_every_center(network):
    assert names(services.directory_query(services.DirectoryFilter())) == {
        "Base", "Busan one", "Private one", "Hub", "Planned one"
    }


FILTER_CASES = [
    ({"sido": "21"}, {"Busan one"}),
    ({"sido": "11"}, {"Base", "Private one", "Hub", "Planned one"}),
    ({"ownership": Ownership.PRIVATE}, {"Private one"}),
    ({"ownership": Ownership.PUBLIC}, {"Base", "Busan one", "Hub", "Planned one"}),
    ({"kind": CenterKind.TRAVEL}, {"Hub"}),
    ({"status": CenterStatus.PLANNED}, {"Planned one"}),
    ({"status": CenterStatus.CLOSED}, set()),
    ({"query": "hub"}, {"Hub"}),              # English name, any case
    ({"query": "민간"}, {"Private one"}),       # Korean name
    ({"query": "세종대로"}, {"Base"}),           # address
    ({"sido": "11", "ownership": Ownership.PUBLIC, "kind": CenterKind.RESIDENTIAL,
      "status": CenterStatus.OPEN}, {"Base"}),
]


def test_directory_query_each_filter_narrows(network):
    for filters, expected in FILTER_CASES:
        assert names(services.directory_query(services.DirectoryFilter(**filters))) == expected, filters


def test_directory_is_ordered_by_province_then_korean_name(network):
    ordered = [c.name_ko for c in db.session.scalars(services.directory_query(services.DirectoryFilter()))]
    assert ordered == ["계획 센터", "기준 센터", "민간 센터", "역사 센터", "부산 센터"]


def test_search_directory_pages(network):
    first = services.search_directory(services.DirectoryFilter(), page=1, per_page=2)
    last = services.search_directory(services.DirectoryFilter(), page=3, per_page=2)
    assert (first.total, first.pages, len(first.items)) == (5, 3, 2)
    assert len(last.items) == 1 and not last.has_next


def test_list_provinces_is_distinct_and_in_code_order(network):
    f.region(sido_code="11", sido_name_ko="서울특별시", sido_name_en="Seoul")
    assert services.list_provinces() == [("11", "서울특별시", "Seoul"), ("21", "부산광역시", "Busan")]


# --- get_center, closures --------------------------------------------------------------


def test_get_center_unknown_code_is_not_found(app):
    with pytest.raises(NotFound):
        services.get_center("no-such-center")


def test_upcoming_closures_keep_those_ending_today_or_later(app):
    center = f.center()
    f.closure(center, date(2026, 5, 1), date(2026, 5, 4), reason="ends yesterday")
    f.closure(center, date(2026, 5, 3), date(2026, 5, 5), reason="ends today")
    f.closure(center, date(2026, 6, 6), reason="later")
    other = f.center()
    f.closure(other, date(2026, 6, 6), reason="other center")
    db.session.commit()
    upcoming = services.upcoming_closures(center.id, date(2026, 5, 5))
    assert [c.reason for c in upcoming] == ["ends today", "later"]
    assert [c.reason for c in services.upcoming_closures(center.id, date(2026, 5, 5), limit=1)] == ["ends today"]


# --- seat counts and the network summary -----------------------------------------------


def test_seat_counts_count_active_spaces_per_kind(app):
    busy = f.center(spaces={SpaceKind.DESK: 3, SpaceKind.BOOTH: 1, SpaceKind.MEETING_ROOM: 2})
    busy.spaces[0].is_active = False  # one desk out of service
    empty = f.center(spaces={})
    db.session.commit()
    counts = services.seat_counts([busy.id, empty.id])
    assert counts == {busy.id: {"desk": 2, "booth": 1, "meeting_room": 2}, empty.id: {}}
    assert services.seat_counts([]) == {}


def test_network_summary_counts_by_ownership_and_open(app):
    assert services.network_summary() == services.NetworkSummary(0, 0, 0, 0)
    f.center(ownership=Ownership.PUBLIC)
    f.center(ownership=Ownership.PUBLIC, status=CenterStatus.UNDER_CONSTRUCTION)
    f.center(ownership=Ownership.PRIVATE)
    f.center(ownership=Ownership.PRIVATE, status=CenterStatus.CLOSED)
    f.center(ownership=Ownership.PRIVATE, status=CenterStatus.SUSPENDED)
    db.session.commit()
    assert services.network_summary() == services.NetworkSummary(total=5, public=2, private=3, open=2)


# --- manager scope ---------------------------------------------------------------------


def test_manager_scope_is_their_centers_only(app):
    mine, theirs = f.center(), f.center()
    manager = f.manager_of(mine)
    db.session.commit()
    assert services.managed_center_ids(manager) == {mine.id}
    assert services.can_manage_center(manager, mine.id)
    assert not services.can_manage_center(manager, theirs.id)
    assert [c.id for c in services.managed_centers(manager)] == [mine.id]


def test_admin_manages_every_center(app):
    center = f.center()
    admin = f.user(roles=(Role.ADMIN,))
    db.session.commit()
    assert services.managed_center_ids(admin) is None
    assert services.can_manage_center(admin, center.id)
    assert services.can_manage_center(admin, center.id + 1000)


@pytest.mark.parametrize("roles", [(), (Role.PLANNER,)])
def test_employees_and_planners_manage_nothing(app, roles):
    center = f.center()
    person = f.user(roles=roles)
    db.session.commit()
    assert services.managed_center_ids(person) == set()
    assert not services.can_manage_center(person, center.id)
    assert services.managed_centers(person) is None


def test_a_manager_without_centers_manages_none(app):
    center = f.center()
    manager = f.user(roles=(Role.CENTER_MANAGER,))
    db.session.commit()
    assert services.managed_center_ids(manager) == set()
    assert services.managed_centers(manager) == []
    assert not services.can_manage_center(manager, center.id)


def test_anonymous_users_manage_nothing(app):
    from flask_login import AnonymousUserMixin

    center = f.center()
    db.session.commit()
    assert not services.can_manage_center(AnonymousUserMixin(), center.id)


def test_directory_text_is_matched_literally_not_as_a_wildcard(network):
    assert names(services.directory_query(services.DirectoryFilter(query="%"))) == set()
    assert names(services.directory_query(services.DirectoryFilter(query="_"))) == set()
    assert names(services.directory_query(services.DirectoryFilter(query="부산"))) == {"Busan one"}


def test_get_managed_center_is_the_center_for_its_managers_and_admins_and_404_for_everyone_else(app):
    center, other = f.center(code="mine"), f.center(code="theirs")
    manager, admin, employee = f.manager_of(center), f.user(roles=(Role.ADMIN,)), f.user()
    db.session.commit()
    assert services.get_managed_center(manager, "mine") is center
    assert services.get_managed_center(admin, "theirs") is other
    for user, code in ((manager, "theirs"), (employee, "mine"), (manager, "nowhere")):
        with pytest.raises(NotFound) as refused:
            services.get_managed_center(user, code)
        assert refused.value.rule == "center_not_found"
