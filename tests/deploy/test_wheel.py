"""The wheel on its own: `make wheelhouse`, an offline install into a fresh venv with no checkout, then
`flask db upgrade`, loading data and gunicorn serving Korean pages from the installed package."""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, Processes, WebClient, clean_env, free_port, run, wait_until

pytestmark = pytest.mark.deploy


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    """`make wheelhouse` into a temporary directory: the smartwork wheel and every pinned dependency."""
    base = tmp_path_factory.mktemp("wheelhouse")
    target = base / "wheelhouse"
    run(["make", "--no-print-directory", "wheelhouse", f"DIST={base / 'dist'}", f"WHEELHOUSE={target}"],
        env=clean_env(), cwd=ROOT, timeout=600)
    return target


def test_wheel_carries_catalogs_migrations_templates_static_data_and_config(wheelhouse):
    wheels = list(wheelhouse.glob("smartwork-*.whl"))
    assert len(wheels) == 1, wheels
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    for expected in ("config.py", "smartwork/__init__.py",
                     "smartwork/translations/ko/LC_MESSAGES/messages.mo",
                     "smartwork/translations/en/LC_MESSAGES/messages.mo",
                     "smartwork/migrations/env.py", "smartwork/migrations/alembic.ini",
                     "smartwork/migrations/script.py.mako",
                     "smartwork/templates/base.html", "smartwork/static/css/app.css",
                     "smartwork/data/regions.csv", "smartwork/data/public-smart-work-centers.csv"):
        assert expected in names, f"{expected} is not in the wheel"
    revisions = {path.name for path in (ROOT / "migrations" / "versions").glob("*.py")}
    packaged = {Path(name).name for name in names if name.startswith("smartwork/migrations/versions/")}
    assert revisions and revisions <= packaged, revisions - packaged
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    assert "smartwork/static/vendor/axe.min.js" not in names  # browser-test tooling only
    # The source distribution beside it carries the deploy kit and the gunicorn settings.
    sdists = list(wheelhouse.glob("smartwork-*.tar.gz"))
    assert len(sdists) == 1, sdists
    members = set(subprocess.run(["tar", "tzf", str(sdists[0])], capture_output=True, text=True,
                                 check=True).stdout.split())
    version_dir = sdists[0].name.removesuffix(".tar.gz")
    for expected in ("gunicorn.conf.py", "deploy/nginx/smartwork.conf", "deploy/systemd/smartwork-web.service",
                     "deploy/systemd/smartwork-scheduler.service", "migrations/env.py", "setup.py"):
        assert f"{version_dir}/{expected}" in members, f"{expected} is not in the sdist"


def test_offline_install_migrates_loads_data_and_serves_korean(wheelhouse, tmp_path):
    venv = tmp_path / "venv"
    site = tmp_path / "srv"  # the service's working directory: no checkout anywhere near it
    etc = tmp_path / "etc"
    site.mkdir()
    etc.mkdir()
    shutil.copy(ROOT / "gunicorn.conf.py", etc / "gunicorn.conf.py")  # what the operator copies to /etc/smartwork
    # This pip installs into the new venv (--python), which saves bootstrapping a pip inside it; no index and
    # no pip configuration: only what the wheelhouse holds.
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env=clean_env(), cwd=site)
    run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet", "--no-compile",
         "--no-index", "--find-links", str(wheelhouse), "smartwork"], env=clean_env(PIP_CONFIG_FILE="/dev/null"),
        cwd=site)
    located = run([str(venv / "bin" / "python"), "-c",
                   "import config, smartwork; print(smartwork.__file__); print(config.__file__)"],
                  env=clean_env(), cwd=site).split()
    assert all(path.startswith(str(venv)) for path in located), located  # the installed copy, not the checkout

    database = tmp_path / "smartwork.sqlite"
    env = clean_env(SMARTWORK_CONFIG="production", FLASK_APP="smartwork:create_app",
                    DATABASE_URL=f"sqlite:///{database}", SECRET_KEY=secrets.token_urlsafe(32))
    flask = str(venv / "bin" / "flask")
    upgraded = run([flask, "db", "upgrade"], env=env, cwd=site)
    head = sorted((ROOT / "migrations" / "versions").glob("*.py"))[-1].stem.split("_", 1)[0]
    assert f"-> {head}" in upgraded, upgraded
    # Real reference data and the first administrator's one-time link, under the production config.
    booted = run([flask, "bootstrap", "--admin-email", "first.admin@mois.go.kr", "--admin-name", "최관리",
                  "--admin-employee-number", "A-0001", "--base-url", "https://smartwork.example.go.kr"],
                 env=env, cwd=site)
    assert "https://smartwork.example.go.kr/auth/activate/" in booted, booted
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM centers WHERE ownership = 'public'").fetchone()[0] >= 21
        assert connection.execute("SELECT count(*) FROM centers WHERE ownership = 'private'").fetchone()[0] == 0
        assert connection.execute("SELECT count(*) FROM regions").fetchone()[0] >= 250

    port = free_port()
    processes = Processes(tmp_path)
    processes.start("gunicorn", [str(venv / "bin" / "gunicorn"), "--config", str(etc / "gunicorn.conf.py"),
                                 "--bind", f"127.0.0.1:{port}", "--workers", "1", "smartwork:create_app()"],
                    env=env, cwd=site)
    try:
        client = WebClient(port)

        def healthy():
            processes.check_alive()
            return client.request("GET", "/healthz")[0] == 200

        wait_until(healthy, 60, "gunicorn from the installed wheel")
        status, _headers, page = client.request("GET", "/auth/login")
        assert status == 200
        text = page.decode()
        assert '<html lang="ko"' in text
        assert "로그인" in text  # "Sign in" from the compiled catalog in the wheel
        status, _headers, css = client.request("GET", "/static/css/app.css")
        assert status == 200 and css == (ROOT / "smartwork" / "static" / "css" / "app.css").read_bytes()
    finally:
        processes.stop_all()
