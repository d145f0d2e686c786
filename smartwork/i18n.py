"""Locale and timezone selection (Korean by default, English a switch away) and locale-aware names."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import get_locale
from flask_login import current_user

LANGUAGE_COOKIE = "smartwork_lang"


def select_locale() -> str:
    """The account's language, else the language cookie, else Korean."""
    languages = current_app.config["LANGUAGES"]
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    cookie = request.cookies.get(LANGUAGE_COOKIE) if request else None
    if cookie in languages:
        return cookie
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Every screen shows Korean time."""
    return current_app.config["DISPLAY_TIMEZONE"]


def localized_name(obj) -> str:
    """``name_ko`` or ``name_en`` of an object, by the current locale."""
    locale = str(get_locale() or "ko")
    if locale.startswith("en") and getattr(obj, "name_en", None):
        return obj.name_en
    return obj.name_ko
