"""The bureau dashboard and its sign-in page: what `templates/dashboard/` shows, worked out from the figures.

Server-rendered Chinese HTML with inline SVG charts, no scripts and no external assets (the page renders offline);
every figure shown carries its exact value in `data-value`, the same number `GET /api/v1/stats/...` returns for the
same parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from api.statistics.charts import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    Bar,
    Chart,
    Series,
    column_chart,
    hbar_chart,
    line_chart,
)
from api.statistics.dashboard_figures import Dashboard, DashboardQuery
from ledger.statistics.report import Report

TITLE = "技能人才统计看板"
JURISDICTIONS = {"all": "全疆（含兵团）", "zizhiqu": "自治区（不含兵团）", "bingtuan": "兵团"}
METRICS = {"training_person_times": ("培训人次", "人次"), "training_persons": ("培训人数", "人"),
           "talent": ("技能人才", "人"), "high_skill": ("高技能人才", "人"), "certificates": ("取证", "本")}  # fmt: skip
LEVELS = ((1, "一级/高级技师"), (2, "二级/技师"), (3, "三级/高级工"), (4, "四级/中级工"), (5, "五级/初级工"))
HIGH_SKILL_LEVELS = (1, 2, 3)
LOGIN = "dashboard/login.html"
PAGE = "dashboard/page.html"
PROBLEM = "dashboard/problem.html"
UTC8 = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class Export:
    """A link that downloads a figure of the page (see `DashboardController.export`)."""

    href: str
    label: str  # CSV or XLSX
    name: str  # figure-group-format, for tests


@dataclass(frozen=True, slots=True)
class Panel:
    """A chart with its data table and export links."""

    name: str
    title: str
    subtitle: str
    chart: Chart
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]  # ints are figures (right-aligned, grouped), the rest text
    exports: Sequence[Export]
    wide: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    """A planning target's progress, as `GET /api/v1/stats/plan-progress` reports it."""

    code: str
    name: str
    metric: str  # its name in Chinese
    unit: str
    starts_on: str
    ends_on: str
    target: int
    actual: int
    progress: object  # a share, or None without a target
    time_elapsed: object  # a share of the plan's period

    @property
    def bar(self) -> float:
        """The progress bar's length, in percent."""
        return min(float(self.progress), 1.0) * 100 if isinstance(self.progress, float | int) else 0

    @property
    def elapsed(self) -> float:
        """The time gone, in percent."""
        return float(str(self.time_elapsed)) * 100


def login_context(error: str | None = None) -> dict[str, object]:
    return {"title": TITLE, "error": error}


def _query(query: DashboardQuery, **extra: str) -> str:
    params = {"as_of": query.as_of.isoformat(), "from": query.start.isoformat(), "jurisdiction": query.jurisdiction}
    if query.region:
        params["region"] = query.region
    params.update(extra)
    return urlencode(params)


def _exports(query: DashboardQuery, figure: str, group_by: str = "") -> list[Export]:
    return [
        Export(
            f"/dashboard/export/{figure}?{_query(query, group_by=group_by, format=fmt)}",
            fmt.upper(),
            f"{figure}-{group_by or 'total'}-{fmt}",
        )
        for fmt in ("csv", "xlsx")
    ]


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _place_bars(dash: Dashboard) -> list[Bar]:
    dim = dash.place_dim
    rows = {str(r[f"{dim}_code"]): r for r in dash.by_place.rows}
    bars = [
        Bar(str(r[f"{dim}_name"]), _int(r["talent"]), ORANGE if code in dash.south4 else BLUE, code)
        for code, r in rows.items()
    ]
    if dim == "prefecture":  # every prefecture appears, with 0 where the ledger has no one yet
        bars += [
            Bar(name, 0, ORANGE if code in dash.south4 else BLUE, code)
            for code, name in dash.places
            if code not in rows
        ]
    return sorted(bars, key=lambda b: (-b.value, b.key))


def _level_bars(report: Report) -> list[Bar]:
    found = {r["level"]: r for r in report.rows}
    bars = []
    for level, name in LEVELS:
        row = found.pop(level, None)
        color = GREEN if level in HIGH_SKILL_LEVELS else BLUE
        bars.append(Bar(name, _int(row["talent"]) if row else 0, color, str(level)))
    for other, row in found.items():  # not graded (legacy qualifications) or not recorded (baseline)
        bars.append(Bar(str(row["level_name"]), _int(row["talent"]), GREY, "" if other is None else str(other)))
    return bars


def _years(report: Report, first: int, last: int, figure: str) -> list[int]:
    found = {r["year"]: _int(r[figure]) for r in report.rows}
    return [found.get(year, 0) for year in range(first, last + 1)]


def _plan(row: dict[str, object]) -> Plan:
    metric, unit = METRICS.get(str(row["metric"]), (str(row["metric"]), ""))
    return Plan(
        code=str(row["plan_code"]), name=str(row["name"]), metric=metric, unit=unit, starts_on=str(row["starts_on"]),
        ends_on=str(row["ends_on"]), target=_int(row["target"]), actual=_int(row["actual"]),
        progress=row.get("progress"), time_elapsed=row.get("time_elapsed"),
    )  # fmt: skip


def _panels(dash: Dashboard, places: list[Bar]) -> list[Panel]:
    q = dash.query
    place_word = "地州" if dash.place_dim == "prefecture" else "区县"
    place_chart = hbar_chart(
        places, title=f"技能人才按{place_word}", name="by-place", unit="人",
        keys=[("南疆四地州", ORANGE), ("其他地区", BLUE)] if dash.place_dim == "prefecture" else (), width=1000,
        label_width=200,
    )  # fmt: skip
    levels = _level_bars(dash.by_level)
    level_chart = hbar_chart(
        levels, title="技能人才按最高等级", name="by-level", unit="人",
        keys=[("高技能", GREEN), ("四级、五级", BLUE)], width=380, label_width=104,
    )  # fmt: skip
    years = [str(y) for y in range(q.first_year, q.as_of.year + 1)]
    stock = _years(dash.talent_by_year, q.first_year, q.as_of.year, "talent")
    high = _years(dash.talent_by_year, q.first_year, q.as_of.year, "high_skill")
    trend = line_chart(
        years, [Series("技能人才", BLUE, stock), Series("高技能人才", GREEN, high)],
        title="技能人才年末存量", name="talent-trend", unit="人",
    )  # fmt: skip
    volume = _years(dash.training_by_year, q.first_year, q.as_of.year, "person_times")
    training = column_chart(
        [Bar(y, v, PURPLE, y) for y, v in zip(years, volume, strict=True)],
        title="各年培训人次", name="training-trend", unit="人次",
    )  # fmt: skip
    return [
        Panel(
            "by-place", f"技能人才按{place_word}", f"截至 {q.as_of.isoformat()} · 南疆四地州以橙色标出", place_chart,
            [place_word, "技能人才（人）"], [(b.label, b.value) for b in places],
            _exports(q, "talent", dash.place_dim), wide=True,
        ),
        Panel(
            "by-level", "等级构成", "每人按最高有效等级计一次", level_chart,
            ["等级", "技能人才（人）"], [(b.label, b.value) for b in levels], _exports(q, "talent", "level"),
        ),
        Panel(
            "talent-trend", "年度趋势", f"各年12月31日存量（{q.as_of.year}年为统计日）", trend,
            ["年份", "技能人才（人）", "高技能人才（人）"], list(zip(years, stock, high, strict=True)),
            _exports(q, "talent", "year"),
        ),
        Panel(
            "training-trend", "年度培训人次", f"{q.first_year}-01-01 至 {q.as_of.isoformat()}，按结业年份", training,
            ["年份", "培训人次"], list(zip(years, volume, strict=True)), _exports(q, "training", "year"),
        ),
    ]  # fmt: skip


def _signed_in(query: DashboardQuery, choices: Sequence[tuple[str, str]], selected: str, who: str) -> dict[str, object]:
    """What every page behind the sign-in shows: the header and the filters."""
    return {
        "title": TITLE, "who": who, "query": query, "choices": choices, "selected": selected,
        "jurisdictions": JURISDICTIONS,
    }  # fmt: skip


def dashboard_context(
    dash: Dashboard, *, choices: Sequence[tuple[str, str]], who: str, generated_at: dt.datetime
) -> dict[str, object]:
    q = dash.query
    total, training = dash.talent.total, dash.training.total
    talent = _int(total["talent"])
    places = _place_bars(dash)
    south4 = sum(b.value for b in places if b.key in dash.south4) if dash.place_dim == "prefecture" else None
    return {
        **_signed_in(q, choices, dash.region_code, who),
        "dash": dash,
        "scope": f"{dash.region_name} · {JURISDICTIONS[q.jurisdiction]}",
        "talent": talent,
        "high_skill": _int(total["high_skill"]),
        "high_skill_share": total.get("high_skill_share"),
        "person_times": _int(training["person_times"]),
        "persons": _int(training["persons"]),
        "training_plans": [_plan(r) for r in dash.plans.rows if r["metric"] == "training_person_times"],
        "south4": south4,
        "south4_share": south4 / talent if south4 is not None and talent else None,
        "panels": _panels(dash, places),
        "plans": [_plan(r) for r in dash.plans.rows],
        "plan_exports": _exports(q, "plan_progress"),
        "rules": [*dash.talent.rules, *dash.training.rules],
        "generated_at": generated_at.astimezone(UTC8),
    }


def problem_context(
    query: DashboardQuery, choices: Sequence[tuple[str, str]], selected: str, who: str, message: str
) -> dict[str, object]:
    return {**_signed_in(query, choices, selected, who), "scope": TITLE, "message": message}
