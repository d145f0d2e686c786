"""Template filters and globals: display helpers only, no business rules."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime, format_time, get_locale

from .i18n import localized_name
from .timeutils import to_local


def register_template_helpers(app: Flask) -> None:
    """Register the filters and globals."""

    @app.template_filter("local_datetime")
    def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
        return "" if value is None else format_datetime(value, fmt)

    @app.template_filter("local_time")
    def local_time(value: datetime | None, fmt: str = "HH:mm") -> str:
        return "" if value is None else format_time(to_local(value).timetz(), fmt)

    @app.template_filter("local_date")
    def local_date(value: date | datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = to_local(value).date()
        return format_date(value, fmt)

    app.jinja_env.filters["lname"] = localized_name
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "ko")
