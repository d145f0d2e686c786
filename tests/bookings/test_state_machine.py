"""Random book / cancel / check-in / check-out / release / complete sequences never overlap."""

from __future__ import annotations

import contextlib
import itertools
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from smartwork.auth.models import User
from smartwork.bookings import services
from smartwork.bookings.models import LIVE_STATUSES, Booking, Notification, WaitlistEntry
from smartwork.centers.models import Space, SpaceKind
from smartwork.errors import SmartworkError
from smartwork.extensions import db
from tests import factories

from .helpers import NOW, TODAY, at, raw_booking

SLOTS = [f"{8 + (30 + 30 * i) // 60:02d}:{(30 + 30 * i) % 60:02d}" for i in range(20)]  # 08:30 … 18:00


def _overlaps(rows) -> list[tuple]:
    rows = sorted(rows, key=lambda r: r[1])
    return [(a, b) for a, b in itertools.pairwise(rows) if b[1] < a[2]]


def machine_for(user_ids: list[int], space_ids: list[int], seen: dict[str, int]):
    class Bookings(RuleBasedStateMachine):
        """A few users and spaces, a clock that only moves forward, every service."""

        def __init__(self) -> None:
            super().__init__()
            db.session.rollback()
            for model in (Notification, WaitlistEntry, Booking):
                db.session.execute(delete(model))
            db.session.commit()
            self.now = NOW
            self.booking_ids: list[int] = []

        def user(self, index: int) -> User:
            return db.session.get(User, user_ids[index % len(user_ids)])

        @initialize()
        def both_guards_act(self):
            """Every example starts with one booking and one overlap the database must refuse.

            Random draws alone may never hit an overlapping raw insert; this makes both guards
            act in every example, whatever Hypothesis draws next.
            """
            booking = services.create_booking(self.user(0), space_ids[0], at(TODAY, "10:00"), at(TODAY, "11:00"),
                                              now=self.now)
            self.booking_ids.append(booking.id)
            seen["booked"] += 1
            self.raw_insert(1, 0, 0, 3, 2)  # 10:00-11:00 on the same space, by another user
            self.raw_insert(0, 1, 0, 3, 2)  # the same user at the same time on another space
            assert seen["refused_by_database"] >= 2, seen

        @rule(u=st.integers(0, 2), s=st.integers(0, 2), day=st.integers(0, 1), start=st.integers(0, 18),
              length=st.integers(1, 6))
        def book(self, u, s, day, start, length):
            end = min(start + length, len(SLOTS) - 1)
            d = TODAY + timedelta(days=day)
            try:
                booking = services.create_booking(self.user(u), space_ids[s], at(d, SLOTS[start]), at(d, SLOTS[end]),
                                                  now=self.now)
                self.booking_ids.append(booking.id)
                seen["booked"] += 1
            except SmartworkError:
                pass

        @rule(u=st.integers(0, 2), s=st.integers(0, 2), day=st.integers(0, 1), start=st.integers(0, 18),
              length=st.integers(1, 4))
        def raw_insert(self, u, s, day, start, length):
            """Behind the services' back: the database alone must refuse an overlap."""
            d = TODAY + timedelta(days=day)
            end = min(start + length, len(SLOTS) - 1)
            space = db.session.get(Space, space_ids[s])
            try:
                with db.session.begin_nested():
                    self.booking_ids.append(
                        raw_booking(self.user(u), space, at(d, SLOTS[start]), at(d, SLOTS[end]))
                    )
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                seen["refused_by_database"] += 1

        @rule(pick=st.integers(0, 50))
        def cancel(self, pick):
            if self.booking_ids:
                booking_id = self.booking_ids[pick % len(self.booking_ids)]
                booking = db.session.get(Booking, booking_id)
                with contextlib.suppress(SmartworkError):
                    services.cancel_booking(booking.user, booking_id, now=self.now)

        @rule(u=st.integers(0, 2), s=st.integers(0, 2))
        def check_in(self, u, s):
            with contextlib.suppress(SmartworkError):
                services.check_in(self.user(u), space_ids[s], now=self.now)

        @rule(pick=st.integers(0, 50))
        def check_out(self, pick):
            if self.booking_ids:
                booking_id = self.booking_ids[pick % len(self.booking_ids)]
                with contextlib.suppress(SmartworkError):
                    services.check_out(db.session.get(Booking, booking_id).user, booking_id, now=self.now)

        @rule(minutes=st.sampled_from([15, 30, 60, 120, 240]))
        def tick(self, minutes):
            self.now += timedelta(minutes=minutes)

        @rule()
        def release(self):
            services.release_no_shows(now=self.now)

        @rule()
        def complete(self):
            services.complete_ended(now=self.now)

        @invariant()
        def no_live_overlap(self):
            db.session.expire_all()
            rows = db.session.execute(
                select(Booking.space_id, Booking.starts_at, Booking.ends_at, Booking.user_id)
                .where(Booking.status.in_(LIVE_STATUSES))
            ).all()
            db.session.commit()  # end the read transaction (SQLite holds its lock otherwise)
            for key in (0, 3):
                groups: dict[int, list] = {}
                for row in rows:
                    groups.setdefault(row[key], []).append(row)
                for group in groups.values():
                    assert not _overlaps(group), group

        def teardown(self):
            db.session.rollback()

    return Bookings


def test_random_sequences_never_overlap(app):
    center = factories.center(spaces={SpaceKind.DESK: 3}, weekdays=tuple(range(7)))
    users = [factories.user() for _ in range(3)]
    db.session.commit()
    seen = {"booked": 0, "refused_by_database": 0}
    machine = machine_for([u.id for u in users], [s.id for s in center.spaces], seen)
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=25, stateful_step_count=20, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
    # The run exercised both guards: bookings were made and the database refused overlaps.
    assert seen["booked"] > 0 and seen["refused_by_database"] > 0, seen

