"""JSON API of the signed-in user (api/me.py): the profile."""

from __future__ import annotations

from tests.api.town import auth

# --- profile ------------------------------------------------------------------------------------


def test_profile_shows_roles_and_managed_centers(client, town):
    employee = client.get("/api/v1/me", headers=auth(town.employee)).get_json()
    assert employee["roles"] == ["employee"] and employee["home_region"]["code"] == "11140"
    manager = client.get("/api/v1/me", headers=auth(town.manager)).get_json()
    assert manager["roles"] == ["center_manager", "employee"] and manager["managed_centers"] == ["hub"]
