"""Schemathesis against the generated spec: no server error, no response that breaks the spec."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from smartwork.auth.models import Role
from smartwork.bookings import services
from smartwork.extensions import db
from tests import factories as f
from tests.api.town import build_town, local_iso, token_for, tomorrow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 12


def test_schemathesis_finds_no_server_error_and_no_spec_violation(app):
    town = build_town()
    # A user who may call everything (admin + planner, all scopes), with data to find.
    power = f.user(roles=(Role.ADMIN, Role.PLANNER), home=town.home, locale="en")
    db.session.commit()
    day = tomorrow()
    from datetime import datetime

    services.create_booking(power, town.desk1.id, datetime.fromisoformat(local_iso(day, "09:00")),
                            datetime.fromisoformat(local_iso(day, "10:00")))
    headers = {"Authorization": f"Bearer {token_for(power)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as error:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
        finally:
            db.session.rollback()
    # Hand-made valid requests too, so the success responses are checked against the spec as well.
    nxt = day.isoformat()
    explicit = [
        ("/api/v1/centers", "GET", {"query": {"lat": 37.56, "lon": 126.97, "date": nxt, "start": "11:00",
                                              "end": "12:00"}}, 200),
        ("/api/v1/centers", "GET", {"query": {"region": "11140", "date": nxt, "start": "11:00", "end": "12:00",
                                              "kind": "meeting_room", "attendees": 2}}, 200),
        ("/api/v1/centers/{code}", "GET", {"path_parameters": {"code": "hub"}}, 200),
        ("/api/v1/centers/{code}/availability", "GET", {"path_parameters": {"code": "hub"}, "query": {"date": nxt}},
         200),
        ("/api/v1/bookings", "POST", {"body": {"space_id": town.desk2.id, "starts_at": local_iso(day, "13:00"),
                                               "ends_at": local_iso(day, "14:00")}}, 201),
        ("/api/v1/bookings", "GET", {"query": {"when": "past"}}, 200),
        ("/api/v1/bookings/best", "POST", {"body": {"center_id": town.center.id, "date": nxt, "start": "11:00",
                                                    "end": "12:00"}}, 201),
        ("/api/v1/series", "POST", {"body": {"space_id": town.desk2.id, "weekdays": [0, 1, 2, 3, 4, 5, 6],
                                             "start": "15:00", "end": "16:00", "first_day": nxt, "weeks": 1}}, 201),
        ("/api/v1/waitlist", "POST", {"body": {"center_id": town.center.id, "kind": "desk",
                                               "starts_at": local_iso(day, "17:00"),
                                               "ends_at": local_iso(day, "18:00")}}, 409),
        ("/api/v1/operations/centers/{code}/board", "GET", {"path_parameters": {"code": "hub"}}, 200),
        ("/api/v1/operations/centers/{code}/report", "GET", {"path_parameters": {"code": "hub"}}, 200),
    ]
    for path, method, data, status in explicit:
        response = schema[path][method].Case(**data).call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code == status, (path, response.text)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("path", ["/api/v1/openapi.json"])
def test_spec_is_served_without_sign_in_and_lists_every_route(client, path):
    response = client.get(path)
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/centers", "/api/v1/bookings", "/api/v1/bookings/check-in", "/api/v1/series",
            "/api/v1/waitlist", "/api/v1/me", "/api/v1/me/notifications",
            "/api/v1/operations/centers/{code}/board", "/api/v1/planning/coverage"} <= set(spec["paths"])
    # Request bodies refuse unknown fields, as the endpoints do.
    assert spec["components"]["schemas"]["BookingIn"]["additionalProperties"] is False
