"""What the bureau dashboard shows, built with the same domain functions and the same defaults as the statistics
API, so every figure on the page equals `GET /api/v1/stats/...` asked with the same parameters:

- talent (技能人才, 高技能人才): `/stats/talent?as_of=&region=&jurisdiction=` (baseline included, institution basis);
- training (培训人次): `/stats/training?from=&to=<as_of>&region=&jurisdiction=`;
- plans: `/stats/plan-progress?as_of=&region=` (each plan keeps its own jurisdiction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.statistics import plans
from ledger.statistics.dimensions import RegionBook, parse_group_by, resolve_scope
from ledger.statistics.report import Report
from ledger.statistics.talent import talent_report
from ledger.statistics.volume import training_report

TREND_YEARS = 5  # the API's default for talent by year: as_of's year and the four before it
FIGURES = ("talent", "training", "plan_progress")


@dataclass(frozen=True, slots=True)
class DashboardQuery:
    """The page's filters: the date, the first day of the training period, the region and the jurisdiction."""

    as_of: dt.date
    start: dt.date
    region: str | None = None
    jurisdiction: str = "all"

    @property
    def first_year(self) -> int:
        return self.as_of.year - TREND_YEARS + 1


@dataclass(frozen=True, slots=True)
class Dashboard:
    query: DashboardQuery
    region_code: str
    region_name: str
    place_dim: str  # prefecture for the province, region (county) below it
    talent: Report
    by_place: Report
    by_level: Report
    talent_by_year: Report
    training: Report
    training_by_year: Report
    plans: Report
    places: tuple[tuple[str, str], ...]  # the regions one level below (code, name), for bars at 0
    south4: frozenset[str]  # regions of 南疆四地州 (the four prefectures and their counties)


async def figure(
    session: AsyncSession,
    book: RegionBook,
    home: str,
    query: DashboardQuery,
    name: str,
    group_by: Sequence[str] = (),
) -> Report:
    """One figure for the query, exactly as the statistics API computes it (see the module docstring)."""
    dims = parse_group_by(group_by)
    if name == "talent":
        scope = resolve_scope(book, home, region=query.region, jurisdiction=query.jurisdiction)
        return await talent_report(session, book, scope, query.as_of, dims)
    if name == "training":
        scope = resolve_scope(book, home, region=query.region, jurisdiction=query.jurisdiction, include_baseline=False)
        start = dt.date(query.first_year, 1, 1) if "year" in dims else query.start
        return await training_report(session, book, scope, start, query.as_of, dims)
    if name == "plan_progress":
        scope = resolve_scope(book, home, region=query.region)
        return await plans.plan_progress(session, book, home, scope, query.as_of)
    raise ValueError(f"not a dashboard figure: {name!r}")


def place_dimension(book: RegionBook, region_code: str) -> str:
    """Bars by prefecture (地州) for the province, by county (区县) within a prefecture."""
    return "prefecture" if book.regions[region_code].parent_code is None else "region"


async def dashboard(session: AsyncSession, book: RegionBook, home: str, query: DashboardQuery) -> Dashboard:
    talent = await figure(session, book, home, query, "talent")
    place = place_dimension(book, talent.region_code)
    return Dashboard(
        query=query,
        region_code=talent.region_code,
        region_name=talent.region_name,
        place_dim=place,
        talent=talent,
        by_place=await figure(session, book, home, query, "talent", [place]),
        by_level=await figure(session, book, home, query, "talent", ["level"]),
        talent_by_year=await figure(session, book, home, query, "talent", ["year"]),
        training=await figure(session, book, home, query, "training"),
        training_by_year=await figure(session, book, home, query, "training", ["year"]),
        plans=await figure(session, book, home, query, "plan_progress"),
        places=tuple((code, book.name(code)) for code in _below(book, talent.region_code)),
        south4=frozenset(code for code, info in book.regions.items() if info.south4),
    )


def _below(book: RegionBook, code: str) -> list[str]:
    return sorted(c for c, info in book.regions.items() if info.parent_code == code)


def region_choices(book: RegionBook, home: str, selected: str) -> list[tuple[str, str]]:
    """The filter's regions: the key's own region and the regions one level below it (prefectures for the
    province), plus the selected one if it lies deeper."""
    codes = [home, *_below(book, home)]
    if selected not in codes and selected in book.regions:
        codes.append(selected)
    return [(code, book.name(code)) for code in codes]
