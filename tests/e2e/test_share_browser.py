"""A holder shares a certificate in a real browser, as a phone would: the holder check, a share link made for a
purpose, the link opened (full name, purpose, expiry), the link revoked, then the same link shows not found.
Screenshots in tests/artifacts."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, Server
from tests.factories import id_number

pytestmark = pytest.mark.browser  # Playwright in a headless Chromium

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
NAME = "阿依古丽·买买提"
PURPOSE = "应聘乌鲁木齐某公司车工"
ID = id_number(7, region="650104")


@pytest.fixture(scope="module")
def certificate(server: Server) -> dict:
    school = {"Authorization": f"Bearer {server.keys['institution XJ-EVAL-01']}"}
    course = {"code": "SHARE-2025-01", "name": "车工（四级）", "occupation_code": "6-18-01-01",
              "starts_on": "2025-07-01", "ends_on": "2025-08-30", "hours": 120, "outcome": "skill_level",
              "target_level": 4, "dual_rule": "training_skill", "mode_tags": ["order"]}  # fmt: skip
    assert httpx.post(f"{server.base}/api/v1/courses", json=course, headers=school).status_code == 201
    assessment = {"level": 4, "assessed_on": "2025-08-28", "theory_score": 78, "practical_score": 85}
    row = {"course_code": "SHARE-2025-01", "trainee": {"name": NAME, "id_number": ID}, "completed_on": "2025-08-30",
           "hours": 120, "passed": True, "assessment": assessment}  # fmt: skip
    posted = httpx.post(f"{server.base}/api/v1/completions", json={"items": [row]}, headers=school)
    assert posted.status_code == 201, posted.text
    listed = httpx.get(f"{server.base}/api/v1/certificates", params={"course_code": "SHARE-2025-01"}, headers=school)
    return next(c for c in listed.json()["items"] if c["kind"] == "skill_level")


def test_check_share_open_revoke_then_not_found(server: Server, browser, certificate: dict) -> None:
    """In Uyghur, the right-to-left case (the per-address limit of the holder check allows one run a minute; the
    integration tests cover every language)."""
    lang = "ug"
    page = browser.new_page(**PHONE)
    try:
        page.goto(f"{server.base}/check?lang={lang}&code={certificate['verification_code']}")
        page.fill("input[name=name]", NAME)
        page.fill("input[name=id_number]", ID)
        page.click("form[action='/check'] button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("section.status").get_attribute("data-status") == "match"
        assert ID not in page.content(), "the share forms carry a signed proof, never the ID number"
        page.fill("input[name=purpose]", PURPOSE)
        page.fill("input[name=days]", "30")
        page.click("form.share-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("[data-notice]").get_attribute("data-notice") == "created"
        page.screenshot(path=str(ARTIFACTS / f"share-created-{lang}.png"), full_page=True)
        link = page.locator("#new-link").input_value()
        path = link[link.index("/s/") :]

        reader = browser.new_page(**PHONE)
        try:
            response = reader.goto(f"{server.base}{path}?lang={lang}")
            assert response is not None and response.status == 200
            assert reader.locator("section.status").get_attribute("data-status") == "valid"
            assert reader.locator("html").get_attribute("dir") == "rtl"
            assert NAME in reader.locator("dl").inner_text(), "the full name"
            assert reader.locator(".shared .purpose").inner_text() == PURPOSE
            expires = reader.locator(".shared bdi.expires")
            assert expires.get_attribute("dir") == "ltr" and expires.inner_text().endswith("UTC+8")
            assert reader.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
            reader.screenshot(path=str(ARTIFACTS / f"share-page-{lang}.png"), full_page=True)

            assert page.locator("li[data-share-id]").count() == 1
            page.click("li[data-share-id] button.revoke")
            page.wait_for_load_state()
            assert page.locator("[data-notice]").get_attribute("data-notice") == "revoked"
            assert page.locator("li[data-share-id]").count() == 0
            page.screenshot(path=str(ARTIFACTS / f"share-revoked-{lang}.png"), full_page=True)

            gone = reader.goto(f"{server.base}{path}?lang={lang}")
            assert gone is not None and gone.status == 404
            assert reader.locator("section.status").get_attribute("data-status") == "not_found"
            assert NAME not in reader.content() and PURPOSE not in reader.content()
            revoked = httpx.get(f"{server.base}{path}", params={"lang": lang})
            unknown = httpx.get(f"{server.base}/s/{'A' * len(path[3:])}", params={"lang": lang})
            assert revoked.status_code == unknown.status_code == 404 and revoked.content == unknown.content
        finally:
            reader.close()
    finally:
        page.close()
