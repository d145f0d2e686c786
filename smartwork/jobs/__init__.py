"""Scheduled jobs: APScheduler wiring, the leader lock and the record of every run."""
