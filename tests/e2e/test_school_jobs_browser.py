"""Jobs in the school portal, in a real browser at phone size (390 px), against a server whose thresholds are low:
an upload that becomes a dry-run job and then an import job (a <progress> bar, the page refreshing itself until
已完成, then the certificates), and a course's one PDF made by a job and downloaded; screenshots in tests/artifacts."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_school_browser import PHONE, fits, printed_codes, signed_in
from tests.integration.test_certificates import decode_pdf_qr

pytestmark = pytest.mark.browser

ROWS = 60
COURSE = "CHEGONG-2025-01"  # the demo evaluator's course
ENDED = "#job[data-state=succeeded], #job[data-state=failed]"


@pytest.fixture(scope="module")
def server_settings() -> dict[str, str]:
    return {
        "LEDGER_ASYNC_IMPORT_BYTES": "2048",  # every workbook is a job
        "LEDGER_IMPORT_CHUNK_ROWS": "10",
        "LEDGER_JOB_POLL_SECONDS": "0.2",
        "LEDGER_COURSE_PDF_JOB_CERTIFICATES": "5",
    }


def big_upload(tmp_path: Path) -> Path:
    from tests.integration.test_sheet_import import quirky_rows, quirky_xlsx

    rows = quirky_rows(ROWS, start=900)
    for row in rows:
        row[1] = COURSE
    path = tmp_path / "2025年全年车工结业名单.xlsx"
    path.write_bytes(quirky_xlsx(rows))
    assert path.stat().st_size > 2048
    return path


def test_a_big_upload_runs_as_a_job_with_a_progress_bar(server: Server, browser, tmp_path: Path) -> None:
    context, page = signed_in(server, browser, **PHONE)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(f"{server.base}/school/upload")
        page.set_input_files("#file", str(big_upload(tmp_path)))
        page.click("form.fields button[type=submit]")
        page.wait_for_url(f"{server.base}/school/jobs/**")
        assert page.locator("progress#progress").count() == 1
        page.wait_for_selector(ENDED, timeout=60_000)  # the page reloads itself every 2 s
        assert page.locator("#state").inner_text() == "已完成"
        assert f"检查通过：{ROWS} 行" in page.locator("#clean").inner_text()
        fits(page, "job-checked-phone")

        page.click("#confirm")
        page.wait_for_url(f"{server.base}/school/jobs/**")
        assert page.locator("progress#progress").count() == 1
        fits(page, "job-running-phone")
        page.wait_for_selector(ENDED, timeout=90_000)
        assert page.locator("#state").inner_text() == "已完成"
        assert f"新登记 {ROWS} 行" in page.locator("#done").inner_text()
        assert page.locator("progress#progress").get_attribute("value") == str(ROWS)
        issued = page.locator("#issued tbody tr[data-number]")
        assert issued.count() == 2 * 50, "the first page: 50 rows, a skill and a training certificate each"
        fits(page, "job-done-phone")

        number = issued.first.get_attribute("data-number")
        assert number
        with page.expect_download() as got:
            issued.first.locator("a[data-pdf]").click()
        assert sorted(decode_pdf_qr(Path(got.value.path()).read_bytes())) == printed_codes(server, number)
        page.click('a[rel="next"]')
        page.wait_for_load_state()
        assert page.locator("#issued tbody tr[data-number]").count() == 2 * (ROWS - 50)

        page.goto(f"{server.base}/school")
        assert page.locator("#jobs tbody tr").count() == 2
        fits(page, "overview-jobs-phone")
        assert all(url.startswith(server.base) for url in requested), "nothing is fetched from outside the app"
    finally:
        context.close()


def test_a_course_pdf_made_by_a_job_is_downloaded(server: Server, browser) -> None:
    context, page = signed_in(server, browser, **PHONE)
    try:
        page.goto(f"{server.base}/school/courses/{COURSE}")
        page.click("a[data-download=pdf]")
        page.wait_for_url(f"{server.base}/school/jobs/**")
        assert page.locator("progress#progress").count() == 1
        page.wait_for_selector(ENDED, timeout=120_000)
        assert page.locator("#state").inner_text() == "已完成"
        fits(page, "job-course-pdf-phone")
        with page.expect_download() as got:
            page.click("#output")
        pdf = Path(got.value.path()).read_bytes()
        assert len(pypdfium2.PdfDocument(pdf)) > 5
    finally:
        context.close()
