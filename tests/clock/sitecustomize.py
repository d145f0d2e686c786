"""Imported at start-up by every Python process of `make test-clock` (it is on PYTHONPATH there only).

libfaketime 0.9.10 (Debian 12) cannot fake time under Python 3.11 as it is: with the monotonic clock
faked, timed waits (locks, events, queues) wait forever, since Python hands the kernel a faked
monotonic deadline; with it real (FAKETIME_DONT_FAKE_MONOTONIC=1), ``time.sleep`` fails with EINVAL,
since libfaketime shifts Python's absolute monotonic ``clock_nanosleep`` deadline by the wall-clock
offset. So `make test-clock` keeps the monotonic clock real and sleeps on a timed event wait, which
works. Only the wall clock moves, and that is what the clock tests are about.
"""

from __future__ import annotations

import os
import threading
import time

if os.environ.get("FAKETIME") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        threading.Event().wait(seconds)

    time.sleep = _sleep
