"""The bureau dashboard in a real browser: sign in with the demo bureau key, read the figures off the page and compare
them with the statistics API, filter to 喀什, export a CSV, and save screenshots in tests/artifacts."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import httpx
import pytest

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
    assert page.locator("#talent").inner_text() == f"{talent['talent']:,}"
    training = api(server, "training", **{"from": start, "to": as_of}, **scope)["total"]
    assert int(shown(page, "#training")) == training["person_times"]
    assert int(shown(page, "#training-persons")) == training["persons"]
    plans = api(server, "plan-progress", as_of=as_of, **scope)["rows"]
    for plan in plans:
        row = page.locator(f'.plan[data-plan="{plan["plan_code"]}"]')
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
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        check_figures(server, page, None)
        assert int(shown(page, "#training")) > 0, "the demo's 2025 courses are in the period"
        south4 = page.locator('svg[data-chart="by-place"] g.bar[data-key="653100"] rect')
        assert south4.get_attribute("fill") == "#e8772e", "喀什 is drawn in the 南疆四地州 colour"
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        survey = page.locator("#panel-reconciliation")  # the demo records the survey's 2025 figures
        assert survey.locator('tr[data-figure="talent"] td.published').get_attribute("data-value") == "3200000"
        assert "新疆日报 2026-01-31" in survey.inner_text() and "历史存量未载入" in survey.inner_text()
        survey.screenshot(path=str(ARTIFACTS / "dashboard-reconciliation.png"))

        page.select_option("select[name=region]", "653100")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**region=653100**")
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
        page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    finally:
        context.close()
