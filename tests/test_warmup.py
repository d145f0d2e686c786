"""Worker warm-up and gunicorn.conf.py: templates compiled before the first request, the heap frozen."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from smartwork import create_app
from smartwork.warmup import warm_up

ROOT = Path(__file__).resolve().parent.parent
MEMORY_DB = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}


def test_warm_up_compiles_every_page_template_without_a_database():
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent-dir/never-opened.db"})
    compiled = warm_up(app)
    names = [name for name in app.jinja_env.list_templates() if name.endswith(".html")]
    assert compiled >= len(names) > 40
    cached = {key[1] for key in app.jinja_env.cache}
    assert {"base.html", "bookings/day.html", "planning/index.html"} <= cached


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()


def test_gunicorn_config_warms_up_then_freezes_the_worker_heap(unfrozen):
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["workers"] >= 2 and settings["worker_class"] == "sync"
    app = create_app("testing", MEMORY_DB)
    gc.unfreeze()
    settings["post_worker_init"](SimpleNamespace(wsgi=app))
    assert gc.get_freeze_count() > 10_000  # the app's long-lived objects, out of the collector's way
    assert "base.html" in {key[1] for key in app.jinja_env.cache}


def test_gunicorn_config_leaves_a_wrapped_app_alone(unfrozen):
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    settings["post_worker_init"](SimpleNamespace(wsgi=lambda environ, start_response: []))
    assert gc.get_freeze_count() > 0
