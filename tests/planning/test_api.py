"""JSON API of the planner console (api/planning.py): rollout and coverage."""

from __future__ import annotations

import pytest

from smartwork.extensions import db
from tests import factories as f
from tests.api.town import assert_problem, auth

# --- planning -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [
    ("employee", 403), ("manager", 403), ("planner", 200), ("admin", 200),
])
@pytest.mark.parametrize("what", ["rollout", "coverage"])
def test_planning_by_role(client, town, role, status, what):
    response = client.get(f"/api/v1/planning/{what}", headers=auth(getattr(town, role)))
    if status == 200:
        assert response.status_code == 200
    else:
        assert_problem(response, 403, "role_required")


def test_coverage_and_rollout_figures(client, town):
    f.user(home=town.home)
    db.session.commit()
    coverage = client.get("/api/v1/planning/coverage", headers=auth(town.planner)).get_json()
    region = next(r for r in coverage["regions"] if r["code"] == "11140")
    assert region["within_near"] is True and region["people"] >= 3
    assert coverage["total"]["people"] >= 3
    rollout = client.get("/api/v1/planning/rollout", headers=auth(town.planner)).get_json()
    assert rollout["total_open"] == 2
    assert {gap["ownership"] for gap in rollout["gaps"]} == {"public", "private"}
