"""`flask seed --scale national`: the network at full size and a year of booking history, bulk-loaded.

The history is generated so that the database's no-overlap guarantees hold by construction
(each space's day is a sequence of disjoint slots; each user books at most once a day), and it
is written with the engine's fastest bulk path — COPY on PostgreSQL, executemany in one big
transaction on SQLite — with the exclusion constraints and overlap triggers left on. The
hourly occupancy roll-up is computed from the same rows as they are generated, with exactly
the rules of ``operations.services.rollup_occupancy``, so dashboards have data at once.
"""

from __future__ import annotations

import random
import time as clock
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, text

from ..auth.models import User, UserStatus
from ..bookings.models import Booking
from ..centers.models import (
    Center,
    CenterKind,
    CenterStatus,
    Closure,
    Contract,
    OpeningHours,
    Ownership,
    Region,
    Space,
    SpaceKind,
)
from ..extensions import db
from ..operations.models import OccupancyHourly
from ..timeutils import local_to_utc, local_today, utcnow
from .plans import desk_features

Progress = Callable[[str, int, int], None]

NATIONAL_USERS = 50_000
NATIONAL_SPACES = 15_000
HISTORY_DAYS = 365
FUTURE_DAYS = 14
# Calibrated so the national network yields about two million bookings over 12 months + 2 weeks.
NATIONAL_INTENSITY = 1.0

# Weekday peaks (Mon … Sun): mid-week is busiest, Friday quietest among working days.
WEEKDAY_FACTOR = (0.9, 1.0, 1.05, 1.0, 0.75, 0.45, 0.3)
# Summer holidays and the year's end are quieter.
MONTH_FACTOR = {1: 0.9, 2: 0.95, 7: 0.9, 8: 0.8, 12: 0.85}
# How full a center of each kind runs (DESIGN §1: hubs over 100 %, residential 25–50 %).
BASE_LOAD = {
    (Ownership.PUBLIC, CenterKind.TRAVEL): 0.92,
    (Ownership.PRIVATE, CenterKind.TRAVEL): 0.8,
    (Ownership.PUBLIC, CenterKind.RESIDENTIAL): 0.42,
    (Ownership.PRIVATE, CenterKind.RESIDENTIAL): 0.34,
}
CANCEL_RATE = 0.07
NO_SHOW_RATE = 0.05
NO_SHOW_GRACE = 30  # minutes; the default policy's no_show_grace_minutes
# Rooms are booked for meetings; these are the lengths in minutes.
MEETING_MINUTES = (60, 60, 90, 120)
# Bookings rolled into one write; large enough to amortise, small enough to keep memory flat.
FLUSH_ROWS = 50_000

BOOKING_COLUMNS = ("space_id", "center_id", "user_id", "starts_at", "ends_at", "status", "attendees",
                   "checked_in_at", "checked_out_at", "cancelled_at", "released_at", "created_at")
OCCUPANCY_COLUMNS = ("center_id", "day", "hour", "bookable_minutes", "booked_minutes", "checked_in_minutes",
                     "no_shows", "computed_at")


def _no_progress(_label: str, _done: int, _total: int) -> None:
    """Say nothing."""


@dataclass
class HistoryReport:
    """What the history step wrote."""

    bookings_by_status: Counter = field(default_factory=Counter)
    occupancy_rows: int = 0
    spaces_added: int = 0
    days: int = 0
    seconds: float = 0.0
    skipped: bool = False
    # Wall-clock seconds per phase (generate, write bookings, write roll-up, statistics), for the bench report.
    phases: Counter = field(default_factory=Counter)

    @property
    def bookings(self) -> int:
        """All bookings written."""
        return sum(self.bookings_by_status.values())

    def summary_lines(self) -> list[str]:
        """Counts for the command's output."""
        if self.skipped:
            return [_("Bookings already exist: the history was not generated again.")]
        statuses = ", ".join(f"{status} {count}" for status, count in sorted(self.bookings_by_status.items()))
        return [
            _("Spaces added: %(count)d", count=self.spaces_added),
            _("Bookings: %(total)d over %(days)d days (%(statuses)s)", total=self.bookings, days=self.days,
              statuses=statuses),
            _("Occupancy rows: %(count)d", count=self.occupancy_rows),
            _("History written in %(seconds).1f s (%(phases)s).", seconds=self.seconds,
              phases=", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phases.items())),
        ]


def seed_national(
    *,
    seed: int = 2010,
    progress: Progress | None = None,
    now: datetime | None = None,
):
    """The 500-center network with 50,000 employees, ~15,000 spaces and ~2 million bookings; commits.

    Returns the network's SeedReport and the HistoryReport. A rerun tops the network up and
    leaves an existing booking history alone.
    """
    from . import seed_network

    now = now or utcnow()
    report = seed_network(seed=seed, users=NATIONAL_USERS, progress=progress, now=now)
    history = HistoryReport()
    history.spaces_added = top_up_spaces(seed, NATIONAL_SPACES)
    db.session.commit()
    history = generate_history(seed=seed, now=now, progress=progress, report=history)
    report.spaces_by_kind = dict(Counter({
        str(getattr(kind, "value", kind)): count
        for kind, count in db.session.execute(select(Space.kind, func.count()).group_by(Space.kind)).all()
    }))
    return report, history


def top_up_spaces(seed: int, target: int) -> int:
    """Add open desks (more at travel hubs) until the network has ``target`` spaces; flushes only."""
    present = db.session.scalar(select(func.count()).select_from(Space)) or 0
    missing = target - present
    if missing <= 0:
        return 0
    rng = random.Random(f"{seed}:national-spaces")
    centers = db.session.execute(select(Center.id, Center.kind).order_by(Center.id)).all()
    desks = dict(db.session.execute(
        select(Space.center_id, func.count()).where(Space.kind == SpaceKind.DESK).group_by(Space.center_id)
    ).all())
    weights = [3.0 if kind == CenterKind.TRAVEL else 1.0 for _id, kind in centers]
    extra: Counter = Counter(rng.choices([center_id for center_id, _kind in centers], weights=weights, k=missing))
    existing_codes = {(center_id, code) for center_id, code in db.session.execute(select(Space.center_id, Space.code))}
    rows = []
    for center_id, count in sorted(extra.items()):
        number = desks.get(center_id, 0)
        for _n in range(count):
            number += 1
            code = f"D{number:02d}"
            while (center_id, code) in existing_codes:  # a manager may have used the next code
                number += 1
                code = f"D{number:02d}"
            rows.append({"center_id": center_id, "code": code, "kind": SpaceKind.DESK, "capacity": 1,
                         "features": desk_features(rng), "is_active": True})
    db.session.execute(insert(Space.__table__), rows)
    db.session.flush()
    return len(rows)


# --- the network as plain data -----------------------------------------------------------------


@dataclass
class _Center:
    id: int
    sido: str
    kind: CenterKind
    ownership: Ownership
    operator_id: int
    status: CenterStatus
    opened_on: date | None
    closed_on: date | None
    load: float
    hours: dict[int, tuple[int, int]]
    spaces: list[tuple[int, SpaceKind, int]]
    closed_days: set[date]

    def takes_bookings(self, day: date, future: bool) -> bool:
        """The roll-up's rule for the past (a center that had opened and not yet closed), open ones ahead."""
        if self.status in (CenterStatus.PLANNED, CenterStatus.UNDER_CONSTRUCTION):
            return False
        if future and self.status != CenterStatus.OPEN:
            return False
        if self.opened_on is not None and self.opened_on > day:
            return False
        return self.closed_on is None or self.closed_on > day


def _minutes(clock_time) -> int:
    return clock_time.hour * 60 + clock_time.minute


def _load_centers(rng: random.Random) -> list[_Center]:
    sido = dict(db.session.execute(select(Region.id, Region.sido_code)).all())
    hours: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for row in db.session.execute(select(OpeningHours.center_id, OpeningHours.weekday, OpeningHours.opens_at,
                                         OpeningHours.closes_at)):
        hours[row.center_id][row.weekday] = (_minutes(row.opens_at), _minutes(row.closes_at))
    spaces: dict[int, list] = defaultdict(list)
    for row in db.session.execute(select(Space.id, Space.center_id, Space.kind, Space.capacity)
                                  .where(Space.is_active.is_(True)).order_by(Space.id)):
        spaces[row.center_id].append((row.id, SpaceKind(row.kind), row.capacity))
    closed: dict[int, set[date]] = defaultdict(set)
    for center_id, first, last in db.session.execute(select(Closure.center_id, Closure.starts_on, Closure.ends_on)):
        for offset in range((last - first).days + 1):
            closed[center_id].add(first + timedelta(days=offset))
    centers = []
    for row in db.session.execute(select(Center).order_by(Center.id)).scalars():
        load = BASE_LOAD[(Ownership(row.ownership), CenterKind(row.kind))] * rng.uniform(0.7, 1.25)
        centers.append(_Center(
            id=row.id, sido=sido.get(row.region_id, ""), kind=CenterKind(row.kind),
            ownership=Ownership(row.ownership), operator_id=row.operator_id, status=CenterStatus(row.status),
            opened_on=row.opened_on, closed_on=row.closed_on, load=min(load, 1.0), hours=hours[row.id],
            spaces=spaces[row.id], closed_days=closed[row.id],
        ))
    return centers


class _Pools:
    """Who books where: public centers draw on active employees of the same 시도, private ones on
    employees whose agency has a contract with the operator; travel hubs draw on the whole country
    too. Each pool is walked from a random point each day, and a user books at most once a day."""

    def __init__(self, rng: random.Random, first_day: date) -> None:
        self.rng = rng
        contracted: dict[int, set[int]] = defaultdict(set)
        for agency_id, operator_id, ends_on in db.session.execute(
            select(Contract.agency_id, Contract.operator_id, Contract.ends_on)
        ):
            if ends_on is None or ends_on >= first_day:
                contracted[agency_id].add(operator_id)
        sido = dict(db.session.execute(select(Region.id, Region.sido_code)).all())
        members: dict[tuple, list[int]] = defaultdict(list)
        for user_id, agency_id, region_id in db.session.execute(
            select(User.id, User.agency_id, User.home_region_id)
            .where(User.status == UserStatus.ACTIVE).order_by(User.id)
        ):
            home = sido.get(region_id)
            members[("public", home)].append(user_id)
            members[("public", None)].append(user_id)
            for operator_id in contracted.get(agency_id, ()):
                members[(operator_id, home)].append(user_id)
                members[(operator_id, None)].append(user_id)
        for users in members.values():
            rng.shuffle(users)
        self.members = dict(members)
        self.used: set[int] = set()
        self.cursor: dict[tuple, list[int]] = {}

    def new_day(self) -> None:
        """Forget who booked today."""
        self.used = set()
        self.cursor = {}

    def _draw(self, key: tuple) -> int | None:
        users = self.members.get(key)
        if not users:
            return None
        state = self.cursor.get(key)
        if state is None:
            state = self.cursor[key] = [self.rng.randrange(len(users)), 0]
        size = len(users)
        while state[1] < size:
            user_id = users[(state[0] + state[1]) % size]
            state[1] += 1
            if user_id not in self.used:
                self.used.add(user_id)
                return user_id
        return None

    def draw(self, center: _Center, traveller: bool) -> int | None:
        """A user free today who may book at ``center``, or None when everyone is taken."""
        group = "public" if center.ownership == Ownership.PUBLIC else center.operator_id
        keys = [(group, None), (group, center.sido)] if traveller else [(group, center.sido), (group, None)]
        for key in keys:
            user_id = self._draw(key)
            if user_id is not None:
                return user_id
        return None


# --- one day at one space ----------------------------------------------------------------------


def _desk_day(rng: random.Random, opens: int, closes: int, load: float, travel: bool) -> list[tuple[int, int]]:
    """Disjoint [start, end) minute intervals for a desk or booth on one day."""
    if rng.random() >= load:
        return []
    noon = min(max(opens + 180, 12 * 60), closes - 120)
    roll = rng.random()
    if travel and roll < 0.35:
        # Travellers drop in for a few hours, several of them a day.
        slots, start = [], opens + rng.choice((0, 30, 60))
        while start + 90 <= closes:
            end = min(closes, start + rng.choice((90, 120, 180, 240)))
            slots.append((start, end))
            start = end + rng.choice((0, 30, 60, 90))
            if rng.random() >= load:
                start += 120
        return slots
    if roll < 0.6:
        return [(opens + rng.choice((0, 0, 30, 60)), closes - rng.choice((0, 0, 30, 60, 90)))]
    morning = (opens + rng.choice((0, 30, 60)), noon)
    afternoon = (noon + rng.choice((0, 60)), closes - rng.choice((0, 30, 60)))
    if roll < 0.8:
        return [morning, afternoon] if rng.random() < load else [morning]
    return [afternoon]


def _room_day(rng: random.Random, opens: int, closes: int, load: float) -> list[tuple[int, int]]:
    """Disjoint meetings in a meeting or video room on one day."""
    starts = list(range(opens - opens % 60 + (60 if opens % 60 else 0), closes - 59, 60))
    count = sum(rng.random() < load for _n in range(4))
    if not count or not starts:
        return []
    chosen = sorted(rng.sample(starts, min(count, len(starts))))
    slots = []
    for index, start in enumerate(chosen):
        limit = chosen[index + 1] if index + 1 < len(chosen) else closes
        slots.append((start, min(limit, start + rng.choice(MEETING_MINUTES))))
    return slots


# --- writing -----------------------------------------------------------------------------------


class _Clock:
    """Minutes since the first local midnight, formatted as the engine's UTC timestamp text (cached)."""

    def __init__(self, first_day: date, dialect: str) -> None:
        self.base = local_to_utc(first_day, datetime.min.time())
        self.suffix = ".000000" if dialect == "sqlite" else "+00"
        self.cache: dict[int, str] = {}

    def __call__(self, minute: int) -> str:
        text_value = self.cache.get(minute)
        if text_value is None:
            instant = self.base + timedelta(minutes=minute)
            text_value = self.cache[minute] = instant.strftime("%Y-%m-%d %H:%M:%S") + self.suffix
        return text_value


class _Writer:
    """Bulk rows into a table on the session's connection: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection, table: str, columns: tuple[str, ...]) -> None:
        self.dialect = connection.dialect.name
        self.raw = connection.connection.driver_connection
        self.table, self.columns = table, columns
        self.cursor = self.raw.cursor()
        self.copy = self.copying = None
        if self.dialect == "postgresql":
            self.copying = self.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")
            self.copy = self.copying.__enter__()
        self.sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"

    def write(self, rows: list[tuple]) -> None:
        """Write rows whose values are already in the engine's text form (None for NULL)."""
        if not rows:
            return
        if self.copy is not None:
            self.copy.write("".join(
                "\t".join("\\N" if value is None else str(value) for value in row) + "\n" for row in rows
            ))
        else:
            self.cursor.executemany(self.sql, rows)

    def close(self, error: BaseException | None = None) -> None:
        """Finish the COPY (which checks every constraint), or abandon it on ``error``; release the cursor."""
        if self.copying is not None:
            copying, self.copying, self.copy = self.copying, None, None
            # An unfinished COPY would leave the server waiting for data and the rollback hanging.
            copying.__exit__(type(error) if error else None, error, error.__traceback__ if error else None)
        self.cursor.close()


def _tune_sqlite(connection, on: bool) -> None:
    """During the load SQLite skips fsyncs and keeps a large page cache; afterwards the defaults return.

    Called outside a transaction (SQLite refuses to change the safety level inside one).
    """
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.driver_connection
    if on:
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-262144")
        raw.execute("PRAGMA temp_store=MEMORY")
    else:
        raw.execute("PRAGMA synchronous=NORMAL")
        raw.execute("PRAGMA cache_size=-2000")


def generate_history(
    *,
    seed: int = 2010,
    now: datetime | None = None,
    progress: Progress | None = None,
    history_days: int = HISTORY_DAYS,
    future_days: int = FUTURE_DAYS,
    intensity: float = NATIONAL_INTENSITY,
    report: HistoryReport | None = None,
    analyze: bool = True,
) -> HistoryReport:
    """Write ``history_days`` of past bookings and ``future_days`` ahead for every center, and the
    occupancy roll-up of every past day; commits once. Does nothing if any booking exists."""
    started = clock.perf_counter()
    now = now or utcnow()
    progress = progress or _no_progress
    report = report or HistoryReport()
    if db.session.scalar(select(Booking.id).limit(1)) is not None:
        report.skipped = True
        return report
    today = local_today(now)
    first_day = today - timedelta(days=history_days)
    days = history_days + future_days + 1
    rng = random.Random(f"{seed}:history")
    centers = _load_centers(rng)
    pools = _Pools(rng, first_day)
    stamp = _Clock(first_day, db.engine.dialect.name)
    now_minute = int((now - stamp.base).total_seconds() // 60)
    computed_at = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") + stamp.suffix
    # The session's reads are done: end its transaction, so the load's own connection can take
    # SQLite's write lock and set its pragmas before it begins.
    db.session.commit()
    with db.engine.connect() as connection:
        _tune_sqlite(connection, True)
        try:
            with connection.begin():
                _load(connection, rng, centers, pools, stamp, first_day, today, days, intensity, now_minute,
                      computed_at, progress, report)
        finally:
            _tune_sqlite(connection, False)
    progress(_("Statistics"), 0, 1)
    mark = clock.perf_counter()
    if analyze:  # fresh planner statistics for every bulk-loaded table
        db.session.execute(text("ANALYZE"))
    db.session.commit()
    report.phases["statistics"] = clock.perf_counter() - mark
    progress(_("Statistics"), 1, 1)
    report.days = days
    report.seconds = clock.perf_counter() - started
    return report


def _deferred_indexes(dialect: str) -> list:
    """The plain (non-constraint) booking indexes that are cheaper to build once after the load.

    The exclusion constraints and the primary key stay; on SQLite so do the space and user
    indexes, because the overlap triggers look live bookings up through them.
    """
    keep = {"ix_bookings_space_starts", "ix_bookings_user_starts"} if dialect == "sqlite" else set()
    return sorted((index for index in Booking.__table__.indexes if not index.unique and index.name not in keep),
                  key=lambda index: index.name)


def _load(connection, rng, centers, pools, stamp, first_day, today, days, intensity, now_minute, computed_at,
          progress, report) -> None:
    """Generate and write every day's bookings, then the roll-up, on ``connection`` (one transaction)."""
    started = clock.perf_counter()
    deferred = _deferred_indexes(connection.dialect.name)
    for index in deferred:
        index.drop(connection)
    bookings = _Writer(connection, "bookings", BOOKING_COLUMNS)
    try:
        occupancy = _write_days(bookings, rng, centers, pools, stamp, first_day, today, days, intensity, now_minute,
                                computed_at, progress, report)
    except BaseException as error:
        bookings.close(error)
        raise
    mark = clock.perf_counter()
    bookings.close()
    report.phases["write bookings"] += clock.perf_counter() - mark
    report.phases["generate"] = clock.perf_counter() - started - report.phases["write bookings"]
    progress(_("Indexes"), 0, len(deferred))
    mark = clock.perf_counter()
    for done, index in enumerate(deferred, 1):
        index.create(connection)
        progress(_("Indexes"), done, len(deferred))
    report.phases["indexes"] = clock.perf_counter() - mark
    progress(_("Occupancy"), 0, 1)
    mark = clock.perf_counter()
    writer = _Writer(connection, "occupancy_hourly", OCCUPANCY_COLUMNS)
    for start in range(0, len(occupancy), FLUSH_ROWS):
        writer.write(occupancy[start:start + FLUSH_ROWS])
    writer.close()
    report.phases["write occupancy"] = clock.perf_counter() - mark
    progress(_("Occupancy"), 1, 1)
    report.occupancy_rows = len(occupancy)


def _write_days(bookings, rng, centers, pools, stamp, first_day, today, days, intensity, now_minute, computed_at,
                progress, report) -> list[tuple]:
    """Generate and write the bookings day by day; return the roll-up rows of the past days."""
    occupancy: list[tuple] = []
    pending: list[tuple] = []
    progress(_("Bookings"), 0, days)
    for index in range(days):
        day = first_day + timedelta(days=index)
        future = day >= today
        pools.new_day()
        day_factor = intensity * WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR.get(day.month, 1.0)
        base = index * 1440
        for center in centers:
            window = center.hours.get(day.weekday())
            if window is None or day in center.closed_days or not center.spaces:
                continue
            if not center.takes_bookings(day, future):
                continue
            tally = _day_bookings(rng, center, window, min(center.load * day_factor, 0.98), base, now_minute,
                                  pools, stamp, pending, report)
            if day < today:
                occupancy.extend(_occupancy_rows(center, day, window, base, tally, computed_at))
        if len(pending) >= FLUSH_ROWS or index == days - 1:
            mark = clock.perf_counter()
            bookings.write(pending)
            report.phases["write bookings"] += clock.perf_counter() - mark
            pending = []
        progress(_("Bookings"), index + 1, days)
    return occupancy


def _day_bookings(rng, center: _Center, window, load: float, base: int, now_minute: int, pools: _Pools,
                  stamp: _Clock, out: list, report: HistoryReport) -> dict:
    """Append one center's bookings for one day to ``out``; return the roll-up tallies of that day."""
    opens, closes = window
    booked: Counter = Counter()  # (start, end) minute intervals, by multiplicity
    present: Counter = Counter()
    no_shows: Counter = Counter()
    statuses = report.bookings_by_status
    travel = center.kind == CenterKind.TRAVEL
    random_ = rng.random
    for space_id, kind, capacity in center.spaces:
        room = kind in (SpaceKind.MEETING_ROOM, SpaceKind.VIDEO_ROOM)
        slots = _room_day(rng, opens, closes, load) if room else _desk_day(rng, opens, closes, load, travel)
        for start_offset, end_offset in slots:
            user_id = pools.draw(center, travel and random_() < 0.5)
            if user_id is None:
                return {"booked": booked, "present": present, "no_shows": no_shows}
            start, end = base + start_offset, base + end_offset
            created = min(start - rng.randrange(30, 14 * 1440, 30), now_minute - 1)
            checked_in = checked_out = cancelled = released = None
            roll = random_()
            if roll < CANCEL_RATE:
                status = "cancelled"
                cancelled = min(created + (start - created) // 2, now_minute - 1)
            elif end <= now_minute:
                if roll < CANCEL_RATE + NO_SHOW_RATE:
                    status, released = "released", start + NO_SHOW_GRACE
                else:
                    status = "completed"
                    checked_in = start + rng.choice((-10, -5, 0, 0, 5, 10, 20))
                    checked_out = end - rng.choice((0, 0, 10, 30)) if random_() < 0.7 else None
            elif start > now_minute:
                status = "reserved"
            else:
                arrival = start + rng.choice((-10, -5, 0, 0, 5, 10, 20))
                if roll < CANCEL_RATE + NO_SHOW_RATE and start + NO_SHOW_GRACE <= now_minute:
                    status, released = "released", start + NO_SHOW_GRACE
                elif arrival <= now_minute:
                    status, checked_in = "checked_in", arrival
                else:
                    status = "reserved"
            statuses[status] += 1
            attendees = rng.randint(2, max(2, capacity)) if room else None
            out.append((
                space_id, center.id, user_id, stamp(start), stamp(end), status, attendees,
                None if checked_in is None else stamp(checked_in),
                None if checked_out is None else stamp(checked_out),
                None if cancelled is None else stamp(cancelled),
                None if released is None else stamp(released),
                stamp(created),
            ))
            if status == "cancelled":
                continue
            if released is not None:
                booked[(start - base, min(end, max(start, released)) - base)] += 1
                no_shows[(start - base) // 60] += 1
            else:
                booked[(start_offset, end_offset)] += 1
            if checked_in is not None:
                stop = min(end, checked_out if checked_out is not None else end, now_minute)
                present[(max(start, checked_in) - base, stop - base)] += 1
    return {"booked": booked, "present": present, "no_shows": no_shows}


def _spread(intervals: Counter, hours: list[int]) -> None:
    """Add each [start, end) minute interval's overlap with every hour of the day, times its count."""
    for (start, end), count in intervals.items():
        start = max(start, 0)
        end = min(end, 1440)
        hour = start // 60
        while hour * 60 < end:
            overlap = min(end, hour * 60 + 60) - max(start, hour * 60)
            if overlap > 0:
                hours[hour] += overlap * count
            hour += 1


def _occupancy_rows(center: _Center, day: date, window, base: int, tally: dict, computed_at: str) -> list[tuple]:
    """The roll-up rows of one center-day, as rollup_occupancy would write them."""
    opens, closes = window
    bookable = [0] * 24
    _spread(Counter({(opens, closes): len(center.spaces)}), bookable)
    booked, present = [0] * 24, [0] * 24
    _spread(tally["booked"], booked)
    _spread(tally["present"], present)
    no_shows = tally["no_shows"]
    day_text = day.isoformat()
    return [
        (center.id, day_text, hour, bookable[hour], booked[hour], present[hour], no_shows.get(hour, 0), computed_at)
        for hour in range(24)
        if bookable[hour] or booked[hour] or present[hour] or no_shows.get(hour, 0)
    ]


def iter_status_counts() -> Iterator[tuple[str, int]]:
    """Bookings per status in the database (for the command's summary and the tests)."""
    yield from db.session.execute(select(Booking.status, func.count()).group_by(Booking.status)).all()


__all__ = ["OccupancyHourly", "generate_history", "seed_national", "top_up_spaces"]
