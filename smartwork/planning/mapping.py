"""The offline map of Korea: province outlines projected once to SVG paths, centers as dots.

Projection: equirectangular with longitudes scaled by cos(mid-latitude), fitted to a fixed
viewBox. The projected outlines never change, so they are computed once per process.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from ..centers.labels import OWNERSHIP_LABELS, STATUS_LABELS
from ..centers.models import Center, CenterStatus, Ownership
from ..extensions import db
from .common import percent, seats_by_center
from .coverage import CoverageReport

PROVINCES_FILE = Path(__file__).resolve().parent.parent / "data" / "korea-provinces.geojson"
MAP_WIDTH = 600.0
MAP_PADDING = 10.0
# Points closer than this (in viewBox units) to the last kept point are dropped: the outline
# file has ~30,000 vertices, far more than a 600-unit-wide drawing can show.
SIMPLIFY_UNITS = 0.8

OWNERSHIP_COLORS = {Ownership.PUBLIC: "#0f766e", Ownership.PRIVATE: "#6d28d9"}
# Sequential classes of "share within 20 km" (upper bounds, colours light to dark).
COVERAGE_CLASSES = ((0.2, "#eff3ff"), (0.4, "#c6dbef"), (0.6, "#9ecae1"), (0.8, "#6baed6"), (1.0, "#3182bd"))
NO_DATA_COLOR = "#e5e5e5"


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection fitted to the outlines' bounding box."""

    lon_min: float
    lat_max: float
    kx: float
    scale: float
    height: float

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        x = MAP_PADDING + (lon - self.lon_min) * self.kx * self.scale
        y = MAP_PADDING + (self.lat_max - lat) * self.scale
        return round(x, 1), round(y, 1)


@lru_cache(maxsize=1)
def _features() -> tuple[tuple[str, str, list], ...]:
    with PROVINCES_FILE.open(encoding="utf-8") as handle:
        collection = json.load(handle)
    features = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        features.append((feature["properties"]["code"], feature["properties"]["name_ko"], polygons))
    return tuple(sorted(features))


@lru_cache(maxsize=1)
def projection() -> Projection:
    """The projection fitted to the 17 provinces (computed once)."""
    lons = [x for _c, _n, polys in _features() for poly in polys for ring in poly for x, _y in ring]
    lats = [y for _c, _n, polys in _features() for poly in polys for ring in poly for _x, y in ring]
    lat0 = (min(lats) + max(lats)) / 2
    kx = math.cos(math.radians(lat0))
    scale = (MAP_WIDTH - 2 * MAP_PADDING) / ((max(lons) - min(lons)) * kx)
    height = (max(lats) - min(lats)) * scale + 2 * MAP_PADDING
    return Projection(min(lons), max(lats), kx, scale, round(height, 1))


def _ring_path(ring: list, project: Projection) -> str:
    points = []
    for lon, lat in ring:
        x, y = project(lat, lon)
        if points and abs(x - points[-1][0]) + abs(y - points[-1][1]) < SIMPLIFY_UNITS:
            continue
        points.append((x, y))
    if len(points) < 3:
        return ""
    return "M" + " L".join(f"{x:g},{y:g}" for x, y in points) + " Z"


@lru_cache(maxsize=1)
def province_paths() -> tuple[tuple[str, str, str], ...]:
    """(code, name_ko, SVG path data) of each province, projected and simplified once per process."""
    project = projection()
    paths = []
    for code, name, polygons in _features():
        d = " ".join(filter(None, (_ring_path(ring, project) for poly in polygons for ring in poly)))
        paths.append((code, name, d))
    return tuple(paths)


@dataclass
class ProvinceShape:
    """One province on the map with its coverage colour."""

    code: str
    name: str
    path: str
    fill: str
    title: str


@dataclass
class CenterDot:
    """One center on the map."""

    code: str
    x: float
    y: float
    r: float
    fill: str
    stroke: str
    dash: str | None
    opacity: float
    title: str
    status: str


@dataclass
class LegendItem:
    """A legend swatch."""

    label: str
    fill: str
    stroke: str = "none"
    dash: str | None = None


@dataclass
class KoreaMap:
    """Everything the template needs to draw the map; no computation left for the template."""

    width: float
    height: float
    provinces: list[ProvinceShape]
    dots: list[CenterDot]
    coverage_legend: list[LegendItem]
    center_legend: list[LegendItem]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"


def coverage_color(value: float | None) -> str:
    """The choropleth colour of a coverage share (None: nobody lives there)."""
    if value is None:
        return NO_DATA_COLOR
    for upper, color in COVERAGE_CLASSES:
        if value <= upper:
            return color
    return COVERAGE_CLASSES[-1][1]


def dot_radius(seats: int) -> float:
    """Dot radius grows with the square root of seats, so area tracks size."""
    return round(min(2.5 + math.sqrt(seats) * 0.6, 10.0), 1)


def _dot_style(ownership: Ownership, status: CenterStatus) -> tuple[str, str, str | None, float]:
    """(fill, stroke, dash, opacity): open solid; being built hollow; planned dashed; suspended faded; closed grey."""
    color = OWNERSHIP_COLORS[ownership]
    if status == CenterStatus.OPEN:
        return color, "#ffffff", None, 0.9
    if status == CenterStatus.UNDER_CONSTRUCTION:
        return "#ffffff", color, None, 1.0
    if status == CenterStatus.PLANNED:
        return "#ffffff", color, "2 1.5", 1.0
    if status == CenterStatus.SUSPENDED:
        return color, "#b91c1c", None, 0.45
    return "#9ca3af", "#6b7280", None, 0.6


def korea_map(report: CoverageReport) -> KoreaMap:
    """The map: provinces coloured by share of civil servants within 20 km of an open center, and every center."""
    project = projection()
    provinces = []
    for code, name, path in province_paths():
        totals = report.provinces.get(code)
        value = totals.reach_share if totals else None
        label = _("no civil servants") if value is None else f"{percent(value)}%"
        provinces.append(
            ProvinceShape(
                code, name, path, coverage_color(value), _("%(name)s: %(share)s within 20 km", name=name, share=label)
            )
        )
    seats = seats_by_center()
    # Translate the title and the labels once, not once per dot (500 gettext calls were 30 ms).
    title_format = _("%(name)s · %(ownership)s · %(status)s · %(seats)d seats")
    ownership_names = {ownership: str(label) for ownership, label in OWNERSHIP_LABELS.items()}
    status_names = {status: str(label) for status, label in STATUS_LABELS.items()}
    dots = []
    rows = db.session.execute(
        select(
            Center.id, Center.code, Center.name_ko, Center.ownership, Center.status, Center.lat, Center.lon
        ).order_by(Center.status.desc(), Center.code)
    )
    for row in rows:
        x, y = project(row.lat, row.lon)
        fill, stroke, dash, opacity = _dot_style(row.ownership, row.status)
        count = seats.get(row.id, 0)
        title = title_format % {
            "name": row.name_ko,
            "ownership": ownership_names[row.ownership],
            "status": status_names[row.status],
            "seats": count,
        }
        dots.append(CenterDot(row.code, x, y, dot_radius(count), fill, stroke, dash, opacity, title, row.status.value))
    lower = 0
    coverage_legend = []
    for upper, color in COVERAGE_CLASSES:
        coverage_legend.append(LegendItem(f"{lower * 100:.0f}–{upper * 100:.0f}%", color, "#9ca3af"))
        lower = upper
    coverage_legend.append(LegendItem(_("no civil servants"), NO_DATA_COLOR, "#9ca3af"))
    center_legend = [LegendItem(str(OWNERSHIP_LABELS[o]), OWNERSHIP_COLORS[o]) for o in Ownership]
    for status in (CenterStatus.UNDER_CONSTRUCTION, CenterStatus.PLANNED, CenterStatus.SUSPENDED, CenterStatus.CLOSED):
        fill, stroke, dash, _opacity = _dot_style(Ownership.PUBLIC, status)
        center_legend.append(LegendItem(str(STATUS_LABELS[status]), fill, stroke, dash))
    return KoreaMap(MAP_WIDTH, project.height, provinces, dots, coverage_legend, center_legend)
