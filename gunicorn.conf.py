"""gunicorn settings for production; gunicorn reads this file when started from the project root.

    SMARTWORK_CONFIG=production gunicorn 'smartwork:create_app()'

Command-line options override these (`make bench` passes its own --bind and --workers).
"""

import gc
import os

bind = os.environ.get("SMARTWORK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
timeout = 60
# gunicorn itself believes X-Forwarded-Proto only from the same proxies the app trusts (the app's
# middleware decides the client address; see TRUSTED_PROXIES). Nobody when none are configured.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", os.environ.get("SMARTWORK_TRUSTED_PROXIES", ""))

# Access log on by default, to stdout beside the app's JSON logs: SMARTWORK_ACCESS_LOG=<path> or "off".
# %(h)s is the real client (the app's proxy middleware rewrote REMOTE_ADDR for trusted proxies) and
# the request id ties the line to the app's own log lines.
_access_log = os.environ.get("SMARTWORK_ACCESS_LOG", "-")
accesslog = None if _access_log.lower() in ("off", "none", "") else _access_log
access_log_format = '%(h)s - %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"


def post_worker_init(worker) -> None:
    """Warm the app up, then freeze what it holds so the garbage collector stops rescanning it.

    A worker keeps ~155,000 container objects alive for its whole life (modules, SQLAlchemy metadata,
    catalogs, templates). Every full collection walked them all: a 55 ms pause inside whichever request
    triggered it, which is what a p95 sees. Frozen objects are never collected (they never die anyway),
    and later collections only look at what requests allocate.
    """
    from smartwork.warmup import warm_up

    app = worker.wsgi
    if hasattr(app, "jinja_env"):  # the Flask app itself, not wrapped in middleware
        warm_up(app)
    gc.collect()
    gc.freeze()
