"""Deploy tests: the production path run for real, as an operator would (`make test-deploy` only).

`make test` skips them (they build a wheel and a venv, and start nginx, gunicorn and schedulers);
`make test-deploy` sets SMARTWORK_DEPLOY_TESTS=1. Every process listens on 127.0.0.1 on a port chosen
at run time, runs in its own process group and is stopped by the fixture that started it.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
ENABLED = os.environ.get("SMARTWORK_DEPLOY_TESTS") == "1"
DEMO_PASSWORD = "smartwork-demo-1"  # the demo seed's shared password (the demo is fine for a test)
# Variables of the developer's shell that must not leak into the processes under test.
_PRIVATE_ENV = ("SMARTWORK_", "FLASK_", "DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS", "PYTEST_", "PYTHONPATH", "VIRTUAL_ENV")


def pytest_collection_modifyitems(config, items):
    """Skip the deploy tests unless `make test-deploy` asked for them."""
    if ENABLED:
        return
    skip = pytest.mark.skip(reason="deploy test: run by `make test-deploy` (SMARTWORK_DEPLOY_TESTS=1)")
    for item in items:
        if item.get_closest_marker("deploy"):
            item.add_marker(skip)


def require_tool(path: str) -> None:
    """Fail (not skip: the deploy test was asked for) when a Debian tool is missing."""
    if not Path(path).exists():
        pytest.fail(f"{path} is missing: run `make deploy-deps` as root (installs nginx, openssl, logrotate)")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the app's settings, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_PRIVATE_ENV)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a systemd EnvironmentFile (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _sep, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def unit_exec_start(unit: Path) -> list[str]:
    """The ExecStart command line of a systemd unit, split like systemd does (quotes honoured)."""
    match = re.search(r"^ExecStart=(.+)$", unit.read_text(), flags=re.MULTILINE)
    assert match, f"{unit.name} has no ExecStart"
    return shlex.split(match.group(1))


def run(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 300) -> str:
    """Run a command to completion; fail the test with its output when it fails."""
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        pytest.fail(f"{shlex.join(argv)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout + done.stderr


def wait_until(check: Callable[[], object], timeout: float, what: str, interval: float = 0.2):
    """Poll ``check`` until it returns something truthy; fail saying ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except (OSError, http.client.HTTPException):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Processes:
    """Long-running processes started by a fixture, each in its own process group, with a log file."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path) -> subprocess.Popen:
        """Start ``argv``; its stdout and stderr go to ``<log_dir>/<name>.log``."""
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        process.name = name
        process.log_path = log_path
        self.started.append(process)
        return process

    def check_alive(self) -> None:
        """Fail with its log if a process died on its own."""
        for process in self.started:
            if process.poll() is not None and not getattr(process, "killed_on_purpose", False):
                pytest.fail(f"{process.name} exited {process.returncode}:\n{process.log_path.read_text()[-3000:]}")

    def stop_all(self) -> None:
        """SIGTERM every process group we started (newest first), SIGKILL what is left after 20 s."""
        for process in reversed(self.started):
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in reversed(self.started):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
            # Workers left behind by a killed master (its process group is its own pid).
            _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


class WebClient:
    """One visitor: cookies, the CSRF token and one keep-alive connection, over TLS or plain HTTP.

    ``source`` picks the loopback address the connection comes from (all of 127.0.0.0/8 is local on
    Linux), so a test can tell the real client address apart from nginx's 127.0.0.1.
    """

    def __init__(self, port: int, *, tls: ssl.SSLContext | None = None, source: str = "127.0.0.1") -> None:
        self.port = port
        self.tls = tls
        self.source = source
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.connection = self.connect()

    @property
    def origin(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def connect(self, timeout: float = 30) -> http.client.HTTPConnection:
        """A new connection from ``source`` (TLS checked against the test's own certificate)."""
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls, timeout=timeout,
                                               source_address=(self.source, 0))
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout, source_address=(self.source, 0))

    def headers(self, extra: dict | None = None) -> dict[str, str]:
        """Korean first; the Referer HTTPS CSRF checks ask for; the session cookies."""
        headers = {"Accept-Language": "ko", "Referer": f"{self.origin}/"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in self.cookies.items())
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                connection: http.client.HTTPConnection | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request; returns the status, lower-cased headers and body (cookies are kept)."""
        body = urllib.parse.urlencode(form) if form is not None else None
        all_headers = self.headers(headers)
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        own = connection is None
        connection = connection or self.connection
        for attempt in (1, 2):
            try:
                connection.request(method, path, body=body, headers=all_headers)
                response = connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                connection.close()
                if not own or attempt == 2:
                    raise
                connection = self.connection = self.connect()
        if own:
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie, _sep, rest = value.partition("=")
                    self.cookies[cookie.strip()] = rest.split(";", 1)[0]
        return response.status, {key.lower(): value for key, value in response.getheaders()}, data

    def login(self, email: str, password: str = DEMO_PASSWORD) -> None:
        """Sign in through the real form (CSRF token, argon2 check)."""
        status, _headers, page = self.request("GET", "/auth/login")
        assert status == 200, status
        self.csrf = csrf_token(page)
        status, _headers, body = self.request("POST", "/auth/login", {
            "identifier": email, "password": password, "csrf_token": self.csrf, "next": "",
        })
        assert status == 302, f"sign-in of {email} answered {status}: {body[:500]!r}"
        _status, _headers, page = self.request("GET", "/")
        self.csrf = csrf_token(page)  # the token of the signed-in session


def csrf_token(page: bytes) -> str:
    """The CSRF token of the first form (or the meta tag) on a page."""
    match = (re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
             or re.search(rb'value="([^"]+)"[^>]*name="csrf_token"', page)
             or re.search(rb'name="csrf-token"[^>]*content="([^"]+)"', page))
    assert match, "no CSRF token on the page"
    return match.group(1).decode()
