"""What a dashboard panel is made of: its chart or map, its table of cells (written exactly), its export links and
the links to other views. Every link keeps the page's filters (`page_link`), so a drill-down from a prefecture to a
county to its institutions stays on the same date, period and jurisdiction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from api.statistics.charts import Chart
from api.statistics.dashboard_figures import DashboardQuery
from api.statistics.numbers import number, percent
from api.statistics.tilemap import TileMap


def page_link(query: DashboardQuery, anchor: str = "", **changes: str) -> str:
    """/dashboard with the query's filters, some of them changed (region="" = the key's own region)."""
    params = {
        "as_of": query.as_of.isoformat(),
        "from": query.start.isoformat(),
        "region": query.region or "",
        "jurisdiction": query.jurisdiction,
        "map": query.map,
        "plans": "all" if query.all_plans else "",
    }
    params.update(changes)
    for name, default in (("map", "talent"), ("jurisdiction", "all")):  # the defaults go without saying
        if params[name] == default:
            params[name] = ""
    kept = urlencode({k: v for k, v in params.items() if v})
    return f"/dashboard?{kept}{'#' + anchor if anchor else ''}"


@dataclass(frozen=True, slots=True)
class Export:
    """A link that downloads a figure of the page (see `DashboardController.export`)."""

    href: str
    label: str  # CSV or XLSX
    name: str  # figure-group-format, for tests


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of a data table, already written: numbers exact and right-aligned, with their value for tests."""

    text: str
    numeric: bool = False
    href: str = ""
    value: str = ""  # data-value
    label: str = ""  # the column's name, shown beside the value when a table becomes cards on a phone


@dataclass(frozen=True, slots=True)
class Header:
    text: str
    numeric: bool = False
    href: str = ""  # a link that sorts by this column
    active: bool = False


@dataclass(frozen=True, slots=True)
class Choice:
    """One of the figures a panel can show (the map's colouring)."""

    label: str
    href: str
    active: bool


@dataclass(frozen=True, slots=True)
class Panel:
    """A chart (or the map) with its data table and export links."""

    name: str
    title: str
    subtitle: str
    chart: Chart | None
    headers: Sequence[Header]
    rows: Sequence[Sequence[Cell]]
    exports: Sequence[Export]
    wide: bool = False
    map: TileMap | None = None
    choices: Sequence[Choice] = ()
    note: str = ""
    table_open: bool = False  # the table is the panel (institutions), not folded under a chart


def exports(query: DashboardQuery, figure: str, group_by: str = "") -> list[Export]:
    params = {"as_of": query.as_of.isoformat(), "from": query.start.isoformat(), "jurisdiction": query.jurisdiction}
    if query.region:
        params["region"] = query.region
    if query.all_plans and figure == "plan_progress":
        params["plans"] = "all"
    if group_by:
        params["group_by"] = group_by
    return [
        Export(
            f"/dashboard/export/{figure}?{urlencode({**params, 'format': fmt})}",
            fmt.upper(),
            f"{figure}-{group_by or 'total'}-{fmt}",
        )
        for fmt in ("csv", "xlsx")
    ]


def count(value: object, label: str = "") -> Cell:
    return Cell(number(value), True, value=str(value), label=label)


def share(value: object, label: str = "") -> Cell:
    return Cell(percent(value), True, value=str(value), label=label)


def whole(value: object) -> int:
    return value if isinstance(value, int) else 0


def heading(*names: str) -> list[Header]:
    return [Header(name, numeric=i > 0) for i, name in enumerate(names)]
