"""The bureau dashboard and its sign-in page: what `templates/dashboard/` shows, worked out from the figures.

Server-rendered Chinese HTML with inline SVG charts, no scripts and no external assets (the page renders offline);
every figure shown carries its exact value in `data-value` (the same number `GET /api/v1/stats/...` returns for the
same parameters) and in its hover text, and is written by `numbers.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from api.statistics.cells import exports, page_link
from api.statistics.dashboard_figures import Dashboard, DashboardQuery, path_to
from api.statistics.filters import Filters
from api.statistics.numbers import change, points
from api.statistics.panels import panels
from ledger.statistics.dimensions import RegionBook
from ledger.statistics.report import Report
from ledger.statistics.tables import PlanTarget

TITLE = "技能人才统计看板"
JURISDICTIONS = {"all": "全疆（含兵团）", "zizhiqu": "自治区（不含兵团）", "bingtuan": "兵团"}
METRICS = {
    "training_person_times": ("培训人次", "人次"),
    "training_persons": ("培训人数", "人"),
    "talent": ("技能人才", "人"),
    "high_skill": ("高技能人才", "人"),
    "certificates": ("取证", "本"),
    "new_high_skill": ("新增高技能人才（口径a 首次达到）", "人"),
    "new_high_skill_obtained": ("新增高技能人才（口径b 取得证书）", "人"),
}
LOGIN = "dashboard/login.html"
PAGE = "dashboard/page.html"
UTC8 = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class Plan:
    """A planning target's progress, as `GET /api/v1/stats/plan-progress` reports it."""

    code: str
    name: str
    metric_code: str
    metric: str  # its name in Chinese
    unit: str
    region_code: str
    region_name: str
    jurisdiction: str
    starts_on: str
    ends_on: str
    target: int
    actual: int
    progress: object  # a share, or None without a target
    time_elapsed: object  # a share of the plan's period
    edit: str  # the link that opens it in the form

    @property
    def bar(self) -> float:
        """The progress bar's length, in percent."""
        return min(float(self.progress), 1.0) * 100 if isinstance(self.progress, float | int) else 0

    @property
    def elapsed(self) -> float:
        """The time gone, in percent."""
        return float(str(self.time_elapsed)) * 100


@dataclass(frozen=True, slots=True)
class PlanForm:
    """The plan form: its values as typed (or of the plan being edited), what was wrong, and where it posts."""

    values: Mapping[str, str]
    errors: Mapping[str, str] = field(default_factory=dict)
    editing: bool = False
    message: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    """A year-on-year change as a card writes it."""

    text: str
    direction: str  # up, down, flat, none
    before: object  # the figure a year earlier
    since: str  # the date (or period) it was on


def login_context(error: str | None = None) -> dict[str, object]:
    return {"title": TITLE, "error": error}


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _plan(row: Mapping[str, object], book: RegionBook, query: DashboardQuery) -> Plan:
    metric, unit = METRICS.get(str(row["metric"]), (str(row["metric"]), ""))
    code = str(row["plan_code"])
    return Plan(
        code=code,
        name=str(row["name"]),
        metric_code=str(row["metric"]),
        metric=metric,
        unit=unit,
        region_code=str(row["region_code"]),
        region_name=book.name(str(row["region_code"])),
        jurisdiction=str(row["jurisdiction"]),
        starts_on=str(row["starts_on"]),
        ends_on=str(row["ends_on"]),
        target=_int(row["target"]),
        actual=_int(row["actual"]),
        progress=row.get("progress"),
        time_elapsed=row.get("time_elapsed"),
        edit=page_link(query, "plan-form", edit=code),
    )


def card_plans(plans: Sequence[Plan], dash: Dashboard, metrics: Sequence[str]) -> list[Plan]:
    """The plans a card shows: of its metrics, for the selected region and jurisdiction exactly, whose period
    overlaps the page's (a prefecture's plan is not the province's, a 2026 plan not 2025's)."""
    q = dash.query
    return [
        p
        for p in plans
        if p.metric_code in metrics
        and p.region_code == dash.region_code
        and p.jurisdiction == q.jurisdiction
        and p.starts_on <= q.as_of.isoformat()
        and p.ends_on >= q.start.isoformat()
    ]


def _yoy(now: object, before: Report, column: str, since: str) -> Change:
    text, direction = change(now, before.total.get(column))
    return Change(text, direction, before.total.get(column), since)


def _cards(dash: Dashboard) -> dict[str, object]:
    ago = dash.query.year_earlier()
    talent, training, dual, new_high = dash.talent.total, dash.training.total, dash.dual.total, dash.new_high.total
    period_ago = f"{ago.start.isoformat()} 至 {ago.as_of.isoformat()}"
    share_ago = dash.talent_year_ago.total.get("high_skill_share")
    rate_ago = dash.dual_year_ago.total.get("rate")
    return {
        "talent": _int(talent["talent"]),
        "high_skill": _int(talent["high_skill"]),
        "high_skill_share": talent.get("high_skill_share"),
        "person_times": _int(training["person_times"]),
        "persons": _int(training["persons"]),
        "dual_rate": dual.get("rate"),
        "dual_complete": _int(dual["complete_awards"]),
        "dual_completions": _int(dual["completions"]),
        "first_reached": _int(new_high["first_reached"]),
        "obtained": _int(new_high["obtained"]),
        "changes": {
            "talent": _yoy(talent["talent"], dash.talent_year_ago, "talent", ago.as_of.isoformat()),
            "high_skill": _yoy(talent["high_skill"], dash.talent_year_ago, "high_skill", ago.as_of.isoformat()),
            "high_skill_share": Change(
                *points(talent.get("high_skill_share"), share_ago), share_ago, ago.as_of.isoformat()
            ),
            "training": _yoy(training["person_times"], dash.training_year_ago, "person_times", period_ago),
            "dual_rate": Change(*points(dual.get("rate"), rate_ago), rate_ago, period_ago),
            "first_reached": _yoy(new_high["first_reached"], dash.new_high_year_ago, "first_reached", period_ago),
            "obtained": _yoy(new_high["obtained"], dash.new_high_year_ago, "obtained", period_ago),
        },
    }


def header_context(
    filters: Filters, book: RegionBook, home: str, choices: Sequence[tuple[str, str, int]], shown: str, who: str
) -> dict[str, object]:
    """What every page behind the sign-in shows: the header, the filters (with what was wrong with them) and the
    way down from the key's region to the one shown."""
    q = filters.query
    trail = [
        (book.name(code), page_link(q, region=code if code != home else "")) for code in path_to(book, home, shown)
    ]
    typed_region = filters.typed.get("region") or shown
    return {
        "title": TITLE,
        "who": who,
        "query": q,
        "typed": filters.typed,
        "errors": filters.errors,
        "choices": choices,
        "selected": typed_region if any(c == typed_region for c, _, _ in choices) else shown,
        "jurisdictions": JURISDICTIONS,
        "trail": trail,
    }


def dashboard_context(
    dash: Dashboard,
    filters: Filters,
    *,
    book: RegionBook,
    home: str,
    choices: Sequence[tuple[str, str, int]],
    who: str,
    generated_at: dt.datetime,
    sort: str = "",
    form: PlanForm | None = None,
    saved: str = "",
) -> dict[str, object]:
    q = dash.query
    cards = _cards(dash)
    talent = _int(cards["talent"])
    south4 = (
        sum(_int(r["talent"]) for r in dash.by_place.rows if r.get("prefecture_code") in dash.south4)
        if dash.place_dim == "prefecture"
        else None
    )
    plans = [_plan(r, book, q) for r in dash.plans.rows]
    plans.sort(key=lambda p: (p.region_code != dash.region_code, p.region_code, p.code))
    return {
        **header_context(filters, book, home, choices, dash.region_code, who),
        **cards,
        "dash": dash,
        "scope": f"{dash.region_name} · {JURISDICTIONS[q.jurisdiction]}",
        "training_plans": card_plans(plans, dash, ("training_person_times", "training_persons")),
        "new_high_plans": card_plans(plans, dash, ("new_high_skill", "new_high_skill_obtained")),
        "talent_plans": card_plans(plans, dash, ("talent", "high_skill")),
        "south4": south4,
        "south4_share": south4 / talent if south4 is not None and talent else None,
        "panels": panels(dash, sort),
        "plans": plans,
        "all_plans_link": page_link(q, "panel-plans", plans="" if q.all_plans else "all"),
        "plan_exports": exports(q, "plan_progress"),
        "plan_form": form or new_plan_form(dash),
        "plan_action": "/dashboard/plans?" + page_link(q).split("?", 1)[1],
        "here": page_link(q),
        "metrics": METRICS,
        "saved": saved,
        "rules": [*dash.talent.rules, *dash.training.rules, *dash.dual.rules[:2], *dash.new_high.rules[:2]],
        "generated_at": generated_at.astimezone(UTC8),
    }


def new_plan_form(dash: Dashboard) -> PlanForm:
    """An empty form for the region shown and the year of the date shown."""
    year = dash.query.as_of.year
    return PlanForm(
        {
            "code": "",
            "name": "",
            "metric": "training_person_times",
            "region_code": dash.region_code,
            "jurisdiction": dash.query.jurisdiction,
            "starts_on": f"{year}-01-01",
            "ends_on": f"{year}-12-31",
            "target": "",
        }
    )


def edit_plan_form(plan: PlanTarget) -> PlanForm:
    """The form filled with a kept plan, to change it."""
    return PlanForm(
        {
            "code": plan.code,
            "name": plan.name,
            "metric": plan.metric,
            "region_code": plan.region_code,
            "jurisdiction": plan.jurisdiction,
            "starts_on": plan.starts_on.isoformat(),
            "ends_on": plan.ends_on.isoformat(),
            "target": str(plan.target),
        },
        editing=True,
    )
