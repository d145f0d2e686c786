"""Worker warm-up: load what the first requests would otherwise load lazily, before serving any."""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale, get_translations
from sqlalchemy.orm import configure_mappers


def warm_up(app: Flask) -> int:
    """Configure the ORM mappers, compile every template and load each catalog; return templates compiled.

    gunicorn calls this in each new worker (gunicorn.conf.py): the first visitor to a page no longer
    pays for compiling it, and the collector freeze that follows covers these long-lived objects too.
    Nothing here touches the database.
    """
    configure_mappers()
    names = [name for name in app.jinja_env.list_templates() if name.endswith((".html", ".txt", ".svg"))]
    for name in names:
        app.jinja_env.get_template(name)
    with app.test_request_context():
        for locale in ("ko", "en"):
            with force_locale(locale):
                get_translations()
    return len(names)
