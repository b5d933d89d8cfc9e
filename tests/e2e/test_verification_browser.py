"""The verification page in a real browser at phone size, in each language; screenshots in tests/artifacts."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser  # Playwright in a headless Chromium

EXPECTED = {"zh": ("有效", "ltr"), "en": ("Valid", "ltr"), "ug": ("ئىناۋەتلىك", "rtl")}


@pytest.mark.parametrize("lang", list(EXPECTED))
def test_the_page_at_phone_size(server: Server, browser, lang: str) -> None:
    school = {"Authorization": f"Bearer {server.keys['institution XJ-EVAL-01']}"}
    listed = httpx.get(f"{server.base}/api/v1/certificates", params={"status": "valid"}, headers=school).json()
    certificate = next(c for c in listed["items"] if c["kind"] == "skill_level")
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    try:
        scanned = certificate["qr_text"].split("/V/", 1)[1]
        response = page.goto(f"{server.base}/V/{scanned}?lang={lang}")
        assert response is not None and response.status == 200
        word, direction = EXPECTED[lang]
        status = page.locator("section.status h1")
        assert status.inner_text() == word
        assert page.locator("html").get_attribute("dir") == direction
        box = status.bounding_box()
        assert box is not None and box["y"] < 200, "the status must be the first thing on the screen"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
        page.screenshot(path=str(ARTIFACTS / f"verification-{lang}.png"), full_page=True)
    finally:
        page.close()


def test_an_unknown_code_in_the_browser(server: Server, browser) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        response = page.goto(f"{server.base}/v/AAAAAAAAAAAAAAAA")
        assert response is not None and response.status == 404
        assert "未找到该证书" in page.locator("h1").inner_text()
        page.screenshot(path=str(ARTIFACTS / "verification-unknown.png"))
    finally:
        page.close()
