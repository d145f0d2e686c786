"""The Alembic revisions build the schema from empty on both engines and match the models."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import smartwork.models  # noqa: F401  (the whole schema)
from smartwork import create_app
from smartwork.extensions import db
from tests.conftest import TEST_DATABASE_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path, database_urls):
    """A brand-new, empty database per engine (on PostgreSQL: a fresh schema as the whole search path)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    if database_urls["postgresql"] is None:
        pytest.skip("PostgreSQL not configured (set TEST_DATABASE_URL)")
    schema = f"mig_{uuid.uuid4().hex[:10]}"
    base = make_url(database_urls["postgresql"])
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        # btree_gist lives in public; the search path holds only the new schema, so reflection
        # sees nothing but what the migrations built (operator classes resolve without the path).
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"))
    query = dict(base.query)
    query["options"] = f"-csearch_path={schema}"
    try:
        yield base.set(query=query).render_as_string(hide_password=False)
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


# SQLite's reflection cannot read expression indexes (ix_users_email_lower): SQLAlchemy says so and
# skips them, so the comparison there covers everything else; PostgreSQL compares that index too.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_build_the_schema_the_models_describe(empty_database_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "target_metadata": db.metadata}
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"models and migrations disagree: {differences}"
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "centers", "spaces", "regions", "agencies"} <= tables
        db.engine.dispose()


def test_migrations_downgrade_to_empty_and_back(empty_database_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()
        assert "centers" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_postgres_is_really_tested_in_ci():
    """CI sets SMARTWORK_REQUIRE_POSTGRES; then TEST_DATABASE_URL must be set (the conftest enforces reachability)."""
    import os

    if os.environ.get("SMARTWORK_REQUIRE_POSTGRES") == "1":
        assert TEST_DATABASE_URL
