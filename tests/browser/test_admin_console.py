"""The admin console in a real browser: Korean and English, 390 px and desktop, axe-clean, no sideways scroll.

Lives beside the other journeys: it must share their session fixtures (one Chromium per run; a
second sync Playwright in the same thread is refused).
"""

from __future__ import annotations

import pytest

from tests.browser.test_journeys import Journey

pytestmark = pytest.mark.browser

HEADER = "employee_number,name,email,agency_code,home_region_code,status\n"


def test_admin_console_journey(journey_context, live_server, tmp_path):
    context, lang, viewport = journey_context
    journey = Journey(context, live_server, "admin", lang, viewport)
    page = journey.page
    journey.sign_in(journey.cast.admin_email)
    journey.goto("/admin/users")
    journey.check("admin-users")
    page.fill("[name=q]", journey.cast.employee_email)
    journey.submit("form[action$='/admin/users']")
    page.locator(".admin-list a").first.click()
    page.wait_for_load_state()
    assert "/admin/users/" in page.url
    journey.check("admin-user")
    # Suspend, with a reason: a POST with CSRF, then the page shows it.
    page.select_option("[name=status]", "suspended")
    page.fill("[name=reason]", "browser test")
    journey.submit("form[action$='/status']")
    assert "browser test" in page.locator("main").inner_text()
    page.select_option("[name=status]", "active")
    journey.submit("form[action$='/status']")

    # The roster: upload, preview (nothing applied), apply.
    agency = live_server_agency(live_server, journey.cast.employee_email)
    number = f"BR{abs(hash((lang, viewport))) % 10**6:06d}"
    roster = tmp_path / "roster.csv"
    roster.write_text(HEADER + f"{number},브라우저 신규,{number.lower()}@korea.kr,{agency},,pending\n"
                      .replace(",,", f",{journey.cast.region_code},"), encoding="utf-8")
    journey.goto("/admin/roster")
    journey.check("admin-roster")
    page.set_input_files("[name=roster]", str(roster))
    journey.submit("form[action$='/admin/roster']")
    assert number in page.locator("main").inner_text()
    journey.check("admin-roster-preview")
    with page.expect_navigation():
        page.locator("button[value=apply]").click()
    assert number in page.locator("main").inner_text()
    journey.check("admin-roster-done")

    for path, label in (("/admin/agencies", "admin-agencies"), ("/admin/agencies/new", "admin-agency-new"),
                        ("/admin/operators", "admin-operators"), ("/admin/contracts", "admin-contracts"),
                        ("/admin/contracts/new", "admin-contract-new")):
        journey.goto(path)
        journey.check(label)
    journey.finish()


def live_server_agency(server, email: str) -> str:
    """The agency code of the person with ``email`` (read from the live server's database)."""
    from sqlalchemy import select

    from smartwork.auth.models import User
    from smartwork.extensions import db

    with server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        code = user.agency.code
        db.session.remove()
    return code
