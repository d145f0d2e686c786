"""The production config under gunicorn (gunicorn.conf.py): the access log shows the real client and the
request id, the app logs JSON, /readyz answers, and a database that goes away gives 503s, never a 500."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.hardening.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving the production config on a free port, its output in a file."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("SMARTWORK_")},
            "SMARTWORK_CONFIG": "production",
            "SMARTWORK_SECRET_KEY": "a-real-production-secret-0123456789abcdef",
            "SMARTWORK_SQLALCHEMY_DATABASE_URI": database_url,
            "SMARTWORK_TRUSTED_PROXIES": "127.0.0.1",
            "SMARTWORK_READYZ_SCHEDULER_MAX_AGE": "0",
            "SMARTWORK_DATABASE_CONNECT_TIMEOUT": "2",
            "SMARTWORK_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "1",
        }
        self.process = subprocess.Popen(
            [str(GUNICORN), "smartwork:create_app()"], cwd=ROOT, env=env,
            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")

    def request(self, path: str, *, data: dict | None = None, headers: dict | None = None):
        """(status, headers, body) of one request; errors are answers too."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def lines(self) -> list[str]:
        time.sleep(0.3)  # gunicorn writes the access line after the response
        return self.log.read_text(encoding="utf-8").splitlines()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def served(app, engine_name, database_urls, tmp_path):
    """gunicorn on this engine's test database (schema built by the app fixture)."""
    server = Server(database_urls[engine_name], tmp_path / "gunicorn.log")
    yield server
    server.stop()


def test_the_access_log_shows_the_real_client_and_the_request_id(served):
    status, headers, _body = served.request("/healthz", headers={"X-Forwarded-For": "198.51.100.7"})
    assert status == 200
    request_id = headers["X-Request-ID"]
    [line] = [line for line in served.lines() if '"GET /healthz' in line]
    assert line.startswith("198.51.100.7 ")
    assert line.endswith(f"rid={request_id}")


def test_readyz_under_gunicorn_and_json_app_logs(served):
    status, _headers, body = served.request("/readyz")
    assert status == 200, body
    assert json.loads(body)["checks"]["database"]["ok"]
    status, headers, _body = served.request("/no-such-page", headers={"X-Request-ID": "from-nginx-1"})
    assert status == 404 and headers["X-Request-ID"] == "from-nginx-1"  # 127.0.0.1 is the trusted proxy
    records = [json.loads(line) for line in served.lines() if line.startswith("{")]
    assert records, "the app wrote no JSON log line"
    assert all({"time", "level", "logger", "message", "request_id"} <= set(record) for record in records)


def test_a_database_that_goes_away_gives_503_never_500(app, engine_name, database_urls, tmp_path):
    if engine_name != "postgresql":
        pytest.skip("a PostgreSQL server that goes away")
    from tests.hardening.conftest import build_world

    world = build_world()
    feed, bearer = f"/bookings/feed/{world.feed_token}.ics", {"Authorization": f"Bearer {world.api_secret}"}
    url = make_url(database_urls["postgresql"])
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    server = Server(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
                    tmp_path / "gunicorn.log")
    try:
        assert server.request("/readyz")[0] == 200
        assert server.request(feed)[0] == 200 and server.request("/api/v1/bookings", headers=bearer)[0] == 200
        statuses = []
        for round_number in range(3):
            proxy.stop()  # every open connection dies, new ones are refused
            for path in (feed, "/readyz", "/api/v1/bookings"):
                status, headers, body = server.request(path, headers=bearer)
                statuses.append((round_number, path, status))
                if path != "/readyz":
                    assert status == 503, (path, status, body[:300])
                    assert headers["Retry-After"].isdigit()
            proxy.start()
            assert server.request("/readyz")[0] == 200  # the pool recovers by itself
    finally:
        server.stop()
        proxy.stop()
    assert not [entry for entry in statuses if entry[2] >= 500 and entry[2] != 503], statuses
    assert not re.search(r"Traceback|Exception in worker", server.log.read_text()), server.log.read_text()[-3000:]
