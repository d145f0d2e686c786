"""The center directory and the center page, through HTTP."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import flask_babel
import pytest

from smartwork.centers.models import CenterKind, CenterStatus, Ownership, Space, SpaceKind
from smartwork.extensions import db
from tests import factories as f


def switch_to_english(client):
    response = client.post("/auth/language", data={"locale": "en", "next": "/"})
    assert response.status_code == 302
    forget_cached_locale()


def forget_cached_locale():
    """Flask-Babel caches the locale on the app context, which the test client's requests share
    with the test; a real request starts with a fresh one."""
    flask_babel.refresh()


@pytest.fixture
def signed_in(app, client):
    """An employee signed in, browsing in English (labels are asserted in English)."""
    person = f.user()
    db.session.commit()
    assert f.login(client, person).status_code == 302
    switch_to_english(client)
    return person


@pytest.fixture
def network(app):
    """Centers that each differ from "Base" in one filter."""
    seoul = f.region(sido_code="11", sido_name_ko="서울특별시", sido_name_en="Seoul")
    busan = f.region(sido_code="21", sido_name_ko="부산광역시", sido_name_en="Busan")
    f.center(code="base", name_en="Base Center", region_obj=seoul, address_ko="서울 중구 세종대로 110")
    f.center(code="busan", name_en="Busan Center", region_obj=busan)
    f.center(code="private", name_en="Private Center", region_obj=seoul, ownership=Ownership.PRIVATE)
    f.center(code="hub", name_en="Hub Center", region_obj=seoul, kind=CenterKind.TRAVEL)
    f.center(code="planned", name_en="Planned Center", region_obj=seoul, status=CenterStatus.PLANNED)
    db.session.commit()


ALL = {"Base Center", "Busan Center", "Private Center", "Hub Center", "Planned Center"}


def listed(response) -> set[str]:
    return set(re.findall(r'class="center-name"[^>]*>([^<]+)</a>', response.get_data(as_text=True)))


# --- access ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/centers/", "/centers/base"])
def test_anonymous_visitors_are_sent_to_sign_in(client, network, path):
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query)["next"] == [path]


# --- the directory ---------------------------------------------------------------------


def test_directory_lists_every_center_with_its_count(client, network, signed_in):
    response = client.get("/centers/")
    assert response.status_code == 200
    assert listed(response) == ALL
    assert "5 centers" in response.get_data(as_text=True)


FILTER_CASES = [
    ("sido=21", {"Busan Center"}),
    ("ownership=private", {"Private Center"}),
    ("ownership=public", ALL - {"Private Center"}),
    ("kind=travel", {"Hub Center"}),
    ("status=planned", {"Planned Center"}),
    ("q=hub", {"Hub Center"}),
    ("q=%EC%84%B8%EC%A2%85%EB%8C%80%EB%A1%9C", {"Base Center"}),  # 세종대로, in the address
    ("sido=11&ownership=public&kind=residential&status=open", {"Base Center"}),
]


def test_each_filter_narrows_the_list(client, network, signed_in):
    # One database for every case: the cases only read.
    for query, expected in FILTER_CASES:
        response = client.get(f"/centers/?{query}")
        assert response.status_code == 200, query
        assert listed(response) == expected, query


def test_a_filter_matching_nothing_shows_the_empty_state(client, network, signed_in):
    response = client.get("/centers/?status=closed")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert listed(response) == set()
    assert "0 centers" in body and "No center matches these filters." in body


def test_province_choices_come_from_the_regions(client, network, signed_in):
    body = client.get("/centers/").get_data(as_text=True)
    assert '<option value="21">Busan</option>' in body
    assert '<option value="11">Seoul</option>' in body


INVALID_FILTERS = [("ownership=bogus", "ownership"), ("kind=hotel", "kind"), ("status=open%27", "status"),
                   ("sido=99", "sido"), ("q=" + "x" * 81, "q")]


def test_an_invalid_filter_is_a_422_with_the_error_on_its_field(client, network, signed_in):
    for query, field in INVALID_FILTERS:
        response = client.get(f"/centers/?{query}")
        body = response.get_data(as_text=True)
        assert response.status_code == 422, query
        assert f'id="{field}-error"' in body, query
        assert 'aria-invalid="true"' in body, query


def test_pagination_keeps_the_filters(app, client, signed_in):
    app.config["DIRECTORY_PAGE_SIZE"] = 2
    for n in range(3):
        f.center(name_en=f"Private {n}", name_ko=f"민간 {n}", ownership=Ownership.PRIVATE)
    f.center(name_en="Public one", name_ko="공공", ownership=Ownership.PUBLIC)
    db.session.commit()

    first = client.get("/centers/?ownership=private&junk=1")
    assert listed(first) == {"Private 0", "Private 1"}
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first.get_data(as_text=True)).group(1)
    params = parse_qs(urlsplit(next_link.replace("&amp;", "&")).query)
    assert params == {"ownership": ["private"], "page": ["2"]}  # filters kept, junk dropped

    second = client.get(next_link.replace("&amp;", "&"))
    assert listed(second) == {"Private 2"}
    assert 'rel="prev"' in second.get_data(as_text=True)
    assert "Page 2 of 2" in second.get_data(as_text=True)


def test_a_page_past_the_end_says_so(app, client, network, signed_in):
    app.config["DIRECTORY_PAGE_SIZE"] = 2
    response = client.get("/centers/?page=9")
    assert response.status_code == 200
    assert listed(response) == set()
    assert "past the end" in response.get_data(as_text=True)


def test_a_blank_query_is_no_filter_and_is_not_carried_to_the_next_page(app, client, network, signed_in):
    app.config["DIRECTORY_PAGE_SIZE"] = 2
    response = client.get("/centers/?q=+++")
    assert response.status_code == 200
    next_link = re.search(r'<a rel="next" href="([^"]+)"', response.get_data(as_text=True)).group(1)
    assert parse_qs(urlsplit(next_link.replace("&amp;", "&")).query) == {"page": ["2"]}


def test_a_non_numeric_page_falls_back_to_the_first(client, network, signed_in):
    response = client.get("/centers/?page=abc")
    assert response.status_code == 200
    assert listed(response) == ALL


def test_directory_shows_active_spaces_per_kind(client, signed_in):
    center = f.center(name_en="Counted", spaces={SpaceKind.DESK: 3, SpaceKind.BOOTH: 1})
    center.spaces[0].is_active = False
    db.session.commit()
    body = client.get("/centers/").get_data(as_text=True)
    assert re.search(r"Desk <strong>2</strong>", body)
    assert re.search(r"Booth <strong>1</strong>", body)


# --- the center page -------------------------------------------------------------------


@pytest.fixture
def station(app):
    center = f.center(
        code="seoul-station", name_en="Seoul Station Center", name_ko="서울역 센터",
        address_ko="서울특별시 중구 한강대로 405", address_en="405 Hangang-daero, Seoul",
        kind=CenterKind.TRAVEL, spaces={},
    )
    center.spaces.extend([
        Space(code="D01", kind=SpaceKind.DESK, capacity=1, features=["dual monitor", "window"]),
        Space(code="D02", kind=SpaceKind.DESK, capacity=1, features=[], is_active=False),
        Space(code="M01", kind=SpaceKind.MEETING_ROOM, capacity=8, features=["whiteboard", "mystery"]),
    ])
    f.closure(center, date(2000, 1, 1), reason="long ago")
    f.closure(center, date(2099, 12, 24), date(2099, 12, 26), reason="far future")
    db.session.commit()
    return center


def test_center_page_shows_address_hours_closures_and_spaces(client, station, signed_in):
    response = client.get("/centers/seoul-station")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Seoul Station Center</h1>" in body
    assert "405 Hangang-daero, Seoul" in body
    assert re.search(r"Test-gu \d+, Seoul", body)  # the region, English order
    assert body.count("08:30–18:30") == 5  # Monday to Friday
    assert body.count("Not open") == 2  # the weekend
    assert "far future" in body and "long ago" not in body
    assert "Travel hub" in body and "status-open" in body
    assert "8 people" in body
    assert "D01" in body and "M01" in body


def test_center_page_translates_features_and_marks_spaces_out_of_service(client, station, signed_in):
    body = client.get("/centers/seoul-station").get_data(as_text=True)
    assert "Dual monitors" in body and "Window seat" in body and "Whiteboard" in body
    assert "dual monitor" not in body
    assert "mystery" in body  # an unknown key is shown as stored
    assert re.search(r'class="space inactive">\s*<strong>D02</strong>', body)
    assert "Out of service" in body


def test_center_page_links_to_booking_only_when_bookings_exist_and_the_center_is_open(
    app, client, station, signed_in
):
    closed = f.center(code="shut", status=CenterStatus.SUSPENDED)
    db.session.commit()
    booking_link = "/bookings/centers/seoul-station/day"
    open_body = client.get("/centers/seoul-station").get_data(as_text=True)
    assert (booking_link in open_body) == ("bookings.day" in app.view_functions)
    closed_body = client.get(f"/centers/{closed.code}").get_data(as_text=True)
    assert "/bookings/centers/shut/day" not in closed_body
    assert "not taking bookings" in closed_body


def test_unknown_center_is_404(client, signed_in):
    response = client.get("/centers/no-such-center")
    assert response.status_code == 404
    assert 'class="error-code">404<' in response.get_data(as_text=True)


# --- language --------------------------------------------------------------------------


def test_korean_by_default_and_english_after_switching(client, network):
    person = f.user()
    db.session.commit()
    f.login(client, person)

    korean = client.get("/centers/").get_data(as_text=True)
    assert '<html lang="ko">' in korean
    assert "<h1>센터 목록</h1>" in korean
    assert re.search(r"부산광역시 시험구\d+", korean)  # the region, Korean order

    response = client.post("/auth/language", data={"locale": "en", "next": "/centers/?sido=21"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/centers/?sido=21")
    forget_cached_locale()

    english = client.get("/centers/").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "<h1>Center directory</h1>" in english


def test_feature_labels_accept_spaces_hyphens_and_case(app):
    from smartwork.centers.labels import feature_label

    with app.test_request_context(headers={"Cookie": "smartwork_lang=en"}):
        forget_cached_locale()
        assert str(feature_label("dual monitor")) == "Dual monitors"
        assert str(feature_label("Dual-Monitor")) == "Dual monitors"
        assert str(feature_label("video_conferencing")) == "Video conferencing"
        assert feature_label("전용 사물함") == "전용 사물함"
