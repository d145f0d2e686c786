"""Job-test fixtures: every leader lock a test takes is given back, even when the test fails."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest

from smartwork.jobs import registry
from smartwork.jobs.services import LeaderLock


@pytest.fixture(autouse=True)
def release_leader_locks(monkeypatch):
    """Track LeaderLock instances and release them after the test (a held PG lock would leak)."""
    created: list[LeaderLock] = []
    original_init = LeaderLock.__init__

    def tracking_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        created.append(self)

    monkeypatch.setattr(LeaderLock, "__init__", tracking_init)
    yield
    for lock in created:
        with contextlib.suppress(Exception):  # a test may have broken its connection on purpose
            lock.release()


@pytest.fixture
def replace_job(monkeypatch):
    """Swap a job's function for the test: replace_job("name", func)."""

    def replace(name: str, func):
        spec = registry.JOBS_BY_NAME[name]
        monkeypatch.setitem(registry.JOBS_BY_NAME, name, dataclasses.replace(spec, func=func))

    return replace
