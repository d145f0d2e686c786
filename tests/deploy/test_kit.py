"""The deploy kit's files are well-formed: systemd units, the environment file, logrotate (nginx's site
file is checked by `nginx -t` and run in test_stack.py)."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from .conftest import DEPLOY, clean_env, read_env_file, require_tool, run, unit_exec_start

pytestmark = pytest.mark.deploy

UNITS = DEPLOY / "systemd"
ENV_FILE = "/etc/smartwork/smartwork.env"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((UNITS / name).read_text())
    return parser


def test_web_unit_runs_gunicorn_with_the_environment_file():
    web = unit("smartwork-web.service")
    assert web["Service"]["EnvironmentFile"] == ENV_FILE
    argv = unit_exec_start(UNITS / "smartwork-web.service")
    assert Path(argv[0]).name == "gunicorn" and argv[-1] == "smartwork:create_app()"
    assert argv[argv.index("--config") + 1] == "/etc/smartwork/gunicorn.conf.py"
    assert web["Service"]["Type"] == "notify" and web["Service"]["Restart"] == "always"
    assert web["Service"]["User"] == "smartwork"
    assert "scheduler" not in web["Service"]["ExecStart"]


def test_exactly_one_unit_runs_the_scheduler():
    runs_scheduler = [path.name for path in UNITS.glob("*.service")
                      if unit_exec_start(path)[1:] == ["scheduler", "run"]]
    assert runs_scheduler == ["smartwork-scheduler.service"]  # not a template unit (no "@"): one per host set
    scheduler = unit("smartwork-scheduler.service")
    assert scheduler["Service"]["EnvironmentFile"] == ENV_FILE
    assert Path(unit_exec_start(UNITS / "smartwork-scheduler.service")[0]).name == "flask"
    assert scheduler["Service"]["KillSignal"] == "SIGTERM"  # running jobs finish, the lead is given up
    assert scheduler["Service"]["Restart"] == "always"


def test_environment_file_sets_what_production_needs():
    env = read_env_file(DEPLOY / "smartwork.env.example")
    assert env["SMARTWORK_CONFIG"] == "production"
    assert env["FLASK_APP"] == "smartwork:create_app"
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["SMARTWORK_TRUSTED_PROXIES"] == env["FORWARDED_ALLOW_IPS"] == "127.0.0.1"
    assert env["SECRET_KEY"] and env["SECRET_KEY"] != "dev-only-change-me"
    # systemd reads the file without a shell: no quotes or exports that would end up in the values.
    for key, value in env.items():
        assert not key.startswith("export ") and shlex.split(value) == [value], key


def test_logrotate_config_parses(tmp_path):
    require_tool("/usr/sbin/logrotate")
    output = run(["/usr/sbin/logrotate", "--debug", "--state", str(tmp_path / "state"),
                  str(DEPLOY / "logrotate" / "smartwork")], env=clean_env(), cwd=tmp_path)
    assert not [line for line in output.splitlines() if line.startswith("error:")], output
    assert "/var/log/nginx/smartwork.access.log" in output
