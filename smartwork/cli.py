"""The `flask` commands; each one parses its arguments and calls a service."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from .backup import backup_command, restore_command
from .jobs.cli import jobs_group, scheduler_group
from .planning.commands import planning_group


def register_commands(app: Flask) -> None:
    """Attach every command group to the app."""
    for command in (
        seed_command,
        bootstrap_command,
        users_group,
        jobs_group,
        scheduler_group,
        planning_group,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)


class ClickProgress:
    """Progress for long commands: a bar on a terminal, a line per step otherwise."""

    def __init__(self) -> None:
        self._bar = None
        self._label = None

    def __call__(self, label: str, done: int, total: int) -> None:
        if label != self._label:
            self.close()
            self._label = label
            self._bar = click.progressbar(length=total, label=label.ljust(28), show_pos=True)
            self._bar.__enter__()
            self._done = 0
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@click.command("seed")
@click.option("--seed", "seed_value", default=2010, show_default=True, help="Random seed (deterministic output).")
@click.option("--users", default=2000, show_default=True, type=click.IntRange(0, 1_000_000),
              help="Employees to create.")
@click.option("--now", "now_day", default=None, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Reference date (YYYY-MM-DD, Seoul) for center statuses and holidays; default today.")
@click.option("--scale", type=click.Choice(["demo", "national"]), default="demo", show_default=True,
              help="national: 50,000 employees, ~15,000 spaces and a year of bookings (ignores --users).")
def seed_command(seed_value: int, users: int, now_day, scale: str) -> None:
    """Build the DEMO: regions and the real centers, a fictional network to 500 centers, demo people."""
    from .seed import refuse_production, seed_network, seed_reference_instant

    refuse_production()

    progress = ClickProgress()
    history = None
    now = seed_reference_instant(now_day.date()) if now_day else None
    try:
        if scale == "national":
            from .seed.national import seed_national

            report, history = seed_national(seed=seed_value, progress=progress, now=now)
        else:
            report = seed_network(seed=seed_value, users=users, progress=progress, now=now)
    finally:
        progress.close()
    from .planning.rollout import ensure_default_targets

    targets_added = ensure_default_targets(now=now)
    for line in report.summary_lines() + (history.summary_lines() if history else []):
        click.echo(line)
    if targets_added:
        click.echo(f"rollout targets: {targets_added} added (the 2010 plan)")
    if current_app.config.get("SHOW_DEMO_CREDENTIALS") and report.demo_credentials:
        click.echo("\nDemo accounts (development only):")
        for role, email, password in report.demo_credentials:
            click.echo(f"  {role:<15} {email:<36} {password}")


@click.command("bootstrap")
@click.option("--admin-email", default=None, help="The first administrator's government e-mail.")
@click.option("--admin-name", default=None, help="The first administrator's name.")
@click.option("--admin-employee-number", default=None, help="The first administrator's employee number.")
@click.option("--admin-agency", default="MOIS", show_default=True, help="The first administrator's agency code.")
@click.option("--new-admin-link", is_flag=True,
              help="Print a fresh activation link for the first administrator (the old one stops working).")
@click.option("--base-url", default=None, help="The site's address for the link (default: PUBLIC_BASE_URL).")
@click.option("--now", "now_day", default=None, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Reference date (YYYY-MM-DD, Seoul) for center statuses and holidays; default today.")
def bootstrap_command(admin_email, admin_name, admin_employee_number, admin_agency, new_admin_link,
                      base_url, now_day) -> None:
    """Production setup: real reference data only (idempotent) and the first administrator's one-time link."""
    from .auth.activation import issue_activation_link
    from .errors import SmartworkError
    from .extensions import db
    from .planning.rollout import ensure_default_targets
    from .seed import seed_reference_instant
    from .seed.bootstrap import administrators, bootstrap_reference_data, ensure_first_admin, pending_first_admin

    now = seed_reference_instant(now_day.date()) if now_day else None
    report = bootstrap_reference_data(now=now)
    targets_added = ensure_default_targets(now=now)
    for line in report.summary_lines():
        click.echo(line)
    click.echo(f"rollout targets: {targets_added} added (the 2010 plan)")

    if new_admin_link:
        admin = pending_first_admin()
        if admin is None:
            raise click.ClickException("there is no first administrator waiting for a password; "
                                       "use `flask users set-password` for an existing account")
    elif admin_email and admin_name and admin_employee_number:
        try:
            admin = ensure_first_admin(email=admin_email, name=admin_name, employee_number=admin_employee_number,
                                       agency_code=admin_agency, now=now)
        except SmartworkError as error:
            raise click.ClickException(error.message) from error
        if admin is None:
            click.echo("administrator: one exists already (nobody created, no link printed)")
            return
    else:
        if administrators():
            click.echo("administrator: one exists already")
        else:
            click.echo("administrator: none yet; run again with --admin-email, --admin-name and "
                       "--admin-employee-number to create the first one")
        return
    if base_url:
        current_app.config["PUBLIC_BASE_URL"] = base_url  # this command's links only
    link = issue_activation_link(admin, now=now)
    db.session.commit()
    hours = int(current_app.config["ACTIVATION_LINK_LIFETIME"].total_seconds() // 3600)
    click.echo(f"\nFirst administrator: {admin.email}. Open this link within {hours} hours to "
               "choose a password (it works once and is not shown again):")
    click.echo(f"  {link}")


@click.group("users")
def users_group() -> None:
    """Create users and import HR rosters."""


@users_group.command("create")
@click.option("--employee-number", required=True)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--agency", "agency_code", required=True, help="Agency code.")
@click.option("--home-region", "home_region_code", default=None, help="5-digit 시군구 code.")
@click.option("--role", "roles", multiple=True, type=click.Choice(["center_manager", "planner", "admin"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_create(employee_number, email, name, agency_code, home_region_code, roles, password) -> None:
    """Create one active account."""
    from .auth.models import Role
    from .auth.services import create_user
    from .errors import SmartworkError

    try:
        user = create_user(
            employee_number=employee_number,
            email=email,
            name=name,
            agency_code=agency_code,
            home_region_code=home_region_code,
            roles=[Role(role) for role in roles],
            password=password,
        )
    except SmartworkError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"created {user.employee_number} <{user.email}>")


@users_group.command("import")
@click.argument("roster", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what the import would do and change nothing.")
@click.option("--complete", "complete_agencies", multiple=True, metavar="AGENCY_CODE",
              help="An agency whose whole staff this roster lists: its people missing from it are retired. "
                   "Repeat for several; without it nobody is retired.")
@click.option("--confirm-large-retirement", is_flag=True,
              help="Second confirmation to retire more than ROSTER_MAX_RETIRE_SHARE of an agency.")
def users_import(roster: Path, dry_run: bool, complete_agencies: tuple[str, ...],
                 confirm_large_retirement: bool) -> None:
    """Import an HR roster CSV (employee_number,name,email,agency_code,home_region_code,status)."""
    from .auth.roster import import_roster, preview_roster
    from .errors import SmartworkError

    try:
        with roster.open(encoding="utf-8-sig", newline="") as handle:
            if dry_run:
                report = preview_roster(handle, complete_agencies=complete_agencies)
            else:
                report = import_roster(handle, complete_agencies=complete_agencies,
                                       confirm_large_retirement=confirm_large_retirement, source="cli")
    except SmartworkError as error:
        raise click.ClickException(error.message) from error
    except RuntimeError as error:  # no PUBLIC_BASE_URL: activation links cannot be built
        raise click.ClickException(str(error)) from error
    for line in report.preview_lines() if dry_run else report.summary_lines():
        click.echo(line)
    if not dry_run:
        for person in report.retired_people:
            click.echo(f"retired {person.employee_number} {person.name} ({person.agency_code})")
    for line_number, message in report.errors:
        click.echo(f"line {line_number}: {message}", err=True)
    if report.errors:
        sys.exit(1)


@users_group.command("set-password")
@click.argument("identifier")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_set_password(identifier: str, password: str) -> None:
    """Set the password of an account (employee number or e-mail); ends its sessions, clears a lockout.

    People created by a roster import set their own through the activation e-mail; setting one here
    activates a pending account as well.
    """
    from .auth.services import set_password
    from .errors import SmartworkError

    try:
        user = set_password(identifier, password)
    except SmartworkError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"password set for {user.employee_number} <{user.email}>")


@users_group.command("resend-activation")
@click.argument("identifiers", nargs=-1)
@click.option("--all-pending", is_flag=True, help="Every pending account (e.g. after a mail outage).")
def users_resend_activation(identifiers: tuple[str, ...], all_pending: bool) -> None:
    """E-mail a new activation link (employee numbers or e-mails); older links stop working."""
    from .auth.activation import pending_users, resend_activation
    from .auth.services import find_user_by_identifier
    from .errors import SmartworkError

    if not identifiers and not all_pending:
        raise click.UsageError("name at least one account, or use --all-pending")
    users = []
    for identifier in identifiers:
        user = find_user_by_identifier(identifier)
        if user is None:
            raise click.ClickException(f"no account has the employee number or e-mail {identifier}")
        users.append(user)
    if all_pending:
        users.extend(user for user in pending_users() if user not in users)
    failed = False
    for user in users:
        try:
            resend_activation(None, user)
        except SmartworkError as error:
            click.echo(f"{user.employee_number}: {error.message}", err=True)
            failed = True
        except RuntimeError as error:  # no PUBLIC_BASE_URL
            raise click.ClickException(str(error)) from error
        else:
            click.echo(f"activation link sent to {user.employee_number} <{user.email}>")
    if failed:
        sys.exit(1)
