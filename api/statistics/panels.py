"""The dashboard's panels, worked out from the figures: the map and the bars by place (the drill-down), the levels,
the occupation top 10, the trends and the institutions, each with its data table (exact counts) and exports."""

from __future__ import annotations

from collections.abc import Sequence

from api.statistics.cells import Cell, Choice, Header, Panel, count, exports, heading, page_link, share, whole
from api.statistics.charts import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    TEAL,
    Bar,
    Chart,
    Series,
    column_chart,
    hbar_chart,
    line_chart,
)
from api.statistics.dashboard_figures import MAP_FIGURES, Dashboard, DashboardQuery
from api.statistics.numbers import number
from api.statistics.tilemap import TILES, tile_map
from ledger.statistics.report import Report

LEVELS = ((1, "一级/高级技师"), (2, "二级/技师"), (3, "三级/高级工"), (4, "四级/中级工"), (5, "五级/初级工"))
HIGH_SKILL_LEVELS = (1, 2, 3)
TOP_OCCUPATIONS = 10
TOP_INSTITUTIONS = 50
INSTITUTION_SORTS = {
    "person_times": "培训人次",
    "persons": "培训人数",
    "certificates": "取证（本）",
    "high_skill_certificates": "其中三级及以上",
}


def place_rows(dash: Dashboard) -> list[dict[str, object]]:
    """Every region one level below, by talent (then code), with 0 where the ledger has no one yet; what is
    recorded at the region itself (an institution or a baseline of the prefecture as a whole) is its 本级 row."""
    dim = dash.place_dim
    found = {str(r[f"{dim}_code"]): r for r in dash.by_place.rows}
    names = dict(dash.places)
    rows = []
    for code in [*names, *(c for c in found if c not in names)]:
        r = found.get(code, {})
        name = names.get(code) or (f"{dash.region_name}（本级）" if code == dash.region_code else str(r[f"{dim}_name"]))
        rows.append({"code": code, "name": name, "talent": whole(r.get("talent")),
                     "high_skill": whole(r.get("high_skill")), "share": r.get("high_skill_share")})  # fmt: skip
    return sorted(rows, key=lambda r: (-whole(r["talent"]), str(r["code"])))


def _short_name(code: str, name: str) -> str:
    """A bar's label: a prefecture's short name (as on the map), anything else cut to 8 characters (full on hover)."""
    if code in TILES and not name.endswith("（本级）"):
        return TILES[code][2]
    return name if len(name) <= 8 else name[:7] + "…"


def _share_note(row: dict[str, object]) -> str:
    return f"（高技能 {number(row['high_skill'])} / 技能人才 {number(row['talent'])} 人）"


def _place_panels(dash: Dashboard) -> list[Panel]:
    q = dash.query
    word = "地州" if dash.place_dim == "prefecture" else "区县"
    rows = place_rows(dash)
    known = {code for code, _ in dash.places}

    def href(code: str) -> str:
        return page_link(q, region=code) if code in known else ""

    def color(code: str, default: str) -> str:
        return ORANGE if dash.place_dim == "prefecture" and code in dash.south4 else default

    def keys(other: str) -> list[tuple[str, str]]:
        return [("南疆四地州", ORANGE), ("其他地区", other)] if dash.place_dim == "prefecture" else []

    bars = [
        Bar(
            _short_name(str(r["code"]), str(r["name"])),
            whole(r["talent"]),
            color(str(r["code"]), BLUE),
            str(r["code"]),
            href(str(r["code"])),
            name=str(r["name"]),
        )
        for r in rows
    ]
    by_place = hbar_chart(bars, title=f"技能人才按{word}", name="by-place", unit="人", keys=keys(BLUE))
    ranked = sorted((r for r in rows if r["share"] is not None), key=lambda r: (-float(str(r["share"])), r["code"]))
    shares = [
        Bar(
            _short_name(str(r["code"]), str(r["name"])),
            float(str(r["share"])),
            color(str(r["code"]), GREEN),
            str(r["code"]),
            href(str(r["code"])),
            _share_note(r),
            str(r["name"]),
        )
        for r in ranked
    ]
    share_chart = hbar_chart(
        shares, title=f"高技能人才占比按{word}", name="high-skill-share", unit="", keys=keys(GREEN), shares=True
    )
    table = [
        [
            Cell(str(r["name"]), href=href(str(r["code"])), value=str(r["code"])),
            count(r["talent"], "技能人才"),
            count(r["high_skill"], "高技能人才"),
            share(r["share"], "占比"),
        ]
        for r in rows
    ]
    headers = heading(word, "技能人才（人）", "高技能人才（人）", "高技能占比")
    drill = "点击地州进入区县" if dash.place_dim == "prefecture" else "点击区县查看其机构"
    return [
        Panel(
            "by-place",
            f"技能人才按{word}",
            f"截至 {q.as_of.isoformat()} · {drill}",
            by_place,
            headers,
            table,
            exports(q, "talent", dash.place_dim),
        ),
        Panel(
            "high-skill-share",
            f"高技能人才占比按{word}",
            "高技能人才 / 技能人才，按占比排序",
            share_chart,
            headers,
            table,
            exports(q, "talent", dash.place_dim),
        ),
    ]


def map_panel(dash: Dashboard) -> Panel | None:
    """The tile map of the prefectures and 兵团, coloured by the chosen figure (the province only)."""
    if dash.map is None:
        return None
    q = dash.query
    chosen = q.map if q.map in MAP_FIGURES else "talent"
    _, column, title, unit = MAP_FIGURES[chosen]
    values = {str(r["prefecture_code"]): r.get(column) for r in dash.map.rows}
    numbers = {code: float(str(v)) for code, v in values.items() if isinstance(v, int | float)}
    shares = column == "high_skill_share"
    drawn = tile_map(
        numbers,
        dict(dash.places),
        dash.south4,
        href=lambda code: page_link(q, region=code),
        title=f"{title}按地州",
        unit=unit,
        shares=shares,
    )
    choices = [
        Choice(name, page_link(q, "panel-map", map=key), key == chosen) for key, (_, _, name, _) in MAP_FIGURES.items()
    ]
    table = [
        [
            Cell(t.full_name, href=t.href, value=t.code),
            share(values.get(t.code), title) if shares else count(whole(values.get(t.code)), title),
        ]
        for t in sorted(drawn.tiles, key=lambda t: (-t.value, t.code))
    ]
    period = f"截至 {q.as_of.isoformat()}" if dash.map.figure == "talent" else f"{q.start} 至 {q.as_of}"
    return Panel(
        "map",
        f"{title} · 地州分布",
        f"{period} · 颜色越深数值越大（五分位） · 点击地州下钻",
        None,
        heading("地州", f"{title}（{unit}）" if unit else title),
        table,
        exports(q, dash.map.figure, "prefecture"),
        wide=True,
        map=drawn,
        choices=choices,
    )


def _level_panel(dash: Dashboard) -> Panel:
    found = {r["level"]: r for r in dash.by_level.rows}
    bars = []
    for level, name in LEVELS:
        row = found.pop(level, None)
        bars.append(
            Bar(name, whole(row["talent"]) if row else 0, GREEN if level in HIGH_SKILL_LEVELS else BLUE, str(level))
        )
    for other, row in found.items():  # not graded (legacy qualifications) or not recorded (baseline)
        bars.append(Bar(str(row["level_name"]), whole(row["talent"]), GREY, "" if other is None else str(other)))
    chart = hbar_chart(
        bars, title="技能人才按最高等级", name="by-level", unit="人", keys=[("高技能", GREEN), ("四级、五级", BLUE)]
    )
    return Panel(
        "by-level",
        "等级构成",
        "每人按最高有效等级计一次",
        chart,
        heading("等级", "技能人才（人）"),
        [[Cell(b.label), count(int(b.value), "技能人才")] for b in bars],
        exports(dash.query, "talent", "level"),
    )


def _occupation_panel(dash: Dashboard) -> Panel:
    known = [r for r in dash.by_occupation.rows if r["occupation_code"]]
    rows = sorted(known, key=lambda r: (-whole(r["talent"]), str(r["occupation_code"])))
    top = rows[:TOP_OCCUPATIONS]
    unknown = sum(whole(r["talent"]) for r in dash.by_occupation.rows if not r["occupation_code"])
    bars = [
        Bar(
            _short_name("", str(r["occupation_name"])),
            whole(r["talent"]),
            TEAL,
            str(r["occupation_code"]),
            name=f"{r['occupation_name']}（{r['occupation_code']}）",
        )
        for r in top
    ]
    chart = hbar_chart(bars, title=f"技能人才最多的{TOP_OCCUPATIONS}个职业", name="by-occupation", unit="人")
    table = [
        [
            Cell(f"{r['occupation_name']}（{r['occupation_code']}）"),
            count(r["talent"], "技能人才"),
            count(r["high_skill"], "高技能人才"),
        ]
        for r in top
    ]
    return Panel(
        "by-occupation",
        f"职业前{TOP_OCCUPATIONS}名",
        f"按最高等级证书的职业 · 共 {len(rows)} 个职业",
        chart,
        heading("职业", "技能人才（人）", "高技能人才（人）"),
        table,
        exports(dash.query, "talent", "occupation"),
        note=f"另有 {number(unknown)} 人职业未知（汇总基线存量不分职业），不参与排名。" if unknown else "",
    )


def _years(report: Report, first: int, last: int, figure: str) -> list[int]:
    found = {r["year"]: whole(r[figure]) for r in report.rows}
    return [found.get(year, 0) for year in range(first, last + 1)]


def _lines(
    report: Report, q: DashboardQuery, columns: Sequence[tuple[str, str, str]], *, title: str, name: str
) -> tuple[Chart, list[list[int]]]:
    """A line per column of a by-year report (persons), over the trend's years, and the values drawn."""
    years = [str(y) for y in range(q.first_year, q.as_of.year + 1)]
    values = [_years(report, q.first_year, q.as_of.year, column) for column, _, _ in columns]
    series = [Series(label, color, v) for (_, label, color), v in zip(columns, values, strict=True)]
    return line_chart(years, series, title=title, name=name, unit="人"), values


def _trend_panels(dash: Dashboard) -> list[Panel]:
    q = dash.query
    years = [str(y) for y in range(q.first_year, q.as_of.year + 1)]
    trend, (stock, high) = _lines(
        dash.talent_by_year,
        q,
        [("talent", "技能人才", BLUE), ("high_skill", "高技能人才", GREEN)],
        title="技能人才年末存量",
        name="talent-trend",
    )
    volume = _years(dash.training_by_year, q.first_year, q.as_of.year, "person_times")
    training = column_chart(
        [Bar(y, v, PURPLE, y) for y, v in zip(years, volume, strict=True)],
        title="各年培训人次",
        name="training-trend",
        unit="人次",
    )
    new_high, (reached, obtained) = _lines(
        dash.new_high_by_year,
        q,
        [("first_reached", "口径a 首次达到", GREEN), ("obtained", "口径b 取得证书", ORANGE)],
        title="各年新增高技能人才",
        name="new-high-skill-trend",
    )
    since = f"{q.first_year}-01-01 至 {q.as_of.isoformat()}"
    return [
        Panel(
            "talent-trend",
            "年度趋势",
            f"各年12月31日存量（{q.as_of.year}年为统计日）",
            trend,
            heading("年份", "技能人才（人）", "高技能人才（人）"),
            [
                [Cell(y), count(a, "技能人才"), count(b, "高技能人才")]
                for y, a, b in zip(years, stock, high, strict=True)
            ],
            exports(q, "talent", "year"),
        ),
        Panel(
            "training-trend",
            "年度培训人次",
            f"{since}，按结业年份",
            training,
            heading("年份", "培训人次"),
            [[Cell(y), count(v, "培训人次")] for y, v in zip(years, volume, strict=True)],
            exports(q, "training", "year"),
        ),
        Panel(
            "new-high-skill-trend",
            "新增高技能人才",
            f"{since}，两种口径（见统计口径）",
            new_high,
            heading("年份", "口径a 首次达到（人）", "口径b 取得证书（人）"),
            [[Cell(y), count(a, "口径a"), count(b, "口径b")] for y, a, b in zip(years, reached, obtained, strict=True)],
            exports(q, "new_high_skill", "year"),
        ),
    ]


def _drill(query: DashboardQuery, dash: Dashboard, code: str) -> str:
    return page_link(query, region=code) if code != dash.region_code else ""


def institutions_panel(dash: Dashboard, sort: str) -> Panel:
    """The institutions of the region, sorted by a column (most first; by code on a tie), the first 50."""
    q = dash.query
    key = sort if sort in INSTITUTION_SORTS else "person_times"
    rows = sorted(dash.institutions.rows, key=lambda r: (-whole(r[key]), str(r["institution_code"])))
    headers = [
        Header("机构"),
        Header("地区"),
        *(
            Header(name, True, page_link(q, "panel-institutions", sort=col), col == key)
            for col, name in INSTITUTION_SORTS.items()
        ),
    ]
    table = [
        [
            Cell(str(r["institution_name"]), value=str(r["institution_code"])),
            Cell(str(r["region_name"]), href=_drill(q, dash, str(r["region_code"])), label="地区"),
            *(count(r[col], name) for col, name in INSTITUTION_SORTS.items()),
        ]
        for r in rows[:TOP_INSTITUTIONS]
    ]
    total = dash.institutions.total
    shown = f"前 {TOP_INSTITUTIONS} 家（共 {len(rows)} 家）" if len(rows) > TOP_INSTITUTIONS else f"共 {len(rows)} 家"
    note = (
        f"合计：培训 {number(total['person_times'])} 人次（{number(total['persons'])} 人，"
        f"按人去重，不等于各机构人数之和） · 取证 {number(total['certificates'])} 本"
    )
    return Panel(
        "institutions",
        "机构",
        f"{q.start.isoformat()} 至 {q.as_of.isoformat()} · {shown} · 点击列名排序",
        None,
        headers,
        table,
        exports(q, "institutions"),
        wide=True,
        note=note,
        table_open=True,
    )


def panels(dash: Dashboard, sort: str) -> list[Panel]:
    found = map_panel(dash)
    return [
        *([found] if found else []),
        *(_place_panels(dash) if dash.places else []),  # a county has no regions below: its institutions instead
        _level_panel(dash),
        _occupation_panel(dash),
        *_trend_panels(dash),
        institutions_panel(dash, sort),
    ]


__all__ = ["LEVELS", "Panel", "panels"]
