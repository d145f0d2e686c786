"""`make bench`: serve the national data set with gunicorn (4 workers) and load it with 32 clients.

For each engine (SQLite, PostgreSQL) this builds the national data set if it is missing or stale
(cached under bench/_data/, the PostgreSQL one in the sw_bench database), starts gunicorn the way
production runs it, logs clients in, and runs each scenario for a fixed time with closed-loop
clients on keep-alive connections (threads + http.client). It measures throughput and
p50/p95/p99 latency, each worker's resident memory, and a 200-client contention storm on one
slot. It prints one table and writes bench/results.md. Only 127.0.0.1 is ever contacted.

    .venv/bin/python bench/run.py [--engines sqlite,postgresql] [--duration 12] [--clients 32]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "_data"
RESULTS = ROOT / "bench" / "results.md"
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PASSWORD = "smartwork-demo-1"  # the seed's shared demo password
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1/sw_bench")
STALE_DAYS = 2  # the data set's "next two weeks" move with the clock: rebuild after this many days

sys.path.insert(0, str(ROOT))


# --- statistics --------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (milliseconds)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@dataclass
class Result:
    """One scenario's measurements."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    unexpected: int = 0
    note: str = ""

    @property
    def throughput(self) -> float:
        """Completed requests per second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def row(self) -> dict:
        """The table row."""
        return {"scenario": self.name, "requests": len(self.latencies), "rps": self.throughput,
                "p50": percentile(self.latencies, 0.50), "p95": percentile(self.latencies, 0.95),
                "p99": percentile(self.latencies, 0.99), "errors": self.unexpected,
                "statuses": dict(sorted(self.statuses.items())), "note": self.note}


# --- HTTP client -------------------------------------------------------------------------------


class Client:
    """One user's keep-alive connection and cookies (reconnects when the server closes)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None,
                json_body: dict | None = None) -> tuple[int, dict, bytes]:
        """Send one request (a form, or JSON with the CSRF header); return status, lower-cased headers and body."""
        headers = {"Accept-Language": "ko", "Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body)
            headers.update({"Content-Type": "application/json", "X-CSRFToken": self.csrf})
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                self.connection.close()
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _sep, rest = value.partition("=")
                self.cookies[cookie_name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def login(self, email: str) -> None:
        """Sign in through the real form (CSRF token, argon2 check); keep the token for later POSTs."""
        _status, _headers, page = self.request("GET", "/auth/login")
        self.csrf = csrf_token(page)
        status, _headers, _body = self.request("POST", "/auth/login", {
            "identifier": email, "password": PASSWORD, "csrf_token": self.csrf, "next": "",
        })
        if status != 302:
            raise RuntimeError(f"login of {email} answered {status}")


def csrf_token(page: bytes) -> str:
    """The hidden CSRF token of the first form on a page."""
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        rb'value="([^"]+)"[^>]*name="csrf_token"', page)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1).decode()


def wait_for_port(port: int, seconds: float = 60) -> None:
    """Wait until gunicorn accepts connections."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {port}")


def free_port() -> int:
    """An unused local TCP port."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- data set ----------------------------------------------------------------------------------


def engine_url(engine: str) -> str:
    """The bench database of an engine."""
    return f"sqlite:///{DATA / 'national.sqlite'}" if engine == "sqlite" else PG_URL


def flask(engine: str, *args: str) -> subprocess.CompletedProcess:
    """Run a flask command against the bench database."""
    env = {**os.environ, "DATABASE_URL": engine_url(engine), "FLASK_APP": "smartwork:create_app",
           "SMARTWORK_CONFIG": "production", "SECRET_KEY": "bench-secret-key-not-for-production",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)


def ensure_data(engine: str, rebuild: bool) -> dict:
    """Build the national data set unless a fresh one is cached; return its marker."""
    DATA.mkdir(parents=True, exist_ok=True)
    marker_path = DATA / f"{engine}.json"
    marker = json.loads(marker_path.read_text()) if marker_path.exists() else None
    fresh = marker and (date.today() - date.fromisoformat(marker["built_on"])).days < STALE_DAYS
    if engine == "sqlite" and not (DATA / "national.sqlite").exists():
        fresh = False
    if fresh and not rebuild:
        return marker
    print(f"[{engine}] building the national data set …", flush=True)
    if engine == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            (DATA / f"national.sqlite{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as connection:
            connection.execute("DROP SCHEMA public CASCADE")
            connection.execute("CREATE SCHEMA public")
    flask(engine, "db", "upgrade")
    started = time.perf_counter()
    output = flask(engine, "seed", "--scale", "national").stdout
    seconds = time.perf_counter() - started
    # Without a terminal the progress bars print their padded labels: keep the summary lines only.
    summary = [line for line in output.splitlines() if line and line == line.strip()]
    marker = {"built_on": date.today().isoformat(), "seed_seconds": round(seconds, 1), "summary": summary}
    marker_path.write_text(json.dumps(marker, ensure_ascii=False, indent=1))
    print(f"[{engine}] seeded in {seconds:.1f} s", flush=True)
    return marker


# --- the actors and the work list --------------------------------------------------------------


@dataclass
class Plan:
    """Who does what: users, centers, free slots to book, the manager's and the planner's pages."""

    bookers: list[str]
    searchers: list[str]
    center_codes: list[str]
    days: list[date]
    tasks: dict[str, list[dict]]
    storm: dict
    api_storm: dict
    manager: str = "demo.manager@smartwork.go.kr"
    planner: str = "demo.planner@smartwork.go.kr"
    hub: str = ""
    counts: dict = field(default_factory=dict)


def make_plan(engine: str, bookers: int, storm_size: int) -> Plan:
    """Read the data set (through the app's models) and choose users and free slots."""
    from sqlalchemy import func, select

    from smartwork import create_app
    from smartwork.auth.models import User, UserStatus
    from smartwork.bookings.models import LIVE_STATUSES, Booking, BookingStatus
    from smartwork.centers.models import (
        Center,
        CenterManager,
        CenterStatus,
        Closure,
        OpeningHours,
        Ownership,
        Space,
        SpaceKind,
    )
    from smartwork.extensions import db
    from smartwork.timeutils import local_to_utc, local_today, utcnow

    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": normalise(engine_url(engine)),
                                    "SECRET_KEY": "bench-secret-key-not-for-production"})
    rng = random.Random(2010)
    with app.app_context():
        now = utcnow()
        today = local_today(now)
        counts = {
            "centers": db.session.scalar(select(func.count()).select_from(Center)),
            "spaces": db.session.scalar(select(func.count()).select_from(Space)),
            "users": db.session.scalar(select(func.count()).select_from(User)),
            "bookings": db.session.scalar(select(func.count()).select_from(Booking)),
        }
        busy = select(Booking.user_id).where(
            (Booking.status.in_(LIVE_STATUSES) & (Booking.ends_at > now))
            | ((Booking.status == BookingStatus.RELEASED) & (Booking.starts_at > now - timedelta(days=31)))
        )
        people = list(db.session.scalars(
            select(User.email).where(User.status == UserStatus.ACTIVE, User.home_region_id.is_not(None),
                                     User.employee_number.like("1%"), User.id.not_in(busy))
            .order_by(User.id).limit(bookers + 64)
        ))
        rng.shuffle(people)
        manager_id = db.session.scalar(select(User.id).where(User.email == "demo.manager@smartwork.go.kr"))
        managed = list(db.session.scalars(
            select(Center.code).join(CenterManager, CenterManager.center_id == Center.id)
            .where(CenterManager.user_id == manager_id).order_by(Center.id)
        ))
        spaces_per_center = (select(Space.center_id, func.count().label("n")).where(Space.kind == SpaceKind.DESK)
                             .group_by(Space.center_id).subquery())
        centers = db.session.execute(
            select(Center).join(spaces_per_center, spaces_per_center.c.center_id == Center.id)
            .where(Center.status == CenterStatus.OPEN, Center.ownership == Ownership.PUBLIC)
            .order_by(spaces_per_center.c.n.desc(), Center.id).limit(12)
        ).scalars().all()
        open_codes = list(db.session.scalars(select(Center.code).where(Center.status == CenterStatus.OPEN)))
        days = [today + timedelta(days=offset) for offset in range(1, 13)]
        # Free one-hour windows per (center, day): disjoint per space by construction.
        windows: list[dict] = []
        storm = api_storm = None
        for center in centers:
            hours = {row.weekday: row for row in db.session.scalars(
                select(OpeningHours).where(OpeningHours.center_id == center.id))}
            closed = {row.starts_on for row in db.session.scalars(
                select(Closure).where(Closure.center_id == center.id))}
            spaces = list(db.session.scalars(select(Space).where(
                Space.center_id == center.id, Space.kind.in_((SpaceKind.DESK, SpaceKind.BOOTH)),
                Space.is_active.is_(True)).order_by(Space.id)))
            live = db.session.execute(select(Booking.space_id, Booking.starts_at, Booking.ends_at).where(
                Booking.center_id == center.id, Booking.status.in_(LIVE_STATUSES),
                Booking.ends_at > now)).all()
            for day in days:
                row = hours.get(day.weekday())
                if row is None or day in closed:
                    continue
                first = row.opens_at.hour + (1 if row.opens_at.minute else 0)
                for space in spaces:
                    for hour in range(first, row.closes_at.hour):
                        starts = local_to_utc(day, datetime.min.time()) + timedelta(hours=hour)
                        ends = starts + timedelta(hours=1)
                        if any(s == space.id and a < ends and starts < b for s, a, b in live):
                            continue
                        item = {"center": center.code, "space": space.id, "date": day.isoformat(),
                                "start": f"{hour:02d}:00", "end": f"{hour + 1:02d}:00", "hour": hour}
                        if day == days[-1]:
                            if storm is None:
                                storm = item  # the last day is kept for the storms: no task books it
                            elif api_storm is None and item["space"] != storm["space"] \
                                    and item["hour"] != storm["hour"]:  # its winner may be the other's
                                api_storm = item
                        else:
                            windows.append(item)
        rng.shuffle(windows)
        booker_emails = people[:bookers]
        tasks: dict[str, list[dict]] = {email: [] for email in booker_emails}
        taken: dict[str, set] = {email: set() for email in booker_emails}
        index = 0
        for item in windows:
            for _attempt in range(len(booker_emails)):
                email = booker_emails[index % len(booker_emails)]
                index += 1
                key = (item["date"], item["hour"])
                # One booking per user per hour, at most 8 hours a week: inside every policy limit.
                if key not in taken[email] and len(tasks[email]) < 16:
                    taken[email].add(key)
                    tasks[email].append(item)
                    break
        db.session.remove()
    return Plan(bookers=booker_emails, searchers=people[bookers:bookers + 64] or booker_emails,
                center_codes=open_codes, days=days, tasks=tasks, storm=storm or {},
                api_storm=api_storm or {}, hub=managed[0] if managed else "",
                counts=counts)


def normalise(url: str) -> str:
    """psycopg 3 for PostgreSQL URLs."""
    from config import normalise_database_url

    return normalise_database_url(url)


# --- running scenarios -------------------------------------------------------------------------


def run(name: str, steps: list, seconds: float, expected: set[int], think: float = 0.0) -> Result:
    """Each thread repeats its step until time is up; ``think`` is the mean pause (exponential) between
    a client's requests: 0 is the closed loop that measures capacity, 1 s a paced interactive user."""
    result = Result(name)
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    started = time.monotonic()

    def worker(step, seed: int) -> None:
        rng = random.Random(seed)
        local: list[float] = []
        statuses: dict[int, int] = {}
        if think:
            time.sleep(rng.uniform(0, think))  # stagger the first requests
        while time.monotonic() < stop:
            request = step(rng)
            if request is None:
                break
            begin = time.perf_counter()
            try:
                status, headers, body = request.client.request(request.method, request.path, request.form)
            except (OSError, http.client.HTTPException):
                status, headers, body = 599, {}, b""
            local.append((time.perf_counter() - begin) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if request.on_done:
                request.on_done(status, headers, body)
            if think:
                time.sleep(min(rng.expovariate(1 / think), 5 * think))
        with lock:
            result.latencies.extend(local)
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count

    threads = [threading.Thread(target=worker, args=(step, index)) for index, step in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    result.unexpected = sum(count for status, count in result.statuses.items() if status not in expected)
    if not result.latencies:
        result.note = "no work left"
    return result


def fixed(clients: list[Client], method: str, path_of) -> list:
    """One step per client that always sends ``method path_of(rng)`` as that client."""
    return [lambda rng, client=client: _Delegate(client, method, path_of(rng), None, None) for client in clients]


def worker_memory(master_pid: int) -> list[dict]:
    """VmRSS and VmHWM (peak) of each gunicorn worker, in MB."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    rows = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
        rows.append({"pid": int(pid), "rss_mb": int(values.get("VmRSS", 0)) / 1024,
                     "peak_mb": int(values.get("VmHWM", 0)) / 1024})
    return rows


class SmtpSink:
    """A local SMTP server that accepts and drops mail, so booking notifications really go out.

    It runs in its own process, as a mail relay would: inside the load generator it shared the GIL
    with 32+ client threads, and every SMTP round trip of a booking waited for a thread switch
    (measured: booking p50 52 ms with the sink in-process).
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "--nosetuid", "--listen", f"{HOST}:{self.port}",
             "--class", "aiosmtpd.handlers.Sink"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, seconds=20)
        return self

    def __exit__(self, *_exc):
        self.process.terminate()
        self.process.wait(timeout=10)


def start_gunicorn(engine: str, port: int, smtp_port: int, workers: int) -> subprocess.Popen:
    """gunicorn as production runs it: N sync workers, the production config."""
    log = (DATA / f"gunicorn-{engine}.log").open("w")
    env = {**os.environ, "BENCH_DATABASE_URL": engine_url(engine), "BENCH_SMTP_PORT": str(smtp_port),
           "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}"}
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--bind", f"{HOST}:{port}",
         "--log-level", "warning", "--backlog", "2048", "--timeout", "60", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    wait_for_port(port)
    return process


def login_all(port: int, emails: list[str], parallel: int = 16) -> list[Client]:
    """Sign every user in (a few at a time)."""
    clients = [Client(port) for _email in emails]
    errors: list[str] = []

    def sign_in(chunk: list[int]) -> None:
        for index in chunk:
            try:
                clients[index].login(emails[index])
            except Exception as error:  # a failed login is reported, not fatal to the others
                errors.append(f"{emails[index]}: {error}")

    chunks = [list(range(start, len(emails), parallel)) for start in range(parallel)]
    threads = [threading.Thread(target=sign_in, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} logins failed, e.g. {errors[0]}")
    return clients


def bench_engine(engine: str, args) -> dict:
    """Everything for one engine: data, server, scenarios, memory, storm."""
    marker = ensure_data(engine, args.rebuild)
    plan = make_plan(engine, bookers=max(args.clients * 8, args.storm), storm_size=args.storm)
    port = free_port()
    results: list[Result] = []
    with SmtpSink() as smtp:
        server = start_gunicorn(engine, port, smtp.port, args.workers)
        try:
            results, memory, storms = _scenarios(engine, port, plan, args, server.pid)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    return {"engine": engine, "marker": marker, "plan": plan, "results": results, "memory": memory,
            "storms": storms}


def _scenarios(engine: str, port: int, plan: Plan, args, master_pid: int):
    duration, n = args.duration, args.clients
    print(f"[{engine}] signing in {len(plan.bookers)} employees, {n} searchers, the manager and the planner",
          flush=True)
    bookers = login_all(port, plan.bookers)
    searchers = login_all(port, (plan.searchers * n)[:n])
    managers = login_all(port, [plan.manager] * n)
    planners = login_all(port, [plan.planner] * n)
    plain = [Client(port) for _n in range(n)]
    results = []
    tasks = {id(client): list(plan.tasks[email]) for client, email in zip(bookers, plan.bookers, strict=True)}
    made: dict[int, list[int]] = {id(client): [] for client in bookers}
    groups = [bookers[index::n] for index in range(n)]  # each load client books as 8 employees in turn
    rounds: dict[int, int] = {}

    def find(rng):
        day = rng.choice(plan.days)
        return f"/bookings/find?date={day}&start=09:00&end=18:00&kind=desk&origin=home"

    def day_view(rng):
        return f"/bookings/centers/{rng.choice(plan.center_codes)}/day?date={rng.choice(plan.days)}"

    def chooser(group_index: int):
        group = groups[group_index]

        def pick():
            turn = rounds.get(group_index, 0)
            for offset in range(len(group)):
                client = group[(turn + offset) % len(group)]
                if tasks[id(client)]:
                    rounds[group_index] = turn + offset + 1
                    return client
            return None
        return pick

    def book_step(pick):
        def step(_rng):
            client = pick()
            if client is None:
                return None
            task = tasks[id(client)].pop()
            form = {"space": task["space"], "date": task["date"], "start": task["start"], "end": task["end"],
                    "attendees": "", "csrf_token": client.csrf}

            def done(status, headers, _body):
                match = re.search(r"booking-(\d+)", headers.get("location", ""))
                if status == 302 and match:
                    made[id(client)].append(int(match.group(1)))
            return _Delegate(client, "POST", f"/bookings/centers/{task['center']}/book", form, done)
        return step

    def cancel_step(group_index: int):
        group = groups[group_index]

        def step(_rng):
            client = next((client for client in group if made[id(client)]), None)
            if client is None:
                return None
            booking_id = made[id(client)].pop()
            return _Delegate(client, "POST", f"/bookings/{booking_id}/cancel", {"csrf_token": client.csrf}, None)
        return step

    scenarios = [
        ("trivial /healthz (ceiling)", lambda: fixed(plain, "GET", lambda _rng: "/healthz"), {200}),
        ("search near home", lambda: fixed(searchers, "GET", find), {200}),
        ("center day view", lambda: fixed(searchers, "GET", day_view), {200}),
        ("create booking", lambda: [book_step(chooser(i)) for i in range(n)], {302}),
        ("cancel booking", lambda: [cancel_step(i) for i in range(n)], {302}),
        ("manager live board", lambda: fixed(managers, "GET", lambda _rng: f"/operations/centers/{plan.hub}/board"),
         {200}),
        ("manager report (30 days)",
         lambda: fixed(managers, "GET", lambda _rng: f"/operations/centers/{plan.hub}/reports"), {200}),
        ("planner rollout", lambda: fixed(planners, "GET", lambda _rng: "/planning/"), {200}),
    ]
    print(f"[{engine}] {len(scenarios)} scenarios × (paced {duration:.0f} s + saturated {duration:.0f} s), "
          f"{n} clients", flush=True)
    if args.only:
        scenarios = [row for row in scenarios if any(word in row[0] for word in args.only.split(","))]
    for name, steps, expected in scenarios:
        if args.warmup:  # unmeasured: connections, caches and the database's pages as a running site has them
            run(name, steps(), args.warmup, expected, think=args.think)
        paced = run(name, steps(), duration, expected, think=args.think)
        saturated = run(name, steps(), duration, expected)
        results.append((paced, saturated))
        print(f"  {format_row(paced.row(), saturated.row())}", flush=True)
    memory = worker_memory(master_pid)
    storms = [contention(port, bookers[:args.storm], plan.storm),
              contention(port, bookers[:args.storm], plan.api_storm, api=True)]
    return results, memory, storms


@dataclass
class _Delegate:
    """A request made by a particular signed-in employee (the load client books as several in turn)."""

    client: Client
    method: str
    path: str
    form: dict | None
    on_done: object


def contention(port: int, clients: list[Client], slot: dict, *, api: bool = False) -> dict:
    """All clients book the same space and hour at once (the web form, or the JSON API); a probe
    measures /healthz meanwhile. A refused form re-renders the day grid; the API answers problem+json."""
    if not slot:
        return {"error": "no free slot for the storm"}
    winner = 201 if api else 302
    barrier = threading.Barrier(len(clients) + 1)
    outcomes: list[tuple[int, float]] = []
    lock = threading.Lock()
    probe_latencies: list[float] = []
    probing = threading.Event()
    for client in clients:  # open every connection before the start, so the storm is the POSTs only
        client.request("GET", "/healthz")

    def book(client: Client) -> None:
        form = {"space": slot["space"], "date": slot["date"], "start": slot["start"], "end": slot["end"],
                "attendees": "", "csrf_token": client.csrf}
        starts = f"{slot['date']}T{slot['start']}:00+09:00"
        ends = f"{slot['date']}T{slot['end']}:00+09:00"
        barrier.wait()
        begin = time.perf_counter()
        try:
            if api:
                status, _headers, _body = client.request(
                    "POST", "/api/v1/bookings", json_body={"space_id": slot["space"], "starts_at": starts,
                                                           "ends_at": ends})
            else:
                status, _headers, _body = client.request("POST", f"/bookings/centers/{slot['center']}/book", form)
        except (OSError, http.client.HTTPException):
            status = 599
        with lock:
            outcomes.append((status, (time.perf_counter() - begin) * 1000))

    def probe() -> None:
        client = Client(port)
        while probing.is_set():
            begin = time.perf_counter()
            client.request("GET", "/healthz")
            probe_latencies.append((time.perf_counter() - begin) * 1000)
            time.sleep(0.01)

    threads = [threading.Thread(target=book, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    probing.set()
    prober = threading.Thread(target=probe)
    prober.start()
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    storm_seconds = time.perf_counter() - started
    probing.clear()
    prober.join()
    statuses: dict[int, int] = {}
    for status, _ms in outcomes:
        statuses[status] = statuses.get(status, 0) + 1
    conflicts = [ms for status, ms in outcomes if status == 409]
    return {"via": "JSON API" if api else "web form", "clients": len(clients),
            "statuses": dict(sorted(statuses.items())), "winners": statuses.get(winner, 0),
            "conflict_p50": percentile(conflicts, 0.5), "conflict_p95": percentile(conflicts, 0.95),
            "conflict_max": max(conflicts, default=float("nan")), "seconds": storm_seconds,
            "probe_n": len(probe_latencies), "probe_p50": percentile(probe_latencies, 0.5),
            "probe_p95": percentile(probe_latencies, 0.95), "probe_max": max(probe_latencies, default=float("nan"))}


# --- reporting ---------------------------------------------------------------------------------


def format_row(paced: dict, saturated: dict) -> str:
    """One console line: the paced latencies, then the saturated throughput."""
    return (f"{paced['scenario']:<26} paced {paced['rps']:>6.1f}/s p50 {paced['p50']:>6.1f} p95 {paced['p95']:>7.1f} "
            f"p99 {paced['p99']:>7.1f} ms | saturated {saturated['rps']:>6.1f}/s p95 {saturated['p95']:>7.1f} ms"
            f" | errors {paced['errors'] + saturated['errors']}")


TARGETS = {
    "search near home": ("p95", 60), "center day view": ("p95", 60), "create booking": ("p95", 80),
    "manager live board": ("p95", 250), "manager report (30 days)": ("p95", 250), "planner rollout": ("p95", 250),
}


def verdict(paced: dict, saturated: dict, ceiling: float) -> str:
    """Met / missed against the issue's targets (latency: paced; throughput: saturated)."""
    parts = []
    target = TARGETS.get(paced["scenario"])
    if target:
        metric, limit = target
        missed = paced[metric] - limit
        parts.append(f"p95 < {limit} ms: " + ("met" if missed < 0 else f"MISSED by {missed:.0f} ms"))
    if paced["scenario"] == "create booking" and ceiling:
        share = saturated["rps"] / ceiling
        parts.append(f"≥ ½ ceiling: {'met' if share >= 0.5 else 'MISSED'} ({share:.0%})")
    for row in (paced, saturated):
        if row["errors"]:
            parts.append(f"unexpected statuses {row['statuses']}")
        if row["note"]:
            parts.append(row["note"])
    return "; ".join(parts)


def machine() -> dict:
    """nproc, RAM, CPU model, load."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    ram = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 1024 / 1024
    return {"nproc": os.cpu_count(), "ram_gb": round(ram, 1), "cpu": cpu, "load": os.getloadavg(),
            "python": platform.python_version()}


def markdown(runs: list[dict], args, host: dict) -> str:
    """The results file."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"- Date: {now}",
        f"- Machine: {host['nproc']} CPUs ({host['cpu']}), {host['ram_gb']} GB RAM, Python {host['python']}; "
        f"load average at the end {host['load'][0]:.1f} / {host['load'][1]:.1f} / {host['load'][2]:.1f}",
        f"- Server: gunicorn, {args.workers} sync workers, production config; {args.clients} concurrent clients "
        f"on the same machine, keep-alive HTTP/1.1, {args.duration:.0f} s per phase after {args.warmup:g} s unmeasured "
        "warm-up per scenario; gunicorn.conf.py as in production (warm-up and gc.freeze() in each worker)",
        f"- *paced*: each client pauses a random (exponential) {args.think:g} s on average between requests, "
        "like a person; the latency targets are read here. *saturated*: no pause, the closed loop that "
        "measures capacity (its latency is just clients ÷ throughput, by Little's law).",
        "",
    ]
    for run in runs:
        marker, counts = run["marker"], run["plan"].counts
        lines += [
            f"## {run['engine']}",
            "",
            f"Data: {counts['centers']} centers, {counts['spaces']} spaces, {counts['users']} users, "
            f"{counts['bookings']:,} bookings; national seed took {marker['seed_seconds']} s "
            f"(built {marker['built_on']}).",
            "",
            "| scenario | paced req/s | p50 ms | p95 ms | p99 ms | saturated req/s | sat. p50 ms | sat. p95 ms "
            "| target |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        ceiling = next((pair[1].throughput for pair in run["results"] if pair[1].name.startswith("trivial")), 0.0)
        for paced_result, saturated_result in run["results"]:
            paced, saturated = paced_result.row(), saturated_result.row()
            lines.append(f"| {paced['scenario']} | {paced['rps']:.1f} | {paced['p50']:.1f} | {paced['p95']:.1f} | "
                         f"{paced['p99']:.1f} | {saturated['rps']:.1f} | {saturated['p50']:.1f} | "
                         f"{saturated['p95']:.1f} | {verdict(paced, saturated, ceiling)} |")
        memory = run["memory"]
        lines += ["", "Worker memory (MB): " + ", ".join(
            f"pid {m['pid']}: RSS {m['rss_mb']:.0f}, peak {m['peak_mb']:.0f}" for m in memory)
            + ("  — target < 200 MB: " + ("met" if all(m["peak_mb"] < 200 for m in memory) else "MISSED")), ""]
        for storm in run["storms"]:
            if "error" in storm:
                lines += [f"Contention: {storm['error']}", ""]
                continue
            lines += [
                f"Contention ({storm['via']}): {storm['clients']} clients book one space and hour at once → "
                f"statuses {storm['statuses']} (exactly one winner: {'yes' if storm['winners'] == 1 else 'NO'}); "
                f"409 p50 {storm['conflict_p50']:.0f} ms, p95 {storm['conflict_p95']:.0f} ms, "
                f"max {storm['conflict_max']:.0f} ms; storm over in {storm['seconds']:.2f} s. "
                f"A /healthz probe meanwhile: {storm['probe_n']} requests, p50 {storm['probe_p50']:.0f} ms, "
                f"p95 {storm['probe_p95']:.0f} ms, max {storm['probe_max']:.0f} ms.",
                "",
            ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per phase (paced, saturated)")
    parser.add_argument("--only", default="", help="run only scenarios whose name contains one of these words "
                        "(comma-separated), e.g. 'booking,planner'; the storm always runs")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each scenario")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a paced client's requests")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--storm", type=int, default=200, help="clients in the contention storm")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data sets even if cached")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = [bench_engine(engine.strip(), args) for engine in args.engines.split(",") if engine.strip()]
    host = machine()
    text = markdown(runs, args, host)
    print()
    print(text)
    previous = args.output.read_text() if args.output.exists() else ""
    keep = previous.split("<!-- history -->", 1)[1] if "<!-- history -->" in previous else ""
    args.output.write_text(text + "\n<!-- history -->" + keep)


if __name__ == "__main__":
    main()
