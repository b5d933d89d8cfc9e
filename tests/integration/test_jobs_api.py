"""Long work as jobs over HTTP: large or `Prefer: respond-async` imports and big course PDFs answer 202 + Location,
the job reports its progress, errors and result, and a failure in the middle leaves exactly what was committed."""

from __future__ import annotations

import asyncio
import io
import time

import openpyxl
import pypdfium2
import pytest
import zxingcpp

from ledger.registration import service
from tests.factories import id_number
from tests.integration.conftest import World
from tests.integration.test_csv_import import ENGLISH_HEADER

CHUNK = 4


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    return {
        **environment,
        "LEDGER_JOB_POLL_SECONDS": "0.05",
        "LEDGER_IMPORT_CHUNK_ROWS": str(CHUNK),
        "LEDGER_ASYNC_IMPORT_BYTES": "4096",
        "LEDGER_COURSE_PDF_JOB_CERTIFICATES": "5",
        "LEDGER_MAX_IMPORT_BYTES": "65536",
    }


def rows(seqs: range | list[int], hours: int = 160) -> str:
    return "".join(f"CG-2025-01,张伟,{id_number(i)},2025-05-30,{hours},true,4\n" for i in seqs)


async def submit(world: World, data: str, headers: dict[str, str] | None = None, query: str = "") -> dict:
    response = await world.client.post(
        "/api/v1/completions/import" + query,
        content=data.encode(),
        headers={**world.evaluator, "content-type": "text/csv", "prefer": "respond-async", **(headers or {})},
    )
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/v1/jobs/{response.json()['id']}"
    return response.json()


async def finished(world: World, location: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = (await world.client.get(location, headers=world.evaluator)).json()
        if job["state"] in ("succeeded", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"the job did not finish: {job}")


async def registered(world: World) -> int:
    response = await world.client.get("/api/v1/certificates?limit=1", headers=world.evaluator)
    return response.json()["total"]


async def test_an_import_asked_to_run_async_is_a_job_with_progress_and_its_rows(world: World) -> None:
    job = await submit(world, ENGLISH_HEADER + rows(range(10)))
    assert job["kind"] == "import" and job["state"] == "queued" and job["done"] == 0
    done = await finished(world, job["links"]["self"])
    assert done["state"] == "succeeded", done
    assert (done["done"], done["total"], done["percent"]) == (10, 10, 100.0)
    assert done["result"] == {"phase": "done", "checked": 10, "created": 10, "unchanged": 0, "certificates": 20,
                              "warnings": []}  # fmt: skip
    assert done["started_at"] and done["finished_at"] and done["errors"] == [] and done["error_count"] == 0

    first = await world.client.get(done["links"]["rows"] + "?limit=6", headers=world.evaluator)
    page = first.json()
    assert [r["row"] for r in page["items"]] == [2, 3, 4, 5, 6, 7] and page["next_after"] == 7
    rest = (await world.client.get(f"{done['links']['rows']}?after=7", headers=world.evaluator)).json()
    assert [r["row"] for r in rest["items"]] == [8, 9, 10, 11] and rest["next_after"] is None
    certificates = [c for r in page["items"] + rest["items"] for c in r["certificates"]]
    assert len(certificates) == 20 and {c["kind"] for c in certificates} == {"skill_level", "training"}
    verified = await world.client.get(f"/api/v1/verify/{certificates[0]['verification_code']}")
    assert verified.status_code == 200

    listed = (await world.client.get("/api/v1/jobs", headers=world.evaluator)).json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]


async def test_another_institution_sees_no_job(world: World) -> None:
    job = await submit(world, ENGLISH_HEADER + rows(range(2)))
    for path in ("", "/rows", "/output"):
        response = await world.client.get(job["links"]["self"] + path, headers=world.school)
        assert response.status_code == 404, path
    assert (await world.client.get("/api/v1/jobs", headers=world.school)).json()["items"] == []
    unknown = await world.client.get("/api/v1/jobs/00000000-0000-0000-0000-000000000000", headers=world.evaluator)
    assert unknown.status_code == 404


async def test_a_body_above_the_threshold_is_a_job_and_a_small_one_is_not(world: World) -> None:
    small = await world.client.post(
        "/api/v1/completions/import",
        content=(ENGLISH_HEADER + rows(range(3))).encode(),
        headers={**world.evaluator, "content-type": "text/csv"},
    )
    assert small.status_code == 201 and small.json()["created"] == 3
    big = ENGLISH_HEADER + rows(range(3, 103))
    assert len(big.encode()) > 4096
    response = await world.client.post(
        "/api/v1/completions/import", content=big.encode(), headers={**world.evaluator, "content-type": "text/csv"}
    )
    assert response.status_code == 202, response.text
    done = await finished(world, response.headers["location"])
    assert done["state"] == "succeeded" and done["result"]["created"] == 100


async def test_an_upload_above_the_job_limit_is_413_and_nothing_is_kept(world: World) -> None:
    big = ENGLISH_HEADER + rows(range(1_200))
    assert len(big.encode()) > 65536
    response = await world.client.post(
        "/api/v1/completions/import", content=big.encode(), headers={**world.evaluator, "content-type": "text/csv"}
    )
    assert response.status_code == 413, response.text
    assert response.json()["type"] == "/problems/payload-too-large" and "MiB" in response.json()["detail"]
    assert (await world.client.get("/api/v1/jobs", headers=world.evaluator)).json()["items"] == []


async def test_a_retried_submit_with_its_idempotency_key_returns_the_same_job(world: World) -> None:
    data = ENGLISH_HEADER + rows(range(5))
    first = await submit(world, data, {"idempotency-key": "batch-7"})
    again = await world.client.post(
        "/api/v1/completions/import",
        content=data.encode(),
        headers={**world.evaluator, "content-type": "text/csv", "prefer": "respond-async",
                 "idempotency-key": "batch-7"},
    )  # fmt: skip
    assert again.status_code == 202 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first["id"] and again.headers["location"] == first["links"]["self"]
    other = await world.client.post(
        "/api/v1/completions/import",
        content=(ENGLISH_HEADER + rows(range(6))).encode(),
        headers={**world.evaluator, "content-type": "text/csv", "prefer": "respond-async",
                 "idempotency-key": "batch-7"},
    )  # fmt: skip
    assert other.status_code == 422 and other.json()["type"] == "/problems/idempotency-key-reused"
    assert (await finished(world, first["links"]["self"]))["result"]["created"] == 5
    assert len((await world.client.get("/api/v1/jobs", headers=world.evaluator)).json()["items"]) == 1


async def test_a_multipart_upload_becomes_a_job_under_its_file_name(world: World) -> None:
    response = await world.client.post(
        "/api/v1/completions/import",
        files={"file": ("学员名单.csv", (ENGLISH_HEADER + rows(range(4))).encode(), "text/csv")},
        headers={**world.evaluator, "prefer": "respond-async"},
    )
    assert response.status_code == 202, response.text
    done = await finished(world, response.headers["location"])
    assert done["state"] == "succeeded" and done["result"]["created"] == 4


async def test_a_retried_form_upload_with_its_key_returns_the_same_job(world: World) -> None:
    data = (ENGLISH_HEADER + rows(range(3))).encode()
    answers = [
        await world.client.post(
            "/api/v1/completions/import",
            files={"file": ("名单.csv", data, "text/csv")},  # a new multipart boundary each time
            headers={**world.evaluator, "prefer": "respond-async", "idempotency-key": "form-1"},
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json()["id"] == answers[1].json()["id"] and answers[1].headers["idempotent-replayed"] == "true"


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX_HEADER = ["序号", "课程编码", "姓名", "身份证号", "结业日期", "学时", "是否合格", "鉴定等级", "备注"]


async def test_an_excel_workbook_with_a_title_row_is_a_job_that_reports_its_warnings(world: World) -> None:
    body = [["2025年车工班结业名单"], XLSX_HEADER]
    body += [[i + 1, "CG-2025-01", "张伟", id_number(i), "2025年5月30日", 160, "合格", "四级", ""] for i in range(6)]
    response = await world.client.post(
        "/api/v1/completions/import",
        files={"file": ("结业名单.xlsx", workbook(body), "application/octet-stream")},
        headers={**world.evaluator, "prefer": "respond-async"},
    )
    assert response.status_code == 202, response.text
    done = await finished(world, response.headers["location"])
    assert done["state"] == "succeeded", done
    assert done["result"]["created"] == 6 and done["done"] == 6
    warned = {(w["code"], w["column"]) for w in done["result"]["warnings"]}
    assert ("rows_above_header", None) in warned and ("unknown_column", "序号") in warned, warned
    rows_out = (await world.client.get(done["links"]["rows"], headers=world.evaluator)).json()["items"]
    assert [r["row"] for r in rows_out] == [3, 4, 5, 6, 7, 8]  # the sheet's rows: title 1, header 2


async def test_an_id_column_excel_damaged_is_told_once_for_the_file(world: World) -> None:
    body = [XLSX_HEADER]
    body += [[i + 1, "CG-2025-01", "张伟", f"6.5010{i}E+17", "2025-05-30", 160, "是", 4, ""] for i in range(8)]
    response = await world.client.post(
        "/api/v1/completions/import",
        content=workbook(body),
        headers={**world.evaluator, "prefer": "respond-async", "content-type": "application/octet-stream"},
    )
    assert response.status_code == 202, response.text
    done = await finished(world, response.headers["location"])
    assert done["state"] == "failed" and done["error_count"] == 1, done
    assert done["errors"][0]["code"] == "id_excel_scientific" and done["errors"][0]["column"] == "身份证号"
    assert await registered(world) == 0


async def test_a_file_with_errors_fails_whole_before_anything_is_written(world: World) -> None:
    bad = rows(range(5)) + "CG-2025-01,张伟,650102199001011230,2025-05-30,160,true,4\n" + rows(range(5, 9))
    bad += f"CG-2025-01,张伟,{id_number(50)},2025-13-45,160,true,4\n" + rows(range(9, 12), hours=160)
    job = await submit(world, ENGLISH_HEADER + bad)
    done = await finished(world, job["links"]["self"])
    assert done["state"] == "failed" and done["done"] == 0
    assert done["message"].startswith("文件中有 2 处错误（2 行），未登记任何一行")
    assert done["error_count"] == 2
    by_row = {e["row"]: e for e in done["errors"]}
    assert set(by_row) == {7, 12}  # spreadsheet rows: the header is row 1
    assert by_row[7]["field"] == "trainee.id_number" and by_row[12]["code"] == "invalid_date"
    assert by_row[12]["column"] == "completed_on" and "不是日期" in by_row[12]["message"]  # the clerk's own header
    assert await registered(world) == 0


async def test_a_failure_in_the_middle_keeps_what_was_committed_and_a_resubmit_completes(world: World) -> None:
    # chunks of 4 rows: rows 2-5, 6-9, 10-13 …; the trainee of row 3 appears again at row 11 with other hours,
    # which only the write of the third chunk can see (the check validates each chunk on its own)
    lines = rows(range(9)) + rows([1], hours=120) + rows(range(9, 16))
    job = await submit(world, ENGLISH_HEADER + lines)
    done = await finished(world, job["links"]["self"])
    assert done["state"] == "failed", done
    assert (done["done"], done["total"]) == (8, 17)
    assert done["result"]["created"] == 8
    assert done["errors"] == [
        {"row": 11, "column": "course_code", "field": "course_code", "code": "completion_exists",
         "message": "该学员的这门课程已登记过，且内容不同"}
    ]  # fmt: skip
    assert "此前已提交的 8 行已登记" in done["message"]
    assert await registered(world) == 16  # two certificates for each of the 8 committed rows

    fixed = rows(range(9)) + rows([1]) + rows(range(9, 16))  # the repeated row now agrees with the first
    again = await finished(world, (await submit(world, ENGLISH_HEADER + fixed))["links"]["self"])
    assert again["state"] == "succeeded", again
    assert (again["result"]["created"], again["result"]["unchanged"]) == (8, 9)
    assert await registered(world) == 32


async def test_an_interrupted_import_resumes_after_its_last_committed_chunk(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = service.register_completions
    calls = {"writes": 0}

    async def flaky(*args: object, **kwargs: object) -> object:
        if not kwargs.get("dry_run"):
            calls["writes"] += 1
            if calls["writes"] == 3:
                raise ConnectionResetError("the database went away")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("ledger.jobs.imports.register_completions", flaky)
    monkeypatch.setattr("ledger.jobs.worker.Worker.retry_after", lambda self, attempts: 0.0)
    job = await submit(world, ENGLISH_HEADER + rows(range(14)))
    done = await finished(world, job["links"]["self"])
    assert done["state"] == "succeeded", done
    assert done["result"]["created"] == 14 and done["done"] == 14
    assert calls["writes"] == 5  # chunks 1, 2, the failed 3rd, then 3 and 4 again: none written twice
    rows_out = (await world.client.get(done["links"]["rows"], headers=world.evaluator)).json()["items"]
    assert [r["row"] for r in rows_out] == list(range(2, 16)) and {r["status"] for r in rows_out} == {"created"}
    assert await registered(world) == 28


async def test_a_dry_run_job_checks_the_whole_file_and_writes_nothing(world: World) -> None:
    job = await submit(world, ENGLISH_HEADER + rows(range(9)), query="?dry_run=true")
    done = await finished(world, job["links"]["self"])
    assert done["state"] == "succeeded" and done["result"]["dry_run"] is True and done["result"]["checked"] == 9
    assert await registered(world) == 0


async def test_a_large_course_pdf_is_made_by_a_job_and_downloaded_from_its_output(world: World) -> None:
    small = await world.client.post(
        "/api/v1/completions/import",
        content=(ENGLISH_HEADER + rows(range(2))).encode(),
        headers={**world.evaluator, "content-type": "text/csv"},
    )
    assert small.status_code == 201
    direct = await world.client.get("/api/v1/courses/CG-2025-01/certificates.pdf", headers=world.evaluator)
    assert direct.status_code == 200 and direct.headers["content-type"] == "application/pdf"  # 4 pages: not a job

    await finished(world, (await submit(world, ENGLISH_HEADER + rows(range(2, 4))))["links"]["self"])
    response = await world.client.get("/api/v1/courses/CG-2025-01/certificates.pdf", headers=world.evaluator)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["kind"] == "course_pdf" and job["total"] == 8
    done = await finished(world, response.headers["location"])
    assert done["state"] == "succeeded" and done["done"] == 8 and done["links"]["output"]
    pdf = await world.client.get(done["links"]["output"], headers=world.evaluator)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="CG-2025-01.pdf"'
    document = pypdfium2.PdfDocument(io.BytesIO(pdf.content))
    assert len(document) == 8
    image = document[0].render(scale=2).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert codes and codes[0].text.lower().startswith("https://verify.example.test/v/")
    assert (await world.client.get(done["links"]["output"], headers=world.school)).status_code == 404
