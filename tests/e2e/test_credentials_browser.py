"""The holder downloads the certificate's verifiable credential from a share link in a real browser: the link is on
the page, the download is the institution's credential to the byte. Screenshot in tests/artifacts."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, Server
from tests.e2e.test_share_browser import ID, NAME, PHONE, certificate  # noqa: F401  (certificate is a fixture)

pytestmark = pytest.mark.browser  # Playwright in a headless Chromium


def test_the_share_page_offers_the_credential_for_a_wallet(server: Server, browser, certificate: dict) -> None:  # noqa: F811
    holder = {"code": certificate["verification_code"], "name": NAME, "id_number": ID}
    made = httpx.post(f"{server.base}/api/v1/verify/shares", json={**holder, "purpose": "存入数字钱包", "days": 7})
    assert made.status_code == 201, made.text
    path = made.json()["url"][made.json()["url"].index("/s/") :]
    page = browser.new_page(**PHONE, accept_downloads=True)
    try:
        response = page.goto(f"{server.base}{path}?lang=zh")
        assert response is not None and response.status == 200
        link = page.locator("a[data-credential=download]")
        assert link.is_visible() and "可验证凭证" in link.inner_text()
        page.screenshot(path=str(ARTIFACTS / "share-credential-zh.png"), full_page=True)
        with page.expect_download() as waiting:
            link.click()
        download = waiting.value
        assert download.suggested_filename == f"certificate-{certificate['verification_code']}.jwt"
        token = Path(download.path()).read_text()
    finally:
        page.close()
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["typ"] == "vc+jwt" and header["alg"] == "EdDSA"
    school = {"Authorization": f"Bearer {server.keys['institution XJ-EVAL-01']}"}
    own = httpx.get(f"{server.base}/api/v1/certificates/{certificate['number']}/credential", headers=school)
    assert own.status_code == 200 and own.text == token
