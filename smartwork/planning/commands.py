"""`flask planning …` commands."""

from __future__ import annotations

import click


@click.group("planning")
def planning_group() -> None:
    """The rollout plan."""


@planning_group.command("seed-targets")
def seed_targets() -> None:
    """Load the 2010 plan's yearly targets if no target exists yet (idempotent)."""
    from .rollout import ensure_default_targets

    added = ensure_default_targets()
    click.echo(f"rollout targets added: {added}" if added else "rollout targets already present; nothing added")
