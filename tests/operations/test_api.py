"""JSON API of the manager console (api/operations.py): the live board and the occupancy report."""

from __future__ import annotations

import pytest

from tests.api.town import assert_problem, auth

# --- operations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status", "rule"), [
    ("employee", 403, "role_required"), ("planner", 403, "role_required"), ("manager", 200, None),
    ("other_manager", 404, "center_not_found"), ("admin", 200, None),
])
@pytest.mark.parametrize("what", ["board", "report"])
def test_operations_by_role(client, town, role, status, rule, what):
    response = client.get(f"/api/v1/operations/centers/hub/{what}", headers=auth(getattr(town, role)))
    if status == 200:
        assert response.status_code == 200
        assert response.get_json()["center"]["code"] == "hub"
    else:
        assert_problem(response, status, rule)


def test_board_lists_spaces_and_counts(client, town):
    body = client.get("/api/v1/operations/centers/hub/board", headers=auth(town.manager)).get_json()
    assert len(body["spaces"]) == 3
    assert sum(body["counts"].values()) == 3


def test_report_range_refusal(client, town):
    response = client.get("/api/v1/operations/centers/hub/report?start=2026-02-01&end=2026-01-01",
                          headers=auth(town.manager))
    assert_problem(response, 422, "order", field="end")
    ok = client.get("/api/v1/operations/centers/hub/report?start=2026-01-01&end=2026-01-31",
                    headers=auth(town.manager)).get_json()
    # No roll-up rows yet: nothing booked, nothing to divide by.
    assert (ok["start"], ok["end"], ok["booked_minutes"], ok["utilization"]) == ("2026-01-01", "2026-01-31", 0, None)
