"""A new civil servant's first day in a real browser: the HR roster is imported, the activation mail
arrives at a real SMTP server, the link sets a password, the person signs in and books a desk.
Every page of the way is checked with axe-core and for CSP errors."""

from __future__ import annotations

import threading
from datetime import time, timedelta

import pytest

from smartwork.timeutils import local_today
from tests.auth.mailbox import body, link_in, smtp_server
from tests.browser.conftest import ARTIFACTS, VIEWPORTS
from tests.browser.test_journeys import AXE_OPTIONS, AXE_RUN

pytestmark = pytest.mark.browser

PASSWORD = "오늘부터 집 근처에서 일합니다"  # 15 characters of Hangul: long, uncommon, easy to remember
ROSTER = ("employee_number,name,email,agency_code,home_region_code,status\n"
          "J2026001,한새봄,han.saebom@journey.go.kr,JRN,99800,active\n"
          "J2026002,오가을,oh.gaeul@journey.go.kr,JRN,99800,active\n")


@pytest.fixture(scope="module")
def first_day(browser, tmp_path_factory):
    """The app on a fresh SQLite file with one 24-hour center, a real SMTP server, served in a thread."""
    from werkzeug.serving import make_server

    from smartwork import create_app
    from smartwork.centers.models import SpaceKind
    from smartwork.extensions import db
    from tests import factories as f

    folder = tmp_path_factory.mktemp("first-day")
    with smtp_server() as mailbox:
        app = create_app("testing", {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'app.sqlite'}", "WTF_CSRF_ENABLED": True,
            "SERVER_NAME": None, "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port,
        })
        mailbox.app = app  # the outbox is delivered when the test reads the mailbox
        with app.app_context():
            import smartwork.models  # noqa: F401

            db.create_all()
            f.agency(code="JRN")
            region = f.region(code="99800", name_ko="첫날구", name_en="First-day-gu", lat=33.3, lon=126.5)
            f.center(code="first-day", region_obj=region, hours=(time(0, 0), time(23, 59)),
                     weekdays=tuple(range(7)), spaces={SpaceKind.DESK: 2},
                     name_ko="첫날 스마트워크센터", name_en="First Day Smart Work Center")
            db.session.commit()
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        app.config["PUBLIC_BASE_URL"] = url  # the CLI builds the mailed links with it
        roster = folder / "roster.csv"
        roster.write_text(ROSTER, encoding="utf-8")
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {"app": app, "url": url, "mailbox": mailbox, "roster": roster}
        finally:
            server.shutdown()
            thread.join(timeout=5)


def check(page, findings: list[str], label: str) -> None:
    """Screenshot, then axe: no serious or critical WCAG 2.1 AA violation."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"first-day-{label}.png"), full_page=True)
    page.add_script_tag(url="/static/vendor/axe.min.js")
    for violation in page.evaluate(AXE_RUN, AXE_OPTIONS):
        if violation["impact"] in ("serious", "critical"):
            findings.append(f"{label}: {violation['id']} {violation['help']} at {violation['nodes']}")


def test_import_activation_mail_set_password_sign_in_and_book(browser, first_day):
    app, mailbox = first_day["app"], first_day["mailbox"]
    with app.app_context():  # `flask` pushes one for every command; the test runner does not
        result = app.test_cli_runner().invoke(args=["users", "import", str(first_day["roster"])])
    assert result.exit_code == 0, result.output
    mail = next(m for m in mailbox.wait_for(2) if m["To"] == "han.saebom@journey.go.kr")
    assert "J2026001" in body(mail)
    link, kind, _token = link_in(mail)
    assert kind == "activate" and link.startswith(first_day["url"] + "/auth/activate/")

    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="ko-KR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    findings: list[str] = []
    console: list[str] = []
    page.on("console", lambda message: message.type == "error" and console.append(message.text))
    try:
        # Before activation the person cannot sign in.
        page.goto(first_day["url"] + "/auth/login")
        page.fill("[name=identifier]", "J2026001")
        page.fill("[name=password]", PASSWORD)
        with page.expect_navigation():
            page.locator("form[action$='/auth/login'] [type=submit]").click()
        assert "/auth/login" in page.url

        page.goto(link)
        assert "한새봄" in page.locator("main").inner_text()
        check(page, findings, "activate")
        page.fill("[name=password]", "short")
        page.fill("[name=confirm]", "short")
        with page.expect_navigation():
            page.locator("main form [type=submit]").click()
        assert page.locator("[aria-invalid=true]").count() >= 1  # refused, the link still works
        page.fill("[name=password]", PASSWORD)
        page.fill("[name=confirm]", PASSWORD)
        with page.expect_navigation():
            page.locator("main form [type=submit]").click()
        assert "/auth/login" in page.url
        check(page, findings, "activated")

        page.fill("[name=identifier]", "han.saebom@journey.go.kr")
        page.fill("[name=password]", PASSWORD)
        with page.expect_navigation():
            page.locator("form[action$='/auth/login'] [type=submit]").click()
        assert "/auth/login" not in page.url, page.locator("main").inner_text()

        day = (local_today() + timedelta(days=2)).isoformat()
        page.goto(f"{first_day['url']}/bookings/find?date={day}&start=10:00&end=12:00&kind=desk&origin=99800")
        check(page, findings, "find")
        best = page.locator("form[action$='/bookings/book-best']").first
        with page.expect_navigation():
            best.locator("button[type=submit]").click()
        assert "/bookings/mine" in page.url
        assert page.locator(".center-item", has_text="10:00").count() >= 1
        check(page, findings, "booked")

        # The link is single-use: opened again, it says so.
        response = page.goto(link)
        assert response.status == 404
        check(page, findings, "link-used")
    finally:
        context.close()
    assert not [error for error in console if "Content Security Policy" in error], console
    assert not findings, "\n".join(findings)
