"""Bootstrap vs demo (issue 15 §1): `flask seed` refuses production; `flask bootstrap` loads only real
reference data, idempotently, and creates the first administrator through a one-time link."""

from __future__ import annotations

import csv
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from config import BASE_DIR
from smartwork import create_app
from smartwork.auth import activation
from smartwork.auth.models import AccountToken, Agency, Role, TokenPurpose, User, UserStatus
from smartwork.centers.models import Center, Closure, Operator, Ownership, Region
from smartwork.errors import NotFound
from smartwork.extensions import db
from smartwork.planning.models import RolloutTarget
from smartwork.planning.rollout import DEFAULT_TARGETS
from smartwork.seed.catalog import PUBLIC_OPERATORS
from smartwork.timeutils import utcnow
from tests.hardening.conftest import client_for

NOW = datetime(2030, 3, 4, 3, 0, tzinfo=UTC)
ADMIN = ["--admin-email", "first.admin@mois.go.kr", "--admin-name", "최관리", "--admin-employee-number", "A-0001",
         "--admin-agency", "MOIS", "--now", "2030-03-04", "--base-url", "https://smartwork.example.go.kr/"]
LINK = re.compile(r"https://smartwork\.example\.go\.kr/auth/activate/([A-Za-z0-9_-]{40,})")
REAL_CENTERS = sum(1 for _row in csv.DictReader((BASE_DIR / "smartwork/data/public-smart-work-centers.csv").open()))


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def production_app(engine_name, database_urls, app_factory):
    """The production config on the test database (the schema exists; the logging is put back after).

    No app context is pushed: the command must run in the production app's own.
    """
    app_factory()  # the schema, and the tables emptied afterwards
    root = logging.getLogger()
    handlers = list(root.handlers)
    application = create_app("production", {"SQLALCHEMY_DATABASE_URI": database_urls[engine_name],
                                            "SECRET_KEY": "a-real-production-secret-0123456789abcdef"})
    yield application
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    with application.app_context():
        db.engine.dispose()


def test_the_demo_seed_refuses_the_production_config(production_app):
    with production_app.app_context():
        result = production_app.test_cli_runner().invoke(args=["seed", "--users", "0"])
    assert result.exit_code == 1
    assert "refuses the production config" in result.output and "flask bootstrap" in result.output
    assert "Traceback" not in result.output
    with production_app.app_context():
        assert _count(User) == 0 and _count(Center) == 0


def test_bootstrap_loads_only_real_reference_data_and_a_pending_admin(app):
    result = app.test_cli_runner().invoke(args=["bootstrap", *ADMIN])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert _count(Region) == 250
    assert _count(Center) == REAL_CENTERS
    assert _count(Center, Center.ownership == Ownership.PRIVATE) == 0
    assert set(db.session.scalars(select(Operator.code))) == {code for code, _ko, _en in PUBLIC_OPERATORS}
    assert _count(Agency) > 0 and _count(Closure) > 0
    assert _count(RolloutTarget) == len(DEFAULT_TARGETS)
    [admin] = db.session.scalars(select(User)).all()  # nobody else: no demo or fictional people
    assert admin.email == "first.admin@mois.go.kr" and admin.has_role(Role.ADMIN)
    assert admin.status == UserStatus.PENDING and admin.password_hash is None
    [token] = LINK.findall(result.output)
    stored = db.session.scalar(select(AccountToken))
    assert stored.token_hash != token and token not in stored.token_hash  # only the hash is kept
    assert stored.expires_at - stored.created_at == timedelta(hours=72)
    assert "smartwork-demo" not in result.output


def test_bootstrap_is_idempotent_and_prints_no_second_link(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["bootstrap", *ADMIN]).exit_code == 0
    db.session.remove()
    before = (_count(Region), _count(Center), _count(Closure), _count(Agency), _count(Operator), _count(RolloutTarget))
    again = runner.invoke(args=["bootstrap", *ADMIN])
    assert again.exit_code == 0, again.output
    assert not LINK.search(again.output) and "one exists already" in again.output
    db.session.remove()
    assert (_count(Region), _count(Center), _count(Closure), _count(Agency), _count(Operator),
            _count(RolloutTarget)) == before
    assert _count(User) == 1 and _count(AccountToken) == 1


def test_a_new_link_replaces_the_old_one(app):
    runner = app.test_cli_runner()
    [first] = LINK.findall(runner.invoke(args=["bootstrap", *ADMIN]).output)
    renewed = runner.invoke(args=["bootstrap", "--new-admin-link", "--now", "2030-03-05",
                                  "--base-url", "https://smartwork.example.go.kr"])
    assert renewed.exit_code == 0, renewed.output
    [second] = LINK.findall(renewed.output)
    assert second != first
    db.session.remove()
    later = NOW + timedelta(days=1, hours=1)
    with pytest.raises(NotFound):
        activation.link_owner(first, TokenPurpose.ACTIVATION, now=later)
    assert activation.link_owner(second, TokenPurpose.ACTIVATION, now=later).email == "first.admin@mois.go.kr"


def test_bootstrap_without_admin_details_says_what_to_do(app):
    result = app.test_cli_runner().invoke(args=["bootstrap", "--now", "2030-03-04"])
    assert result.exit_code == 0
    assert "--admin-email" in result.output and not LINK.search(result.output)
    db.session.remove()
    assert _count(User) == 0 and _count(Center) == REAL_CENTERS


def test_no_link_for_an_active_admin(app):
    runner = app.test_cli_runner()
    [token] = LINK.findall(runner.invoke(args=["bootstrap", *ADMIN]).output)
    activation.use_link(token, TokenPurpose.ACTIVATION, "a-long-passphrase-2030", now=NOW)
    result = runner.invoke(args=["bootstrap", "--new-admin-link", "--now", "2030-03-04"])
    assert result.exit_code == 1 and "no first administrator waiting" in result.output


# --- the first administrator's link ---------------------------------------------------------------
# The link itself (single use, 72 h, the password rules) is tested in tests/auth/test_activation.py.


def test_the_first_admin_activates_through_the_page_then_signs_in(app):
    from smartwork.seed.bootstrap import bootstrap_reference_data, ensure_first_admin

    now = utcnow()  # the page itself runs at the wall clock
    bootstrap_reference_data(now=now)
    admin = ensure_first_admin(email="first.admin@mois.go.kr", name="최관리", employee_number="A-0001",
                               agency_code="MOIS", now=now)
    app.config["PUBLIC_BASE_URL"] = "https://x.test"
    token = activation.issue_activation_link(admin, now=now).rsplit("/", 1)[1]
    db.session.commit()
    admin_id = admin.id
    client = client_for(app, None)
    path = f"/auth/activate/{token}"
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    short = client.post(path, data={"password": "short-pw-1", "confirm": "short-pw-1"})
    assert short.status_code == 422
    done = client.post(path, data={"password": "a-long-passphrase-2030", "confirm": "a-long-passphrase-2030"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/auth/login")
    db.session.remove()
    activated = db.session.get(User, admin_id)
    assert activated.status == UserStatus.ACTIVE and activated.password_hash
    signed_in = client.post("/auth/login", data={"identifier": "first.admin@mois.go.kr",
                                                 "password": "a-long-passphrase-2030"})
    assert signed_in.status_code == 302
    assert client_for(app, None).get(path).status_code == 404  # single use


# --- the README ------------------------------------------------------------------------------------


def test_the_demo_password_appears_only_in_the_demo_section():
    from smartwork.seed.people import DEMO_PASSWORD

    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    sections = re.split(r"\n(?=## )", readme)
    holding = [section.splitlines()[0] for section in sections if DEMO_PASSWORD in section]
    assert holding == ["## The two commands (fresh machine)"]
    [production] = [section for section in sections if section.startswith("## Production")]
    assert "flask bootstrap" in production and "flask db upgrade" in production
    assert not re.search(r"^\s*(\.venv/bin/)?flask seed", production, re.M)
