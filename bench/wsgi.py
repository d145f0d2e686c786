"""The benchmark's WSGI entry: the production configuration, pointed at the bench database.

Only what a benchmark on one machine needs differs from production: the database URL, a
throw-away secret, the bench's local SMTP sink, and rate limits raised so that 32 clients
sharing 127.0.0.1 measure the application rather than the per-address limiter.
"""

import os

from config import normalise_database_url
from smartwork import create_app

UNLIMITED = "1000000 per minute"

app = create_app("production", {
    "SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ["BENCH_DATABASE_URL"]),
    "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-secret-key-not-for-production"),
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": int(os.environ.get("BENCH_SMTP_PORT", "2525")),
    "RATELIMIT_SIGNIN": UNLIMITED,
    "RATELIMIT_BOOKING": UNLIMITED,
    "RATELIMIT_API": UNLIMITED,
})
