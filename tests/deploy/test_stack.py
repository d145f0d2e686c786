"""The deploy kit, end to end: Debian's nginx (TLS, the site file from deploy/) in front of two gunicorn
instances (the web unit's command) on one PostgreSQL, plus two `flask scheduler run` processes (the
scheduler unit's command), all configured from deploy/smartwork.env.example.

Through nginx: Korean pages and static files, sign-in and booking, a 200-request contention storm on one
slot split over both instances, the client address in the access logs, and slow clients that never finish
their body while /healthz still answers at once. Then: only one scheduler acts, and killing it hands over.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import secrets
import signal
import socket
import ssl
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from .conftest import (
    DEPLOY,
    VENV_BIN,
    Processes,
    WebClient,
    clean_env,
    free_port,
    read_env_file,
    require_tool,
    run,
    unit_exec_start,
    wait_until,
)

pytestmark = pytest.mark.deploy

SEOUL = ZoneInfo("Asia/Seoul")
NGINX = "/usr/sbin/nginx"
OPENSSL = "/usr/bin/openssl"
STORM_USERS = 8
STORM_REQUESTS_PER_USER = 25  # 200 requests in all
# What differs from the deploy kit, passed as create_app overrides (literal arguments in the app spec):
# every test client shares 127.0.0.1, which the per-address limits would otherwise stop after a few
# sign-ins; mail goes to the process log; a short scheduler lease makes the hand-over test take seconds.
APP_OVERRIDES = {
    "RATELIMIT_SIGNIN": "100000 per minute",
    "RATELIMIT_BOOKING": "100000 per minute",
    "MAIL_BACKEND": "console",
    "SCHEDULER_LEASE_SECONDS": 3,
}
APP_SPEC = f"smartwork:create_app(None, {APP_OVERRIDES!r})"
# gunicorn's access log: the peer (nginx) and the X-Forwarded-For it sent, then the request and status.
ACCESS_FORMAT = '%(h)s xff=%({x-forwarded-for}i)s "%(r)s" %(s)s'


@dataclass
class Web:
    """One gunicorn instance (an app host)."""

    process: object
    port: int
    access_log: Path


@dataclass
class Stack:
    """Everything the fixture started, and how to reach it."""

    port: int
    http_port: int
    tls: ssl.SSLContext
    engine: Engine
    web: list[Web]
    schedulers: list
    nginx_access_log: Path
    processes: Processes
    extra: dict = field(default_factory=dict)

    def client(self, source: str = "127.0.0.1") -> WebClient:
        """A visitor talking TLS to nginx from ``source``."""
        return WebClient(self.port, tls=self.tls, source=source)

    def query(self, sql: str, **params) -> list:
        """Rows of one SQL statement on the stack's database."""
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params))


def _admin_url():
    from config import normalise_database_url

    url = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/smartwork"
    return make_url(normalise_database_url(url))


@pytest.fixture(scope="module")
def database_url():
    """A PostgreSQL database of our own (<TEST_DATABASE_URL's name>_deploy), dropped afterwards."""
    base = _admin_url()
    name = f"{base.database}_deploy"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        pytest.fail(f"the deploy test needs PostgreSQL ({base.render_as_string()}): {error}")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(admin, name)


def _drop_database(admin: Engine, name: str, wait: float = 30) -> None:
    """Drop the database, waiting at most ``wait`` seconds.

    DROP DATABASE makes PostgreSQL write a checkpoint of the whole cluster, which on a busy shared
    server can take minutes; past ``wait`` the statement finishes in the server without us (and the
    next run, or .ci/run's cleanup, drops whatever is left).
    """
    done = threading.Event()

    def drop() -> None:
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            done.set()

    threading.Thread(target=drop, name="drop-deploy-database", daemon=True).start()
    if done.wait(wait):
        admin.dispose()
    else:
        print(f"\nDROP DATABASE {name} is still waiting for PostgreSQL's checkpoint; not waiting longer")


def derive_nginx_site(site: str, *, https_port: int, http_port: int, upstreams: list[int], cert: Path,
                      key: Path, static: Path, log_dir: Path) -> str:
    """deploy/nginx/smartwork.conf with this machine's ports, certificate, static directory and log paths."""
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;\n" for port in upstreams)
    replacements = [
        ("    server 127.0.0.1:8000 max_fails=3 fail_timeout=10s;\n", servers),
        ("    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n"),
        ("    listen [::]:80;\n", ""),
        ("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n"),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("server_name smartwork.example.go.kr;", "server_name 127.0.0.1;"),
        ("/etc/ssl/smartwork/fullchain.pem", str(cert)),
        ("/etc/ssl/smartwork/privkey.pem", str(key)),
        ("alias /opt/smartwork/static/;", f"alias {static}/;"),
        ("/var/log/nginx/", f"{log_dir}/"),
    ]
    for old, new in replacements:
        assert old in site, f"deploy/nginx/smartwork.conf no longer has {old!r}: update the deploy test with it"
        site = site.replace(old, new)
    return site


def nginx_main_conf(directory: Path, site: Path) -> str:
    """A main nginx.conf around the site, as Debian's /etc/nginx/nginx.conf is, but in the foreground."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read the test's private temp dir
    temp = "".join(f"    {kind}_temp_path {directory / kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
            f"error_log {directory / 'nginx-main-error.log'} warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
            f"    access_log off;\n{temp}    include {site};\n}}\n")


@pytest.fixture(scope="module")
def stack(database_url, tmp_path_factory):
    """nginx + two gunicorn instances + two schedulers on one PostgreSQL, migrated and seeded."""
    require_tool(NGINX)
    require_tool(OPENSSL)
    directory = tmp_path_factory.mktemp("stack")
    directory.chmod(0o755)
    work = directory / "var-lib-smartwork"  # the units' WorkingDirectory
    work.mkdir()

    # The environment of both units: deploy/smartwork.env.example with this run's secret and database.
    kit_env = read_env_file(DEPLOY / "smartwork.env.example")
    assert kit_env["SMARTWORK_CONFIG"] == "production"
    assert kit_env["SMARTWORK_TRUSTED_PROXIES"] == "127.0.0.1"
    kit_env.pop("REDIS_URL", None)  # a shared Redis would mix other test runs' counters into ours
    kit_env.update(SECRET_KEY=secrets.token_urlsafe(32), DATABASE_URL=database_url, WEB_CONCURRENCY="2")
    env = clean_env(**kit_env)

    flask = str(VENV_BIN / "flask")
    run([flask, "db", "upgrade"], env=env, cwd=work)
    # The demo network (500 centers, employees sharing the demo password); `flask seed` is development-only.
    run([flask, "seed", "--users", str(STORM_USERS + 10)], env={**env, "SMARTWORK_CONFIG": "development"},
        cwd=work)

    processes = Processes(directory)
    engine = create_engine(database_url)
    try:
        # Two schedulers from the scheduler unit's command line (exactly one unit; here started twice).
        scheduler_argv = unit_exec_start(DEPLOY / "systemd" / "smartwork-scheduler.service")
        assert scheduler_argv == ["/opt/smartwork/venv/bin/flask", "scheduler", "run"], scheduler_argv
        schedulers = [
            processes.start(f"scheduler-{index}", [flask, "scheduler", "run"], env={**env, "FLASK_APP": APP_SPEC},
                            cwd=work)
            for index in (1, 2)
        ]

        # Two app hosts from the web unit's command line.
        web_argv = unit_exec_start(DEPLOY / "systemd" / "smartwork-web.service")
        assert web_argv == ["/opt/smartwork/venv/bin/gunicorn", "--config", "/etc/smartwork/gunicorn.conf.py",
                            "smartwork:create_app()"], web_argv
        conf = str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py")
        web = []
        for index in (1, 2):
            port = free_port()
            log = directory / f"gunicorn-{index}-access.log"
            argv = [str(VENV_BIN / "gunicorn"), "--config", conf, "--access-logfile", str(log),
                    "--access-logformat", ACCESS_FORMAT, APP_SPEC]
            process = processes.start(f"gunicorn-{index}", argv, env={**env, "SMARTWORK_BIND": f"127.0.0.1:{port}"},
                                      cwd=work)
            web.append(Web(process, port, log))

        # A self-signed certificate for 127.0.0.1, and nginx with the kit's site file.
        cert, key = directory / "fullchain.pem", directory / "privkey.pem"
        run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            env=clean_env(), cwd=directory)
        https_port, http_port = free_port(), free_port()
        static = Path(find_spec("smartwork").origin).parent / "static"  # the installed package's static dir
        site = directory / "smartwork.conf"
        site.write_text(derive_nginx_site((DEPLOY / "nginx" / "smartwork.conf").read_text(), https_port=https_port,
                                          http_port=http_port, upstreams=[item.port for item in web], cert=cert,
                                          key=key, static=static, log_dir=directory))
        main = directory / "nginx.conf"
        main.write_text(nginx_main_conf(directory, site))
        nginx_argv = [NGINX, "-p", str(directory), "-e", str(directory / "nginx-main-error.log"), "-c", str(main)]
        run([*nginx_argv, "-t"], env=clean_env(), cwd=directory)
        processes.start("nginx", nginx_argv, env=clean_env(), cwd=directory)

        tls = ssl.create_default_context(cafile=str(cert))
        result = Stack(https_port, http_port, tls, engine, web, schedulers, directory / "smartwork.access.log",
                       processes)
        for item in web:
            direct = WebClient(item.port)

            def up(direct=direct):
                processes.check_alive()
                return direct.request("GET", "/healthz")[0] == 200

            wait_until(up, 90, f"gunicorn on port {item.port}")
        front = result.client()
        wait_until(lambda: front.request("GET", "/healthz")[0] == 200, 30, "nginx")
        wait_until(lambda: result.query("SELECT holder FROM scheduler_leases"), 60, "a scheduler to lead")
        yield result
    finally:
        processes.stop_all()
        engine.dispose()


# --- helpers ----------------------------------------------------------------------------------------


def open_public_center(stack: Stack) -> str:
    """The code of an open public center with desks (any active civil servant may book it)."""
    rows = stack.query(
        "SELECT c.code FROM centers c WHERE c.ownership = 'public' AND c.status = 'open' AND EXISTS "
        "(SELECT 1 FROM spaces s WHERE s.center_id = c.id AND s.kind = 'desk' AND s.is_active) ORDER BY c.code")
    assert rows, "the seed has no open public center with desks"
    return rows[0][0]


def free_hours(client: WebClient, code: str, wanted: int) -> list[dict]:
    """``wanted`` free one-hour desk slots on distinct spaces, from the API's availability (days ahead)."""
    slots = []
    today = datetime.now(SEOUL).date()
    for offset in range(2, 12):
        day = today + timedelta(days=offset)
        status, _headers, body = client.request("GET", f"/api/v1/centers/{code}/availability?date={day}&kind=desk")
        assert status == 200, body[:300]
        for row in json.loads(body)["spaces"]:
            cells = row["cells"]
            for first, second in itertools.pairwise(cells):
                if first["state"] == second["state"] == "free":
                    starts = datetime.fromisoformat(first["starts_at"]).astimezone(SEOUL)
                    ends = datetime.fromisoformat(second["ends_at"]).astimezone(SEOUL)
                    slots.append({"space": row["space"]["id"], "date": f"{starts:%Y-%m-%d}",
                                  "start": f"{starts:%H:%M}", "end": f"{ends:%H:%M}",
                                  "starts_at": starts.astimezone(UTC), "ends_at": ends.astimezone(UTC)})
                    break
            if len(slots) == wanted:
                return slots
    pytest.fail(f"no {wanted} free desk hours at {code} in the next days")


def book_form(client: WebClient, slot: dict) -> dict:
    """The day view's booking form for ``slot``."""
    return {"space": slot["space"], "date": slot["date"], "start": slot["start"], "end": slot["end"],
            "attendees": "", "csrf_token": client.csrf}


def live_bookings(stack: Stack, slot: dict) -> list:
    """Live bookings of the slot's space overlapping it (the database's own view)."""
    return stack.query(
        "SELECT id, user_id FROM bookings WHERE space_id = :space AND status IN ('reserved', 'checked_in') "
        "AND starts_at < :ends AND ends_at > :starts",
        space=slot["space"], starts=slot["starts_at"], ends=slot["ends_at"])


def log_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


# --- tests ------------------------------------------------------------------------------------------


def test_korean_pages_over_tls_and_static_files_from_nginx(stack):
    client = stack.client()
    status, headers, page = client.request("GET", "/auth/login")
    assert status == 200
    assert '<html lang="ko"' in page.decode() and "로그인" in page.decode()
    assert "max-age" in headers.get("strict-transport-security", "")  # production config behind TLS

    css = (Path(find_spec("smartwork").origin).parent / "static" / "css" / "app.css").read_bytes()
    status, headers, body = client.request("GET", "/static/css/app.css")
    assert status == 200 and body == css
    assert headers.get("cache-control") == "max-age=604800"  # nginx's `expires 7d`; Flask would say no-cache
    assert not any("/static/" in line for item in stack.web for line in log_lines(item.access_log))

    plain = WebClient(stack.http_port)
    status, headers, _body = plain.request("GET", "/auth/login")
    assert status == 301 and headers["location"].startswith("https://")


def test_sign_in_and_book_through_nginx(stack):
    code = open_public_center(stack)
    client = stack.client()
    client.login("demo.employee@smartwork.go.kr")
    slot = free_hours(client, code, 1)[0]
    status, headers, body = client.request("POST", f"/bookings/centers/{code}/book", book_form(client, slot))
    assert status == 302, body[:500]
    location = urllib.parse.urlsplit(headers["location"]).path
    assert location.startswith("/bookings/"), headers["location"]
    user_id = stack.query("SELECT id FROM users WHERE email = 'demo.employee@smartwork.go.kr'")[0][0]
    assert [row.user_id for row in live_bookings(stack, slot)] == [user_id]
    status, _headers, page = client.request("GET", location)
    assert status == 200 and slot["start"] in page.decode()


def test_contention_storm_over_both_instances_has_exactly_one_winner(stack):
    code = open_public_center(stack)
    emails = [row[0] for row in stack.query(
        "SELECT email FROM users WHERE status = 'active' AND email LIKE '%@korea.kr' ORDER BY id LIMIT :n",
        n=STORM_USERS)]
    assert len(emails) == STORM_USERS
    users = [stack.client() for _email in emails]
    failures: list[BaseException] = []

    def sign_in(user: WebClient, email: str) -> None:
        try:
            user.login(email)
        except BaseException as error:  # reported by the test thread below
            failures.append(error)

    signing_in = [threading.Thread(target=sign_in, args=pair) for pair in zip(users, emails, strict=True)]
    for thread in signing_in:  # argon2 costs ~0.1 s of CPU per sign-in: use all four workers
        thread.start()
    for thread in signing_in:
        thread.join()
    assert not failures, failures
    slot = free_hours(users[0], code, 2)[1]  # not the one the previous test may have taken
    before = [len(log_lines(item.access_log)) for item in stack.web]

    attempts = [(user, index) for user in users for index in range(STORM_REQUESTS_PER_USER)]
    connections = [user.connect(timeout=120) for user, _index in attempts]
    for (user, _index), connection in zip(attempts, connections, strict=True):
        user.request("GET", "/healthz", connection=connection)  # TLS handshakes before the start
    barrier = threading.Barrier(len(attempts))
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt(user: WebClient, connection: http.client.HTTPConnection) -> None:
        form = book_form(user, slot)
        barrier.wait()
        try:
            status = user.request("POST", f"/bookings/centers/{code}/book", form, connection=connection)[0]
        except (OSError, http.client.HTTPException):
            status = 599
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt, args=(user, connection))
               for (user, _index), connection in zip(attempts, connections, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    for connection in connections:
        connection.close()

    counts = {status: statuses.count(status) for status in sorted(set(statuses))}
    assert counts == {302: 1, 409: len(attempts) - 1}, counts
    assert len(live_bookings(stack, slot)) == 1
    # nginx spread the storm over both app hosts.
    path = f"POST /bookings/centers/{code}/book"
    served = [sum(path in line for line in log_lines(item.access_log)[start:])
              for item, start in zip(stack.web, before, strict=True)]
    assert sum(served) == len(attempts) and all(count >= len(attempts) // 4 for count in served), served


def test_access_logs_carry_the_real_client_address(stack):
    marker = uuid.uuid4().hex
    client = stack.client(source="127.0.0.77")
    status, _headers, _body = client.request("GET", f"/healthz?probe={marker}",
                                             headers={"X-Forwarded-For": "203.0.113.9"})  # forged by the client
    assert status == 200

    def logged(path: Path) -> list[str]:
        return [line for line in log_lines(path) if marker in line]

    nginx_lines = wait_until(lambda: logged(stack.nginx_access_log), 5, "nginx's access log line")
    assert nginx_lines[0].startswith("127.0.0.77 "), nginx_lines
    app_lines = wait_until(lambda: [line for item in stack.web for line in logged(item.access_log)], 5,
                           "gunicorn's access log line")
    # nginx (a trusted proxy) replaced the forged header with the client's address, and the app host logs
    # that client, not nginx's 127.0.0.1 (gunicorn's forwarded_allow_ips follows SMARTWORK_TRUSTED_PROXIES).
    assert app_lines[0].startswith("127.0.0.77 xff=127.0.0.77 "), app_lines
    assert "203.0.113.9" not in app_lines[0] + nginx_lines[0]


def _slow_post(port: int, tls: ssl.SSLContext | None) -> socket.socket:
    """A connection that sends a login POST's headers and the start of its body, then nothing more."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock = tls.wrap_socket(raw, server_hostname="127.0.0.1") if tls else raw
    sock.sendall(b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
                 b"identifier=slow")
    return sock


def _still_open(sock: socket.socket) -> bool:
    """True if the peer has neither answered nor closed the connection."""
    sock.setblocking(False)
    try:
        return not sock.recv(1)
    except (BlockingIOError, ssl.SSLWantReadError):
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def _healthz_ms(client: WebClient, connection: http.client.HTTPConnection) -> float:
    started = time.perf_counter()
    status = client.request("GET", "/healthz", connection=connection)[0]
    assert status == 200
    return (time.perf_counter() - started) * 1000


def test_slow_clients_wait_on_nginx_while_healthz_answers(stack):
    workers = len(stack.web) * 2  # WEB_CONCURRENCY=2 per instance
    probe = stack.client()
    connection = probe.connect()
    _healthz_ms(probe, connection)  # TLS handshake out of the way
    slow = [_slow_post(stack.port, stack.tls) for _ in range(workers)]
    try:
        time.sleep(0.5)  # nginx has read their headers and waits for the rest of the bodies
        timings = [_healthz_ms(probe, connection) for _ in range(10)]
        assert max(timings) < 100, timings
        assert all(_still_open(sock) for sock in slow)  # the slow clients are still held open by nginx
    finally:
        for sock in slow:
            sock.close()

    # The same clients straight at one app host stall its sync workers: what nginx's buffering prevents.
    direct = stack.web[0]
    slow = [_slow_post(direct.port, None) for _ in range(workers)]
    try:
        time.sleep(0.5)
        waiting = WebClient(direct.port)
        waiting.connection = waiting.connect(timeout=1.5)
        with pytest.raises((TimeoutError, socket.timeout)):
            waiting.request("GET", "/healthz", connection=waiting.connection)
    finally:
        for sock in slow:
            sock.close()
    recovered = WebClient(direct.port)
    wait_until(lambda: recovered.request("GET", "/healthz")[0] == 200, 30, "the app host to recover")


def test_one_scheduler_acts_and_a_standby_takes_over_when_it_dies(stack):
    pids = {process.pid for process in stack.schedulers}

    def scheduler_runs() -> dict[int, int]:
        rows = stack.query("SELECT pid, count(*) FROM job_runs WHERE source = 'scheduler' GROUP BY pid")
        return {pid: count for pid, count in rows}

    runs = wait_until(lambda: scheduler_runs() if sum(scheduler_runs().values()) >= 4 else None, 60,
                      "the leader's first job runs")
    assert len(runs) == 1, runs  # both schedulers fired every job at start; one acted
    (leader_pid,) = runs
    assert leader_pid in pids
    holder = stack.query("SELECT holder FROM scheduler_leases WHERE name = 'scheduler'")[0][0]
    assert holder.split(":")[1] == str(leader_pid)

    leader = next(process for process in stack.schedulers if process.pid == leader_pid)
    standby_pid = (pids - {leader_pid}).pop()
    leader.killed_on_purpose = True
    killed_at = datetime.now(UTC)
    os.kill(leader_pid, signal.SIGKILL)  # a crash: no clean release of the lead
    leader.wait(timeout=10)

    def new_holder():
        holder = stack.query("SELECT holder FROM scheduler_leases WHERE name = 'scheduler'")[0][0]
        return holder if holder.split(":")[1] == str(standby_pid) else None

    wait_until(new_holder, 30, "the standby scheduler to take the lead")
    # The standby's every-minute jobs fire a minute after it started; from now on they run.
    wait_until(lambda: scheduler_runs().get(standby_pid), 90, "a job run by the new leader")
    runs = scheduler_runs()
    assert set(runs) == {leader_pid, standby_pid}, runs
    late = stack.query("SELECT count(*) FROM job_runs WHERE pid = :pid AND started_at > :at",
                       pid=leader_pid, at=killed_at + timedelta(seconds=1))[0][0]
    assert late == 0
    scheduler_log = next(p for p in stack.schedulers if p.pid == standby_pid).log_path.read_text()
    assert re.search(r"took the lead", scheduler_log), scheduler_log[-2000:]
