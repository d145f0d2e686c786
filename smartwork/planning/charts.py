"""Server-rendered line charts: the geometry is computed here, the template only draws it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH = 640.0
HEIGHT = 300.0
LEFT, RIGHT, TOP, BOTTOM = 64.0, 16.0, 16.0, 52.0
# Colour-blind-safe pairs: public teal, private purple; targets dashed in the same colour.
PALETTE = ("#0f766e", "#6d28d9", "#b45309", "#1d4ed8")


@dataclass
class Series:
    """One line: its label, values (None leaves a gap) and how it is drawn."""

    label: str
    values: list[float | None]
    color: str
    dashed: bool = False
    points: str = ""
    markers: list[tuple[float, float, str]] = field(default_factory=list)


@dataclass
class Tick:
    """An axis tick: where and what it says."""

    pos: float
    label: str


@dataclass
class LineChart:
    """A drawable line chart with accessible title and description."""

    key: str
    title: str
    desc: str
    x_label: str
    y_label: str
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: float = WIDTH
    height: float = HEIGHT
    left: float = LEFT
    right: float = WIDTH - RIGHT
    top: float = TOP
    bottom: float = HEIGHT - BOTTOM

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"

    @property
    def x_label_y(self) -> float:
        return self.height - 8

    @property
    def y_label_x(self) -> float:
        return 14.0

    @property
    def mid_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def mid_y(self) -> float:
        return (self.top + self.bottom) / 2


def nice_max(value: float) -> float:
    """A round upper bound (1, 2, 2.5, 5 × 10^n) at or above ``value``."""
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:g}"


def line_chart(
    key: str,
    title: str,
    desc: str,
    x_labels: list[str],
    series: list[Series],
    x_label: str,
    y_label: str,
    y_suffix: str = "",
) -> LineChart:
    """Lay out ``series`` over ``x_labels`` (evenly spaced) on a 0-based y axis with 5 ticks."""
    chart = LineChart(key, title, desc, x_label, y_label, series, [], [])
    top_value = nice_max(max((v for s in series for v in s.values if v is not None), default=0))
    span_x = chart.right - chart.left
    step = span_x / max(len(x_labels) - 1, 1)

    def x_at(i: int) -> float:
        return round(chart.left + i * step, 1)

    def y_at(value: float) -> float:
        return round(chart.bottom - (chart.bottom - chart.top) * value / top_value, 1)

    every = max(1, math.ceil(len(x_labels) / 12))
    chart.x_ticks = [Tick(x_at(i), label) for i, label in enumerate(x_labels) if i % every == 0]
    chart.y_ticks = [Tick(y_at(top_value * k / 5), _fmt(top_value * k / 5) + y_suffix) for k in range(6)]
    for s in series:
        coords = [
            (x_at(i), y_at(v), label)
            for i, (v, label) in enumerate(zip(s.values, x_labels, strict=True))
            if v is not None
        ]
        s.points = " ".join(f"{x:g},{y:g}" for x, y, _label in coords)
        s.markers = [
            (x, y, f"{s.label}, {label}: {_fmt(v)}{y_suffix}")
            for (x, y, label), v in zip(coords, [v for v in s.values if v is not None], strict=True)
        ]
    return chart
