"""Province outlines and a small stdlib point-in-polygon test for placing seeded centers."""

from __future__ import annotations

import json
import math
import random
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PROVINCES_FILE = DATA_DIR / "korea-provinces.geojson"

# A ring is a list of (lon, lat); a polygon is its rings (exterior first, then holes).
Ring = list[tuple[float, float]]
Polygon = list[Ring]


@lru_cache(maxsize=1)
def province_polygons() -> dict[str, list[Polygon]]:
    """The 17 시도 outlines by KOSTAT code, each as a list of polygons."""
    with PROVINCES_FILE.open(encoding="utf-8") as handle:
        collection = json.load(handle)
    result: dict[str, list[Polygon]] = {}
    for feature in collection["features"]:
        geometry = feature["geometry"]
        parts = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        result[feature["properties"]["code"]] = [
            [[(float(x), float(y)) for x, y in ring] for ring in polygon] for polygon in parts
        ]
    return result


def _inside_ring(lon: float, lat: float, ring: Ring) -> bool:
    """Even-odd ray casting; ring orientation does not matter (the file's rings are clockwise)."""
    inside = False
    x0, y0 = ring[-1]
    for x1, y1 in ring:
        if (y1 > lat) != (y0 > lat) and lon < (x0 - x1) * (lat - y1) / (y0 - y1) + x1:
            inside = not inside
        x0, y0 = x1, y1
    return inside


def _inside_polygon(lon: float, lat: float, polygon: Polygon) -> bool:
    exterior, *holes = polygon
    if not _inside_ring(lon, lat, exterior):
        return False
    return not any(_inside_ring(lon, lat, hole) for hole in holes)


def in_province(lat: float, lon: float, sido_code: str) -> bool:
    """True if the point lies inside the outline of province ``sido_code``."""
    return any(_inside_polygon(lon, lat, polygon) for polygon in province_polygons()[sido_code])


def in_korea(lat: float, lon: float) -> bool:
    """True if the point lies inside any of the 17 province outlines."""
    return any(in_province(lat, lon, code) for code in province_polygons())


def place_point(
    rng: random.Random, lat: float, lon: float, sido_code: str, spread_km: float
) -> tuple[float, float]:
    """A point jittered around (lat, lon) that lies inside the province; resampled until it does.

    The spread widens step by step, because some centroids (coastal and island units) sit
    outside the simplified outline, and a wider search then finds the nearest land.
    """
    km_per_lat = 110.574
    km_per_lon = 111.320 * math.cos(math.radians(lat))
    spread = spread_km
    for attempt in range(400):
        if attempt and attempt % 40 == 0:
            spread *= 1.6
        candidate_lat = round(lat + rng.gauss(0.0, spread) / km_per_lat, 6)
        candidate_lon = round(lon + rng.gauss(0.0, spread) / km_per_lon, 6)
        if in_province(candidate_lat, candidate_lon, sido_code):
            return candidate_lat, candidate_lon
    raise ValueError(f"no point inside province {sido_code} near {lat:.4f},{lon:.4f}")
