"""Long work in the school portal: an upload above the async thresholds is checked and registered by import jobs of
the kept file, a big course's PDF by a course_pdf job; the job's page shows a progress bar, refreshes itself until
the job ends, then the result (the certificates issued), the download, or the errors and what was committed."""

from __future__ import annotations

import asyncio
import io
import re
import time

import pypdfium2
import pytest
from litestar.testing import AsyncTestClient

from tests.factories import id_number
from tests.integration.conftest import World
from tests.integration.test_csv_import import ENGLISH_HEADER
from tests.integration.test_dashboard import csrf_of, secret_of
from tests.integration.test_jobs_api import rows
from tests.integration.test_school_portal import page, sign_in

pytestmark = [pytest.mark.asyncio, pytest.mark.https]

CSV = "text/csv"
REFRESH = '<meta http-equiv="refresh" content="2">'


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    return {
        **environment,
        "LEDGER_JOB_POLL_SECONDS": "0.05",
        "LEDGER_IMPORT_CHUNK_ROWS": "4",
        "LEDGER_ASYNC_IMPORT_BYTES": "4096",
        "LEDGER_MAX_BATCH_ROWS": "12",
        "LEDGER_COURSE_PDF_JOB_CERTIFICATES": "5",
    }


async def upload(client: AsyncTestClient, text: str, filename: str = "名单.csv"):
    token = csrf_of(await page(client, "/school/upload"))
    response = await client.post(
        "/school/upload", data={"_csrf_token": token}, files={"file": (filename, text.encode(), CSV)}
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def followed(client: AsyncTestClient, path: str) -> str:
    """Where a page that answers with 303 leads."""
    response = await client.get(path)
    assert response.status_code == 303, (path, response.status_code, response.text[:300])
    return response.headers["location"]


def state_of(html: str) -> str:
    match = re.search(r'id="job" data-state="(\w+)"', html)
    assert match, html[:500]
    return match.group(1)


async def ended(client: AsyncTestClient, path: str, seconds: float = 60) -> str:
    """The job's page once the job ended; while it runs the page refreshes itself."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        html = await page(client, path)
        if state_of(html) in ("succeeded", "failed"):
            assert REFRESH not in html, "a finished job's page stops refreshing"
            return html
        assert REFRESH in html and "<progress" in html
        await asyncio.sleep(0.05)
    raise AssertionError(f"the job at {path} did not end")


def job_path(location: str) -> str:
    assert re.fullmatch(r"/school/jobs/[0-9a-f-]{36}", location), location
    return location


async def api_jobs(world: World, headers: dict[str, str] | None = None) -> list[dict]:
    response = await world.client.get("/api/v1/jobs", headers=headers or world.evaluator)
    return response.json()["items"]


async def test_a_big_upload_is_checked_then_registered_by_jobs_of_the_kept_file(world: World) -> None:
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    text = ENGLISH_HEADER + rows(range(100))
    assert len(text.encode()) > 4096
    preview = await upload(client, text)
    dry_run = job_path(await followed(client, preview))
    assert await followed(client, preview) == dry_run, "asked again, the same dry run"
    checked = await ended(client, dry_run)
    assert "已完成" in checked and 'id="clean"' in checked and "检查通过：100 行" in checked
    assert await api_jobs(world) and (await api_jobs(world))[0]["result"]["dry_run"] is True
    assert (await world.client.get("/api/v1/certificates?limit=1", headers=world.evaluator)).json()["total"] == 0

    confirm = re.search(r'<form method="post" action="([^"]+/confirm)"', checked)
    assert confirm and confirm.group(1) == preview + "/confirm"
    response = await client.post(confirm.group(1), data={"_csrf_token": csrf_of(checked)})
    assert response.status_code == 303
    job = job_path(response.headers["location"])
    done = await ended(client, job)
    assert "已完成" in done and "新登记 100 行" in done and "共颁发 200 张证书" in done
    assert re.search(r'<progress id="progress" max="100" value="100">', done)
    assert "已登记 100 / 100 行（100%）" in done
    assert done.count("data-pdf=") == 100, "a page of 50 rows, each with its two certificates"
    second = await page(client, f"{job}?after=51")
    assert "第 52 行" in second and 'rel="first"' in second and second.count("data-pdf=") == 100

    kinds = [(j["kind"], j["result"].get("dry_run", False), j["state"]) for j in await api_jobs(world)]
    assert kinds == [("import", False, "succeeded"), ("import", True, "succeeded")], "the API's job kind, twice"
    again = await client.post(confirm.group(1), data={"_csrf_token": csrf_of(checked)})
    assert again.headers["location"] == job, "confirming twice registers once"
    overview = await page(client, "/school")
    assert 'id="jobs"' in overview and job in overview and "导入名单" in overview


async def test_more_rows_than_a_synchronous_import_takes_is_a_job_too(world: World) -> None:
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    small = await page(client, await upload(client, ENGLISH_HEADER + rows(range(12))))
    assert 'id="clean"' in small and "<progress" not in small, "12 rows: the synchronous preview"
    text = ENGLISH_HEADER + rows(range(20, 40))
    assert len(text.encode()) < 4096
    checked = await ended(client, job_path(await followed(client, await upload(client, text))))
    assert "检查通过：20 行" in checked


async def test_a_failed_import_job_shows_its_errors_and_what_was_committed(world: World) -> None:
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    bad = ENGLISH_HEADER + rows(range(60)) + f"CG-2025-01,张伟,{id_number(99)},2025-13-45,160,true,4\n"
    failed = await ended(client, job_path(await followed(client, await upload(client, bad))))
    assert "失败" in failed and 'id="failed"' in failed and "文件中有 1 处错误（1 行），未登记任何一行" in failed
    assert re.search(r'<tr data-row="62"><td class="mono">第 62 行</td><td>completed_on</td><td>[^<]*不是日期', failed)
    assert "/confirm" not in failed, "a file with errors cannot be confirmed"

    # the trainee of row 3 again at row 63 with other hours: the dry run checks chunk by chunk and passes, the write
    # of the chunk holding row 63 is refused, the 60 rows before it stay registered
    text = ENGLISH_HEADER + rows(range(61)) + rows([1], hours=120) + rows(range(61, 70))
    checked = await ended(client, job_path(await followed(client, await upload(client, text))))
    assert 'id="clean"' in checked
    response = await client.post(re.findall(r'action="([^"]+/confirm)"', checked)[0],
                                 data={"_csrf_token": csrf_of(checked)})  # fmt: skip
    stopped = await ended(client, job_path(response.headers["location"]))
    assert 'data-state="failed"' in stopped and "此前已提交的 60 行已登记" in stopped
    assert "失败前已提交并登记 60 行" in stopped and "颁发 120 张证书" in stopped
    assert re.search(r'<tr data-row="63"><td class="mono">第 63 行</td><td>course_code</td>', stopped)
    assert "已登记的行" in stopped and "第 2 行" in stopped and "第 51 行" in stopped and 'rel="next"' in stopped
    assert '<progress id="progress" max="71" value="60">' in stopped


async def test_a_big_course_pdf_is_made_by_a_job_and_downloaded_in_the_portal(world: World) -> None:
    client = world.client
    response = await client.post(
        "/api/v1/completions/import", content=(ENGLISH_HEADER + rows(range(3))).encode(),
        headers={**world.evaluator, "content-type": CSV},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    await sign_in(client, secret_of(world.evaluator))
    job = job_path(await followed(client, "/school/courses/CG-2025-01/certificates.pdf"))
    done = await ended(client, job)
    assert "课程证书 PDF：CG-2025-01" in done and "已完成" in done and "已生成 6 / 6 张证书（100%）" in done
    assert [j["kind"] for j in await api_jobs(world)] == ["course_pdf"]
    link = re.search(r'href="([^"]+)" id="output"', done)
    assert link and link.group(1) == job + "/output"
    pdf = await client.get(link.group(1))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert len(pypdfium2.PdfDocument(io.BytesIO(pdf.content))) == 6


async def test_another_institutions_job_is_a_404_page(world: World) -> None:
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    job = job_path(await followed(client, await upload(client, ENGLISH_HEADER + rows(range(80)))))
    await ended(client, job)
    await client.post("/school/logout", data={"_csrf_token": csrf_of(await page(client, "/school"))})
    await sign_in(client, secret_of(world.school))
    for path in (job, job + "/output", "/school/jobs/00000000-0000-0000-0000-000000000000"):
        html = await page(client, path, 404)
        assert "该任务不存在、不属于本机构" in html, path
    assert 'id="jobs"' not in await page(client, "/school"), "nor in its overview"


class TestWithoutWorkers:
    """A server that runs no jobs (LEDGER_JOB_WORKERS=0): what a queued job's page shows."""

    @pytest.fixture
    def environment(self, environment: dict[str, str]) -> dict[str, str]:
        return {**environment, "LEDGER_JOB_WORKERS": "0"}

    async def test_a_queued_job_shows_an_indeterminate_bar_and_refreshes(self, world: World) -> None:
        client = world.client
        await sign_in(client, secret_of(world.evaluator))
        html = await page(client, await followed(client, await upload(client, ENGLISH_HEADER + rows(range(90)))))
        assert 'data-state="queued"' in html and "排队中" in html and REFRESH in html
        assert '<progress id="progress">' in html and "正在检查文件：已检查 0 行" in html
        assert "<script" not in html

    async def test_a_course_pdf_asked_twice_while_queued_is_one_job(self, world: World) -> None:
        response = await world.client.post(
            "/api/v1/completions/import", content=(ENGLISH_HEADER + rows(range(3))).encode(),
            headers={**world.evaluator, "content-type": CSV},
        )  # fmt: skip
        assert response.status_code == 201
        await sign_in(world.client, secret_of(world.evaluator))
        first = await followed(world.client, "/school/courses/CG-2025-01/certificates.pdf")
        assert await followed(world.client, "/school/courses/CG-2025-01/certificates.pdf") == first
        html = await page(world.client, first)
        assert "已生成 0 / 6 张证书（0%）" in html and '<progress id="progress" max="6" value="0">' in html
        assert (await world.client.get(first + "/output")).status_code == 404
