"""Pluggable sign-in providers: OpenID Connect SSO and client certificates behind a trusted proxy.

Each entry of ``SIGNIN_PROVIDERS`` (config) is a dict with a ``name`` (URL-safe, unique), a
``type`` (``oidc`` or ``certificate``), button labels ``label_ko``/``label_en`` and the type's own
settings (README "Government sign-in"). The sign-in page shows one button per provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from ...errors import NotFound, PermissionDenied

PROVIDER_TYPES = ("oidc", "certificate")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


@dataclass(frozen=True)
class Provider:
    """One configured sign-in provider."""

    name: str
    type: str
    label_ko: str
    label_en: str
    settings: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def label(self, locale: str | None) -> str:
        """The button label in ``locale`` (Korean unless English is asked for)."""
        return self.label_en if (locale or "ko").startswith("en") else self.label_ko


def _build(entry: dict[str, Any]) -> Provider:
    name, kind = str(entry.get("name", "")), str(entry.get("type", ""))
    # A mistyped provider must fail loudly at the first sign-in page, not sign anybody in.
    if not _NAME.fullmatch(name):
        raise RuntimeError(f"SIGNIN_PROVIDERS: bad provider name {name!r} (lower-case letters, digits, - and _)")
    if kind not in PROVIDER_TYPES:
        raise RuntimeError(f"SIGNIN_PROVIDERS[{name}]: type must be one of {PROVIDER_TYPES}, not {kind!r}")
    if kind == "oidc":
        missing = [key for key in ("issuer", "client_id", "client_secret") if not entry.get(key)]
        if missing:
            raise RuntimeError(f"SIGNIN_PROVIDERS[{name}]: missing {', '.join(missing)}")
    if kind == "certificate" and entry.get("match", "serial") not in ("serial", "subject"):
        raise RuntimeError(f"SIGNIN_PROVIDERS[{name}]: match must be 'serial' or 'subject'")
    label_ko = str(entry.get("label_ko") or entry.get("label_en") or name)
    return Provider(name=name, type=kind, label_ko=label_ko, label_en=str(entry.get("label_en") or label_ko),
                    settings=dict(entry))


class SigninRefused(PermissionDenied):
    """An outside sign-in (SSO or certificate) was refused; ``details`` go to the audit log only."""

    rule = "signin_refused"

    def __init__(self, message: str, *, rule: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, rule=rule)
        self.details = details or {}


def configured_providers() -> list[Provider]:
    """Every configured provider, in the configured order."""
    providers = [_build(entry) for entry in current_app.config.get("SIGNIN_PROVIDERS") or ()]
    names = [provider.name for provider in providers]
    if len(set(names)) != len(names):
        raise RuntimeError("SIGNIN_PROVIDERS: provider names must be unique")
    return providers


def get_provider(name: str, kind: str) -> Provider:
    """The provider called ``name`` of type ``kind``, or NotFound."""
    for provider in configured_providers():
        if provider.name == name and provider.type == kind:
            return provider
    raise NotFound(_("There is no such sign-in method."), rule="unknown_provider")


def certificate_provider() -> Provider:
    """The (first) certificate provider, or NotFound when certificate sign-in is not configured."""
    for provider in configured_providers():
        if provider.type == "certificate":
            return provider
    raise NotFound(_("Certificate sign-in is not configured."), rule="unknown_provider")


def require_password_login() -> None:
    """Refuse password sign-in when ``PASSWORD_LOGIN_ENABLED`` is off."""
    if not current_app.config.get("PASSWORD_LOGIN_ENABLED", True):
        raise PermissionDenied(_("Password sign-in is turned off here; use one of the sign-in buttons."),
                               rule="password_login_disabled")
