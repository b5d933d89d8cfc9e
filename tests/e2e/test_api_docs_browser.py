"""The API docs at /schema work on a machine without internet: nothing is fetched from another host, and
Chromium shows every operation of the document."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser


def test_the_docs_page_loads_nothing_from_elsewhere_and_shows_the_operations(server: Server, browser) -> None:
    document = httpx.get(f"{server.base}/schema/openapi.json").json()
    operations = sum(len(item) for item in document["paths"].values())
    own = urlsplit(server.base).netloc
    elsewhere: list[str] = []
    fetched: list[str] = []

    def only_this_app(route) -> None:
        url = route.request.url
        if urlsplit(url).netloc != own:
            elsewhere.append(url)
            route.abort()
        else:
            fetched.append(urlsplit(url).path)
            route.continue_()

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.route("**/*", only_this_app)
        response = page.goto(f"{server.base}/schema")
        assert response is not None and response.status == 200
        page.wait_for_selector(".opblock", timeout=30_000)
        shown = page.locator(".opblock").count()
        assert shown == operations
        upload = page.locator('.opblock-summary-path[data-path="/api/v1/completions/import"]')
        assert upload.count() == 1
        assert "Skills Ledger API" in page.locator(".info .title").inner_text()
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
        upload.click()
        page.wait_for_selector(".opblock.is-open .responses-table", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "api-docs-import.png"), full_page=False)
    finally:
        page.close()
    assert elsewhere == []
    assert "/schema/assets/swagger-ui-bundle.js" in fetched and "/schema/openapi.json" in fetched
