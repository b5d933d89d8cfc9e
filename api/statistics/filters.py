"""The dashboard's filters as typed: checked here, so that a bad one is explained beside its field (in Chinese) while
the page keeps showing the figures of the last query that was good, never a blank page or a bare error.

The last good query is kept in the dashboard's session (it holds no personal data: dates, a region code and a
jurisdiction), so it survives a reload; without one, the defaults are shown (today, the year so far, the key's
region, 全疆).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from api.statistics.dashboard_figures import MAP_FIGURES, DashboardQuery
from ledger import clock
from ledger.statistics.dimensions import JURISDICTIONS, RegionBook

FIELDS = ("as_of", "from", "region", "jurisdiction")
EARLIEST = dt.date(1950, 1, 1)
LATEST = dt.date(2100, 12, 31)
OUTSIDE = "所选地区不在本密钥的范围内。"


@dataclass(frozen=True, slots=True)
class Filters:
    """What the filter form shows (`typed`), what was wrong with it (field → message) and the query the figures are
    computed for: the one asked, or the last good one when something was wrong."""

    query: DashboardQuery
    typed: Mapping[str, str]
    errors: Mapping[str, str] = field(default_factory=dict)
    outside: bool = False  # a region outside the key's scope (404)

    @property
    def status(self) -> int:
        return 404 if self.outside else 400 if self.errors else 200

    def remembered(self) -> dict[str, str]:
        """The query to keep as the last good one."""
        return stored(self.query)


def stored(query: DashboardQuery) -> dict[str, str]:
    return {
        "as_of": query.as_of.isoformat(),
        "from": query.start.isoformat(),
        "region": query.region or "",
        "jurisdiction": query.jurisdiction,
    }


def _date(raw: str, name: str, errors: dict[str, str]) -> dt.date | None:
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = "请填写有效日期，如 2025-06-30。"
        return None
    if not EARLIEST <= day <= LATEST:
        errors[name] = "日期须在 1950 年至 2100 年之间。"
        return None
    return day


def _check(raw: Mapping[str, str], book: RegionBook, home: str) -> tuple[DashboardQuery | None, dict[str, str], bool]:
    errors: dict[str, str] = {}
    as_of = _date(raw.get("as_of", ""), "as_of", errors)
    start = _date(raw.get("from", ""), "from", errors)
    day = as_of or clock.today()
    first = start or day.replace(month=1, day=1)
    if "as_of" not in errors and "from" not in errors and first > day:
        errors["from"] = f"培训期间起始日不能晚于统计日（{day.isoformat()}）。"
    region = raw.get("region", "") or None
    outside = False
    if region is not None and region not in book.regions:
        errors["region"] = "没有这个地区代码（GB/T 2260 六位代码）。"
    elif region is not None and region not in book.descendants(home):
        errors["region"] = OUTSIDE
        outside = True
    jurisdiction = raw.get("jurisdiction", "") or "all"
    if jurisdiction not in JURISDICTIONS:
        errors["jurisdiction"] = "管辖口径须为 全疆、自治区（不含兵团）或 兵团。"
    map_figure = raw.get("map", "")
    query = DashboardQuery(
        as_of=day,
        start=first,
        region=None if region == home else region,
        jurisdiction=jurisdiction,
        map=map_figure if map_figure in MAP_FIGURES else "talent",
        all_plans=raw.get("plans") == "all",
    )
    return (None if errors else query), errors, outside


def read_filters(raw: Mapping[str, str], book: RegionBook, home: str, last: Mapping[str, str] | None = None) -> Filters:
    """The filters `raw` (query parameters as typed) asks for, checked against the key's region `home`; when one is
    wrong, the figures are those of `last` (the session's last good query) if it is still good, else defaults."""
    typed = {name: str(raw.get(name, "")) for name in FIELDS}
    query, errors, outside = _check(raw, book, home)
    if query is not None:
        return Filters(query, {**typed, **stored(query)})
    fallback, _, _ = _check({**(last or {}), "map": raw.get("map", ""), "plans": raw.get("plans", "")}, book, home)
    if fallback is None:
        fallback, _, _ = _check({}, book, home)
    assert fallback is not None
    return Filters(fallback, typed, errors, outside)
