"""Small SVG charts drawn on the server: horizontal bars, columns and lines. No script and no external asset, so
the dashboard renders offline and prints; every mark carries its exact value in `data-value`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif"
BLUE = "#2f6fdf"
ORANGE = "#e8772e"
GREEN = "#1a8a5a"
GREY = "#8a94a3"
PURPLE = "#6b5bd6"
GRID = "#e3e7ed"
INK = "#1b1f24"
MUTED = "#5a6472"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    color: str = BLUE
    key: str = ""  # a region code or a level, for tests and links


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    color: str
    values: Sequence[int]


def number(value: int) -> str:
    return f"{value:,}"


def short(value: float) -> str:
    """An axis label: 3,200,000 → 320万, 12,500 → 1.25万, 900 → 900."""
    if abs(value) >= 10_000:
        text = f"{value / 10_000:.2f}".rstrip("0").rstrip(".")
        return f"{text}万"
    return f"{value:,.0f}"


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


def _svg(width: int, height: int, title: str, body: str, *, name: str) -> str:
    return (
        f'<svg class="chart" data-chart="{escape(name)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" font-family="{FONT}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def legend(entries: Sequence[tuple[str, str]], x: int, y: int) -> str:
    out = []
    for name, color in entries:
        out.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" rx="2" fill="{color}"/>'
            f'<text x="{x + 17}" y="{y}" font-size="13" fill="{MUTED}">{escape(name)}</text>'
        )
        x += 30 + 14 * len(name)
    return "".join(out)


def hbar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    name: str,
    unit: str,
    keys: Sequence[tuple[str, str]] = (),
    width: int = 640,
    label_width: int = 168,
) -> str:
    """Horizontal bars, one row per bar, the value at the end of each; a legend on top when `keys` are given."""
    label_w, row_h, top = label_width, 30, 34 if keys else 8
    end = width - 70
    scale, step = nice_scale(max((b.value for b in bars), default=0))
    height = top + row_h * max(len(bars), 1) + 28
    parts = [legend(keys, label_w, 18)] if keys else []
    for tick in range(0, scale + 1, step):
        x = label_w + (end - label_w) * tick / scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 24}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{height - 8}" font-size="11" fill="{MUTED}" text-anchor="middle">'
            f"{short(tick)}</text>"
        )
    for i, bar in enumerate(bars):
        y = top + row_h * i
        w = (end - label_w) * bar.value / scale
        parts.append(
            f'<g class="bar" data-key="{escape(bar.key)}" data-value="{bar.value}">'
            f'<text x="{label_w - 8}" y="{y + row_h / 2 + 5:.1f}" font-size="13" fill="{INK}" text-anchor="end">'
            f"{escape(bar.label)}</text>"
            f'<rect x="{label_w}" y="{y + 5}" width="{max(w, 1 if bar.value else 0):.1f}" height="{row_h - 10}" '
            f'rx="3" fill="{bar.color}"><title>{escape(bar.label)}：{number(bar.value)} {escape(unit)}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + row_h / 2 + 5:.1f}" font-size="12" fill="{INK}">'
            f"{number(bar.value)}</text></g>"
        )
    if not bars:
        parts.append(
            f'<text x="{width / 2}" y="{top + 20}" font-size="13" fill="{MUTED}" text-anchor="middle">暂无数据</text>'
        )
    return _svg(width, height, title, "".join(parts), name=name)


def _y_axis(scale: int, step: int, left: int, right: int, top: int, bottom: int) -> str:
    parts = []
    for tick in range(0, scale + 1, step):
        y = bottom - (bottom - top) * tick / scale
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" fill="{MUTED}" text-anchor="end">'
            f"{short(tick)}</text>"
        )
    return "".join(parts)


def column_chart(bars: Sequence[Bar], *, title: str, name: str, unit: str) -> str:
    """Vertical columns (one per year), the value above each."""
    width, height, left, right, top, bottom = 380, 250, 50, 370, 24, 216
    scale, step = nice_scale(max((b.value for b in bars), default=0))
    slot = (right - left) / max(len(bars), 1)
    parts = [_y_axis(scale, step, left, right, top, bottom)]
    for i, bar in enumerate(bars):
        h = (bottom - top) * bar.value / scale
        x = left + slot * i + slot * 0.2
        w = slot * 0.6
        parts.append(
            f'<g class="bar" data-key="{escape(bar.key)}" data-value="{bar.value}">'
            f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3" fill="{bar.color}">'
            f"<title>{escape(bar.label)}：{number(bar.value)} {escape(unit)}</title></rect>"
            f'<text x="{x + w / 2:.1f}" y="{bottom - h - 6:.1f}" font-size="12" fill="{INK}" text-anchor="middle">'
            f"{short(bar.value)}</text>"
            f'<text x="{x + w / 2:.1f}" y="{bottom + 18}" font-size="12" fill="{MUTED}" text-anchor="middle">'
            f"{escape(bar.label)}</text></g>"
        )
    return _svg(width, height, title, "".join(parts), name=name)


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, name: str, unit: str) -> str:
    """Lines over the same x labels (years), a dot and its value at each point, a legend on top."""
    width, height, left, right, top, bottom = 380, 250, 50, 356, 40, 216
    scale, tick = nice_scale(max((v for s in series for v in s.values), default=0))
    step = (right - left) / max(len(labels) - 1, 1)
    parts = [_y_axis(scale, tick, left, right, top, bottom), legend([(s.name, s.color) for s in series], left, 16)]
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{left + step * i:.1f}" y="{bottom + 18}" font-size="12" fill="{MUTED}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for s in series:
        points = [(left + step * i, bottom - (bottom - top) * v / scale) for i, v in enumerate(s.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2.5"/>')
        for (x, y), value, label in zip(points, s.values, labels, strict=True):
            text = (  # no label on a zero: it would sit on the axis
                f'<text x="{x:.1f}" y="{y - 9:.1f}" font-size="11" fill="{s.color}" text-anchor="middle">'
                f"{short(value)}</text>"
                if value
                else ""
            )
            parts.append(
                f'<g class="point" data-series="{escape(s.name)}" data-key="{escape(label)}" data-value="{value}">'
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#fff" stroke="{s.color}" stroke-width="2">'
                f"<title>{escape(label)} {escape(s.name)}：{number(value)} {escape(unit)}</title></circle>{text}</g>"
            )
    return _svg(width, height, title, "".join(parts), name=name)
