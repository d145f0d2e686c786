"""The admin jobs page: admins only; "run now" runs the job and records it."""

from __future__ import annotations

from sqlalchemy import select

from smartwork.auth.models import Role
from smartwork.extensions import db
from smartwork.jobs.models import JobRun
from tests import factories


def signed_in(client, *roles: Role):
    user = factories.user(roles=roles)
    db.session.commit()
    factories.login(client, user)
    return user


def test_admin_sees_every_job_and_recent_failures(app, client, replace_job):
    def broken(now):
        raise ValueError("no such table: nowhere")

    replace_job("expire_waitlist", broken)
    from smartwork.jobs.services import run_job

    run_job("expire_waitlist")
    signed_in(client, Role.ADMIN)
    response = client.get("/jobs/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for name in ("release_no_shows", "send_reminders", "occupancy_rollup", "anonymize_old_bookings"):
        assert name in page
    assert "ValueError: no such table: nowhere" in page
    assert client.get("/jobs/expire_waitlist").status_code == 200
    assert client.get("/jobs/no_such_job").status_code == 404


def test_jobs_page_is_for_admins_only(app, client):
    assert client.get("/jobs/").status_code == 302  # to the sign-in page
    signed_in(client, Role.PLANNER, Role.CENTER_MANAGER)
    assert client.get("/jobs/").status_code == 403
    assert client.get("/jobs/prune_job_runs").status_code == 403
    assert client.post("/jobs/prune_job_runs/run").status_code == 403
    assert db.session.scalars(select(JobRun)).all() == []


def test_run_now_runs_the_job_and_records_it(app, client):
    signed_in(client, Role.ADMIN)
    response = client.post("/jobs/prune_job_runs/run")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/jobs/")
    run = db.session.scalars(select(JobRun)).one()
    assert (run.job, run.source, run.error, run.rows_touched) == ("prune_job_runs", "web", None, 0)
    assert client.get("/jobs/").status_code == 200


def test_run_now_needs_post(app, client):
    signed_in(client, Role.ADMIN)
    assert client.get("/jobs/prune_job_runs/run").status_code == 405


def test_jobs_page_names_the_leading_scheduler(app, client):
    from smartwork.jobs.services import LeaderLock

    lock = LeaderLock(app)
    assert lock.acquire()
    signed_in(client, Role.ADMIN)
    page = client.get("/jobs/").get_data(as_text=True)
    assert lock.holder in page
    db.session.commit()  # the requests ran on the test's session: end its transaction first
    lock.release()
    page = client.get("/jobs/").get_data(as_text=True)
    assert lock.holder not in page
    assert "flask scheduler run" in page  # the lead lapsed: the page says what to check
