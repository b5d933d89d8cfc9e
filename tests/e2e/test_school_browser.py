"""The school portal in a real browser, at phone size (390 px) and on a desktop: sign in with the demo evaluator's
key, read the course and its certificates, download a certificate's PDF and decode its QR code, change a
certificate's status with a reason, and see a refused course say why; screenshots in tests/artifacts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, Server
from tests.integration.test_certificates import decode_pdf_qr

pytestmark = pytest.mark.browser  # Playwright in a headless Chromium

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
EVALUATOR = "institution XJ-EVAL-01"


def signed_in(server: Server, browser, who: str = EVALUATOR, **options: object):
    context = browser.new_context(locale="zh-CN", accept_downloads=True, **options)
    page = context.new_page()
    page.goto(f"{server.base}/school")
    assert page.url == f"{server.base}/school/login", "a stranger is sent to sign in"
    page.fill("#key", server.keys[who])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.base}/school")
    return context, page


def fits(page, name: str) -> None:
    """The page's body does not scroll sideways (tables scroll inside their wrapper); a screenshot to look at."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width}px"
    page.screenshot(path=str(ARTIFACTS / f"school-{name}.png"), full_page=True)


def api_certificate(server: Server, number: str) -> dict:
    key = {"Authorization": f"Bearer {server.keys[EVALUATOR]}"}
    response = httpx.get(f"{server.base}/api/v1/certificates/{number}", headers=key)
    assert response.status_code == 200, response.text
    return response.json()


def printed_codes(server: Server, number: str) -> list[str]:
    """What the certificate's two QR codes carry (template 2026.2): its address and the signed token."""
    certificate = api_certificate(server, number)
    return sorted([certificate["verify_url"].upper(), certificate["qr_text"]])


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_portal_in_a_browser(server: Server, browser, size: str) -> None:
    context, page = signed_in(server, browser, **(PHONE if size == "phone" else DESKTOP))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        assert "乌鲁木齐市职业技能鉴定中心" in page.locator("header.top").inner_text()
        fits(page, f"overview-{size}")
        page.click("nav.tabs >> text=课程")
        page.wait_for_url(f"{server.base}/school/courses")
        fits(page, f"courses-{size}")
        page.click("text=CHEGONG-2025-01")
        page.wait_for_url(f"{server.base}/school/courses/CHEGONG-2025-01")
        assert page.locator("table.certificates tbody tr").count() > 0
        fits(page, f"course-{size}")

        row = page.locator("table.certificates tbody tr", has_text="职业技能等级证书").first
        number = row.get_attribute("data-number")
        assert number
        row.locator("td.mono a").first.click()
        page.wait_for_url(f"{server.base}/school/certificates/{number}")
        fits(page, f"certificate-{size}")
        with page.expect_download() as got:
            page.click("#pdf")
        pdf = Path(got.value.path()).read_bytes()
        assert sorted(decode_pdf_qr(pdf)) == printed_codes(server, number), "the PDF's QR codes are the certificate's"

        page.click("#action-suspend summary")
        page.fill("#suspend-reason", "核查培训档案")
        page.click("#action-suspend button[type=submit]")
        page.wait_for_url(f"**/school/certificates/{number}?done=suspend")
        assert page.locator("#status").inner_text() == "已暂停"
        assert api_certificate(server, number)["status"] == "suspended"
        page.click("#action-reinstate summary")
        page.fill("#reinstate-reason", "核查无误")
        page.click("#action-reinstate button[type=submit]")
        page.wait_for_url(f"**/school/certificates/{number}?done=reinstate")
        assert page.locator("#status").inner_text() == "有效"
        fits(page, f"certificate-reinstated-{size}")
        assert all(url.startswith(server.base) for url in requested), "nothing is fetched from outside the app"

        page.click("header.top button[type=submit]")
        page.wait_for_url(f"{server.base}/school/login")
    finally:
        context.close()


def test_a_refused_course_says_why_in_the_browser(server: Server, browser) -> None:
    """The demo training school is not a filed evaluator: a skill-level course is refused next to its field."""
    context, page = signed_in(server, browser, who="institution KS-TRAIN-01", **PHONE)
    try:
        page.goto(f"{server.base}/school/courses/new")
        page.fill("#code", "CG-2026-01")
        page.fill("#name", "车工（四级）")
        page.select_option("#occupation_code", "6-18-01-01")
        page.select_option("#outcome", "skill_level")
        page.select_option("#target_level", "4")
        page.fill("#hours", "160")
        page.fill("#starts_on", "2026-03-01")
        page.fill("#ends_on", "2026-05-30")
        page.click("form.fields button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#why-outcome").inner_text().startswith("本机构不是备案的评价机构")
        assert page.locator("#name").input_value() == "车工（四级）", "what was typed is kept"
        fits(page, "course-refused-phone")

        page.select_option("#outcome", "training")
        page.select_option("#target_level", "")
        page.click("form.fields button[type=submit]")
        page.wait_for_url(f"{server.base}/school/courses/CG-2026-01")
        assert "培训合格证书（仅培训）" in page.locator("main").inner_text()
    finally:
        context.close()


def test_the_front_page_leads_to_the_portal(server: Server, browser) -> None:
    page = browser.new_page(**PHONE)
    try:
        page.goto(f"{server.base}/")
        page.click('a[href="/school"]')
        page.wait_for_url(f"{server.base}/school/login")
        fits(page, "login-phone")
    finally:
        page.close()


def quirky_upload(tmp_path: Path, start: int) -> Path:
    """A list as a school keeps it: a title row, a blank row, 序号/民族/备注 columns, 男性, 4级, √ and date cells,
    for the demo evaluator's course."""
    from tests.integration.test_sheet_import import quirky_rows, quirky_xlsx

    rows = quirky_rows(4, start=start)
    for row in rows:
        row[1] = "CHEGONG-2025-01"
    rows.insert(2, [None] * len(rows[0]))
    path = tmp_path / "2025年第二期车工结业名单.xlsx"
    path.write_bytes(quirky_xlsx(rows))
    return path


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_upload_from_file_to_certificate(server: Server, browser, tmp_path: Path, size: str) -> None:
    """Upload a real .xlsx, read the preview and its warnings, confirm, see every certificate issued, download
    one and decode its QR code."""
    context, page = signed_in(server, browser, **(PHONE if size == "phone" else DESKTOP))
    try:
        page.click("nav.tabs >> text=上传名单")
        page.wait_for_url(f"{server.base}/school/upload")
        assert page.locator('#templates a[href="/school/courses/CHEGONG-2025-01/template.xlsx"]').count() == 1
        fits(page, f"upload-{size}")
        page.set_input_files("#file", str(quirky_upload(tmp_path, 500 if size == "phone" else 600)))
        page.click("form.fields button[type=submit]")
        page.wait_for_url(f"{server.base}/school/uploads/**")
        assert page.locator("#rows").inner_text() == "4"
        assert page.locator("#clean").is_visible()
        warnings = page.locator("#warnings").inner_text()
        assert "序号" in warnings and "民族" in warnings and "备注" in warnings
        fits(page, f"preview-{size}")

        page.click("#confirm")
        page.wait_for_url(f"{server.base}/school/imports/**")
        issued = page.locator("#issued tbody tr[data-number]")
        assert issued.count() == 8, "a skill and a training certificate for each of 4 passes"
        assert "新登记 4 行" in page.locator("#done").inner_text()
        fits(page, f"result-{size}")

        number = issued.first.get_attribute("data-number")
        assert number
        with page.expect_download() as got:
            issued.first.locator("a[data-pdf]").click()
        pdf = Path(got.value.path()).read_bytes()
        assert sorted(decode_pdf_qr(pdf)) == printed_codes(server, number)
    finally:
        context.close()


def test_a_bad_upload_in_the_browser(server: Server, browser, tmp_path: Path) -> None:
    from tests.integration.test_sheet_import import quirky_rows, quirky_xlsx

    rows = quirky_rows(2, start=700)
    rows[1][3] = "6.53121E+17"
    path = tmp_path / "名单.xlsx"
    path.write_bytes(quirky_xlsx(rows))
    context, page = signed_in(server, browser, **PHONE)
    try:
        page.goto(f"{server.base}/school/upload")
        page.set_input_files("#file", str(path))
        page.click("form.fields button[type=submit]")
        page.wait_for_url(f"{server.base}/school/uploads/**")
        assert page.locator("#rejected").is_visible() and page.locator("#confirm").count() == 0
        assert page.locator("#errors tbody tr").count() >= 1
        fits(page, "preview-rejected-phone")
        with page.expect_download() as got:
            page.click("#error-workbook")
        assert got.value.suggested_filename.endswith(".xlsx")
    finally:
        context.close()
