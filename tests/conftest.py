"""Shared fixtures: one app per test, on SQLite always and on PostgreSQL when configured.

Every test that uses ``app`` (directly or through ``client``/``db_session``) runs once per
engine. The schema is built once per engine per session; each test leaves empty tables.

The clock rule: no test depends on today's date. Tests pass fixed instants to services through
``now=`` (and code under a ``now=`` parameter never reads the wall clock); a test that needs "the
present" (a live server, a browser, a real scheduler) derives every date from the clock it reads,
never from a date written in the test. ``make test-clock`` runs the suite under libfaketime a year
ahead and a month back to prove it.
"""

from __future__ import annotations

import os

import pytest
from flask import current_app, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from smartwork import create_app
from smartwork.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
REQUIRE_POSTGRES = os.environ.get("SMARTWORK_REQUIRE_POSTGRES") == "1"


def _postgres_url() -> str | None:
    if not TEST_DATABASE_URL:
        if REQUIRE_POSTGRES:
            pytest.exit("SMARTWORK_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set", returncode=3)
        return None
    from config import normalise_database_url

    url = normalise_database_url(TEST_DATABASE_URL)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        url = _worker_database(url, worker)
    try:
        probe = create_engine(url)
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
        probe.dispose()
    except OperationalError as error:
        if REQUIRE_POSTGRES:
            pytest.exit(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {error}", returncode=3)
        return None
    return url


def _worker_database(url: str, worker: str) -> str:
    """Each xdist worker gets its own PostgreSQL database (created once, reused afterwards)."""
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def pytest_report_header(config):
    return [f"postgresql: {'on (' + TEST_DATABASE_URL.split('@')[-1] + ')' if TEST_DATABASE_URL else 'off'}"]


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory) -> dict[str, str | None]:
    """The database URL per engine; PostgreSQL is None when not configured."""
    sqlite_file = tmp_path_factory.mktemp("db") / "smartwork-test.sqlite"
    return {"sqlite": f"sqlite:///{sqlite_file}", "postgresql": _postgres_url()}


_SCHEMA_READY: set[str] = set()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context: its own ``g`` and database session, as in production.

    The ``app`` fixture keeps one app context pushed for the whole test; without this, Flask would
    reuse it for requests, so ``g`` (where Flask-Login caches ``current_user``) and the session would
    leak from one request, or one client, to the next. The test's own session commits first, so the
    request (like another worker) sees the test's data and SQLite's write lock is free.
    """

    def open(self, *args, **kwargs):
        if has_app_context() and current_app._get_current_object() is self.application:
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap argon2id parameters in tests (the production parameters have their own test)."""
    from argon2 import PasswordHasher

    from smartwork.auth import services
    from tests import factories

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(services, "password_hasher", fast)
    monkeypatch.setattr(services, "_DUMMY_HASH", _FAST_DUMMY_HASH.setdefault("hash", fast.hash("timing")))
    monkeypatch.setattr(factories, "_password_hash_cache", _FAST_HASHES)


_FAST_DUMMY_HASH: dict[str, str] = {}
_FAST_HASHES: dict[str, str] = {}


def build_app(url: str, **overrides):
    """A testing app bound to ``url`` with extra config."""
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, **overrides})


def ensure_schema(app, engine_name: str) -> None:
    """Create the schema once per engine per test session."""
    if engine_name in _SCHEMA_READY:
        return
    import smartwork.models  # noqa: F401  (registers every table)

    with app.app_context():
        if engine_name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
    _SCHEMA_READY.add(engine_name)


def empty_tables(app) -> None:
    """Delete every row, leaving the schema for the next test."""
    with app.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{table.name}"' for table in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_name(request, database_urls) -> str:
    """Run the test once per database engine."""
    if database_urls[request.param] is None:
        pytest.skip("PostgreSQL not configured (set TEST_DATABASE_URL)")
    return request.param


@pytest.fixture
def app_factory(engine_name, database_urls):
    """Build extra apps on the same database (for concurrency tests, config overrides)."""
    built = []

    def factory(**overrides):
        application = build_app(database_urls[engine_name], **overrides)
        application.test_client_class = IsolatedClient
        ensure_schema(application, engine_name)
        built.append(application)
        return application

    yield factory
    if built:
        empty_tables(built[0])
        for application in built[1:]:
            with application.app_context():
                db.engine.dispose()


@pytest.fixture
def app(app_factory):
    """The application under test, inside an app context."""
    application = app_factory()
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def session(app):
    """The SQLAlchemy session of the app under test."""
    return db.session


@pytest.fixture
def town(app):
    """The API tests' town (tests/api/town.py): two open centers and one person per role, committed."""
    from tests.api.town import build_town

    return build_town()
