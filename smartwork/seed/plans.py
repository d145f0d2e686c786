"""The center plan: the real public centers and the generated ones, with spaces and hours."""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, time, timedelta

from ..centers.models import CenterKind, CenterStatus, Operator, Ownership, Region, SpaceKind
from .catalog import PUBLIC_TRAVEL_HUBS, REAL_CENTER_POINTS, SIDO_SHORT, STREETS, TRAVEL_HUBS
from .geo import DATA_DIR, place_point

REAL_CENTERS_FILE = DATA_DIR / "public-smart-work-centers.csv"

PUBLIC_TARGET = 50
PRIVATE_TARGET = 450

# The 2010 plan, as centers to add per year (2 public in 2010, 50 + 450 by 2015). Public years
# are what is left after the real centers of those years.
PRIVATE_YEAR_WEIGHTS = {2011: 40, 2012: 90, 2013: 120, 2014: 110, 2015: 90}
PUBLIC_YEAR_WEIGHTS = {2012: 9, 2013: 7, 2014: 10, 2015: 9}

# Reality fell behind the plan: most opened (late), some are still planned or being built,
# a few were suspended or closed for low use. Shares of the generated centers.
FATE_WEIGHTS = {"open": 82, "under_construction": 6, "planned": 6, "suspended": 2, "closed": 4}

WEEKDAY_HOURS = (time(8, 30), time(18, 30))
LONG_HOURS = (time(7, 0), time(22, 0))
SATURDAY_HOURS = (time(9, 0), time(18, 0))

# Real centers whose rooms are known in more detail than the CSV columns.
REAL_BOOTHS = {"seocho": 7}
REAL_ROOM_CAPACITIES = {"seoul-station": [37, 14, 14, 14, 14]}
# "Listed as operating by Sept 2015; opening date not found": that month is used.
REAL_OPENED_FALLBACK = {"daejeon-gov": "2015-09"}


def quota(weights: dict, total: int) -> list:
    """Split ``total`` over the keys by weight (largest remainder), as a flat ordered list."""
    weight_sum = sum(weights.values())
    exact = {key: total * weight / weight_sum for key, weight in weights.items()}
    counts = {key: int(value) for key, value in exact.items()}
    leftover = total - sum(counts.values())
    for key in sorted(exact, key=lambda k: counts[k] - exact[k])[:leftover]:
        counts[key] += 1
    return [key for key in weights for _ in range(counts[key])]


def parse_partial_date(text: str) -> date | None:
    """'2010-11-03', '2010-11' or '2013' → a date; partial dates take the first day of the period."""
    text = text.strip()
    if not text:
        return None
    parts = [int(part) for part in text.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def status_for(
    now_day: date, planned: date | None, opened: date | None, closed: date | None, fate: str = "open"
) -> CenterStatus:
    """The lifecycle status implied by the dates (and the generated fate) on ``now_day``."""
    if closed is not None and closed <= now_day:
        return CenterStatus.CLOSED
    if opened is not None and opened <= now_day:
        return CenterStatus.SUSPENDED if fate == "suspended" else CenterStatus.OPEN
    if fate == "planned" or planned is None or now_day < planned - timedelta(days=365):
        return CenterStatus.PLANNED
    return CenterStatus.UNDER_CONSTRUCTION


class PlaceLabels:
    """Short place names for center names and code slugs ('분당', '부산 중구', 'bundang')."""

    def __init__(self, regions: dict[str, Region]) -> None:
        self._labels = {code: self._strip(region) for code, region in regions.items()}
        counts = Counter(label[0] for label in self._labels.values())
        for code, (ko, en, slug) in list(self._labels.items()):
            if counts[ko] > 1:
                short_ko, short_en, _slug = SIDO_SHORT[regions[code].sido_code]
                self._labels[code] = (f"{short_ko} {ko}", f"{short_en} {en}", slug)

    @staticmethod
    def _strip(region: Region) -> tuple[str, str, str]:
        ko = region.name_ko.split()[-1]
        en = region.name_en.split()[-1]
        if len(ko) > 2 and ko[-1] in "구시군":
            ko = ko[:-1]
            en = en.rsplit("-", 1)[0]
        return ko, en, en.lower().replace(" ", "-")

    def ko(self, code: str) -> str:
        return self._labels[code][0]

    def en(self, code: str) -> str:
        return self._labels[code][1]

    def slug(self, code: str) -> str:
        return self._labels[code][2]


# --- space mix and hours -----------------------------------------------------------------------


def desk_features(rng: random.Random) -> list[str]:
    """A plausible feature list for an open desk."""
    features = []
    roll = rng.random()
    if roll < 0.2:
        features.append("dual monitor")
    elif roll < 0.85:
        features.append("monitor")
    if rng.random() < 0.4:
        features.append("docking")
    if rng.random() < 0.3:
        features.append("window")
    if rng.random() < 0.1:
        features.append("standing")
    return features


def space_rows(
    rng: random.Random, desks: int, booths: int, rooms: list[int], video_rooms: list[int]
) -> list[dict]:
    """Space column dicts (without center_id) for a mix; rooms are given as capacities."""
    rows = [
        {"code": f"D{i:02d}", "kind": SpaceKind.DESK, "capacity": 1, "features": desk_features(rng)}
        for i in range(1, desks + 1)
    ]
    for i in range(1, booths + 1):
        features = ["monitor", "docking"] + (["window"] if rng.random() < 0.2 else [])
        rows.append({"code": f"B{i:02d}", "kind": SpaceKind.BOOTH, "capacity": 1, "features": features})
    for i, capacity in enumerate(rooms, 1):
        rows.append({"code": f"M{i:02d}", "kind": SpaceKind.MEETING_ROOM, "capacity": capacity,
                     "features": ["display", "whiteboard"]})
    for i, capacity in enumerate(video_rooms, 1):
        rows.append({"code": f"V{i:02d}", "kind": SpaceKind.VIDEO_ROOM, "capacity": capacity,
                     "features": ["video conferencing", "display"]})
    for row in rows:
        row["is_active"] = True
    return rows


def generated_space_mix(rng: random.Random, ownership: Ownership, kind: CenterKind) -> list[dict]:
    """More of everything at travel hubs; private residential centers are the smallest."""
    if kind == CenterKind.TRAVEL:
        desks, booths = rng.randint(20, 48), rng.randint(4, 10)
        rooms = [rng.choice((6, 8, 10, 12)) for _ in range(rng.randint(2, 6))]
        videos = [rng.choice((4, 6, 8)) for _ in range(rng.randint(1, 3))]
    elif ownership == Ownership.PUBLIC:
        desks, booths = rng.randint(12, 28), rng.randint(2, 6)
        rooms = [rng.choice((4, 6, 8)) for _ in range(rng.randint(1, 2))]
        videos = [rng.choice((4, 6)) for _ in range(rng.randint(0, 1))]
    else:
        desks, booths = rng.randint(8, 24), rng.randint(0, 4)
        rooms = [rng.choice((4, 6, 8)) for _ in range(rng.randint(1, 2))]
        videos = [6] if rng.random() < 0.3 else []
    return space_rows(rng, desks, booths, rooms, videos)


def hours_rows(rng: random.Random, kind: CenterKind) -> list[dict]:
    """08:30–18:30 on weekdays; some travel hubs open longer, some on Saturdays too."""
    weekday = LONG_HOURS if kind == CenterKind.TRAVEL and rng.random() < 0.4 else WEEKDAY_HOURS
    rows = [{"weekday": day, "opens_at": weekday[0], "closes_at": weekday[1]} for day in range(5)]
    if kind == CenterKind.TRAVEL and rng.random() < 0.3:
        rows.append({"weekday": 5, "opens_at": SATURDAY_HOURS[0], "closes_at": SATURDAY_HOURS[1]})
    return rows


# --- the center plan ---------------------------------------------------------------------------


@dataclass
class PlannedCenter:
    """One center to create, with its children."""

    row: dict
    spaces: list[dict]
    hours: list[dict]


def real_center_plans(
    rng: random.Random, regions: dict[str, Region], operators: dict[str, Operator], now_day: date
) -> list[PlannedCenter]:
    """The 21 real public centers with their real names, dates and seat counts."""
    with REAL_CENTERS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    plans = []
    for row in rows:
        region = regions[_real_region_code(row, regions)]
        kind = CenterKind.TRAVEL if row["center_type"].startswith("travel") else CenterKind.RESIDENTIAL
        opened = parse_partial_date(row["opened"] or REAL_OPENED_FALLBACK.get(row["id"], ""))
        closed = parse_partial_date(row["closed"])
        seats = int(row["seats_total"] or (20 if kind == CenterKind.TRAVEL else 16))
        booths = REAL_BOOTHS.get(row["id"], seats // 5)
        rooms = REAL_ROOM_CAPACITIES.get(row["id"]) or [8] * int(row["meeting_rooms"] or 1)
        videos = [6] * int(row["video_rooms"] or (1 if kind == CenterKind.TRAVEL else 0))
        lat, lon = REAL_CENTER_POINTS[row["id"]]
        operator = operators["seoul-city" if row["id"] == "seoul-city" else "nia"]
        plans.append(PlannedCenter(
            row={
                "code": f"pub-{SIDO_SHORT[region.sido_code][2]}-{row['id']}",
                "name_ko": row["name_ko"],
                "name_en": f"{row['name_en']} Smart Work Center",
                "ownership": Ownership.PUBLIC,
                "kind": kind,
                "status": status_for(now_day, opened, opened, closed),
                "region_id": region.id,
                "operator_id": operator.id,
                "address_ko": row["location_ko"],
                "address_en": f"{region.name_en}, {region.sido_name_en}",
                "lat": lat,
                "lon": lon,
                "planned_open_on": opened,
                "opened_on": opened,
                "closed_on": closed,
                "is_historical": True,
            },
            spaces=space_rows(rng, seats - booths, booths, rooms, videos),
            hours=[{"weekday": d, "opens_at": WEEKDAY_HOURS[0], "closes_at": WEEKDAY_HOURS[1]}
                   for d in range(5)],
        ))
    return plans


def _real_region_code(row: dict, regions: dict[str, Region]) -> str:
    """The region of a real center; the CSV leaves Ilsan and Seoul Station blank."""
    if row["sigungu_code"]:
        return row["sigungu_code"]
    # Ilsan: the center is counted in 일산동구; Seoul Station's building (KORAIL Seoul HQ) is in 중구.
    wanted = "일산동구" if row["id"] == "ilsan" else "중구"
    return next(
        code for code, region in regions.items()
        if region.sido_code == row["sido_code"] and region.name_ko.endswith(wanted)
    )


def generated_center_plans(
    seed: int,
    regions: dict[str, Region],
    operators: dict[str, Operator],
    private_operator_weights: dict[str, int],
    brands: dict[str, tuple[str, str]],
    real_plans: list[PlannedCenter],
    now_day: date,
) -> list[PlannedCenter]:
    """The 29 public and 450 private centers that complete the plan, deterministic for ``seed``."""
    rng = random.Random(f"{seed}:centers")
    labels = PlaceLabels(regions)
    region_list = list(regions.values())
    hubs = {hub[0]: hub for hub in TRAVEL_HUBS}
    real_count = len(real_plans)
    taken_codes = {plan.row["code"] for plan in real_plans}
    specs: list[dict] = []

    # Public travel centers at hubs without a real one.
    for slug in PUBLIC_TRAVEL_HUBS:
        _, name_ko, name_en, region_code, lat, lon, address, _n = hubs[slug]
        suffix_ko, suffix_en = (" 2", " 2") if slug == "sejong-complex" else ("", "")
        specs.append({"ownership": Ownership.PUBLIC, "kind": CenterKind.TRAVEL, "region": regions[region_code],
                      "code": f"pub-{SIDO_SHORT[region_code[:2]][2]}-{slug}",
                      "name_ko": f"{name_ko}{suffix_ko} 스마트워크센터",
                      "name_en": f"{name_en}{suffix_en} Smart Work Center",
                      "point": (lat, lon), "spread": 0.3, "address": f"{address} {rng.randint(2, 9)}층"})

    # Public residential centers near where civil servants live: the capital area first.
    real_residential = {plan.row["region_id"] for plan in real_plans
                        if plan.row["kind"] == CenterKind.RESIDENTIAL}
    candidates = [region for region in region_list if region.id not in real_residential]
    boost = {"11": 3.0, "23": 3.0, "31": 3.0, "29": 2.0, "25": 2.0}
    weights = [region.population * boost.get(region.sido_code, 1.0) for region in candidates]
    for region in _weighted_sample(rng, candidates, weights, PUBLIC_TARGET - real_count - len(specs)):
        code = f"pub-{SIDO_SHORT[region.sido_code][2]}-{labels.slug(region.code)}"
        specs.append({"ownership": Ownership.PUBLIC, "kind": CenterKind.RESIDENTIAL, "region": region,
                      "code": code, "name_ko": f"{labels.ko(region.code)} 스마트워크센터",
                      "name_en": f"{labels.en(region.code)} Smart Work Center"})

    # Private centers: some at travel hubs, the rest by population weight.
    private_specs: list[dict] = []
    for _slug, name_ko, name_en, region_code, lat, lon, address, count in TRAVEL_HUBS:
        for _copy in range(count):
            private_specs.append({"kind": CenterKind.TRAVEL, "region": regions[region_code],
                                  "place": (name_ko, name_en), "point": (lat, lon), "spread": 0.6,
                                  "address": f"{address} 인근"})
    populations = [region.population for region in region_list]
    for region in rng.choices(region_list, weights=populations, k=PRIVATE_TARGET - len(private_specs)):
        private_specs.append({"kind": CenterKind.RESIDENTIAL, "region": region,
                              "place": (labels.ko(region.code), labels.en(region.code))})
    operator_codes = list(private_operator_weights)
    branch_counts: Counter = Counter()
    for index, spec in enumerate(private_specs, 1):
        operator_code = rng.choices(operator_codes, weights=list(private_operator_weights.values()))[0]
        branch_counts[(operator_code, spec["place"])] += 1
        branch = branch_counts[(operator_code, spec["place"])]
        brand_ko, brand_en = brands[operator_code]
        spec.update({
            "ownership": Ownership.PRIVATE,
            "operator": operator_code,
            "code": f"prv-{index:04d}",
            "name_ko": f"{brand_ko} {spec['place'][0]}{'점' if branch == 1 else f' {branch}호점'}",
            "name_en": f"{brand_en} {spec['place'][1]}{'' if branch == 1 else f' {branch}'}",
        })
    specs.extend(private_specs)

    # Planned years per the 2010 plan, then the fate of each center against that plan.
    public_years = quota(PUBLIC_YEAR_WEIGHTS, PUBLIC_TARGET - real_count)
    private_years = quota(PRIVATE_YEAR_WEIGHTS, PRIVATE_TARGET)
    rng.shuffle(public_years)
    rng.shuffle(private_years)
    fates = quota(FATE_WEIGHTS, len(specs))
    rng.shuffle(fates)

    plans = []
    for spec, fate in zip(specs, fates, strict=True):
        ownership: Ownership = spec["ownership"]
        region: Region = spec["region"]
        year = (public_years if ownership == Ownership.PUBLIC else private_years).pop()
        planned = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        opened = closed = None
        if fate in ("open", "suspended", "closed"):
            opened = planned + timedelta(days=rng.randint(0, 420))
        if fate == "closed":
            closed = opened + timedelta(days=rng.randint(700, 2600))
        code = spec["code"]
        while code in taken_codes:  # a generated slug that clashes with a real center's
            code += "-2"
        taken_codes.add(code)
        base_lat, base_lon = spec.get("point", (region.lat, region.lon))
        lat, lon = place_point(rng, base_lat, base_lon, region.sido_code, spec.get("spread", 2.5))
        address = spec.get("address") or (
            f"{region.sido_name_ko} {region.name_ko} {rng.choice(STREETS)} {rng.randint(1, 400)}, "
            f"{rng.randint(2, 12)}층"
        )
        operator_code = spec.get("operator", "nia")
        plans.append(PlannedCenter(
            row={
                "code": code,
                "name_ko": spec["name_ko"],
                "name_en": spec["name_en"],
                "ownership": ownership,
                "kind": spec["kind"],
                "status": status_for(now_day, planned, opened, closed, fate),
                "region_id": region.id,
                "operator_id": operators[operator_code].id,
                "address_ko": address,
                "address_en": f"{region.name_en}, {region.sido_name_en}",
                "lat": lat,
                "lon": lon,
                "planned_open_on": planned,
                "opened_on": opened,
                "closed_on": closed,
                "is_historical": False,
            },
            spaces=generated_space_mix(rng, ownership, spec["kind"]),
            hours=hours_rows(rng, spec["kind"]),
        ))
    return plans


def _weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """``k`` distinct items drawn with probability proportional to weight."""
    pool, pool_weights, chosen = list(items), list(weights), []
    for _pick in range(min(k, len(pool))):
        index = rng.choices(range(len(pool)), weights=pool_weights)[0]
        chosen.append(pool.pop(index))
        pool_weights.pop(index)
    return chosen
