"""`flask backup` and `flask restore`: a round trip on each engine."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from smartwork.bookings.models import Booking, BookingStatus
from smartwork.extensions import db


def _snapshot() -> list[tuple]:
    return [(b.id, b.user_id, b.status, b.starts_at) for b in db.session.scalars(select(Booking).order_by(Booking.id))]


def test_backup_then_restore_brings_the_data_back(app, world, tmp_path):
    before = _snapshot()
    assert len(before) == 2
    booking_id, other_booking_id, other_id = world.booking.id, world.other_booking.id, world.other.id
    runner = app.test_cli_runner()
    target = tmp_path / "nested" / "smartwork.backup"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0

    # Change the data after the backup: cancel one booking, delete the other.
    db.session.get(Booking, booking_id).status = BookingStatus.CANCELLED
    db.session.delete(db.session.get(Booking, other_booking_id))
    db.session.commit()
    assert _snapshot() != before

    refused = runner.invoke(args=["restore", str(target)], input="n\n")
    assert refused.exit_code != 0  # not confirmed: nothing changed
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1

    result = runner.invoke(args=["restore", "--yes", str(target)])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert _snapshot() == before
    # The restored database still enforces its rules (constraints and triggers came back).
    copy = db.session.get(Booking, booking_id)
    db.session.add(Booking(user_id=other_id, space_id=copy.space_id, center_id=copy.center_id,
                           starts_at=copy.starts_at, ends_at=copy.ends_at, status=BookingStatus.RESERVED))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_restore_of_a_missing_or_broken_file_fails_cleanly(app, world, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["restore", "--yes", str(tmp_path / "missing")]).exit_code != 0
    broken = tmp_path / "broken.backup"
    broken.write_bytes(b"not a backup at all" * 100)
    result = runner.invoke(args=["restore", "--yes", str(broken)])
    assert result.exit_code != 0
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 2  # the data is untouched
