"""Small SVG charts drawn on the server: horizontal bars, columns and lines. Here the geometry (axes, where each mark
goes) and the labels; `templates/charts.html` draws it. No script and no external asset, so the dashboard renders
offline and prints; every mark carries its exact value in `data-value` and on hover.

Every chart is drawn in a 380-unit-wide box with 12-13 unit text, so that on a 390 px phone (where it is scaled to
the screen) its text stays at least 10 px tall. Figures are written by `numbers.py`, the one format of the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from api.statistics.numbers import axis_label, number, percent, short

FONT = "system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif"
BLUE = "#2f6fdf"
ORANGE = "#e8772e"
GREEN = "#1a8a5a"
GREY = "#8a94a3"
PURPLE = "#6b5bd6"
TEAL = "#0f8b8d"
GRID = "#e3e7ed"
INK = "#1b1f24"
MUTED = "#5a6472"
WIDTH = 380  # every chart's box (see the module docstring)
SHARE_STEPS = 10_000  # a share is scaled on whole basis points


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float  # a count, or a share (0-1) on a chart of shares
    color: str = BLUE
    key: str = ""  # a region code or a level, for tests and links
    href: str = ""  # a drill-down link
    note: str = ""  # more for the hover text (a share's numerator and denominator)
    name: str = ""  # the full name, on hover, where the label is short


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    color: str
    values: Sequence[int]


def nice_scale(value: int, ticks: int = 4) -> tuple[int, int]:
    """A readable axis for values up to `value`: (end, step) with step 1, 2, 2.5 or 5 × 10ⁿ (whole numbers) and at
    most `ticks` steps, e.g. 44 → (60, 20), 90,806 → (100,000, 25,000)."""
    if value <= 0:
        return ticks, 1
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next((m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw and (m * power) % 1 == 0), 10 * power)
    step = int(step)
    return step * math.ceil(value / step), step


@dataclass(frozen=True, slots=True)
class Key:
    """A legend entry: a colour swatch at (x, y - 10), its name beside it."""

    name: str
    color: str
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class Gridline:
    """One step of the value axis: a line from (x1, y1) to (x2, y2), its label written at (x, y)."""

    label: str
    x1: float
    y1: float
    x2: float
    y2: float
    x: float
    y: float
    anchor: Literal["middle", "end"]


@dataclass(frozen=True, slots=True)
class Row:
    """A horizontal bar: its label ends left of `x`, the bar runs from `x` for `length`, the value follows it."""

    bar: Bar
    x: float
    y: float  # the bar's top
    length: float
    height: float
    text_y: float
    text: str  # the value as written after the bar
    hover: str  # the exact value


@dataclass(frozen=True, slots=True)
class Column:
    """A vertical bar from (x, y) down to the axis, the value above it, the label under the axis."""

    bar: Bar
    x: float
    y: float
    width: float
    height: float
    label_y: float
    text: str
    hover: str

    @property
    def center(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True, slots=True)
class Point:
    """A value of a series at (x, y); `label` is its place on the x axis (a year)."""

    series: Series
    label: str
    value: int
    x: float
    y: float
    text: str
    hover: str


@dataclass(frozen=True, slots=True)
class Tick:
    """A label on the x axis."""

    label: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything `charts.html` needs to draw a chart of `kind`."""

    kind: Literal["hbar", "column", "line"]
    name: str
    title: str
    unit: str
    width: int
    height: int
    keys: Sequence[Key] = ()
    grid: Sequence[Gridline] = ()
    rows: Sequence[Row] = ()
    columns: Sequence[Column] = ()
    ticks: Sequence[Tick] = ()
    lines: Sequence[tuple[Series, Sequence[Point]]] = ()
    empty_at: tuple[float, float] | None = None  # where to say there is nothing to draw


def legend(entries: Sequence[tuple[str, str]], x: int, y: int) -> list[Key]:
    keys = []
    for name, color in entries:
        keys.append(Key(name, color, x, y))
        x += 30 + 13 * len(name)
    return keys


def exact(value: float, unit: str, shares: bool = False) -> str:
    """What hovering over a mark says: the exact figure with its unit."""
    return percent(value) if shares else f"{number(int(value))} {unit}"


def hbar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    name: str,
    unit: str,
    keys: Sequence[tuple[str, str]] = (),
    label_width: int = 112,
    shares: bool = False,
) -> Chart:
    """Horizontal bars, one row per bar, the value at the end of each; a legend on top when `keys` are given.
    With `shares`, values are shares (0-1) written as percentages."""
    width, label_w, row_h, top = WIDTH, label_width, 26, 34 if keys else 8
    end = width - 58
    steps = [round(b.value * SHARE_STEPS) if shares else int(b.value) for b in bars]
    scale, step = nice_scale(max(steps, default=0))
    height = top + row_h * max(len(bars), 1) + 28
    grid = []
    for tick in range(0, scale + 1, step) if bars else ():
        x = label_w + (end - label_w) * tick / scale
        label = percent(tick / SHARE_STEPS, 0) if shares else axis_label(tick, scale)
        grid.append(Gridline(label, x, top, x, height - 24, x, height - 8, "middle"))
    rows = []
    for i, (bar, value) in enumerate(zip(bars, steps, strict=True)):
        y = top + row_h * i
        length = (end - label_w) * value / scale
        text = percent(bar.value, 1) if shares else short(bar.value)
        hover = f"{bar.name or bar.label}：{exact(bar.value, unit, shares)}{bar.note}"
        rows.append(Row(bar, label_w, y + 4, length, row_h - 8, y + row_h / 2 + 4.5, text, hover))
    return Chart(
        "hbar",
        name,
        title,
        unit,
        width,
        height,
        keys=legend(keys, 8, 18),
        grid=grid,
        rows=rows,
        empty_at=None if bars else (width / 2, top + 20),
    )


def _y_axis(scale: int, step: int, left: int, right: int, top: int, bottom: int) -> list[Gridline]:
    grid = []
    for tick in range(0, scale + 1, step):
        y = bottom - (bottom - top) * tick / scale
        grid.append(Gridline(axis_label(tick, scale), left, y, right, y, left - 6, y + 4, "end"))
    return grid


def column_chart(bars: Sequence[Bar], *, title: str, name: str, unit: str) -> Chart:
    """Vertical columns (one per year), the value above each."""
    width, height, left, right, top, bottom = WIDTH, 250, 56, 370, 24, 216
    scale, step = nice_scale(int(max((b.value for b in bars), default=0)))
    slot = (right - left) / max(len(bars), 1)
    columns = []
    for i, bar in enumerate(bars):
        h = (bottom - top) * bar.value / scale
        columns.append(
            Column(
                bar,
                left + slot * i + slot * 0.2,
                bottom - h,
                slot * 0.6,
                h,
                bottom + 18,
                short(bar.value),
                f"{bar.label}：{exact(bar.value, unit)}",
            )
        )
    return Chart(
        "column", name, title, unit, width, height, grid=_y_axis(scale, step, left, right, top, bottom), columns=columns
    )


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, name: str, unit: str) -> Chart:
    """Lines over the same x labels (years), a dot and its value at each point, a legend on top."""
    width, height, left, right, top, bottom = WIDTH, 250, 56, 356, 40, 216
    scale, tick = nice_scale(max((v for s in series for v in s.values), default=0))
    step = (right - left) / max(len(labels) - 1, 1)
    lines = []
    for s in series:
        points = [
            Point(
                s,
                label,
                v,
                left + step * i,
                bottom - (bottom - top) * v / scale,
                short(v),
                f"{label} {s.name}：{exact(v, unit)}",
            )
            for i, (label, v) in enumerate(zip(labels, s.values, strict=True))
        ]
        lines.append((s, points))
    return Chart(
        "line",
        name,
        title,
        unit,
        width,
        height,
        keys=legend([(s.name, s.color) for s in series], left, 16),
        grid=_y_axis(scale, tick, left, right, top, bottom),
        ticks=[Tick(label, left + step * i, bottom + 18) for i, label in enumerate(labels)],
        lines=lines,
    )
