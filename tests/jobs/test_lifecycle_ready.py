"""Issue 16: the hourly center-lifecycle job opened every planned center of the demo (past planned
dates, spaces and hours). A center now opens on its date only once a planner marks it ready."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from smartwork.auth.models import Role
from smartwork.bookings.models import BookingStatus, Notification, NotificationKind
from smartwork.centers.lifecycle import stopped_taking_bookings
from smartwork.centers.models import Center, CenterStatus, CenterStatusChange
from smartwork.errors import Invalid
from smartwork.extensions import db
from smartwork.jobs.services import run_job
from smartwork.planning import lifecycle as planning_lifecycle
from tests import factories
from tests.jobs.builders import booking, kst

NOW = kst(2026, 12, 1, 10, 0)


def slipping(**fields) -> Center:
    """As the demo seeds it: planned for a year ago, fitted with spaces and hours, never opened."""
    return factories.center(status=CenterStatus.PLANNED, planned_open_on=date(2025, 12, 1), opened_on=None,
                            **fields)


def status(center: Center) -> CenterStatus:
    db.session.expire_all()
    return db.session.get(Center, center.id).status


def test_a_slipping_center_stays_planned_until_a_planner_marks_it_ready(app):
    center = slipping()
    planner = factories.user(roles=(Role.PLANNER,))
    db.session.commit()
    assert run_job("center_lifecycle", now=NOW).rows_touched == 0
    assert status(center) == CenterStatus.PLANNED  # the planner's "slipping centers" story holds
    planning_lifecycle.mark_center_ready(planner, center.id, now=NOW)
    assert db.session.get(Center, center.id).ready_on == date(2026, 12, 1)
    assert run_job("center_lifecycle", now=kst(2026, 12, 1, 11, 0)).rows_touched == 1
    assert status(center) == CenterStatus.OPEN
    change = db.session.scalars(select(CenterStatusChange)).one()
    assert (change.from_status, change.to_status, change.changed_by_id) == (
        CenterStatus.PLANNED, CenterStatus.OPEN, None)


def test_ready_waits_for_the_planned_date(app):
    center = factories.center(status=CenterStatus.UNDER_CONSTRUCTION, planned_open_on=date(2026, 12, 15),
                              opened_on=None)
    planner = factories.user(roles=(Role.PLANNER,))
    db.session.commit()
    planning_lifecycle.mark_center_ready(planner, center.id, now=NOW)
    assert run_job("center_lifecycle", now=kst(2026, 12, 14, 23, 0)).rows_touched == 0
    assert run_job("center_lifecycle", now=kst(2026, 12, 15, 0, 5)).rows_touched == 1
    assert status(center) == CenterStatus.OPEN


def test_only_a_fitted_out_center_not_yet_open_can_be_marked_ready(app):
    bare = slipping(spaces={})
    open_center = factories.center()
    planner = factories.user(roles=(Role.PLANNER,))
    db.session.commit()
    with pytest.raises(Invalid) as empty:
        planning_lifecycle.mark_center_ready(planner, bare.id, now=NOW)
    assert empty.value.rule == "not_fitted_out"
    with pytest.raises(Invalid) as already:
        planning_lifecycle.mark_center_ready(planner, open_center.id, now=NOW)
    assert already.value.rule == "not_planned"


def test_a_planners_suspension_is_announced_and_bookings_handle_it(app):
    center = factories.center()
    planner = factories.user(roles=(Role.PLANNER,))
    future = booking(center, factories.user(), kst(2026, 12, 2, 9, 0))
    db.session.commit()
    heard = []

    def listener(sender, **kwargs):
        heard.append((kwargs["center_id"], kwargs["status"]))

    stopped_taking_bookings.connect(listener)
    try:
        planning_lifecycle.change_center_status(planner, center.id, CenterStatus.SUSPENDED, date(2026, 12, 1),
                                                now=NOW)
    finally:
        stopped_taking_bookings.disconnect(listener)
    assert heard == [(center.id, CenterStatus.SUSPENDED)]
    db.session.expire_all()
    assert db.session.get(type(future), future.id).status == BookingStatus.CANCELLED
    kinds = db.session.scalars(select(Notification.kind)).all()
    assert kinds == [NotificationKind.CENTER_CLOSED]


def test_the_planner_marks_ready_on_the_center_page(client, app):
    center = slipping(code="gimpo")
    planner = factories.user(roles=(Role.PLANNER,))
    db.session.commit()
    factories.login(client, planner)
    page = client.get("/planning/centers/gimpo").get_data(as_text=True)
    assert "/planning/centers/gimpo/ready" in page
    assert client.post("/planning/centers/gimpo/ready").status_code == 303
    assert db.session.get(Center, center.id).ready_on is not None
