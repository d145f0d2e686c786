"""Profile one page of the benchmark in-process: timings per request and a pyinstrument call tree.

Runs the production app against the bench data set (build it first with `make bench`), signs a user
in through the real form, warms the page up, then times N requests and profiles them:

    .venv/bin/python bench/profile_request.py sqlite /planning/ --as demo.planner@smartwork.go.kr
    .venv/bin/python bench/profile_request.py postgresql "/bookings/find?date=2026-12-01&kind=desk&origin=home"
    PROFILE_CONFIG='{"PLANNING_OVERVIEW_CACHE_SECONDS": 0}' .venv/bin/python bench/profile_request.py ...

pyinstrument is not a dependency of the app: `pip install pyinstrument` into the venv to get the tree.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("engine", choices=("sqlite", "postgresql"))
    parser.add_argument("path")
    parser.add_argument("--as", dest="email", default="demo.employee@smartwork.go.kr")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--data", action="append", default=[], help="form field for a POST, key=value")
    parser.add_argument("--expect", type=int, default=0, help="the status every timed request must answer")
    parser.add_argument("-n", type=int, default=20, help="timed requests")
    parser.add_argument("--warm", type=int, default=3, help="untimed requests first")
    parser.add_argument("--tree", action="store_true", help="print a pyinstrument call tree of the timed requests")
    args = parser.parse_args()

    from run import PASSWORD, engine_url, normalise
    from smartwork import create_app
    from smartwork.warmup import warm_up

    app = create_app("production", {
        "SQLALCHEMY_DATABASE_URI": normalise(engine_url(args.engine)),
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "console",
        **json.loads(os.environ.get("PROFILE_CONFIG", "{}")),  # e.g. turn a cache off
    })
    client = app.test_client()
    base = "https://localhost"
    response = client.post(f"{base}/auth/login", data={"identifier": args.email, "password": PASSWORD, "next": ""})
    if response.status_code != 302:
        raise SystemExit(f"login answered {response.status_code}")

    form = dict(item.split("=", 1) for item in args.data)

    def once() -> float:
        begin = time.perf_counter()
        answer = client.open(f"{base}{args.path}", method=args.method, data=form or None)
        elapsed = (time.perf_counter() - begin) * 1000
        if answer.status_code != args.expect if args.expect else answer.status_code >= 400:
            raise SystemExit(f"{args.path} answered {answer.status_code}")
        return elapsed

    for _ in range(args.warm):
        once()
    # As gunicorn.conf.py does in each worker: warm up, then freeze the long-lived objects.
    warm_up(app)
    gc.collect()
    gc.freeze()
    profiler = None
    if args.tree:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    timings = [once() for _ in range(args.n)]
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"{args.path}: n={len(timings)} mean {statistics.mean(timings):.1f} ms, "
          f"median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms")


if __name__ == "__main__":
    main()
