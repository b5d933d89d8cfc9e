"""The bureau dashboard and its sign-in page: server-rendered Chinese HTML with inline SVG charts.

No scripts and no external assets (the page renders offline); every figure shown carries its exact value in
`data-value`, the same number `GET /api/v1/stats/...` returns for the same parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from api.pages.charts import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    Bar,
    Series,
    column_chart,
    hbar_chart,
    line_chart,
    number,
)
from api.statistics.dashboard_figures import Dashboard, DashboardQuery
from ledger.statistics.report import Report

TITLE = "技能人才统计看板"
JURISDICTIONS = {"all": "全疆（含兵团）", "zizhiqu": "自治区（不含兵团）", "bingtuan": "兵团"}
METRICS = {"training_person_times": ("培训人次", "人次"), "training_persons": ("培训人数", "人"),
           "talent": ("技能人才", "人"), "high_skill": ("高技能人才", "人"), "certificates": ("取证", "本")}  # fmt: skip
LEVELS = ((1, "一级/高级技师"), (2, "二级/技师"), (3, "三级/高级工"), (4, "四级/中级工"), (5, "五级/初级工"))
HIGH_SKILL_LEVELS = (1, 2, 3)

_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#f2f4f7;
color:#1b1f24;line-height:1.5}
header.top{background:#0f3d7a;color:#fff;padding:.8rem 1.5rem;display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1.2rem}
header.top h1{font-size:1.35rem;margin:0;letter-spacing:.04em}header.top .scope{opacity:.85}
header.top .who{margin-left:auto;font-size:.85rem;opacity:.9;display:flex;align-items:center;gap:.6rem}
header.top button{background:transparent;color:#fff;border:1px solid #ffffff80;border-radius:6px;padding:.2rem .7rem;
cursor:pointer;font:inherit}
main{max-width:1240px;margin:0 auto;padding:1rem 1.5rem 2rem}
form.filters{background:#fff;border-radius:12px;padding:.8rem 1rem;display:flex;flex-wrap:wrap;gap:.6rem 1.2rem;
align-items:flex-end;box-shadow:0 1px 2px #0000000f}
form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:#5a6472;gap:.2rem}
form.filters input,form.filters select{font:inherit;font-size:.95rem;padding:.3rem .5rem;border:1px solid #c9d0da;
border-radius:6px;background:#fff;color:#1b1f24;min-width:9rem}
.btn{font:inherit;background:#0f3d7a;color:#fff;border:0;border-radius:6px;padding:.45rem 1.2rem;cursor:pointer;
text-decoration:none;display:inline-block}
.link{color:#0f3d7a;font-size:.9rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:1rem;margin:1rem 0}
.card{background:#fff;border-radius:12px;padding:1rem 1.2rem;box-shadow:0 1px 2px #0000000f;border-top:4px solid #2f6fdf}
.card.high{border-top-color:#1a8a5a}.card.training{border-top-color:#6b5bd6}.card.south4{border-top-color:#e8772e}
.card h2{font-size:.95rem;font-weight:600;color:#5a6472;margin:0}
.big{font-size:2.1rem;font-weight:700;margin:.2rem 0;letter-spacing:.01em;font-variant-numeric:tabular-nums}
.big small{font-size:.95rem;font-weight:400;color:#5a6472;margin-left:.3rem}
.note{font-size:.8rem;color:#5a6472;margin:.2rem 0}
.plan{margin-top:.5rem;font-size:.85rem}
.progress{position:relative;height:10px;background:#e9ecf1;border-radius:5px;margin:.3rem 0;overflow:visible}
.progress i{position:absolute;left:0;top:0;bottom:0;background:#6b5bd6;border-radius:5px}
.progress b{position:absolute;top:-3px;width:2px;height:16px;background:#1b1f24}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:1rem}
.panel{background:#fff;border-radius:12px;padding:.8rem 1rem;box-shadow:0 1px 2px #0000000f;min-width:0}
.panel.wide{grid-column:1 / -1}
.panel header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;flex-wrap:wrap}
.panel h2{font-size:1.05rem;margin:.2rem 0}.panel header span{font-size:.8rem;color:#5a6472}
.exports a{font-size:.8rem;color:#0f3d7a;margin-left:.5rem}
svg.chart{width:100%;height:auto;display:block;margin-top:.4rem}
.scroll{overflow-x:auto}
details{margin-top:.4rem;font-size:.85rem}summary{cursor:pointer;color:#0f3d7a}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin-top:.4rem;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e3e7ed;padding:.3rem .5rem;text-align:left}td.n,th.n{text-align:right}
.error{background:#fdecea;color:#8a1c1c;border-radius:10px;padding:.7rem 1rem;margin:1rem 0}
footer{font-size:.8rem;color:#5a6472;margin-top:1.5rem}
.login{max-width:26rem;margin:12vh auto;background:#fff;border-radius:14px;padding:1.6rem 1.8rem;
box-shadow:0 2px 10px #0000001a}
.login h1{font-size:1.4rem;margin:0 0 .3rem}.login label{display:block;margin:1rem 0 .3rem;font-size:.9rem}
.login input{width:100%;font:inherit;padding:.5rem .6rem;border:1px solid #c9d0da;border-radius:8px}
.login .btn{width:100%;margin-top:1rem;padding:.6rem}
@media (max-width:1000px){.grid{grid-template-columns:1fr 1fr}}
@media (max-width:700px){.grid{grid-template-columns:1fr}main{padding:.8rem}header.top{padding:.8rem}
header.top .who{margin-left:0}}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


def _shell(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>"
    )


def _csrf_field(token: str) -> str:
    return f'<input type="hidden" name="_csrf_token" value="{escape(token)}">'


def login_page(csrf_token: str, error: str | None = None) -> str:
    notice = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        '<main><form class="login" method="post" action="/dashboard/login">'
        f"<h1>{TITLE}</h1>"
        '<p class="note">请使用人社局（或管理员）API 密钥登录。密钥只在登录时核验，不保存在浏览器中。</p>'
        f"{notice}"
        '<label for="key">API 密钥</label>'
        '<input id="key" name="key" type="password" autocomplete="off" required placeholder="ldg_bur_…">'
        f'{_csrf_field(csrf_token)}<button class="btn" type="submit">登录</button></form></main>'
    )
    return _shell(f"登录 · {TITLE}", body)


def _query(query: DashboardQuery, **extra: str) -> str:
    params = {"as_of": query.as_of.isoformat(), "from": query.start.isoformat(), "jurisdiction": query.jurisdiction}
    if query.region:
        params["region"] = query.region
    params.update(extra)
    return urlencode(params)


def _exports(query: DashboardQuery, figure: str, group_by: str = "") -> str:
    links = []
    for fmt in ("csv", "xlsx"):
        href = f"/dashboard/export/{figure}?{_query(query, group_by=group_by, format=fmt)}"
        links.append(f'<a href="{escape(href)}" data-export="{figure}-{group_by or "total"}-{fmt}">{fmt.upper()}</a>')
    return f'<span class="exports">导出 {"".join(links)}</span>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f'<th class="{"n" if i else ""}">{escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(
            f'<td class="n">{number(v)}</td>' if isinstance(v, int) else f"<td>{escape(str(v))}</td>" for v in row
        ) + "</tr>"
        for row in rows
    )  # fmt: skip
    return f"<details><summary>数据表</summary><table><tr>{head}</tr>{body}</table></details>"


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _percent(value: object) -> str:
    return f"{value * 100:.2f}%" if isinstance(value, float | int) else "—"


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


def _plan_line(row: dict[str, object]) -> str:
    name, unit = METRICS.get(str(row["metric"]), (str(row["metric"]), ""))
    progress = row.get("progress")
    width = min(float(progress), 1.0) * 100 if isinstance(progress, float | int) else 0
    elapsed = float(str(row["time_elapsed"])) * 100
    return (
        f'<div class="plan" data-plan="{escape(str(row["plan_code"]))}">'
        f"规划「{escape(str(row['name']))}」{escape(str(row['starts_on']))} 至 {escape(str(row['ends_on']))}<br>"
        f'实际 <b class="plan-actual" data-value="{_int(row["actual"])}">{number(_int(row["actual"]))}</b> / '
        f'目标 <b class="plan-target" data-value="{_int(row["target"])}">{number(_int(row["target"]))}</b> {unit}，'
        f'完成 <b class="plan-progress" data-value="{progress}">{_percent(progress)}</b>'
        f'<div class="progress" title="完成率 {_percent(progress)}；竖线为时间进度 {elapsed:.0f}%">'
        f'<i style="width:{width:.1f}%"></i><b style="left:{min(elapsed, 100):.1f}%"></b></div>'
        f'<span class="note">时间进度 {elapsed:.0f}%（竖线）· {escape(name)}</span></div>'
    )


def _cards(dash: Dashboard) -> str:
    total = dash.talent.total
    talent, high = _int(total["talent"]), _int(total["high_skill"])
    share = total.get("high_skill_share")
    training = dash.training.total
    baseline = "含基线存量" if dash.talent.baseline_included else "不含基线"
    plans = [r for r in dash.plans.rows if r["metric"] == "training_person_times"]
    plan_html = "".join(_plan_line(r) for r in plans) or '<p class="note">本地区未设置培训规划目标。</p>'
    cards = [
        '<article class="card" id="card-talent"><h2>技能人才总量</h2>'
        f'<p class="big"><span id="talent" data-value="{talent}">{number(talent)}</span><small>人</small></p>'
        f'<p class="note">截至 {dash.query.as_of.isoformat()} · 持有效技能证书的人数（按人去重）· {baseline}</p></article>',
        '<article class="card high" id="card-high-skill"><h2>高技能人才</h2>'
        f'<p class="big"><span id="high-skill" data-value="{high}">{number(high)}</span><small>人</small></p>'
        f'<p class="note">占技能人才 <b id="high-skill-share" data-value="{share}">{_percent(share)}</b>'
        " · 最高有效等级三级/高级工及以上</p></article>",
        '<article class="card training" id="card-training"><h2>培训人次</h2>'
        f'<p class="big"><span id="training" data-value="{_int(training["person_times"])}">'
        f"{number(_int(training['person_times']))}</span><small>人次</small></p>"
        f'<p class="note">{dash.query.start.isoformat()} 至 {dash.query.as_of.isoformat()} 结业合格 · '
        f'<span id="training-persons" data-value="{_int(training["persons"])}">{number(_int(training["persons"]))}</span>'
        f" 人</p>{plan_html}</article>",
    ]
    if dash.place_dim == "prefecture":
        south = sum(b.value for b in _place_bars(dash) if b.key in dash.south4)
        cards.append(
            '<article class="card south4" id="card-south4"><h2>南疆四地州 技能人才</h2>'
            f'<p class="big"><span id="south4" data-value="{south}">{number(south)}</span><small>人</small></p>'
            f'<p class="note">喀什、和田、阿克苏、克州 · 占全部 {_percent(south / talent if talent else None)}</p></article>'
        )
    return f'<section class="cards">{"".join(cards)}</section>'


def _panel(title: str, subtitle: str, chart: str, table: str, exports: str, *, wide: bool = False, name: str) -> str:
    return (
        f'<section class="panel{" wide" if wide else ""}" id="panel-{name}"><header><div><h2>{escape(title)}</h2>'
        f"<span>{escape(subtitle)}</span></div>{exports}</header>{chart}{table}</section>"
    )


def _charts(dash: Dashboard) -> str:
    q = dash.query
    place_word = "地州" if dash.place_dim == "prefecture" else "区县"
    places = _place_bars(dash)
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
    return '<div class="grid">' + "".join(
        [
            _panel(
                f"技能人才按{place_word}", f"截至 {q.as_of.isoformat()} · 南疆四地州以橙色标出", place_chart,
                _table([place_word, "技能人才（人）"], [(b.label, b.value) for b in places]),
                _exports(q, "talent", dash.place_dim), wide=True, name="by-place",
            ),
            _panel(
                "等级构成", "每人按最高有效等级计一次", level_chart,
                _table(["等级", "技能人才（人）"], [(b.label, b.value) for b in levels]),
                _exports(q, "talent", "level"), name="by-level",
            ),
            _panel(
                "年度趋势", f"各年12月31日存量（{q.as_of.year}年为统计日）", trend,
                _table(["年份", "技能人才（人）", "高技能人才（人）"], list(zip(years, stock, high, strict=True))),
                _exports(q, "talent", "year"), name="talent-trend",
            ),
            _panel(
                "年度培训人次", f"{q.first_year}-01-01 至 {q.as_of.isoformat()}，按结业年份", training,
                _table(["年份", "培训人次"], list(zip(years, volume, strict=True))),
                _exports(q, "training", "year"), name="training-trend",
            ),
            _plans_panel(dash),
        ]
    ) + "</div>"  # fmt: skip


def _plans_panel(dash: Dashboard) -> str:
    rows = []
    for r in dash.plans.rows:
        name, unit = METRICS.get(str(r["metric"]), (str(r["metric"]), ""))
        rows.append(
            f'<tr data-plan="{escape(str(r["plan_code"]))}"><td>{escape(str(r["name"]))}</td><td>{escape(name)}</td>'
            f"<td>{escape(str(r['starts_on']))} 至 {escape(str(r['ends_on']))}</td>"
            f'<td class="n">{number(_int(r["target"]))} {unit}</td><td class="n">{number(_int(r["actual"]))} {unit}</td>'
            f'<td class="n">{_percent(r.get("progress"))}</td><td class="n">{_percent(r.get("time_elapsed"))}</td></tr>'
        )
    table = (
        '<div class="scroll"><table><tr><th>规划</th><th>指标</th><th>期间</th><th class=n>目标</th><th class=n>实际</th>'
        f"<th class=n>完成率</th><th class=n>时间进度</th></tr>{''.join(rows)}</table></div>"
        if rows
        else '<p class="note">本地区及下级地区未设置规划目标（可通过 PUT /api/v1/plans/{code} 设置）。</p>'
    )
    return (
        '<section class="panel wide" id="panel-plans"><header><div><h2>规划目标进度</h2>'
        f"<span>截至 {dash.query.as_of.isoformat()}</span></div>{_exports(dash.query, 'plan_progress')}</header>"
        f"{table}</section>"
    )


def _filters(query: DashboardQuery, choices: Sequence[tuple[str, str]], selected: str) -> str:
    regions = "".join(
        f'<option value="{code}"{" selected" if code == selected else ""}>{escape(name)}（{code}）</option>'
        for code, name in choices
    )
    jurisdictions = "".join(
        f'<option value="{k}"{" selected" if k == query.jurisdiction else ""}>{v}</option>'
        for k, v in JURISDICTIONS.items()
    )
    return (
        '<form class="filters" method="get" action="/dashboard">'
        f'<label>统计日<input type="date" name="as_of" value="{query.as_of.isoformat()}"></label>'
        f'<label>培训期间自<input type="date" name="from" value="{query.start.isoformat()}"></label>'
        f'<label>地区<select name="region">{regions}</select></label>'
        f'<label>管辖口径<select name="jurisdiction">{jurisdictions}</select></label>'
        '<button class="btn" type="submit">查询</button><a class="link" href="/dashboard">重置</a></form>'
    )


def _header(region: str, who: str, csrf_token: str) -> str:
    return (
        f'<header class="top"><h1>{TITLE}</h1><span class="scope">{escape(region)}</span>'
        f'<span class="who">{escape(who)}<form method="post" action="/dashboard/logout">{_csrf_field(csrf_token)}'
        '<button type="submit">退出</button></form></span></header>'
    )


def dashboard_page(
    dash: Dashboard, *, choices: Sequence[tuple[str, str]], who: str, csrf_token: str, generated_at: dt.datetime
) -> str:
    q = dash.query
    rules = "".join(f"<li>{escape(rule)}</li>" for rule in [*dash.talent.rules, *dash.training.rules])
    body = (
        _header(f"{dash.region_name} · {JURISDICTIONS[q.jurisdiction]}", who, csrf_token)
        + f"<main>{_filters(q, choices, dash.region_code)}{_cards(dash)}{_charts(dash)}"
        + f"<details><summary>统计口径</summary><ul>{rules}</ul></details>"
        + f"<footer>数据来自账本记录，与统计接口 /api/v1/stats 同一口径 · 生成于 "
        f"{generated_at.astimezone(dt.timezone(dt.timedelta(hours=8))):%Y-%m-%d %H:%M} (UTC+8)</footer></main>"
    )
    return _shell(f"{dash.region_name} · {TITLE}", body)


def problem_page(
    query: DashboardQuery, choices: Sequence[tuple[str, str]], selected: str, who: str, csrf_token: str, message: str
) -> str:
    body = (
        _header(TITLE, who, csrf_token)
        + f'<main>{_filters(query, choices, selected)}<p class="error" role="alert">{escape(message)}</p></main>'
    )
    return _shell(TITLE, body)
