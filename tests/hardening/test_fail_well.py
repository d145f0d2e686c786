"""Fail well (issue 15 §8): dropped connections and silent databases give a 503 with Retry-After,
bodies over the limit a clear 413, and a 405 keeps its Allow header."""

from __future__ import annotations

import io
import socket
import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from smartwork.centers.models import Region
from smartwork.extensions import db
from smartwork.security import accepts_uploads
from tests.hardening.tcp_proxy import TcpProxy

MB = 1024 * 1024


@pytest.fixture
def postgres_only(engine_name):
    if engine_name != "postgresql":
        pytest.skip("a PostgreSQL server that goes away")


def _plain_client(application) -> FlaskClient:
    """A client whose requests push their own app context, as under gunicorn (the session is theirs)."""
    return FlaskClient(application, application.response_class, use_cookies=True)


# --- a connection that drops mid-request ---------------------------------------------------------


def _proxied(app_factory, database_urls, **overrides):
    url = make_url(database_urls["postgresql"])
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    application = app_factory(SQLALCHEMY_DATABASE_URI=url.set(host="127.0.0.1", port=proxy.port)
                              .render_as_string(hide_password=False), **overrides)
    return application, proxy


def test_a_connection_dropped_after_the_last_query_gives_503_not_a_bare_500(
    postgres_only, app, app_factory, database_urls
):
    proxied, proxy = _proxied(app_factory, database_urls)

    def read_then_lose_the_database():
        db.session.execute(text("SELECT 1"))  # the transaction is open ...
        proxy.stop()  # ... and the connection dies before the session's rollback at the end
        return "read"

    def write_then_lose_the_database():
        db.session.add(Region(code="99999", sido_code="99", sido_name_ko="가", sido_name_en="A", name_ko="나",
                              name_en="B", lat=37.0, lon=127.0, population=1))
        db.session.flush()
        proxy.stop()
        return {"written": True}

    proxied.add_url_rule("/_test/read", view_func=read_then_lose_the_database)
    proxied.add_url_rule("/api/v1/_test/write", view_func=write_then_lose_the_database, methods=["POST"])
    client = _plain_client(proxied)
    try:
        page = client.get("/_test/read")
        proxy.start()
        api = client.post("/api/v1/_test/write")
        proxy.start()
        after = client.get("/readyz")  # the pool threw the dead connections away
    finally:
        proxy.stop()
    assert page.status_code == 503, page.text[:300]
    assert page.headers["Retry-After"].isdigit() and page.mimetype == "text/html"
    assert page.headers["Content-Security-Policy"] and page.headers["X-Request-ID"]
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json" and api.json["rule"] == "unavailable"
    assert api.headers["Retry-After"].isdigit()
    assert after.json["checks"]["database"]["ok"]
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Region).where(Region.code == "99999")) == 0


def test_teardown_never_raises_on_a_dead_connection(postgres_only, app, app_factory, database_urls):
    proxied, proxy = _proxied(app_factory, database_urls)
    try:
        with proxied.app_context():
            db.session.execute(text("SELECT 1"))
            proxy.stop()
        # Leaving the context rolled back on the dead connection: logged, not raised.
        with proxied.app_context():
            proxy.start()
            assert db.session.execute(text("SELECT 2")).scalar() == 2
    finally:
        proxy.stop()


# --- a database that stops answering ---------------------------------------------------------------


def test_a_long_statement_is_cancelled_by_the_statement_timeout(postgres_only, app_factory):
    application = app_factory(DATABASE_STATEMENT_TIMEOUT=1)

    def slow():
        db.session.execute(text("SELECT pg_sleep(10)"))
        return "done"

    application.add_url_rule("/_test/slow", view_func=slow)
    started = time.monotonic()
    response = _plain_client(application).get("/_test/slow")
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert time.monotonic() - started < 5


def test_timeouts_and_keepalives_reach_the_connection(postgres_only, app_factory):
    application = app_factory(DATABASE_STATEMENT_TIMEOUT=7, DATABASE_KEEPALIVES_IDLE=11,
                              DATABASE_KEEPALIVES_INTERVAL=4, DATABASE_KEEPALIVES_COUNT=2,
                              DATABASE_CONNECT_TIMEOUT=3)
    with application.app_context():
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "7s"
        raw = db.session.connection().connection.dbapi_connection
        parameters = raw.info.get_parameters()
        db.session.rollback()
    assert parameters["keepalives"] == "1" and parameters["keepalives_idle"] == "11"
    assert parameters["keepalives_interval"] == "4" and parameters["keepalives_count"] == "2"
    assert parameters["connect_timeout"] == "3"


def test_a_server_that_never_answers_fails_within_the_connect_timeout(app, app_factory, engine_name):
    if engine_name != "postgresql":
        pytest.skip("network timeouts are PostgreSQL's")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever speaks
    try:
        port = silent.getsockname()[1]
        black_hole = app_factory(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{port}/x",
                                 DATABASE_CONNECT_TIMEOUT=2)

        def query():
            db.session.execute(text("SELECT 1"))
            return "answered"

        black_hole.add_url_rule("/_test/query", view_func=query)
        started = time.monotonic()
        response = _plain_client(black_hole).get("/_test/query")
        waited = time.monotonic() - started
    finally:
        silent.close()
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert waited < 8  # 2 s per attempt (pre-ping and connect), not forever


def test_sqlite_gets_no_postgresql_connect_arguments(app, engine_name):
    if engine_name != "sqlite":
        pytest.skip("SQLite")
    assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]


# --- bodies over the limit ---------------------------------------------------------------------------


def test_a_large_form_gets_a_clear_413_page(app, client):
    response = client.post("/auth/login", data={"identifier": "x" * (2 * MB), "password": "y"})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "1 MB" in response.text


def test_a_large_json_body_gets_a_413_problem_before_it_is_read(app, client):
    body = b'{"a": "' + b"x" * (3 * MB) + b'"}'
    response = client.post("/api/v1/bookings", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 413 and "1 MB" in response.json["detail"]


def test_a_body_without_a_length_is_cut_at_the_limit(app, app_factory):
    application = app_factory()

    def echo():
        from flask import request

        return str(len(request.get_data()))

    application.add_url_rule("/api/v1/_test/echo", view_func=echo, methods=["POST"])

    def send(size: int):
        return application.test_client().post(
            "/api/v1/_test/echo", input_stream=io.BytesIO(b"x" * size), content_type="application/json",
            headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})

    small = send(1000)
    assert small.status_code == 200 and small.text == "1000"
    large = send(2 * MB)
    assert large.status_code == 413 and large.mimetype == "application/problem+json"


def test_upload_endpoints_take_larger_bodies_up_to_their_own_limit(app_factory):
    application = app_factory(MAX_CONTENT_LENGTH=1 * MB, UPLOAD_MAX_CONTENT_LENGTH=3 * MB)

    @accepts_uploads
    def upload():
        from flask import request

        return str(len(request.files["roster"].read()))

    application.add_url_rule("/_test/upload", view_func=upload, methods=["POST"])
    client = application.test_client()
    fine = client.post("/_test/upload", data={"roster": (io.BytesIO(b"x" * 2 * MB), "roster.csv")})
    assert fine.status_code == 200 and fine.text == str(2 * MB)
    too_big = client.post("/_test/upload", data={"roster": (io.BytesIO(b"x" * 4 * MB), "roster.csv")})
    assert too_big.status_code == 413 and "3 MB" in too_big.text
    # Everywhere else the small limit holds.
    assert client.post("/auth/login", data={"identifier": "x" * 2 * MB}).status_code == 413


def test_the_limits_are_configured():
    from config import Config

    assert Config.MAX_CONTENT_LENGTH == 1 * MB
    assert Config.UPLOAD_MAX_CONTENT_LENGTH > Config.MAX_CONTENT_LENGTH


# --- 405 keeps Allow ------------------------------------------------------------------------------------


def test_a_405_page_keeps_the_allow_header(app, client):
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert "POST" in response.headers["Allow"]


def test_a_405_problem_keeps_the_allow_header(app, client):
    response = client.put("/api/v1/bookings")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed
