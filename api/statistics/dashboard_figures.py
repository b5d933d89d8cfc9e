"""What the bureau dashboard shows, built with the same domain functions and the same defaults as the statistics
API, so every figure on the page equals `GET /api/v1/stats/...` asked with the same parameters:

- talent (技能人才, 高技能人才): `/stats/talent?as_of=&region=&jurisdiction=` (baseline included, institution basis),
  and the same a year earlier (`as_of` one year back) for the year-on-year change;
- flows over the period [from, as_of] (training 人次, dual awards, new high-skill talent): `/stats/training`,
  `/stats/dual`, `/stats/new-high-skill` with `from=&to=<as_of>`, and the same period a year earlier;
- plans: `/stats/plan-progress?as_of=&region=`, limited to the plans whose period overlaps the page's period (each
  plan keeps its own region and jurisdiction);
- institutions: `ledger.statistics.institutions` over the period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.statistics import plans
from ledger.statistics.dimensions import RegionBook, parse_group_by, resolve_scope
from ledger.statistics.institutions import institutions_report
from ledger.statistics.report import Report
from ledger.statistics.talent import talent_report
from ledger.statistics.volume import dual_report, new_high_skill_report, training_report

TREND_YEARS = 5  # the API's default for talent by year: as_of's year and the four before it
FIGURES = ("talent", "training", "dual", "new_high_skill", "institutions", "plan_progress")
# what the map can be coloured by: (the report it comes from, its column, name, unit)
MAP_FIGURES = {
    "talent": ("talent", "talent", "技能人才", "人"),
    "high_skill": ("talent", "high_skill", "高技能人才", "人"),
    "high_skill_share": ("talent", "high_skill_share", "高技能人才占比", ""),
    "training": ("training", "person_times", "培训人次", "人次"),
    "new_high_skill": ("new_high_skill", "first_reached", "新增高技能人才（口径a）", "人"),
    "new_high_skill_obtained": ("new_high_skill", "obtained", "新增高技能人才（口径b）", "人"),
}


@dataclass(frozen=True, slots=True)
class DashboardQuery:
    """The page's filters: the date, the first day of the period, the region and the jurisdiction; and what the
    map shows and whether plans of every period are listed."""

    as_of: dt.date
    start: dt.date
    region: str | None = None
    jurisdiction: str = "all"
    map: str = "talent"
    all_plans: bool = False

    @property
    def first_year(self) -> int:
        return self.as_of.year - TREND_YEARS + 1

    def year_earlier(self) -> DashboardQuery:
        """The same date and period one year earlier (29 February becomes the 28th)."""
        return DashboardQuery(
            as_of=year_back(self.as_of),
            start=year_back(self.start),
            region=self.region,
            jurisdiction=self.jurisdiction,
            map=self.map,
            all_plans=self.all_plans,
        )


def year_back(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)


@dataclass(frozen=True, slots=True)
class Dashboard:
    query: DashboardQuery
    region_code: str
    region_name: str
    place_dim: str  # prefecture for the province, region (county) below it
    talent: Report
    talent_year_ago: Report
    by_place: Report
    by_level: Report
    by_occupation: Report
    talent_by_year: Report
    training: Report
    training_year_ago: Report
    training_by_year: Report
    dual: Report
    dual_year_ago: Report
    new_high: Report
    new_high_year_ago: Report
    new_high_by_year: Report
    institutions: Report
    plans: Report
    map: Report | None  # the map's figure by prefecture (the province only)
    places: tuple[tuple[str, str], ...]  # the regions one level below (code, name), for bars at 0
    south4: frozenset[str]  # regions of 南疆四地州 (the four prefectures and their counties)


async def figure(
    session: AsyncSession,
    book: RegionBook,
    home: str,
    query: DashboardQuery,
    name: str,
    group_by: Sequence[str] = (),
    *,
    persons: int | None = None,  # institutions: the region's trained persons, when known
) -> Report:
    """One figure for the query, exactly as the statistics API computes it (see the module docstring)."""
    dims = parse_group_by(group_by)
    if name == "talent":
        scope = resolve_scope(book, home, region=query.region, jurisdiction=query.jurisdiction)
        return await talent_report(session, book, scope, query.as_of, dims)
    if name == "plan_progress":
        scope = resolve_scope(book, home, region=query.region)
        overlapping = None if query.all_plans else (query.start, query.as_of)
        return await plans.plan_progress(session, book, home, scope, query.as_of, overlapping=overlapping)
    scope = resolve_scope(book, home, region=query.region, jurisdiction=query.jurisdiction, include_baseline=False)
    start = dt.date(query.first_year, 1, 1) if "year" in dims else query.start
    if name == "training":
        return await training_report(session, book, scope, start, query.as_of, dims)
    if name == "dual":
        return await dual_report(session, book, scope, start, query.as_of, dims)
    if name == "new_high_skill":
        return await new_high_skill_report(session, book, scope, start, query.as_of, dims)
    if name == "institutions":
        return await institutions_report(session, book, scope, query.start, query.as_of, persons=persons)
    raise ValueError(f"not a dashboard figure: {name!r}")


def place_dimension(book: RegionBook, region_code: str) -> str:
    """Bars by prefecture (地州) for the province, by county (区县) within a prefecture."""
    return "prefecture" if book.regions[region_code].parent_code is None else "region"


async def dashboard(session: AsyncSession, book: RegionBook, home: str, query: DashboardQuery) -> Dashboard:
    talent = await figure(session, book, home, query, "talent")
    place = place_dimension(book, talent.region_code)
    ago = query.year_earlier()
    by_place = await figure(session, book, home, query, "talent", [place])
    training = await figure(session, book, home, query, "training")
    new_high = await figure(session, book, home, query, "new_high_skill")
    shown_on_map: Report | None = None
    if place == "prefecture":
        source = MAP_FIGURES.get(query.map, MAP_FIGURES["talent"])[0]
        shown_on_map = by_place if source == "talent" else await figure(session, book, home, query, source, [place])
    return Dashboard(
        query=query,
        region_code=talent.region_code,
        region_name=talent.region_name,
        place_dim=place,
        talent=talent,
        talent_year_ago=await figure(session, book, home, ago, "talent"),
        by_place=by_place,
        by_level=await figure(session, book, home, query, "talent", ["level"]),
        by_occupation=await figure(session, book, home, query, "talent", ["occupation"]),
        talent_by_year=await figure(session, book, home, query, "talent", ["year"]),
        training=training,
        training_year_ago=await figure(session, book, home, ago, "training"),
        training_by_year=await figure(session, book, home, query, "training", ["year"]),
        dual=await figure(session, book, home, query, "dual"),
        dual_year_ago=await figure(session, book, home, ago, "dual"),
        new_high=new_high,
        new_high_year_ago=await figure(session, book, home, ago, "new_high_skill"),
        new_high_by_year=await figure(session, book, home, query, "new_high_skill", ["year"]),
        institutions=await figure(
            session, book, home, query, "institutions", persons=int(str(training.total["persons"]))
        ),
        plans=await figure(session, book, home, query, "plan_progress"),
        map=shown_on_map,
        places=tuple((code, book.name(code)) for code in below(book, talent.region_code)),
        south4=frozenset(code for code, info in book.regions.items() if info.south4),
    )


def below(book: RegionBook, code: str) -> list[str]:
    return sorted(c for c, info in book.regions.items() if info.parent_code == code)


def path_to(book: RegionBook, home: str, code: str) -> list[str]:
    """The regions from the key's own region down to `code` (both included)."""
    path = [code]
    while path[-1] != home and (parent := book.regions[path[-1]].parent_code) is not None:
        path.append(parent)
    return path[::-1]


def region_choices(book: RegionBook, home: str, selected: str) -> list[tuple[str, str, int]]:
    """The filter's regions (code, name, depth below the key's region): the key's region and the regions one level
    below it (prefectures for the province), the path down to the selected region and the regions below that."""
    path = path_to(book, home, selected) if selected in book.regions else [home]
    codes = {home, *below(book, home), *path, *below(book, path[-1])}
    depth = {code: len(path_to(book, home, code)) - 1 for code in codes}
    return [(code, book.name(code), depth[code]) for code in sorted(codes)]
