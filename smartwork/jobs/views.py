"""The admin's view of the scheduled jobs: schedule, next run, last result, failures, "run now"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import mail
from ..auth.models import Role
from ..auth.permissions import role_required
from . import services
from .registry import get_job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    """Every job with its schedule, next run and last result; the leader; recent failures."""
    return render_template("jobs/index.html", overview=services.job_overview(), outbox=mail.outbox_counts())


@bp.get("/outbox")
@role_required(Role.ADMIN)
def outbox():
    """The mail outbox: how many messages wait, dead letters (with a retry button) and retries pending."""
    return render_template("jobs/outbox.html", counts=mail.outbox_counts(), messages=mail.troubled_messages())


@bp.post("/outbox/<int:message_id>/retry")
@role_required(Role.ADMIN)
def outbox_retry(message_id: int):
    """Queue a dead letter again (audited); the deliver_mail job sends it on its next run."""
    message = mail.retry_message(message_id, current_user._get_current_object())
    flash(_("The mail to %(recipient)s is queued again.", recipient=message.recipient), "success")
    return redirect(url_for(".outbox"))


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
