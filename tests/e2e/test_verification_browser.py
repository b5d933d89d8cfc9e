"""The verification site in a real browser at phone size and on a desktop, in each language: the home's code box,
every status, a forged QR, the 404; screenshots in tests/artifacts."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser  # Playwright in a headless Chromium

EXPECTED = {"zh": ("有效", "ltr"), "en": ("Valid", "ltr"), "ug": ("ئىناۋەتلىك", "rtl")}
INVALID = {"zh": "二维码无效", "en": "QR code invalid", "ug": "QR كودى ئىناۋەتسىز"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def listed(server: Server, **query: str) -> list[dict]:
    school = {"Authorization": f"Bearer {server.keys['institution XJ-EVAL-01']}"}
    found = httpx.get(f"{server.base}/api/v1/certificates", params={"limit": "200", **query}, headers=school)
    return found.json()["items"]


@pytest.fixture(scope="module")
def certificate(server: Server) -> dict:
    return next(c for c in listed(server, status="valid") if c["kind"] == "skill_level")


@pytest.fixture(scope="module")
def revoked(server: Server, certificate: dict) -> dict:
    school = {"Authorization": f"Bearer {server.keys['institution XJ-EVAL-01']}"}
    other = next(c for c in listed(server, status="valid") if c["number"] != certificate["number"])
    body = {"reason_code": "exam_misconduct", "effective_on": other["issued_on"]}
    answer = httpx.post(f"{server.base}/api/v1/certificates/{other['number']}/revoke", json=body, headers=school)
    assert answer.status_code == 200, answer.text
    return answer.json()


def no_sideways_scrolling(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scrolling"


@pytest.mark.parametrize("lang", list(EXPECTED))
def test_the_page_at_phone_size(server: Server, browser, certificate: dict, lang: str) -> None:
    page = browser.new_page(**PHONE)
    try:
        scanned = certificate["qr_text"].split("/V/", 1)[1]
        response = page.goto(f"{server.base}/V/{scanned}?lang={lang}")
        assert response is not None and response.status == 200
        word, direction = EXPECTED[lang]
        status = page.locator("section.status")
        assert status.get_attribute("data-status") == "valid"
        assert status.locator("h1").inner_text() == word
        assert page.locator("html").get_attribute("dir") == direction
        box = status.locator("h1").bounding_box()
        assert box is not None and box["y"] < 200, "the status must be the first thing on the screen"
        no_sideways_scrolling(page, 390)
        page.screenshot(path=str(ARTIFACTS / f"verification-{lang}.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize("lang", list(EXPECTED))
def test_a_code_typed_as_printed_in_the_home_box(server: Server, browser, certificate: dict, lang: str) -> None:
    code = certificate["verification_code"]
    typed = "-".join(code[i : i + 4] for i in range(0, 16, 4)).lower().replace("o", "0")
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page = browser.new_page(**size)
        try:
            page.goto(f"{server.base}/?lang={lang}")
            assert page.locator("html").get_attribute("dir") == EXPECTED[lang][1]
            assert {a.inner_text() for a in page.locator("nav a").all()} == {"中文", "English", "ئۇيغۇرچە"}
            page.screenshot(path=str(ARTIFACTS / f"verification-home-{lang}-{name}.png"), full_page=True)
            page.fill("input[name=code]", typed)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert page.url.endswith(f"/v/{code}?lang={lang}")
            assert page.locator("section.status").get_attribute("data-status") == "valid"
            no_sideways_scrolling(page, size["viewport"]["width"])
        finally:
            page.close()


@pytest.mark.parametrize("lang", list(EXPECTED))
def test_a_forged_qr_is_red_in_every_language(server: Server, browser, certificate: dict, lang: str) -> None:
    page = browser.new_page(**PHONE)
    try:
        scanned = certificate["qr_text"].split("/V/", 1)[1]
        page.goto(f"{server.base}/V/{scanned[:-4]}AAAA?lang={lang}")
        status = page.locator("section.status")
        assert status.get_attribute("data-status") == "invalid_qr"
        assert status.locator("h1").inner_text() == INVALID[lang]
        colour = status.evaluate("e => getComputedStyle(e).backgroundColor")
        red, green, blue = (int(x) for x in colour[colour.index("(") + 1 : -1].split(",")[:3])
        assert red > 150 and green < 80 and blue < 80, colour
        assert EXPECTED[lang][0] not in status.inner_text()
        page.click(f"nav a[lang={'en' if lang != 'en' else 'ug'}]")
        assert page.locator("section.status").get_attribute("data-status") == "invalid_qr"
        page.goto(f"{server.base}/V/{scanned[:-4]}AAAA?lang={lang}")
        page.screenshot(path=str(ARTIFACTS / f"verification-invalid-qr-{lang}.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize("lang", list(EXPECTED))
def test_a_revoked_certificate_reads_right_to_left_with_its_date_left_to_right(
    server: Server, browser, revoked: dict, lang: str
) -> None:
    page = browser.new_page(**PHONE)
    try:
        page.goto(f"{server.base}/v/{revoked['verification_code']}?lang={lang}")
        assert page.locator("section.status").get_attribute("data-status") == "revoked"
        date = page.locator("section.status bdi[dir=ltr]").first
        assert date.inner_text() == revoked["status_effective_on"]
        # the digits of the date run left to right on the screen, also inside right-to-left text
        xs = date.evaluate(
            """e => { const r = document.createRange(); const t = e.firstChild; const xs = [];
                for (let i = 0; i < t.length; i++) { r.setStart(t, i); r.setEnd(t, i + 1);
                  xs.push(r.getBoundingClientRect().left); } return xs; }"""
        )
        assert xs == sorted(xs), xs
        page.screenshot(path=str(ARTIFACTS / f"verification-revoked-{lang}.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize("lang", list(EXPECTED))
def test_an_unknown_code_in_the_browser(server: Server, browser, lang: str) -> None:
    page = browser.new_page(**PHONE)
    try:
        response = page.goto(f"{server.base}/v/AAAAAAAAAAAAAAAA?lang={lang}")
        assert response is not None and response.status == 404
        assert page.locator("section.status").get_attribute("data-status") == "not_found"
        assert len(page.locator("nav a").all()) == 3
        page.screenshot(path=str(ARTIFACTS / f"verification-unknown-{lang}.png"))
    finally:
        page.close()
