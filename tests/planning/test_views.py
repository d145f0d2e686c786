"""Planner console pages: role gating, the overview's map and charts, forms and exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from flask_babel import refresh
from openpyxl import load_workbook
from sqlalchemy import func, select

from smartwork.auth.models import Role
from smartwork.centers.models import CenterStatus, CenterStatusChange
from smartwork.extensions import db
from smartwork.planning import rollout, services
from smartwork.planning.models import RolloutTarget
from tests import factories as f

from .fixtures import build_network

PAGES = [
    "/planning/",
    "/planning/demand",
    "/planning/targets",
    "/planning/centers",
    "/planning/centers/c1",
    "/planning/billing",
    "/planning/export/pipeline.csv",
]


@pytest.fixture
def net(app):
    network = build_network()
    rollout.ensure_default_targets()
    return network


@pytest.mark.parametrize(
    "roles, expected", [((), 403), ((Role.CENTER_MANAGER,), 403), ((Role.PLANNER,), 200), ((Role.ADMIN,), 200)]
)
def test_only_planners_and_admins_get_in(net, client, roles, expected):
    f.login(client, f.user(roles=roles))
    db.session.commit()
    for page in PAGES:
        assert client.get(page).status_code == expected, page


def test_anonymous_visitors_are_sent_to_sign_in(net, client):
    response = client.get("/planning/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert client.post("/planning/targets", data={}).status_code == 302


def _planner(client, net):
    f.login(client, net.planner)


def test_overview_shows_the_map_with_17_provinces_and_one_dot_per_center(net, client):
    _planner(client, net)
    html = client.get("/planning/").text
    assert len(re.findall(r'<path id="province-\d\d"', html)) == 17
    dots = re.findall(r'<a href="/centers/(c\d)" class="center-dot', html)
    assert sorted(dots) == ["c1", "c2", "c3", "c4", "c5"]
    assert html.count("<title") >= 17 + 5 + 2
    assert 'role="img"' in html and "<desc" in html
    assert "<script" not in html.split("</header>", 1)[1] and "style=" not in html
    # Charts come with their numbers as a table, and every table with its downloads.
    assert 'id="table-rollout"' in html and "/planning/export/rollout.csv" in html
    assert "/planning/export/next_sites.xlsx" in html


def test_demand_and_billing_pages_render(net, client):
    _planner(client, net)
    assert "utilization" in client.get("/planning/demand").text
    assert client.get("/planning/billing?month=2026-10").status_code == 200
    assert client.get("/planning/billing/NOPE?month=2026-10").status_code == 404
    assert client.get("/planning/export/nope.csv").status_code == 404


def test_csv_and_xlsx_exports_carry_the_same_numbers_as_the_service(net, client):
    _planner(client, net)
    expected = services.export_table("provinces")
    response = client.get("/planning/export/provinces.csv")
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == expected.header()
    assert rows[1][0] == expected.rows[0][0]
    assert [int(x) for x in rows[1][1:8]] == expected.rows[0][1:8]
    assert len(rows) == 1 + len(expected.rows) + 1  # header, rows, total

    response = client.get("/planning/export/provinces.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == expected.header()
    assert [list(row) for row in values[1:-1]] == expected.rows
    assert list(values[-1])[1:] == expected.footer[1:]

    sheet = load_workbook(io.BytesIO(client.get("/planning/export/rollout.xlsx").data)).active
    first = next(sheet.iter_rows(min_row=2, values_only=True))
    assert first[0].date() == date(2010, 12, 31) and first[1:5] == (1, 2, 0, 0)


def test_planners_add_edit_and_delete_targets(net, client):
    _planner(client, net)
    response = client.post(
        "/planning/targets", data={"target_on": "2020-12-31", "ownership": "public", "centers": "70", "seats": "1700"}
    )
    assert response.status_code == 302
    target = db.session.scalar(select(RolloutTarget).where(RolloutTarget.target_on == date(2020, 12, 31)))
    assert target.centers == 70
    duplicate = client.post(
        "/planning/targets", data={"target_on": "2020-12-31", "ownership": "public", "centers": "1", "seats": "1"}
    )
    assert duplicate.status_code == 409
    assert (
        client.post(
            "/planning/targets", data={"target_on": "", "ownership": "public", "centers": "-1", "seats": "1"}
        ).status_code
        == 422
    )
    assert client.get(f"/planning/targets/{target.id}/edit").status_code == 200
    response = client.post(
        f"/planning/targets/{target.id}/edit",
        data={"target_on": "2020-12-31", "ownership": "public", "centers": "65", "seats": "1600"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(RolloutTarget, target.id).centers == 65
    target_id = target.id
    assert client.post(f"/planning/targets/{target_id}/delete").status_code == 302
    assert db.session.get(RolloutTarget, target_id) is None
    assert client.get(f"/planning/targets/{target_id}/edit").status_code == 404


def test_lifecycle_form_moves_a_center_and_refuses_invalid_moves(net, client):
    _planner(client, net)
    page = client.get("/planning/centers/c4").text
    assert 'value="under_construction"' in page and 'value="open"' not in page
    refused = client.post("/planning/centers/c4", data={"to_status": "open", "effective_on": "2026-01-01"})
    assert refused.status_code == 422
    assert "error" in refused.text
    moved = client.post(
        "/planning/centers/c4",
        data={"to_status": "under_construction", "effective_on": "2020-01-01", "note": "started"},
    )
    assert moved.status_code == 302
    db.session.expire_all()
    assert net.centers["c4"].status == CenterStatus.UNDER_CONSTRUCTION
    assert db.session.scalar(select(func.count()).select_from(CenterStatusChange)) == 1
    assert "started" in client.get("/planning/centers/c4").text
    assert client.get("/planning/centers?status=planned").status_code == 200


def test_pages_render_in_english_too(net, client):
    _planner(client, net)
    client.post("/auth/language", data={"locale": "en", "next": "/planning/"})
    refresh()  # the test shares one app context (and its cached locale) across requests
    html = client.get("/planning/").text
    assert '<html lang="en">' in html and "Rollout against the plan" in html
    assert client.get("/planning/demand").status_code == 200
    assert client.get("/planning/centers/c1").status_code == 200


def test_every_planner_page_passes_the_house_page_audit(net, client):
    from tests.test_pages import audit

    _planner(client, net)
    target_id = rollout.list_targets()[0].id
    pages = [
        *PAGES[:-1],
        "/planning/centers?status=open",
        f"/planning/targets/{target_id}/edit",
        "/planning/billing?month=2026-10",
        f"/planning/billing/{net.planner.agency.code}?month=2026-10",
    ]
    for locale in ("ko", "en"):
        client.post("/auth/language", data={"locale": locale, "next": "/"})
        refresh()
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page
            audit(client, response, f"{locale} {page}")
