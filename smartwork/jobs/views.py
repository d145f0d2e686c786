"""The admin's view of the scheduled jobs: schedule, next run, last result, failures, "run now"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..auth.models import Role
from ..auth.permissions import role_required
from . import services
from .registry import get_job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    """Every job with its schedule, next run and last result; the leader; recent failures."""
    return render_template("jobs/index.html", overview=services.job_overview())


@bp.get("/<name>")
@role_required(Role.ADMIN)
def detail(name: str):
    """The latest runs of one job."""
    return render_template("jobs/detail.html", spec=get_job(name), runs=services.recent_runs(name))


@bp.post("/<name>/run")
@role_required(Role.ADMIN)
def run_now(name: str):
    """Run one job now, in this request (jobs are idempotent, so this is safe beside the scheduler)."""
    run = services.run_job(name, source="web")
    if run.error:
        flash(_("The job %(name)s failed: %(error)s", name=name, error=run.error.splitlines()[0]), "error")
    else:
        flash(_("The job %(name)s ran: %(rows)d rows touched in %(ms)d ms.", name=name, rows=run.rows_touched,
                ms=run.duration_ms), "success")
    return redirect(url_for(".index"))
