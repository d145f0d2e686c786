"""Browser tests: Playwright drives Debian's Chromium against a live server on a seeded SQLite file.

They skip, saying why, when Chromium, Playwright or axe-core is missing (`make browser-deps`
installs them) — except in CI (CI=true), where a missing prerequisite is a failure.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "smartwork" / "static" / "vendor" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync",
]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
LANGUAGES = ("ko", "en")
PASSWORD = "browser-journey-42"


def missing_prerequisites() -> list[str]:
    """What the browser tests need and this machine lacks."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package 'playwright' (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium fonts-noto-cjk, or `make browser-deps` as root)")
    if not AXE.exists():
        missing.append(f"{AXE.relative_to(AXE.parents[3])} (`make browser-deps` installs axe-core from npm)")
    return missing


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    missing = missing_prerequisites()
    if missing:
        message = "browser tests need " + "; ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                                              env=browser_environment())
        yield chromium
        chromium.close()


def browser_environment() -> dict[str, str]:
    """Chromium's environment: this one, except that under `make test-clock` its monotonic clock moves too.

    The Python processes keep the monotonic clock real (tests/clock/sitecustomize.py says why); Chromium
    hangs on its own timers that way under libfaketime, and runs with both clocks moved.
    """
    environment = dict(os.environ)
    environment.pop("FAKETIME_DONT_FAKE_MONOTONIC", None)
    return environment


@dataclass
class Cast:
    """The people and places of one journey run (each run has its own center, so runs never collide)."""

    center_code: str
    desk_id: int
    employee_email: str
    manager_email: str
    planner_email: str
    admin_email: str
    region_code: str


@dataclass
class LiveServer:
    url: str
    app: object
    casts: dict[str, Cast]


def _now_booking(user, space, start: datetime, hours: int = 1):
    from smartwork.bookings.models import Booking, BookingStatus
    from smartwork.extensions import db

    booking = Booking(user_id=user.id, space_id=space.id, center_id=space.center_id, starts_at=start,
                      ends_at=start + timedelta(hours=hours), status=BookingStatus.RESERVED)
    db.session.add(booking)
    db.session.flush()
    return booking


def _build_cast(key: str, index: int) -> Cast:
    """A 24-hour center near an employee's home, its manager, a planner; bookings due now and later."""
    from smartwork.auth.models import Role
    from smartwork.centers.models import SpaceKind
    from smartwork.timeutils import utcnow
    from tests import factories as f

    region = f.region(code=f"{99100 + index}", name_ko=f"브라우저구{index}", name_en=f"Browser-gu {index}",
                      lat=33.1 + index * 0.01, lon=124.1)
    center = f.center(code=f"browser-{key}", region_obj=region, hours=(time(0, 0), time(23, 59)),
                      weekdays=tuple(range(7)), spaces={SpaceKind.DESK: 3, SpaceKind.MEETING_ROOM: 1},
                      name_ko=f"브라우저 스마트워크센터 {index}", name_en=f"Browser Smart Work Center {index}")
    employee = f.user(home=region, name=f"김브라우저{index}", email=f"employee-{key}@korea.kr", password=PASSWORD)
    walk_in = f.user(home=region, name=f"이방문{index}", password=PASSWORD)
    manager = f.manager_of(center, name=f"박관리{index}", email=f"manager-{key}@korea.kr", password=PASSWORD)
    planner = f.user(roles=(Role.PLANNER,), name=f"최기획{index}", email=f"planner-{key}@korea.kr",
                     password=PASSWORD)
    admin = f.user(roles=(Role.ADMIN,), name=f"정관리자{index}", email=f"admin-{key}@korea.kr", password=PASSWORD)
    desks = sorted((s for s in center.spaces if s.kind == SpaceKind.DESK), key=lambda s: s.code)
    now = utcnow().replace(second=0, microsecond=0, tzinfo=UTC)
    _now_booking(employee, desks[0], now - timedelta(minutes=5))  # checked in by QR
    _now_booking(walk_in, desks[1], now + timedelta(minutes=5))  # checked in by the manager
    _now_booking(walk_in, desks[2], now + timedelta(days=5))  # hit by the manager's closure
    return Cast(center_code=center.code, desk_id=desks[0].id, employee_email=employee.email,
                manager_email=manager.email, planner_email=planner.email, admin_email=admin.email,
                region_code=region.code)


@pytest.fixture(scope="session")
def live_server(browser, tmp_path_factory):
    """The app on a seeded SQLite file, served by werkzeug in a thread (CSRF on, as in production)."""
    from werkzeug.serving import make_server

    from smartwork import create_app
    from smartwork.extensions import db
    from smartwork.seed import seed_network

    database = tmp_path_factory.mktemp("browser") / "browser.sqlite"
    app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "WTF_CSRF_ENABLED": True, "SERVER_NAME": None,
        "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "console",
    })
    casts = {}
    with app.app_context():
        import smartwork.models  # noqa: F401

        db.create_all()
        seed_network(users=50)
        runs = [f"{journey}-{lang}-{viewport}" for journey in ("employee", "manager", "planner", "admin")
                for lang in LANGUAGES for viewport in VIEWPORTS]
        for index, key in enumerate(runs):
            casts[key] = _build_cast(key, index)
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, casts=casts)
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(params=[(lang, viewport) for lang in LANGUAGES for viewport in VIEWPORTS],
                ids=lambda param: f"{param[0]}-{param[1]}")
def journey_context(request, browser, live_server):
    """A fresh browser context in one language at one width."""
    lang, viewport = request.param
    from smartwork.i18n import LANGUAGE_COOKIE

    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="ko-KR" if lang == "ko" else "en-US",
                                  accept_downloads=True)
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": lang, "url": live_server.url}])
    context.set_default_timeout(10_000)
    yield context, lang, viewport
    context.close()
