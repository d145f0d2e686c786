"""Security headers, trusted proxies, request size limits and the configurable rate limits (DESIGN §7, §8).

Behind a reverse proxy, ``TrustedProxyMiddleware`` keeps the socket peer in
``environ["smartwork.peer_addr"]`` and takes the client address, scheme and host from
``X-Forwarded-*`` only when that peer is listed in ``TRUSTED_PROXIES``; rate limits, the audit log
and lockouts then see the real client. Anything else may set those headers and is ignored.

Rate limits are named in the config (``RATELIMIT_SIGNIN``, ``RATELIMIT_BOOKING``,
``RATELIMIT_API``) and applied in the views with ``limiter.limit(config_limit(NAME), ...)``, so
an operator tunes them without touching code. Storage is Redis when ``REDIS_URL`` is set (the
limits then hold across worker processes), memory otherwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from flask import Flask, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
# Features the app never uses are switched off, so injected content cannot use them either.
EXPORT_MIMETYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def config_limit(name: str) -> Callable[[], str]:
    """A limit read from ``app.config[name]`` at request time (e.g. ``"10 per minute"``)."""

    def limit() -> str:
        return current_app.config[name]

    limit.__name__ = f"config_limit_{name.lower()}"
    return limit


def register_security_headers(app: Flask) -> None:
    """Attach CSP, nosniff, referrer, framing and permission headers (HSTS in production); refuse
    NUL bytes in input; bound SQLite's wait for a locked database."""

    @app.after_request
    def _headers(response):
        # setdefault: a view that must differ (the kiosk may be framed by this site) sets its own.
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Behind a TLS-terminating proxy request.is_secure may be False, so production sends it always.
        if app.config.get("HSTS_ENABLED") or (app.config.get("SESSION_COOKIE_SECURE") and request.is_secure):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.path.startswith(("/admin/", "/auth/")) or response.mimetype in EXPORT_MIMETYPES:
            # Audit pages, sign-in pages and exports hold personal data: never keep them in a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.before_request(refuse_nul_bytes)
    register_database_timeouts(app)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def refuse_nul_bytes() -> None:
    """Refuse input holding NUL bytes (400): no text column stores them (PostgreSQL cannot), no person types them."""
    from flask import abort

    values = [*request.args.listvalues(), *request.form.listvalues()]
    if request.is_json:
        values.append(request.get_json(silent=True))
    if any(_has_nul(value) for value in values) or "\x00" in request.path:
        abort(400)


def register_database_timeouts(app: Flask) -> None:
    """SQLite waits ``SQLITE_BUSY_TIMEOUT_MS`` for a locked database, then the request gets a 503."""
    import sqlite3

    from sqlalchemy import event

    from .extensions import db

    timeout_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    # Runs after database._on_connect (class-level listeners fire first), so this value wins.
    @event.listens_for(engine, "connect")
    def _busy_timeout(dbapi_connection, _record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute(f"PRAGMA busy_timeout={timeout_ms}")


# --- behind a proxy (issue 15 §2) ----------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str] | str) -> tuple[Network, ...]:
    """Addresses and CIDRs (``"127.0.0.1"``, ``"10.0.0.0/8"``) as networks; a bad entry is refused."""
    if isinstance(entries, str):
        entries = entries.split(",")
    networks = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR") from error
    return tuple(networks)


def _address(value: str):
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def address_in(value: str | None, networks: tuple[Network, ...]) -> bool:
    """True when ``value`` is an IP address inside one of ``networks``."""
    address = _address(value or "")
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address.version == network.version and address in network for network in networks)


def is_trusted_proxy(address: str | None, trusted: Iterable[str] | None = None) -> bool:
    """True when ``address`` (e.g. ``environ["smartwork.peer_addr"]``) is one of the configured proxies."""
    if trusted is None:
        trusted = current_app.config.get("TRUSTED_PROXIES", ())
    return address_in(address, parse_networks(trusted))


class TrustedProxyMiddleware:
    """WSGI middleware: believe X-Forwarded-For/Proto/Host only from a trusted proxy's socket.

    The client is the rightmost X-Forwarded-For hop that is not itself a trusted proxy (hops to its
    left were written by the client and prove nothing). The peer is always kept in
    ``environ["smartwork.peer_addr"]``.
    """

    def __init__(self, app, trusted: Iterable[str] | str) -> None:
        self.app = app
        self.networks = parse_networks(trusted)

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR") or ""
        environ["smartwork.peer_addr"] = peer
        if self.networks and address_in(peer, self.networks):
            self._apply_forwarded(environ)
        return self.app(environ, start_response)

    def _apply_forwarded(self, environ) -> None:
        hops = [hop.strip() for hop in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        client = None
        for hop in reversed(hops):
            if _address(hop) is None:
                break  # garbage: stop here rather than believe anything further left
            client = hop.strip("[]")
            if not address_in(hop, self.networks):
                break
        if client:
            environ["REMOTE_ADDR"] = client
        proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
        if proto in ("http", "https"):
            environ["wsgi.url_scheme"] = proto
        host = environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[-1].strip()
        if host and all(ch.isalnum() or ch in ".-:[]" for ch in host):
            environ["HTTP_HOST"] = host
            name, separator, port = host.rpartition(":")
            if separator and port.isdigit():
                environ["SERVER_NAME"], environ["SERVER_PORT"] = name, port
            else:
                environ["SERVER_NAME"] = host


# --- request size limits (issue 15 §8) -----------------------------------------------------------


def accepts_uploads(view):
    """Mark a view that takes files (roster import, restore): its body may reach UPLOAD_MAX_CONTENT_LENGTH."""
    view.accepts_uploads = True
    return view


def body_limit() -> int | None:
    """The largest body the current request may carry: MAX_CONTENT_LENGTH, or the upload limit."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if getattr(view, "accepts_uploads", False):
        return current_app.config.get("UPLOAD_MAX_CONTENT_LENGTH")
    return current_app.config.get("MAX_CONTENT_LENGTH")


class TooLarge(RequestEntityTooLarge):
    """A 413 whose message says what the limit is."""

    def __init__(self, limit: int | None) -> None:
        megabytes = f"{(limit or 0) / (1024 * 1024):g}"
        super().__init__()
        self.user_message = _("The request is too large: at most %(size)s MB may be sent here.", size=megabytes)


class CappedInput:
    """A body sent without Content-Length (chunked): reading past ``limit`` bytes is a 413.

    Werkzeug's own cap silently truncates such a body at the limit, which then fails as bad JSON
    or a half form; this says what happened.
    """

    def __init__(self, stream, limit: int) -> None:
        self.stream, self.limit, self.read_so_far = stream, limit, 0

    def _count(self, data: bytes) -> bytes:
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise TooLarge(self.limit)
        return data

    def read(self, size: int = -1) -> bytes:
        return self._count(self.stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._count(self.stream.readline(size))

    def __iter__(self):
        return iter(self.readline, b"")


def refuse_large_bodies() -> None:
    """Answer 413 before anything reads a body above the limit (the CSRF check and forms would)."""
    limit = body_limit()
    if limit is None:
        return
    if request.content_length is None:
        if request.environ.get("wsgi.input_terminated"):  # gunicorn: a chunked body, read to its end
            request.environ["wsgi.input"] = CappedInput(request.environ["wsgi.input"], limit)
            request.max_content_length = limit + 1  # werkzeug's cap lets the one byte too many through
        return
    request.max_content_length = limit
    if request.content_length > limit:
        raise TooLarge(limit)


def register_request_limits(app: Flask) -> None:
    """Check the body size first of all before-request steps."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_large_bodies)
