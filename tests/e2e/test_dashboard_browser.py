"""The bureau dashboard in a real browser: sign in with the demo bureau key, read the figures off the page and compare
them with the statistics API, drill down from the map to 喀什 and to a county, export a CSV, keep a plan with the
page's form, see a bad filter explained beside it; on a 390 px phone, every label readable and nothing sideways.
Screenshots in tests/artifacts (desktop and phone)."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import httpx
import pytest

from api.statistics.numbers import short
from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser  # Playwright in a headless Chromium

PREFECTURES = {"650100": 9, "650200": 3, "650400": 2, "650500": 2.5, "652300": 5, "652700": 1.8, "652800": 4,
               "652900": 6, "653000": 1.5, "653100": 9, "653200": 5, "654000": 6, "654200": 2.2, "654300": 1.6,
               "659000": 4}  # fmt: skip
LEVEL_SHARES = {1: 0.02, 2: 0.06, 3: 0.13, 4: 0.33, 5: 0.46}


@pytest.fixture(scope="module")
def figures(server: Server) -> Server:
    """A baseline stock for every prefecture (so the charts have something to draw) and a training plan."""
    rng = random.Random(7)
    rows = [
        {"region_code": code, "level": level, "persons": int(weight * 10_000 * share * rng.uniform(0.85, 1.15))}
        for code, weight in PREFECTURES.items()
        for level, share in LEVEL_SHARES.items()
    ]
    admin = {"Authorization": f"Bearer {server.keys['admin']}"}
    response = httpx.put(f"{server.base}/api/v1/baseline", json={"as_of": "2024-12-31", "rows": rows}, headers=admin)
    assert response.status_code == 200, response.text
    plan = {"name": "2021—2025年职业技能培训（示例）", "metric": "training_person_times", "region_code": "650000",
            "starts_on": "2021-01-01", "ends_on": "2025-12-31", "target": 60}  # fmt: skip
    response = httpx.put(f"{server.base}/api/v1/plans/training-2021-2025", json=plan, headers=bureau(server))
    assert response.status_code == 200, response.text
    kashgar = {**plan, "name": "喀什地区2026年培训", "region_code": "653100", "starts_on": "2026-01-01",
               "ends_on": "2026-12-31", "target": 20}  # fmt: skip
    response = httpx.put(f"{server.base}/api/v1/plans/kashgar-2026", json=kashgar, headers=bureau(server))
    assert response.status_code == 200, response.text
    return server


def bureau(server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.keys['bureau 650000']}"}


def api(server: Server, figure: str, **params: str) -> dict:
    response = httpx.get(f"{server.base}/api/v1/stats/{figure}", params=params, headers=bureau(server))
    assert response.status_code == 200, response.text
    return response.json()


def shown(page, selector: str) -> str:
    value = page.locator(selector).first.get_attribute("data-value")
    assert value is not None, selector
    return value


def check_figures(server: Server, page, region: str | None) -> None:
    """Every headline figure on the page equals the API's for the filters the page shows."""
    as_of = page.locator("input[name=as_of]").input_value()
    start = page.locator("input[name=from]").input_value()
    scope = {"region": region} if region else {}
    talent = api(server, "talent", as_of=as_of, **scope)["total"]
    assert int(shown(page, "#talent")) == talent["talent"]
    assert int(shown(page, "#high-skill")) == talent["high_skill"]
    assert float(shown(page, "#high-skill-share")) == talent["high_skill_share"]
    assert page.locator("#talent").get_attribute("title") == f"{talent['talent']:,} 人", "exact on hover"
    assert page.locator("#talent").inner_text() == short(talent["talent"]), "万 from 10,000 up"
    training = api(server, "training", **{"from": start, "to": as_of}, **scope)["total"]
    assert int(shown(page, "#training")) == training["person_times"]
    assert int(shown(page, "#training-persons")) == training["persons"]
    plans = api(server, "plan-progress", as_of=as_of, **scope)["rows"]
    here = region or "650000"
    for plan in plans:
        row = page.locator(f'#card-training .plan[data-plan="{plan["plan_code"]}"]')
        if plan["region_code"] != here or plan["ends_on"] < start or plan["starts_on"] > as_of:
            assert row.count() == 0, "a card shows plans of its own region and period only"
            continue
        assert int(row.locator(".plan-actual").get_attribute("data-value") or -1) == plan["actual"]
        assert int(row.locator(".plan-target").get_attribute("data-value") or -1) == plan["target"]
    dim = "prefecture" if region is None else "region"
    rows = api(server, "talent", as_of=as_of, group_by=dim, **scope)["rows"]
    bars = page.locator('svg[data-chart="by-place"] g.bar')
    drawn = {bars.nth(i).get_attribute("data-key"): int(bars.nth(i).get_attribute("data-value") or -1)
             for i in range(bars.count())}  # fmt: skip
    assert {r[f"{dim}_code"]: r["talent"] for r in rows} == {k: v for k, v in drawn.items() if v}


@pytest.mark.slow
def test_the_dashboard_in_a_browser(figures: Server, browser) -> None:
    server = figures
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(f"{server.base}/dashboard")
        assert page.url == f"{server.base}/dashboard/login", "a stranger is sent to sign in"
        page.fill("#key", server.keys["bureau 650000"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.base}/dashboard")
        assert page.locator("h1").inner_text() == "技能人才统计看板"
        check_figures(server, page, None)

        page.fill("input[name=from]", "2025-01-01")
        page.fill("input[name=as_of]", "2025-12-31")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        check_figures(server, page, None)
        assert int(shown(page, "#training")) > 0, "the demo's 2025 courses are in the period"
        assert "喀什地区2026年培训" not in page.locator("#card-training").inner_text()
        tile = page.locator('svg[data-chart="map"] a.tile[data-key="653100"]')
        assert tile.locator("rect").get_attribute("stroke") == "#e8772e", "喀什 is outlined as 南疆四地州"
        assert page.locator('svg[data-chart="map"] a.tile').count() == 15, "14 prefectures and 兵团"
        south4 = page.locator('svg[data-chart="by-place"] g.bar[data-key="653100"] rect')
        assert south4.get_attribute("fill") == "#e8772e", "喀什 is drawn in the 南疆四地州 colour"
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        survey = page.locator("#panel-reconciliation")  # the demo records the survey's 2025 figures
        assert survey.locator('tr[data-figure="talent"] td.published').get_attribute("data-value") == "3200000"
        assert "新疆日报 2026-01-31" in survey.inner_text() and "历史存量未载入" in survey.inner_text()
        survey.screenshot(path=str(ARTIFACTS / "dashboard-reconciliation.png"))

        page.click('#panel-map nav.choices a:has-text("高技能人才占比")')
        page.wait_for_url("**map=high_skill_share**")
        shares = {r["prefecture_code"]: r["high_skill_share"]
                  for r in api(server, "talent", as_of="2025-12-31", group_by="prefecture")["rows"]}  # fmt: skip
        tiles = page.locator('svg[data-chart="map"] a.tile')
        for i in range(tiles.count()):
            code = tiles.nth(i).get_attribute("data-key")
            assert float(tiles.nth(i).get_attribute("data-value") or -1) == (shares.get(code) or 0)
        page.screenshot(path=str(ARTIFACTS / "dashboard-map-share.png"), full_page=False, clip={
            "x": 0, "y": page.locator("#panel-map").bounding_box()["y"], "width": 1366, "height": 700})  # fmt: skip

        tile.click()
        page.wait_for_url("**region=653100**")
        assert "as_of=2025-12-31" in page.url and "from=2025-01-01" in page.url, "the drill-down keeps the filters"
        assert "喀什地区" in page.locator("header.top").inner_text()
        check_figures(server, page, "653100")
        page.screenshot(path=str(ARTIFACTS / "dashboard-kashgar.png"), full_page=True)

        with page.expect_download() as download_info:
            page.click('#panel-by-place a[data-export$="-csv"]')
        download = download_info.value
        exported = Path(download.path()).read_text(encoding="utf-8-sig")
        as_of = page.locator("input[name=as_of]").input_value()
        assert download.suggested_filename == f"技能人才按区县_喀什地区_{as_of}.csv"  # filename*, in UTF-8
        direct = httpx.get(
            f"{server.base}/api/v1/stats/talent",
            params={"as_of": as_of, "region": "653100", "group_by": "region", "format": "csv"},
            headers=bureau(server),
        ).content.decode("utf-8-sig")

        def table(text: str) -> list[list[str]]:
            return [row for row in csv.reader(io.StringIO(text)) if not row or "生成时间" not in row[0]]

        assert table(exported) == table(direct)
        assert exported.startswith("地区代码,地区,技能人才（人）,高技能人才（人）")

        page.locator("#panel-by-place details summary").click()
        page.locator("#panel-by-place td a").first.click()
        page.wait_for_url("**region=6531**")
        assert page.locator("#panel-institutions").is_visible(), "a county: its institutions"
        assert page.locator("nav.trail a").count() == 2, "新疆 › 喀什地区 › the county"

        page.fill("input[name=from]", "2026-01-01")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#error-from").is_visible() and "不能晚于统计日" in page.locator("#error-from").inner_text()
        assert page.locator("h1").count() == 1 and page.locator("#talent").is_visible(), "figures kept, one title"
        page.screenshot(path=str(ARTIFACTS / "dashboard-bad-filter.png"), full_page=False)

        page.goto(f"{server.base}/dashboard?as_of=2025-12-31&from=2025-01-01#plan-form")
        page.fill("#plan-form input[name=code]", "new-high-2025")
        page.fill("#plan-form input[name=name]", "2025年新增高技能人才")
        page.select_option("#plan-form select[name=metric]", "new_high_skill")
        page.fill("#plan-form input[name=starts_on]", "2025-01-01")
        page.fill("#plan-form input[name=ends_on]", "2025-12-31")
        page.fill("#plan-form input[name=target]", "abc")
        page.click("#plan-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#plan-error-target").is_visible(), "a bad target is explained beside it"
        page.fill("#plan-form input[name=target]", "50")
        page.click("#plan-form button[type=submit]")
        page.wait_for_url("**saved=new-high-2025**")
        assert page.locator("#plan-saved").is_visible()
        progress = {r["plan_code"]: r for r in api(server, "plan-progress", as_of="2025-12-31")["rows"]}
        assert progress["new-high-2025"]["target"] == 50 and progress["new-high-2025"]["metric"] == "new_high_skill"
        card = page.locator('#card-new-high-skill .plan[data-plan="new-high-2025"] .plan-actual')
        assert int(card.get_attribute("data-value") or -1) == progress["new-high-2025"]["actual"]

        assert all(url.startswith(server.base) for url in requested), "nothing is fetched from outside the app"
        page.click("header.top button[type=submit]")
        page.wait_for_url(f"{server.base}/dashboard/login")
        page.goto(f"{server.base}/dashboard")
        assert page.url == f"{server.base}/dashboard/login", "signed out"
    finally:
        context.close()


def test_the_dashboard_at_phone_size(figures: Server, browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{figures.base}/dashboard/login")
        page.fill("#key", figures.keys["bureau 650000"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{figures.base}/dashboard")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
        heights = page.evaluate(
            "[...document.querySelectorAll('svg.chart text')].map(t => t.getBoundingClientRect().height)"
            ".filter(h => h > 0)"
        )
        assert heights and min(heights) >= 10, f"every chart and map label at least 10 px tall ({min(heights):.1f})"
        cards = page.evaluate(
            "[...document.querySelectorAll('#panel-institutions tbody tr')].map(r => r.getBoundingClientRect().width)"
        )
        assert cards and max(cards) <= 370, "the institutions table becomes cards"
        page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
        page.locator("#panel-map").screenshot(path=str(ARTIFACTS / "dashboard-phone-map.png"))
    finally:
        context.close()
