"""The one way the dashboard writes a figure, used by every card, chart, axis, map and table.

- A figure shown large (a card, a bar's value, a map tile) is `short`: exact below 10,000 (9,876), from 10,000 in
  万 with up to two decimals (1.04万, 12.5万, 320万, 7,200万), from 10⁸ in 亿 (2.2亿).
- Its exact count is in the title (hover) and in `data-value`; tables show exact counts (`number`: 19,904).
- An axis writes every step in the unit of its largest (0 / 0.5万 / 1万 / 1.5万, never 5,000 beside 1万).
- Shares and progress are percentages (`percent`), year-on-year changes ▲/▼ with a percentage (`change`).
"""

from __future__ import annotations

WAN = 10_000
YI = 100_000_000


def number(value: object) -> str:
    """An exact count with thousands separators: 19904 → 19,904; no figure → —."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else "—"


def _in(value: float, unit: int, word: str) -> str:
    text = f"{value / unit:,.2f}".rstrip("0").rstrip(".")
    return f"{text}{word}"


def short(value: object) -> str:
    """A figure as a card or a chart writes it: 9,876 · 1.04万 · 320万 · 2.2亿; no figure → —."""
    if not isinstance(value, float | int) or isinstance(value, bool):
        return "—"
    magnitude = abs(value)
    if round(magnitude / WAN, 2) >= WAN:
        return _in(value, YI, "亿")
    if magnitude >= WAN:
        return _in(value, WAN, "万")
    return f"{value:,.0f}"


def axis_label(value: float, top: float) -> str:
    """A step of an axis that ends at `top`, in the unit `top` is written in (0 stays 0)."""
    if value == 0:
        return "0"
    if round(top / WAN, 2) >= WAN:
        return _in(value, YI, "亿")
    if top >= WAN:
        return _in(value, WAN, "万")
    return f"{value:,.0f}"


def percent(value: object, digits: int = 2) -> str:
    """A share or a progress: 0.2224 → 22.24%; no figure → —."""
    if not isinstance(value, float | int) or isinstance(value, bool):
        return "—"
    return f"{value * 100:.{digits}f}%"


def change(now: object, before: object) -> tuple[str, str]:
    """Year-on-year: ("▲ 12.5%", "up"), ("▼ 3.0%", "down"), ("持平", "flat"), or ("—", "none") when there is
    nothing to compare with (no figure, or nothing a year earlier)."""
    if not isinstance(now, int) or not isinstance(before, int) or before <= 0:
        return "—", "none"
    if now == before:
        return "持平", "flat"
    ratio = (now - before) / before
    size = f"{abs(ratio) * 100:.1f}%" if abs(ratio) >= 0.0005 else "<0.1%"  # never "▲ 0.0%"
    return (f"▲ {size}", "up") if ratio > 0 else (f"▼ {size}", "down")


def points(now: object, before: object) -> tuple[str, str]:
    """The change of a share in percentage points: ("▲ 1.2 个百分点", "up")."""
    if not isinstance(now, float | int) or not isinstance(before, float | int):
        return "—", "none"
    diff = round((now - before) * 100, 1)
    if diff == 0:
        return "持平", "flat"
    return (f"▲ {diff:.1f} 个百分点", "up") if diff > 0 else (f"▼ {-diff:.1f} 个百分点", "down")
