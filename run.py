"""Development entry point: the web app plus the embedded scheduler (reloader-safe)."""

import os

from smartwork import create_app

app = create_app(os.environ.get("SMARTWORK_CONFIG", "development"))

if __name__ == "__main__":
    from smartwork.jobs.runner import should_embed_scheduler, start_embedded_scheduler

    # Under the debug reloader the parent process only watches files; the scheduler
    # starts in the serving child (WERKZEUG_RUN_MAIN=true) so jobs never run twice.
    if should_embed_scheduler(app, os.environ):
        start_embedded_scheduler(app)
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
