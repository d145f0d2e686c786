"""Every HTML page: one <h1>, a <main>, a language, no inline script or style, the CSP header,
only the app's own assets."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import flask_babel
import pytest
from flask import abort, g

from smartwork.auth.models import Role
from smartwork.errors import Conflict, PermissionDenied
from smartwork.extensions import db
from tests import factories as f


class PageAudit(HTMLParser):
    """Collects what the page checks need from one HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.html_lang: str | None = None
        self.problems: list[str] = []
        self.ids: Counter[str] = Counter()
        self.assets: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        attributes = dict(attrs)
        if tag == "html":
            self.html_lang = attributes.get("lang")
        for name, _value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event-handler attribute")
            if name == "style":
                self.problems.append(f"<{tag} style=...> inline style")
        if "id" in attributes:
            self.ids[attributes["id"]] += 1
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            if not attributes.get("src"):
                self._in_inline_script = True
                self.problems.append("inline <script>")
            else:
                self.assets.append(attributes["src"])
        if tag == "img":
            if "alt" not in attributes:
                self.problems.append(f"<img src={attributes.get('src')}> without alt")
            self.assets.append(attributes.get("src") or "")
        if tag == "link" and attributes.get("href"):
            self.assets.append(attributes["href"])
        for name in ("href", "src", "action"):
            value = attributes.get(name) or ""
            if value.startswith(("http://", "https://", "//")):
                self.problems.append(f"<{tag} {name}={value}> points outside the app")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def audit(client, response, where: str, *, server_error: bool = False) -> None:
    """Assert the page rules on one HTML response."""
    assert server_error or response.status_code < 500, f"{where}: {response.status_code}"
    csp = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, f"{where}: CSP {csp!r}"
    assert "style-src 'self'" in csp, where
    page = PageAudit()
    page.feed(response.get_data(as_text=True))
    assert page.tags["h1"] == 1, f"{where}: {page.tags['h1']} <h1>"
    assert page.tags["main"] == 1, f"{where}: {page.tags['main']} <main>"
    assert page.html_lang in ("ko", "en"), f"{where}: lang={page.html_lang!r}"
    assert page.problems == [], f"{where}: {page.problems}"
    duplicated = [key for key, count in page.ids.items() if count > 1]
    assert duplicated == [], f"{where}: duplicate ids {duplicated}"
    for asset in page.assets:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200, f"{where}: {asset} missing"


def fresh_request_state() -> None:
    """The test client's requests share the test's app context, so its session, the loaded user and
    the cached locale carry over; a real request starts without them (and never inherits a transaction)."""
    db.session.remove()
    g.pop("_login_user", None)
    flask_babel.refresh()


def html(response) -> bool:
    return response.mimetype == "text/html"


@pytest.fixture
def world(app):
    """A manager's center with spaces and a closure, and one user per role."""
    center = f.center(code="hub")
    people = {
        "employee": f.user(home=center.region),
        "manager": f.manager_of(center),
        "planner": f.user(roles=(Role.PLANNER,)),
        "admin": f.user(roles=(Role.ADMIN, Role.PLANNER, Role.CENTER_MANAGER)),
    }
    db.session.commit()
    return people


def test_static_css_and_js_are_served(client):
    css = client.get("/static/css/app.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    body = css.get_data(as_text=True)
    assert "@import" not in body and "http://" not in body and "https://" not in body
    js = client.get("/static/js/app.js")
    assert js.status_code == 200 and "javascript" in js.mimetype


@pytest.mark.parametrize("path", ["/auth/login", "/no-such-page"])
def test_anonymous_pages(client, world, path):
    audit(client, client.get(path), path)


@pytest.mark.parametrize("role", ["employee", "manager", "planner", "admin"])
def test_signed_in_pages_in_both_languages(client, world, role):
    f.login(client, world[role])
    paths = ["/", "/centers/", "/centers/?ownership=bogus", "/centers/?status=closed", "/centers/hub",
             "/centers/nope", "/auth/password"]
    for locale, heading in (("ko", "센터 목록"), ("en", "Center directory")):
        client.post("/auth/language", data={"locale": locale, "next": "/"})
        flask_babel.refresh()
        for path in paths:
            audit(client, client.get(path), f"{role} {locale} {path}")
        assert f"<h1>{heading}</h1>" in client.get("/centers/").get_data(as_text=True)


def test_error_pages(app, client, world):
    def forbidden():
        raise PermissionDenied("No.")

    def conflict():
        raise Conflict("Taken.")

    def crash():
        raise RuntimeError("boom")

    app.add_url_rule("/_test/403", "test_403", forbidden)
    app.add_url_rule("/_test/409", "test_409", conflict)
    app.add_url_rule("/_test/405", "test_405", lambda: abort(405))
    app.add_url_rule("/_test/500", "test_500", crash)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # render the 500 page as production would
    f.login(client, world["employee"])
    client.post("/auth/language", data={"locale": "en", "next": "/"})
    flask_babel.refresh()  # the test client's requests share the test's app context (and its cached locale)
    for path, status in (("/_test/403", 403), ("/_test/409", 409), ("/_test/405", 405), ("/_test/500", 500)):
        response = client.get(path)
        assert response.status_code == status
        audit(client, response, path, server_error=True)
    body = client.get("/_test/500").get_data(as_text=True)
    assert "Something went wrong on our side." in body and "boom" not in body


def test_every_parameterless_page_of_every_blueprint(app, client, world):
    """Later blueprints' pages are held to the same rules as soon as they are registered."""
    f.login(client, world["admin"])
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.rule.startswith("/api/"):
            continue
        fresh_request_state()
        response = client.get(rule.rule)
        if html(response) and not 300 <= response.status_code < 400:
            audit(client, response, rule.rule)
            checked += 1
    assert checked >= 3  # home, directory, password at least
