"""Activation and reset pages: forms, refusals, the one answer for any address, rate limits, timing."""

from __future__ import annotations

import re
import statistics
import time

from sqlalchemy import select

from smartwork.auth import activation
from smartwork.auth.models import AccountToken, TokenPurpose, User, UserStatus
from smartwork.extensions import db
from tests import factories as f
from tests.auth.helpers import isolate
from tests.auth.mailbox import link_in

LOGIN = "/auth/login"
RESET = "/auth/reset"
NEW_PASSWORD = "a quiet desk near home"


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def card(html: str) -> str:
    """The page's main card (the header around it carries per-request flashes and tokens)."""
    return re.search(r'<section class="card narrow">.*?</section>', html, re.S).group(0)


def pending(email: str | None = None) -> User:
    user = f.user(status=UserStatus.PENDING, **({"email": email} if email else {}))
    user.password_hash = None
    return user


def test_activation_page_sets_the_password_then_the_person_signs_in(app, client, session):
    user = pending()
    link = activation.issue_activation_link(user)
    session.commit()
    page = client.get(path_of(link))
    assert page.status_code == 200
    assert user.employee_number in page.text and 'autocomplete="new-password"' in page.text
    differ = client.post(path_of(link), data={"password": NEW_PASSWORD, "confirm": "something else"})
    weak = client.post(path_of(link), data={"password": "password1234", "confirm": "password1234"})
    assert differ.status_code == weak.status_code == 422
    assert 'aria-invalid="true"' in weak.text
    done = client.post(path_of(link), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith(LOGIN)
    assert db.session.get(User, user.id).status == UserStatus.ACTIVE
    signed_in = client.post(LOGIN, data={"identifier": user.employee_number, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and client.get("/").status_code == 200


def test_used_expired_and_made_up_links_show_the_same_page(app, client, session):
    user = pending()
    used = activation.issue_activation_link(user)
    session.commit()
    client.post(path_of(used), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    answers = [client.get(path_of(used)), client.post(path_of(used), data={"password": NEW_PASSWORD,
                                                                           "confirm": NEW_PASSWORD}),
               client.get("/auth/activate/made-up-token"), client.get("/auth/reset/made-up-token")]
    assert [answer.status_code for answer in answers] == [404] * 4
    assert len({card(answer.text) for answer in answers}) == 1
    assert f'href="{RESET}"' in answers[0].text  # where to ask for a new one


def test_someone_signed_in_cannot_use_another_persons_link(app, client, session):
    owner, intruder = f.user(), f.user()
    link = activation._issue(owner, TokenPurpose.PASSWORD_RESET, activation.utcnow())
    session.commit()
    f.login(client, intruder)
    assert client.get(path_of(link)).status_code == 403
    response = client.post(path_of(link), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 403
    assert session.scalar(select(AccountToken)).used_at is None


def test_reset_answers_the_same_page_for_any_address(app, client, session, smtp):
    f.user(email="known@korea.kr")
    pending("pending@korea.kr")
    f.user(email="gone@korea.kr", status=UserStatus.RETIRED)
    session.commit()
    assert client.get(RESET).status_code == 200
    pages = {}
    for address in ("known@korea.kr", "nobody@korea.kr", "pending@korea.kr", "gone@korea.kr"):
        response = client.post(RESET, data={"email": address})
        assert response.status_code == 200
        pages[address] = card(response.text).replace(address, "ADDRESS")
    assert len(set(pages.values())) == 1
    assert sorted(m["To"] for m in smtp.wait_for(2)) == ["known@korea.kr", "pending@korea.kr"]


def test_the_mailed_reset_link_works_in_the_browser_and_signs_out_other_devices(app, client, session, smtp):
    user = f.user(email="known@korea.kr")
    session.commit()
    laptop = app.test_client()
    f.login(laptop, user)
    client.post(RESET, data={"email": "known@korea.kr"})
    link, kind, _token = link_in(smtp.wait_for(1)[0])
    assert kind == "reset"
    assert client.get(path_of(link)).status_code == 200
    response = client.post(path_of(link), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert laptop.get("/").status_code == 302  # signed out by the reset
    assert f.login(client, user, password=NEW_PASSWORD).status_code == 302


def test_reset_requests_are_rate_limited_per_address_asked_about_and_per_client(app_factory):
    app = isolate(app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                              RATELIMIT_PASSWORD_RESET_ACCOUNT="2 per hour", RATELIMIT_PASSWORD_RESET="5 per hour"))
    with app.app_context():
        f.user(email="known@korea.kr")
        db.session.commit()
    client = app.test_client()
    for address in ("known@korea.kr", "nobody@korea.kr"):  # an unknown address is limited alike
        statuses = [client.post(RESET, data={"email": address.upper() if n else address}).status_code
                    for n in range(3)]
        assert statuses == [200, 200, 429], address
    assert client.post(RESET, data={"email": "third@korea.kr"}).status_code == 200  # 5th for this client
    assert client.post(RESET, data={"email": "fourth@korea.kr"}).status_code == 429  # per-client limit
    other_client = app.test_client()
    other_client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert other_client.post(RESET, data={"email": "fifth@korea.kr"}).status_code == 200
    assert other_client.post(RESET, data={"email": "known@korea.kr"}).status_code == 429  # the account's limit


def test_reset_takes_the_same_order_of_time_for_known_and_unknown_addresses(app, client, session, smtp):
    """The known address also sends a mail over SMTP; both stay within one order of magnitude."""
    for n in range(7):
        f.user(email=f"known{n}@korea.kr")
    session.commit()

    def timed(address: str) -> float:
        start = time.perf_counter()
        assert client.post(RESET, data={"email": address}).status_code == 200
        return time.perf_counter() - start

    timed("warm-up@korea.kr")
    known = statistics.median(timed(f"known{n}@korea.kr") for n in range(7))
    unknown = statistics.median(timed(f"nobody{n}@korea.kr") for n in range(7))
    assert len(smtp.wait_for(7)) == 7
    assert 0.1 < known / unknown < 10, (known, unknown)


def test_the_password_page_says_what_the_new_password_revoked(app, client, session):
    from smartwork.api.tokens import create_token
    from smartwork.bookings.calendar import create_feed_token

    user = f.user()
    create_token(user, "laptop", ["read"], 30)
    create_feed_token(user)
    session.commit()
    f.login(client, user)
    response = client.post("/auth/password", data={"current_password": f.PASSWORD, "new_password": NEW_PASSWORD},
                           follow_redirects=True)
    assert response.status_code == 200
    with app.test_request_context():
        from flask_babel import gettext, ngettext

        tokens = ngettext("%(num)d API token was revoked; create a new one if you still need it.",
                          "%(num)d API tokens were revoked; create new ones if you still need them.", 1)
        feed = gettext("Your calendar feed link was revoked; create a new one if you still need it.")
    assert tokens in response.text and feed in response.text
