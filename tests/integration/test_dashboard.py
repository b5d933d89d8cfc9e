"""The bureau dashboard: sign-in with a bureau or admin key, the session cookie, CSRF, scope and the figures shown."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from litestar.testing import AsyncTestClient

from ledger.database.driver import driver
from ledger.database.engine import make_engine, make_sessionmaker
from ledger.statistics import refresh_talent
from tests.integration.conftest import World
from tests.integration.statistics_world import Writer

pytestmark = [pytest.mark.asyncio, pytest.mark.https]

BASELINE = {
    "as_of": "2024-12-31",
    "source": "test",
    "rows": [
        {"region_code": "650100", "level": 3, "persons": 120},
        {"region_code": "650100", "level": 4, "persons": 300},
        {"region_code": "653100", "level": 2, "persons": 40},
        {"region_code": "653100", "level": 5, "persons": 500},
        {"region_code": "653121", "level": 4, "persons": 70},
    ],
}
PLAN = {"name": "十四五培训", "metric": "training_person_times", "region_code": "650000", "starts_on": "2021-01-01",
        "ends_on": "2025-12-31", "target": 7_500_000}  # fmt: skip


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def values(html: str) -> dict[str, str]:
    return dict(re.findall(r'id="([a-z0-9-]+)" data-value="([^"]*)"', html))


async def sign_in(client: AsyncTestClient, key: str) -> object:
    form = await client.get("/dashboard/login")
    assert form.status_code == 200
    return await client.post("/dashboard/login", data={"key": key, "_csrf_token": csrf_of(form.text)})


def secret_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


async def test_the_dashboard_sends_strangers_to_sign_in(world: World) -> None:
    response = await world.client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
    assert (await world.client.get("/dashboard/export/talent?format=csv")).status_code == 401
    page = await world.client.get("/dashboard/login")
    assert "API 密钥" in page.text and page.headers["content-type"].startswith("text/html")
    assert "script" not in page.text and "http" not in page.text.split("<body>")[1], "no scripts, no outside assets"


async def test_a_bureau_signs_in_and_out(world: World) -> None:
    client = world.client
    response = await sign_in(client, secret_of(world.bureau))
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("ledger_dashboard"))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Secure" in cookie
    assert "Path=/dashboard" in cookie
    assert secret_of(world.bureau) not in cookie and "ldg_" not in cookie, "the key itself is never in the cookie"

    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert "技能人才总量" in page.text and "南疆四地州" in page.text and "退出" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]

    out = await client.post("/dashboard/logout", data={"_csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/dashboard/login"
    assert (await client.get("/dashboard")).status_code == 303


async def test_forms_without_the_csrf_token_are_refused(world: World) -> None:
    client = world.client
    await client.get("/dashboard/login")  # the CSRF cookie is set, but the form field is missing or forged
    assert (await client.post("/dashboard/login", data={"key": secret_of(world.bureau)})).status_code == 403
    forged = {"key": secret_of(world.bureau), "_csrf_token": "0" * 128}
    assert (await client.post("/dashboard/login", data=forged)).status_code == 403
    assert (await client.get("/dashboard")).status_code == 303, "not signed in"

    assert (await sign_in(client, secret_of(world.bureau))).status_code == 303
    assert (await client.post("/dashboard/logout", data={})).status_code == 403
    assert (await client.get("/dashboard")).status_code == 200, "still signed in: the forged logout did nothing"


@pytest.mark.parametrize(
    ("who", "status", "message"),
    [("evaluator", 403, "机构密钥"), ("unknown", 401, "密钥无效"), ("empty", 401, "密钥无效"), ("admin", 303, "")],
)
async def test_only_bureau_and_admin_keys_sign_in(world: World, who: str, status: int, message: str) -> None:
    key = {"evaluator": secret_of(world.evaluator), "unknown": "ldg_bur_" + "a" * 32, "empty": " ",
           "admin": secret_of(world.admin)}[who]  # fmt: skip
    response = await sign_in(world.client, key)
    assert response.status_code == status
    assert message in response.text
    assert (await world.client.get("/dashboard")).status_code == (200 if who == "admin" else 303)


async def revoke(world: World, headers: dict[str, str]) -> None:
    """Revoke the key behind `headers`, as an administrator would, outside the app."""
    from ledger.database.engine import make_engine, make_sessionmaker
    from ledger.tenancy.service import principal_for, revoke_key

    engine = make_engine(world.settings.database_url or "", pool_size=1)
    async with make_sessionmaker(engine)() as session:
        principal = await principal_for(session, secret_of(headers))
        assert principal is not None
        await revoke_key(session, principal.key_id)
        await session.commit()
    await engine.dispose()


async def test_a_revoked_key_ends_its_session(world: World) -> None:
    assert (await sign_in(world.client, secret_of(world.bureau))).status_code == 303
    assert (await world.client.get("/dashboard")).status_code == 200
    await revoke(world, world.bureau)
    page = await world.client.get("/dashboard")
    assert page.status_code == 303 and page.headers["location"] == "/dashboard/login"
    assert any(c.startswith("ledger_dashboard=null;") for c in page.headers.get_list("set-cookie")), "session cleared"
    assert (await world.client.get("/dashboard/export/talent?format=csv")).status_code == 401


async def test_the_figures_equal_the_statistics_api(world: World) -> None:
    client = world.client
    assert (await client.put("/api/v1/baseline", json=BASELINE, headers=world.admin)).status_code == 200
    assert (await client.put("/api/v1/plans/p2125", json=PLAN, headers=world.bureau)).status_code == 200
    await sign_in(client, secret_of(world.bureau))
    for params in ({"as_of": "2025-06-30"}, {"as_of": "2025-06-30", "region": "653100"},
                   {"as_of": "2025-06-30", "jurisdiction": "bingtuan"}):  # fmt: skip
        page = await client.get("/dashboard", params=params)
        assert page.status_code == 200, page.text
        shown = values(page.text)
        talent = (await client.get("/api/v1/stats/talent", params=params, headers=world.bureau)).json()["total"]
        assert int(shown["talent"]) == talent["talent"]
        assert int(shown["high-skill"]) == talent["high_skill"]
        assert shown["high-skill-share"] == str(talent["high_skill_share"])
        period = {**params, "from": "2025-01-01", "to": params["as_of"]}
        period.pop("as_of")
        training = (await client.get("/api/v1/stats/training", params=period, headers=world.bureau)).json()
        assert int(shown["training"]) == training["total"]["person_times"]
    plans = await client.get("/api/v1/stats/plan-progress", params={"as_of": "2025-06-30"}, headers=world.bureau)
    page = await client.get("/dashboard", params={"as_of": "2025-06-30"})
    actual = re.search(r'data-plan="p2125">.*?class="plan-actual" data-value="(\d+)"', page.text)
    assert actual and int(actual.group(1)) == plans.json()["rows"][0]["actual"]
    by_place = (await client.get("/api/v1/stats/talent", params={"as_of": "2025-06-30", "group_by": "prefecture"},
                                 headers=world.bureau)).json()["rows"]  # fmt: skip
    bars = dict(re.findall(r'<g class="bar" data-key="(\d+)" data-value="(\d+)"', page.text.split("by-level")[0]))
    assert {r["prefecture_code"]: r["talent"] for r in by_place} == {k: int(v) for k, v in bars.items() if v != "0"}
    assert 'data-key="653100" data-value="610"' in page.text and "#e8772e" in page.text, "喀什 is in 南疆四地州 colour"


async def test_exports_are_the_api_reports(world: World) -> None:
    client = world.client
    assert (await client.put("/api/v1/baseline", json=BASELINE, headers=world.admin)).status_code == 200
    await sign_in(client, secret_of(world.bureau))
    params = {"as_of": "2025-06-30", "group_by": "prefecture"}
    export = await client.get("/dashboard/export/talent", params={**params, "format": "csv"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"].startswith(
        'attachment; filename="talent_by-prefecture_650000_2025-06-30.csv"; filename*=UTF-8'
    )
    api = await client.get("/api/v1/stats/talent", params={**params, "format": "csv"}, headers=world.bureau)

    def table(body: bytes) -> list[list[str]]:
        return [row for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) if not row or "生成时间" not in row[0]]

    assert table(export.content) == table(api.content)
    xlsx = await client.get("/dashboard/export/plan_progress", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert (await client.get("/dashboard/export/trainees", params={"format": "csv"})).status_code == 404
    flows = {"as_of": "2025-06-30", "from": "2025-01-01"}
    for figure, path in (("dual", "dual"), ("new_high_skill", "new-high-skill")):
        export = await client.get(f"/dashboard/export/{figure}", params={**flows, "format": "csv"})
        direct = await client.get(f"/api/v1/stats/{path}", params={**period(flows), "format": "csv"},
                                  headers=world.bureau)  # fmt: skip
        assert export.status_code == 200 and table(export.content) == table(direct.content), figure
    export = await client.get("/dashboard/export/institutions", params={**flows, "format": "csv"})
    assert export.status_code == 200 and "institution_code" in export.content.decode("utf-8-sig")


async def test_a_prefecture_bureau_sees_its_own_region_only(world: World) -> None:
    made = await world.client.post("/api/v1/bureau-keys", json={"region_code": "653100"}, headers=world.admin)
    assert made.status_code == 201
    await sign_in(world.client, made.json()["key"])
    page = await world.client.get("/dashboard")
    assert page.status_code == 200
    assert 'value="653100" selected' in page.text and "疏附县" in page.text and 'value="650100"' not in page.text
    assert "技能人才按区县" in page.text
    outside = await world.client.get("/dashboard", params={"region": "650100"})
    assert outside.status_code == 404 and "不在本密钥的范围内" in outside.text
    export = await world.client.get("/dashboard/export/talent", params={"region": "650100", "format": "csv"})
    assert export.status_code == 404


async def test_bad_filters_are_explained_on_the_page(world: World) -> None:
    await sign_in(world.client, secret_of(world.bureau))
    page = await world.client.get("/dashboard", params={"as_of": "2025-01-31", "from": "2025-06-01"})
    assert page.status_code == 400 and "查询条件有误" in page.text


# ---- issue #13 point 2: what an analyst expects of the dashboard ---------------------------------------------------

D = dt.date
SEEDED = {"as_of": "2025-06-30", "from": "2025-01-01"}


async def seed(world: World) -> None:
    """Urumqi (650100): 4 persons level 4 in 2024, 2 of them level 3 in 2025 (新增高技能), one 一培双证 course in 2025;
    疏附县 (653121, 喀什): 3 persons level 4 in 2025, two of them trained twice. Each certificate comes from a
    completion of its own course: 2025 training is 4 人次 at U1 and 5 at K1."""
    engine = make_engine(world.settings.database_url or "", pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            w = Writer(await driver(session))
            urumqi = await w.institution("U1", "650100", "zizhiqu")
            shufu = await w.institution("K1", "653121", "zizhiqu", kind="training")
            people = [await w.person("F" if i % 2 else "M", D(1990 + i, 1, 1)) for i in range(7)]
            for p in people[:4]:
                await w.certificate(p, urumqi, "skill_level", 4, "6-18-01-01", D(2024, 3, 1))
            for p in people[:2]:
                await w.certificate(p, urumqi, "skill_level", 3, "6-18-01-01", D(2025, 4, 1))
            course, completion = await w.completion(people[0], urumqi, "4-03-02-01", D(2025, 5, 1),
                                                    dual_rule="training_skill")  # fmt: skip
            companion = await w.certificate(people[0], urumqi, "training", None, "4-03-02-01", D(2025, 5, 1),
                                            course_completion=(course, completion))  # fmt: skip
            skill = await w.certificate(people[0], urumqi, "skill_level", 5, "4-03-02-01", D(2025, 5, 1),
                                        course_completion=(course, completion))  # fmt: skip
            await w.award(completion, "training_skill", companion, skill)
            await w.completion(people[1], urumqi, "4-03-02-01", D(2025, 5, 1), dual_rule="training_skill")
            for p in people[4:]:
                await w.certificate(p, shufu, "skill_level", 4, "4-03-02-01", D(2025, 2, 1))
            await w.completion(people[4], shufu, "4-03-02-01", D(2025, 3, 1))
            await w.completion(people[5], shufu, "4-03-02-01", D(2025, 3, 1))
            await refresh_talent(session, people)
            await session.commit()
    finally:
        await engine.dispose()


async def api(world: World, figure: str, **params: str) -> dict:
    response = await world.client.get(f"/api/v1/stats/{figure}", params=params, headers=world.bureau)
    assert response.status_code == 200, response.text
    return response.json()


def period(params: dict[str, str]) -> dict[str, str]:
    out = {**params, "to": params["as_of"]}
    out.pop("as_of")
    return out


def year_earlier(params: dict[str, str]) -> dict[str, str]:
    return {k: v.replace("2025", "2024") if k in ("as_of", "from") else v for k, v in params.items()}


async def test_plans_are_those_of_the_region_and_period_shown(world: World) -> None:
    client = world.client
    made = {"p2025": {**PLAN, "name": "全区2025年培训", "starts_on": "2025-01-01", "ends_on": "2025-12-31"},
            "k2026": {**PLAN, "name": "喀什地区2026年培训", "region_code": "653100", "starts_on": "2026-01-01",
                      "ends_on": "2026-12-31"},
            "k2025": {**PLAN, "name": "喀什地区2025年培训", "region_code": "653100", "starts_on": "2025-01-01",
                      "ends_on": "2025-12-31"}}  # fmt: skip
    for code, plan in made.items():
        assert (await client.put(f"/api/v1/plans/{code}", json=plan, headers=world.bureau)).status_code == 200
    await sign_in(client, secret_of(world.bureau))
    page = (await client.get("/dashboard", params=SEEDED)).text
    card = page.split('id="card-training"')[1].split("</article>")[0]
    assert 'data-plan="p2025"' in card and "喀什" not in card, "the province's card: its own 2025 plan only"
    table = page.split('id="panel-plans"')[1]
    assert 'data-plan="k2025"' in table and 'data-plan="k2026"' not in table, "the table: this period, and below"
    every = (await client.get("/dashboard", params={**SEEDED, "plans": "all"})).text.split('id="panel-plans"')[1]
    assert 'data-plan="k2026"' in every
    kashgar = (await client.get("/dashboard", params={"as_of": "2026-06-30", "region": "653100"})).text
    card = kashgar.split('id="card-training"')[1].split("</article>")[0]
    assert 'data-plan="k2026"' in card and 'data-plan="k2025"' not in card and 'data-plan="p2025"' not in card


async def test_new_high_skill_is_a_plan_metric_under_both_definitions(world: World) -> None:
    await seed(world)
    for code, metric in (("nh-a", "new_high_skill"), ("nh-b", "new_high_skill_obtained")):
        plan = {**PLAN, "metric": metric, "starts_on": "2025-01-01", "ends_on": "2025-12-31", "target": 10}
        response = await world.client.put(f"/api/v1/plans/{code}", json=plan, headers=world.bureau)
        assert response.status_code == 200, response.text
    rows = {r["plan_code"]: r for r in (await api(world, "plan-progress", as_of="2025-06-30"))["rows"]}
    flows = (await api(world, "new-high-skill", **period(SEEDED)))["total"]
    assert rows["nh-a"]["actual"] == flows["first_reached"] == 2
    assert rows["nh-b"]["actual"] == flows["obtained"] == 2
    await sign_in(world.client, secret_of(world.bureau))
    card = (await world.client.get("/dashboard", params=SEEDED)).text.split('id="card-new-high-skill"')[1]
    assert 'data-plan="nh-a"' in card.split("</article>")[0]


async def test_a_bad_filter_is_explained_beside_it_and_the_last_figures_stay(world: World) -> None:
    await seed(world)
    client = world.client
    await sign_in(client, secret_of(world.bureau))
    good = await client.get("/dashboard", params={**SEEDED, "region": "650100"})
    assert good.status_code == 200
    kept = values(good.text)
    for bad, field, status in (
        ({"as_of": "2025-01-31", "from": "2025-06-01"}, "from", 400),
        ({"as_of": "2025-13-45"}, "as_of", 400),
        ({"as_of": "2025-06-30", "region": "999999"}, "region", 400),
        ({"as_of": "2025-06-30", "jurisdiction": "mars"}, "jurisdiction", 400),
        ({"as_of": "2025-06-30", "region": "110000"}, "region", 404),
    ):
        page = await client.get("/dashboard", params=bad)
        assert page.status_code == status, (bad, page.text[:300])
        assert page.headers["content-type"].startswith("text/html"), "a page, never a bare problem"
        error = re.search(rf'<label class="bad">[^<]*<[^>]*name="{field}"[^>]*>.*?id="error-{field}"[^>]*>([^<]+)<',
                          page.text, re.S)  # fmt: skip
        assert error and re.search(r"[\u4e00-\u9fff]", error.group(1)), f"a Chinese message beside {field}"
        shown = values(page.text)
        assert {k: shown[k] for k in ("talent", "high-skill", "training")} == \
            {k: kept[k] for k in ("talent", "high-skill", "training")}, "the last good figures stay"  # fmt: skip
        assert page.text.count("<h1>") == 1 and page.text.count(TITLE_TEXT) == 2, "one title (and <title>)"
        assert 'id="kept"' in page.text and "乌鲁木齐市" in page.text.split('id="kept"')[1].split("</p>")[0]
    assert (await client.get("/dashboard", params=SEEDED)).status_code == 200, "a good query again"


TITLE_TEXT = "技能人才统计看板"


async def test_cards_show_one_format_year_on_year_dual_rate_and_new_high_skill(world: World) -> None:
    await seed(world)
    big = {"as_of": "2025-06-30", "source": "test", "rows": [{"region_code": "650100", "level": 4, "persons": 10_400}]}
    assert (await world.client.put("/api/v1/baseline", json=big, headers=world.admin)).status_code == 200
    await sign_in(world.client, secret_of(world.bureau))
    page = (await world.client.get("/dashboard", params=SEEDED)).text
    talent = (await api(world, "talent", as_of="2025-06-30"))["total"]
    before = (await api(world, "talent", as_of="2024-06-30"))["total"]
    assert talent["talent"] == 10_400 + 7 and before["talent"] == 4
    card = page.split('id="card-talent"')[1].split("</article>")[0]
    assert f'data-value="{talent["talent"]}" title="10,407 人">1.04万<' in card, "万 on the card, exact on hover"
    growth = (talent["talent"] - 4) / 4 * 100
    assert f"▲ {growth:.1f}%" in card and 'data-before="4"' in card, "year on year, against the same day of 2024"
    dual = (await api(world, "dual", **period(SEEDED)))["total"]
    assert dual["completions"] == 2 and dual["complete_awards"] == 1
    shown = values(page)
    assert float(shown["dual-rate"]) == dual["rate"] == 0.5 and "50.0%" in page.split('id="card-dual"')[1][:400]
    flows = (await api(world, "new-high-skill", **period(SEEDED)))["total"]
    assert int(shown["new-high-skill"]) == flows["first_reached"] and int(shown["new-high-skill-obtained"]) == \
        flows["obtained"]  # fmt: skip
    table = page.split('id="panel-by-place"')[1].split("</section>")[0]
    assert ">10,404<" in table, "tables are exact"
    assert not re.search(r">\d{1,3}(,\d{3})+<", page.split('id="panel-map"')[1].split("<details>")[0]), \
        "the map and its axis never write 10,000 and more with separators"  # fmt: skip


async def test_drill_down_from_the_province_to_a_county_and_its_institutions(world: World) -> None:
    await seed(world)
    client = world.client
    await sign_in(client, secret_of(world.bureau))
    keep = {**SEEDED, "jurisdiction": "zizhiqu"}
    province = (await client.get("/dashboard", params=keep)).text
    tiles = re.findall(r'<a href="([^"]+)" class="tile" data-key="(\d+)" data-value="([\d.]+)"><title>([^<]+)</title>',
                       province)  # fmt: skip
    assert len(tiles) == 15 and {code for _, code, _, _ in tiles} >= {"650100", "653100", "659000"}
    by_prefecture = {r["prefecture_code"]: r["talent"] for r in (await api(world, "talent", as_of="2025-06-30",
                     jurisdiction="zizhiqu", group_by="prefecture"))["rows"]}  # fmt: skip
    for href, code, value, title in tiles:
        assert float(value) == by_prefecture.get(code, 0) and f"{by_prefecture.get(code, 0):,} 人" in title
        assert href.replace("&amp;", "&") == f"/dashboard?as_of=2025-06-30&from=2025-01-01&region={code}" \
            "&jurisdiction=zizhiqu", "each tile drills down and keeps the filters"  # fmt: skip
    kashgar = (await client.get("/dashboard", params={**keep, "region": "653100"})).text
    assert "技能人才按区县" in kashgar and 'region=653121&amp;jurisdiction=zizhiqu"' in kashgar
    assert '<nav class="trail"' in kashgar and "新疆维吾尔自治区</a>" in kashgar
    county = (await client.get("/dashboard", params={**keep, "region": "653121"})).text
    rows = county.split('id="panel-institutions"')[1].split("</section>")[0]
    assert 'data-value="K1"' in rows and 'data-value="U1"' not in rows, "the county's own institutions"
    assert 'data-label="培训人次" data-value="5"' in rows and 'data-label="取证（本）" data-value="3"' in rows


async def test_occupations_institutions_and_the_map_figure(world: World) -> None:
    await seed(world)
    client = world.client
    await sign_in(client, secret_of(world.bureau))
    page = (await client.get("/dashboard", params=SEEDED)).text
    occupations = (await api(world, "talent", as_of="2025-06-30", group_by="occupation"))["rows"]
    top = sorted(occupations, key=lambda r: (-r["talent"], r["occupation_code"]))
    drawn = re.findall(r'<g class="bar" data-key="([\d-]+)" data-value="(\d+)"',
                       page.split('data-chart="by-occupation"')[1].split("</svg>")[0])  # fmt: skip
    assert drawn == [(r["occupation_code"], str(r["talent"])) for r in top][:10]
    institutions = page.split('id="panel-institutions"')[1].split("</section>")[0]
    assert institutions.index('data-value="K1"') < institutions.index('data-value="U1"'), "most 人次 first"
    by_high_skill = (await client.get("/dashboard", params={**SEEDED, "sort": "high_skill_certificates"})).text
    institutions = by_high_skill.split('id="panel-institutions"')[1].split("</section>")[0]
    assert institutions.index('data-value="U1"') < institutions.index('data-value="K1"'), "most 三级+ first"
    assert 'aria-sort="descending"><a href="/dashboard?as_of=2025-06-30&amp;from=2025-01-01&amp;' \
        'sort=high_skill_certificates' in institutions  # fmt: skip
    training = (await client.get("/dashboard", params={**SEEDED, "map": "training"})).text
    trained = (await api(world, "training", **period(SEEDED), group_by="prefecture"))["rows"]
    by_prefecture = {r["prefecture_code"]: r["person_times"] for r in trained}
    tiles = dict(re.findall(r'class="tile" data-key="(\d+)" data-value="([\d.]+)"', training))
    assert {k: float(v) for k, v in tiles.items() if float(v)} == {k: float(v) for k, v in by_prefecture.items() if v}
    assert 'aria-current="true">培训人次<' in training
    shares = page.split('data-chart="high-skill-share"')[1].split("</svg>")[0]
    rows = {r["prefecture_code"]: r["high_skill_share"] for r in (await api(world, "talent", as_of="2025-06-30",
            group_by="prefecture"))["rows"]}  # fmt: skip
    assert dict(re.findall(r'data-key="(\d+)" data-value="([\d.]+)"', shares)) == {k: str(v) for k, v in rows.items()}


async def test_plans_are_created_and_edited_on_the_page(world: World) -> None:
    client = world.client
    await sign_in(client, secret_of(world.bureau))
    page = await client.get("/dashboard", params=SEEDED)
    action = re.search(r'<form class="plan-form" id="plan-form" method="post" action="([^"]+)"', page.text)
    assert action
    target = action.group(1).replace("&amp;", "&")
    form = {"code": "t2025", "name": "2025年培训", "metric": "training_person_times", "region_code": "650000",
            "jurisdiction": "all", "starts_on": "2025-01-01", "ends_on": "2025-12-31", "target": "1,000"}  # fmt: skip
    assert (await client.post(target, data=form)).status_code == 403, "no CSRF token, no plan"
    saved = await client.post(target, data={**form, "_csrf_token": csrf_of(page.text)})
    assert saved.status_code == 303 and saved.headers["location"].startswith("/dashboard?as_of=2025-06-30")
    shown = await client.get(saved.headers["location"])
    assert 'id="plan-saved"' in shown.text and 'data-plan="t2025"' in shown.text
    plans = {r["plan_code"]: r for r in (await api(world, "plan-progress", as_of="2025-06-30"))["rows"]}
    assert plans["t2025"]["target"] == 1000
    edit = await client.get("/dashboard", params={**SEEDED, "edit": "t2025"})
    assert 'name="code" value="t2025" maxlength="64" placeholder="如 training-2026" readonly' in edit.text
    changed = await client.post(
        target, data={**form, "target": "2500", "editing": "1", "_csrf_token": csrf_of(edit.text)}
    )
    assert changed.status_code == 303
    assert (await api(world, "plan-progress", as_of="2025-06-30"))["rows"][0]["target"] == 2500
    refused = await client.post(
        target, data={**form, "target": "-5", "ends_on": "2024-01-01", "region_code": "110000",
                      "_csrf_token": csrf_of(edit.text)},
    )  # fmt: skip
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html")
    for field in ("target", "ends_on"):
        assert f'id="plan-error-{field}"' in refused.text
    assert 'value="-5"' in refused.text and 'id="talent"' in refused.text, "what was typed, and the figures"
    outside = await client.post(target, data={**form, "region_code": "110000", "_csrf_token": csrf_of(edit.text)})
    assert outside.status_code == 422 and 'id="plan-error-region_code"' in outside.text
    assert (await api(world, "plan-progress", as_of="2025-06-30"))["rows"][0]["target"] == 2500, "nothing written"
